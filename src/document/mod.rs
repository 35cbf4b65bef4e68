//! GraphQL documents, parsed once into the selection tree that writes and reads follow.
//!
//! Parsing is cynic-parser's job; this module turns its AST into a small resolved tree:
//! fragment spreads are replaced by the fragment's (shared) selection set with its type
//! condition, arguments keep their variables unresolved, and `@skip` / `@include` are kept as
//! conditions. A [`Document`] is immutable and cheap to clone, so parse it once and reuse it.
//! Nothing here touches the store.

mod build;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use cynic_parser::executable::ExecutableDefinition;

use crate::field::FieldName;
use crate::key::{Key, ROOT_MUTATION, ROOT_QUERY, ROOT_SUBSCRIPTION};
use crate::policy::TYPENAME;
use build::{Builder, const_to_json};

/// A parsed GraphQL executable document: one operation and its fragments, or fragments only
/// (for fragment reads and writes).
///
/// ```
/// use optimist::Document;
///
/// let doc = Document::parse("query Todos($first: Int = 10) { todos(first: $first) { id title ...Done } } fragment Done on Todo { done }")?;
/// assert_eq!(doc.operation_name(), Some("Todos"));
/// assert!(Document::parse("query { todos { ").is_err());
/// # Ok::<(), optimist::DocumentError>(())
/// ```
#[derive(Clone)]
pub struct Document {
    inner: Arc<Inner>,
}

struct Inner {
    operation: Option<Operation>,
    /// Every fragment of the document, resolved.
    fragments: HashMap<String, Fragment>,
    /// Fragment names in document order, for "the only fragment" lookups.
    fragment_order: Vec<String>,
}

/// The kind of an operation, which fixes its root key.
///
/// ```
/// use optimist::{Document, OperationKind};
/// let doc = Document::parse("mutation { addTodo { id } }")?;
/// assert_eq!(doc.operation_kind(), Some(OperationKind::Mutation));
/// assert_eq!(OperationKind::Mutation.root_key().as_str(), "ROOT_MUTATION");
/// # Ok::<(), optimist::DocumentError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperationKind {
    /// A query; its root is `ROOT_QUERY`.
    Query,
    /// A mutation; its root is `ROOT_MUTATION`.
    Mutation,
    /// A subscription; its root is `ROOT_SUBSCRIPTION`.
    Subscription,
}

impl OperationKind {
    /// The key of the root entity the operation's fields live on.
    ///
    /// ```
    /// assert_eq!(optimist::OperationKind::Query.root_key().as_str(), "ROOT_QUERY");
    /// ```
    pub fn root_key(self) -> Key {
        let text = match self {
            OperationKind::Query => ROOT_QUERY,
            OperationKind::Mutation => ROOT_MUTATION,
            OperationKind::Subscription => ROOT_SUBSCRIPTION,
        };
        Key::new(text).unwrap_or_else(|_| Key::root_query())
    }

    /// The typename Apollo stores on the root entity (`Query`, `Mutation`, `Subscription`).
    ///
    /// ```
    /// assert_eq!(optimist::OperationKind::Query.root_typename(), "Query");
    /// ```
    pub fn root_typename(self) -> &'static str {
        match self {
            OperationKind::Query => "Query",
            OperationKind::Mutation => "Mutation",
            OperationKind::Subscription => "Subscription",
        }
    }
}

pub(crate) struct Operation {
    pub(crate) kind: OperationKind,
    pub(crate) name: Option<String>,
    pub(crate) variables: Vec<VariableDef>,
    pub(crate) selection: Arc<SelectionSet>,
}

pub(crate) struct VariableDef {
    pub(crate) name: String,
    /// Declared non-null (`Int!`).
    pub(crate) non_null: bool,
    pub(crate) default: Option<serde_json::Value>,
}

pub(crate) struct Fragment {
    pub(crate) type_condition: String,
    pub(crate) selection: Arc<SelectionSet>,
}

/// A selection set. Every set also selects `__typename`, as Apollo's cache adds it: when the
/// document did not, the field is marked implicit (written and read when present, never
/// required).
#[derive(Debug, Default)]
pub(crate) struct SelectionSet {
    pub(crate) items: Vec<Selection>,
}

#[derive(Debug)]
pub(crate) enum Selection {
    Field(Field),
    /// An inline fragment or a resolved fragment spread.
    Fragment {
        type_condition: Option<String>,
        selection: Arc<SelectionSet>,
        conditions: Conditions,
    },
}

#[derive(Debug)]
pub(crate) struct Field {
    /// The alias, or the name: where the field sits in a response.
    pub(crate) response_key: String,
    pub(crate) name: String,
    pub(crate) arguments: Vec<(String, Arg)>,
    pub(crate) selection: Option<Arc<SelectionSet>>,
    pub(crate) conditions: Conditions,
    /// `__typename` added by the cache, not written in the document.
    pub(crate) implicit: bool,
}

/// An argument value with its variables unresolved.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Const(serde_json::Value),
    Variable(String),
    List(Vec<Arg>),
    Object(Vec<(String, Arg)>),
}

/// `@skip(if:)` and `@include(if:)` on a selection.
#[derive(Debug, Default, Clone)]
pub(crate) struct Conditions(Vec<Condition>);

#[derive(Debug, Clone)]
struct Condition {
    /// `true` for `@include`, `false` for `@skip`.
    include: bool,
    value: Arg,
}

/// Variables resolved for one use of a document: given values over declared defaults.
#[derive(Debug, Clone, Default)]
pub(crate) struct Variables {
    values: serde_json::Map<String, serde_json::Value>,
}

impl Document {
    /// Parses a document. It may hold one operation (and the fragments it uses), or fragments
    /// only. Fragment spreads are resolved here: an unknown fragment, a cycle of spreads, or
    /// nesting deeper than [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH) is an error.
    ///
    /// ```
    /// use optimist::{Document, DocumentError};
    /// assert!(matches!(Document::parse("{ a ...F }"), Err(DocumentError::UnknownFragment { .. })));
    /// assert!(matches!(
    ///     Document::parse("{ ...A } fragment A on Q { ...B } fragment B on Q { ...A }"),
    ///     Err(DocumentError::FragmentCycle { .. })
    /// ));
    /// ```
    pub fn parse(text: &str) -> Result<Document, DocumentError> {
        let ast = cynic_parser::parse_executable_document(text).map_err(|error| {
            DocumentError::Parse {
                message: error.to_string(),
            }
        })?;
        let mut raw_fragments = HashMap::new();
        let mut fragment_order = Vec::new();
        let mut operations = Vec::new();
        for definition in ast.definitions() {
            match definition {
                ExecutableDefinition::Operation(operation) => operations.push(operation),
                ExecutableDefinition::Fragment(fragment) => {
                    let name = fragment.name().to_owned();
                    if raw_fragments.insert(name.clone(), fragment).is_some() {
                        return Err(DocumentError::DuplicateFragment { name });
                    }
                    fragment_order.push(name);
                }
            }
        }
        if operations.len() > 1 {
            return Err(DocumentError::MultipleOperations {
                count: operations.len(),
            });
        }
        let mut builder = Builder {
            raw: &raw_fragments,
            resolved: HashMap::new(),
            visiting: Vec::new(),
        };
        for name in &fragment_order {
            builder.fragment(name, 0)?;
        }
        let operation = match operations.pop() {
            None => None,
            Some(operation) => {
                let kind = match operation.operation_type() {
                    cynic_parser::common::OperationType::Query => OperationKind::Query,
                    cynic_parser::common::OperationType::Mutation => OperationKind::Mutation,
                    cynic_parser::common::OperationType::Subscription => {
                        OperationKind::Subscription
                    }
                };
                let mut variables = Vec::new();
                for definition in operation.variable_definitions() {
                    let non_null = matches!(
                        definition.ty().wrappers().next(),
                        Some(cynic_parser::common::WrappingType::NonNull)
                    );
                    let default = match definition.default_value() {
                        Some(value) => Some(const_to_json(value, 0)?),
                        None => None,
                    };
                    variables.push(VariableDef {
                        name: definition.name().to_owned(),
                        non_null,
                        default,
                    });
                }
                let selection = builder.selection_set(operation.selection_set(), 0)?;
                Some(Operation {
                    kind,
                    name: operation.name().map(str::to_owned),
                    variables,
                    selection,
                })
            }
        };
        if operation.is_none() && fragment_order.is_empty() {
            return Err(DocumentError::Empty);
        }
        Ok(Document {
            inner: Arc::new(Inner {
                operation,
                fragments: builder.resolved,
                fragment_order,
            }),
        })
    }

    /// The operation's name, if it has an operation with a name.
    ///
    /// ```
    /// assert_eq!(optimist::Document::parse("{ a }")?.operation_name(), None);
    /// # Ok::<(), optimist::DocumentError>(())
    /// ```
    pub fn operation_name(&self) -> Option<&str> {
        self.inner.operation.as_ref()?.name.as_deref()
    }

    /// The operation's kind, or `None` for a document of fragments only.
    ///
    /// ```
    /// assert_eq!(optimist::Document::parse("fragment F on T { a }")?.operation_kind(), None);
    /// # Ok::<(), optimist::DocumentError>(())
    /// ```
    pub fn operation_kind(&self) -> Option<OperationKind> {
        Some(self.inner.operation.as_ref()?.kind)
    }

    /// The names of the document's fragments, in document order.
    ///
    /// ```
    /// let doc = optimist::Document::parse("fragment A on T { a } fragment B on T { b }")?;
    /// assert_eq!(doc.fragment_names().collect::<Vec<_>>(), ["A", "B"]);
    /// # Ok::<(), optimist::DocumentError>(())
    /// ```
    pub fn fragment_names(&self) -> impl Iterator<Item = &str> {
        self.inner.fragment_order.iter().map(String::as_str)
    }

    /// The operation, or an error naming why there is none.
    pub(crate) fn operation(&self) -> Result<&Operation, DocumentError> {
        self.inner
            .operation
            .as_ref()
            .ok_or(DocumentError::NoOperation)
    }

    /// The fragment named `name`, or the only fragment when `name` is `None`.
    pub(crate) fn fragment(&self, name: Option<&str>) -> Result<&Fragment, DocumentError> {
        let name = match name {
            Some(name) => name,
            None => match self.inner.fragment_order.as_slice() {
                [only] => only.as_str(),
                [] => return Err(DocumentError::NoFragment),
                _ => return Err(DocumentError::AmbiguousFragment),
            },
        };
        self.inner
            .fragments
            .get(name)
            .ok_or_else(|| DocumentError::UnknownFragment {
                name: name.to_owned(),
            })
    }

    /// Resolves the operation's variables: `given` (an object, or `null` for none) over the
    /// declared defaults; a non-null variable with neither is an error.
    pub(crate) fn variables(&self, given: &serde_json::Value) -> Result<Variables, DocumentError> {
        let mut values = match given {
            serde_json::Value::Object(map) => map.clone(),
            serde_json::Value::Null => serde_json::Map::new(),
            _ => return Err(DocumentError::VariablesNotAnObject),
        };
        if let Some(operation) = &self.inner.operation {
            for definition in &operation.variables {
                let present = values.get(&definition.name).is_some_and(|v| !v.is_null());
                if present {
                    continue;
                }
                if let Some(default) = &definition.default {
                    if !values.contains_key(&definition.name) {
                        values.insert(definition.name.clone(), default.clone());
                    }
                } else if definition.non_null {
                    return Err(DocumentError::MissingVariable {
                        name: definition.name.clone(),
                    });
                }
            }
        }
        Ok(Variables { values })
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("operation", &self.operation_kind())
            .field("name", &self.operation_name())
            .field("fragments", &self.inner.fragment_order)
            .finish()
    }
}

impl Field {
    /// The store field name for these variables: the name, with the arguments that have a
    /// value (arguments from unset variables are left out), canonically serialised.
    pub(crate) fn store_name(&self, variables: &Variables) -> FieldName {
        if self.arguments.is_empty() {
            return FieldName::new(&self.name);
        }
        let mut args = serde_json::Map::new();
        for (name, arg) in &self.arguments {
            if let Some(value) = arg.resolve(variables) {
                args.insert(name.clone(), value);
            }
        }
        FieldName::with_args(&self.name, &serde_json::Value::Object(args))
    }

    /// Whether this is `__typename`.
    pub(crate) fn is_typename(&self) -> bool {
        self.name == TYPENAME
    }
}

impl Arg {
    /// The value, or `None` where an unset variable leaves it undefined.
    fn resolve(&self, variables: &Variables) -> Option<serde_json::Value> {
        match self {
            Arg::Const(value) => Some(value.clone()),
            Arg::Variable(name) => variables.values.get(name).cloned(),
            Arg::List(items) => Some(serde_json::Value::Array(
                items
                    .iter()
                    .map(|item| item.resolve(variables).unwrap_or(serde_json::Value::Null))
                    .collect(),
            )),
            Arg::Object(fields) => Some(serde_json::Value::Object(
                fields
                    .iter()
                    .filter_map(|(name, arg)| Some((name.clone(), arg.resolve(variables)?)))
                    .collect(),
            )),
        }
    }
}

impl Conditions {
    /// Whether the selection is included under these variables (`@skip` wins over `@include`,
    /// as every condition must allow it).
    pub(crate) fn included(&self, variables: &Variables) -> bool {
        self.0.iter().all(|condition| {
            let value = condition.value.resolve(variables);
            let flag = matches!(value, Some(serde_json::Value::Bool(true)));
            flag == condition.include
        })
    }
}

/// Why a document could not be parsed or used.
///
/// ```
/// let err = optimist::Document::parse("{ a ...Missing }").unwrap_err();
/// assert_eq!(err.to_string(), "fragment `Missing` is not defined in the document");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DocumentError {
    /// The text is not a GraphQL executable document.
    Parse {
        /// The parser's message.
        message: String,
    },
    /// The document has neither an operation nor a fragment.
    Empty,
    /// The document has several operations; it must have at most one.
    MultipleOperations {
        /// How many it has.
        count: usize,
    },
    /// An operation was needed, but the document holds fragments only.
    NoOperation,
    /// A fragment was needed, but the document has none.
    NoFragment,
    /// The document has several fragments and none was named.
    AmbiguousFragment,
    /// A fragment is spread or named but not defined.
    UnknownFragment {
        /// The fragment's name.
        name: String,
    },
    /// Two fragments have the same name.
    DuplicateFragment {
        /// The fragment's name.
        name: String,
    },
    /// Fragments spread each other in a cycle.
    FragmentCycle {
        /// A fragment on the cycle.
        name: String,
    },
    /// Selections or argument values nest deeper than the limit.
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// `@skip` or `@include` without an `if` argument.
    BadDirective {
        /// The directive's name.
        name: String,
    },
    /// The variables given are not a JSON object (or `null`).
    VariablesNotAnObject,
    /// A non-null variable without a default was not given.
    MissingVariable {
        /// The variable's name, without `$`.
        name: String,
    },
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocumentError::Parse { message } => write!(f, "the document does not parse: {message}"),
            DocumentError::Empty => f.write_str("the document has no operation and no fragment"),
            DocumentError::MultipleOperations { count } => {
                write!(
                    f,
                    "the document has {count} operations; it must have at most one"
                )
            }
            DocumentError::NoOperation => {
                f.write_str("the document has no operation, only fragments")
            }
            DocumentError::NoFragment => f.write_str("the document has no fragment"),
            DocumentError::AmbiguousFragment => {
                f.write_str("the document has several fragments; name the one to use")
            }
            DocumentError::UnknownFragment { name } => {
                write!(f, "fragment `{name}` is not defined in the document")
            }
            DocumentError::DuplicateFragment { name } => {
                write!(f, "fragment `{name}` is defined twice")
            }
            DocumentError::FragmentCycle { name } => {
                write!(f, "fragment `{name}` spreads itself through a cycle")
            }
            DocumentError::TooDeep { limit } => {
                write!(f, "the document nests deeper than {limit} levels")
            }
            DocumentError::BadDirective { name } => write!(f, "`@{name}` needs an `if` argument"),
            DocumentError::VariablesNotAnObject => f.write_str("variables must be a JSON object"),
            DocumentError::MissingVariable { name } => {
                write!(f, "variable `${name}` is required but was not given")
            }
        }
    }
}

impl std::error::Error for DocumentError {}
