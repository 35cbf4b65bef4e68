//! GraphQL documents, parsed once into the selection tree that writes and reads follow.
//!
//! Parsing is apollo-parser's job (chosen over cynic-parser 0.11, which panics on valid input
//! such as a large integer or a block string with an emoji); this module turns its syntax tree
//! into a small resolved tree:
//! fragment spreads are replaced by the fragment's (shared) selection set with its type
//! condition, arguments keep their variables unresolved, and `@skip` / `@include` are kept as
//! conditions. A [`Document`] is immutable and cheap to clone, so parse it once and reuse it.
//! Nothing here touches the store.

mod build;
pub(crate) mod edits;
mod request;
mod strings;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use apollo_parser::cst;

use crate::field::FieldName;
use crate::key::{Key, ROOT_MUTATION, ROOT_QUERY, ROOT_SUBSCRIPTION};
use crate::policy::TYPENAME;
use build::{Builder, const_json};

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
    /// What is sent (see `request.rs`).
    request: String,
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
    /// Variables declared non-null (`Int!`) without a default: they must be given.
    pub(crate) required: Vec<String>,
    /// Declared defaults, by variable name.
    pub(crate) defaults: HashMap<String, serde_json::Value>,
    pub(crate) selection: Arc<SelectionSet>,
}

pub(crate) struct Fragment {
    pub(crate) type_condition: String,
    pub(crate) selection: Arc<SelectionSet>,
    /// How many levels of selection sets the fragment nests, its own included: spread from a
    /// set at depth `d`, it reaches depth `d + height`.
    pub(crate) height: usize,
}

/// How deep apollo-parser may recurse: selections and values nest in one count there, so it is
/// twice our limit (each is checked against [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH)
/// on its own when the tree is built), and small enough for a 2 MiB stack.
pub(crate) const PARSER_RECURSION_LIMIT: usize = 2 * crate::policy::DEFAULT_MAX_DEPTH + 8;

/// Why a GraphQL text has no syntax tree.
pub(crate) enum SyntaxError {
    /// Nested past [`PARSER_RECURSION_LIMIT`].
    TooDeep,
    /// The parser's first error, with where it is.
    Parse(String),
}

/// The syntax tree of a GraphQL text (a document, or a schema's SDL), parsed under the crate's
/// nesting limit; any text gives a tree or an error, never a panic.
pub(crate) fn syntax(text: &str) -> Result<apollo_parser::SyntaxTree, SyntaxError> {
    let tree = apollo_parser::Parser::new(text)
        .recursion_limit(PARSER_RECURSION_LIMIT)
        .parse();
    if tree.recursion_limit().high > PARSER_RECURSION_LIMIT {
        return Err(SyntaxError::TooDeep);
    }
    if let Some(error) = tree.errors().next() {
        let message = format!("{} at byte {}", error.message(), error.index());
        return Err(SyntaxError::Parse(message));
    }
    Ok(tree)
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
    /// What a list directive (`@appendEdge`, `@deleteRecord`, ...) asks of the field's value.
    pub(crate) edit: Option<edits::ListEdit>,
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

/// Variables for one use of a document: the caller's values, borrowed (never copied), over
/// the declared defaults.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Variables<'v> {
    given: Option<&'v serde_json::Map<String, serde_json::Value>>,
    defaults: Option<&'v HashMap<String, serde_json::Value>>,
}

impl Document {
    /// The identity of this parsed document (its clones share it).
    pub(crate) fn identity(&self) -> usize {
        Arc::as_ptr(&self.inner) as usize
    }

    /// Parses a document. It may hold one operation (and the fragments it uses), or fragments
    /// only. Fragment spreads are resolved here: an unknown fragment, a cycle of spreads, or
    /// nesting deeper than [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH) (counted through
    /// every spread, wherever the fragment is defined) is an error. Any text gives a document
    /// or a [`DocumentError`], never a panic. O(text): each fragment is resolved once and
    /// shared by every spread of it; recursion is bounded by the depth limit.
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
        Document::parse_picking(text, None)
    }

    /// Parses a document that may hold several operations, and keeps the one named `name` (and
    /// the fragments): what graphql_client's generated `QUERY` holds (every operation of its
    /// file), which its users send with `operationName`. The other operations are checked for
    /// syntax only. An operation of that name missing is
    /// [`DocumentError::UnknownOperation`]; otherwise as [`parse`](Document::parse).
    ///
    /// ```
    /// use optimist::{Document, DocumentError};
    /// let file = "query Todos { todos { id ...Row } } mutation Add { add { id } } fragment Row on Todo { title }";
    /// let doc = Document::parse_operation(file, "Todos")?;
    /// assert_eq!(doc.operation_name(), Some("Todos"));
    /// assert_eq!(doc.request_text(), "query Todos { todos { __typename id ...Row } }\nfragment Row on Todo { __typename title }");
    /// assert!(matches!(Document::parse(file), Err(DocumentError::MultipleOperations { count: 2 })));
    /// assert!(matches!(Document::parse_operation(file, "Gone"), Err(DocumentError::UnknownOperation { .. })));
    /// # Ok::<(), DocumentError>(())
    /// ```
    pub fn parse_operation(text: &str, name: &str) -> Result<Document, DocumentError> {
        Document::parse_picking(text, Some(name))
    }

    fn parse_picking(text: &str, pick: Option<&str>) -> Result<Document, DocumentError> {
        let tree = syntax(text).map_err(|error| match error {
            SyntaxError::TooDeep => build::too_deep(),
            SyntaxError::Parse(message) => DocumentError::Parse { message },
        })?;
        let mut raw_fragments = HashMap::new();
        let mut fragment_order = Vec::new();
        let mut operations = Vec::new();
        for definition in tree.document().definitions() {
            match definition {
                cst::Definition::OperationDefinition(operation) => operations.push(operation),
                cst::Definition::FragmentDefinition(fragment) => {
                    let name = build::name(
                        fragment.fragment_name().and_then(|name| name.name()),
                        "a fragment's name",
                    )?;
                    if raw_fragments.insert(name.clone(), fragment).is_some() {
                        return Err(DocumentError::DuplicateFragment { name });
                    }
                    fragment_order.push(name);
                }
                _ => {
                    return Err(DocumentError::Parse {
                        message: "a type system definition is not executable".to_owned(),
                    });
                }
            }
        }
        let operation = match pick {
            Some(name) => {
                let named = |operation: &cst::OperationDefinition| {
                    operation
                        .name()
                        .is_some_and(|given| given.text().as_str() == name)
                };
                match operations.iter().position(named) {
                    Some(at) => Some(operations.swap_remove(at)),
                    None => {
                        return Err(DocumentError::UnknownOperation {
                            name: name.to_owned(),
                        });
                    }
                }
            }
            None if operations.len() > 1 => {
                return Err(DocumentError::MultipleOperations {
                    count: operations.len(),
                });
            }
            None => operations.pop(),
        };
        let request = request::request_text(operation.as_ref(), &raw_fragments, &fragment_order);
        let mut builder = Builder {
            raw: raw_fragments,
            resolved: HashMap::new(),
            visiting: Vec::new(),
        };
        for name in &fragment_order {
            builder.fragment(name, 0)?;
        }
        let operation = match operation {
            None => None,
            Some(operation) => Some(operation_of(&mut builder, &operation)?),
        };
        if operation.is_none() && fragment_order.is_empty() {
            return Err(DocumentError::Empty);
        }
        Ok(Document {
            inner: Arc::new(Inner {
                operation,
                request,
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

    /// The text to send for this document: its operation and the fragments it uses (every
    /// fragment, for a document of fragments only), with `__typename` added to each selection
    /// set but the operation's own, as Apollo Client sends documents. The server then answers
    /// the typenames that identity is read from, so a document written without them
    /// normalizes its objects into entities. The text is otherwise as written.
    ///
    /// ```
    /// let doc = optimist::Document::parse("query Me { me { id name } }")?;
    /// assert_eq!(doc.request_text(), "query Me { me { __typename id name } }");
    /// # Ok::<(), optimist::DocumentError>(())
    /// ```
    pub fn request_text(&self) -> &str {
        &self.inner.request
    }

    /// The text to send with these policies' schema
    /// ([`Policies::schema_from_sdl`](crate::Policies::schema_from_sdl)): the
    /// [`request_text`](Document::request_text) with the key fields added to every selection
    /// set whose type is known and lacks them (`id`, or the type's declared key fields), as
    /// Relay's compiler adds `id`, so a document written without them still normalizes its
    /// objects into entities. Without a schema, the request text as it is.
    ///
    /// ```
    /// use optimist::{Document, KeyFields, Policies};
    /// let policies = Policies::new()
    ///     .key_fields("User", KeyFields::fields(["email"]))
    ///     .schema_from_sdl("type Query { me: User todos: [Todo] } type User { email: String name: String } type Todo { id: ID title: String }")?;
    /// let doc = Document::parse("{ me { name } todos { title } }")?;
    /// assert_eq!(
    ///     doc.request_text_for(&policies),
    ///     "{ me { email __typename name } todos { id __typename title } }"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn request_text_for(&self, policies: &crate::Policies) -> String {
        request::with_key_fields(self.request_text(), policies)
    }

    /// [`request_body`](Document::request_body) with the text of
    /// [`request_text_for`](Document::request_text_for).
    ///
    /// ```
    /// let policies = optimist::Policies::new().schema_from_sdl("type Query { me: User } type User { id: ID }")?;
    /// let doc = optimist::Document::parse("{ me { __typename } }")?;
    /// assert_eq!(doc.request_body_for(&policies, serde_json::json!({}))["query"], "{ me { id __typename } }");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn request_body_for(
        &self,
        policies: &crate::Policies,
        variables: serde_json::Value,
    ) -> serde_json::Value {
        let mut body = self.request_body(variables);
        body["query"] = self.request_text_for(policies).into();
        body
    }

    /// The body of a GraphQL request over HTTP for this document's operation:
    /// `{"query", "variables", "operationName"}`, the query being the
    /// [`request_text`](Document::request_text) and the name given only when the operation has
    /// one.
    ///
    /// ```
    /// use serde_json::json;
    /// let doc = optimist::Document::parse("mutation Add($t: String!) { add(title: $t) { id } }")?;
    /// assert_eq!(
    ///     doc.request_body(json!({"t": "milk"})),
    ///     json!({"query": "mutation Add($t: String!) { add(title: $t) { __typename id } }", "variables": {"t": "milk"}, "operationName": "Add"})
    /// );
    /// # Ok::<(), optimist::DocumentError>(())
    /// ```
    pub fn request_body(&self, variables: serde_json::Value) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert("query".into(), self.request_text().into());
        body.insert("variables".into(), variables);
        if let Some(name) = self.operation_name() {
            body.insert("operationName".into(), name.into());
        }
        serde_json::Value::Object(body)
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

    /// The operation's variables: `given` (an object, or `null` for none), borrowed, over the
    /// declared defaults; a non-null variable with neither is an error. O(declared variables):
    /// nothing is copied.
    pub(crate) fn variables<'v>(
        &'v self,
        given: &'v serde_json::Value,
    ) -> Result<Variables<'v>, DocumentError> {
        let given = match given {
            serde_json::Value::Object(map) => Some(map),
            serde_json::Value::Null => None,
            _ => return Err(DocumentError::VariablesNotAnObject),
        };
        let operation = self.inner.operation.as_ref();
        for name in operation.iter().flat_map(|operation| &operation.required) {
            if given
                .and_then(|given| given.get(name))
                .is_none_or(serde_json::Value::is_null)
            {
                return Err(DocumentError::MissingVariable { name: name.clone() });
            }
        }
        Ok(Variables {
            given,
            defaults: operation.map(|operation| &operation.defaults),
        })
    }
}

/// Builds the operation: its kind, variables and selection.
fn operation_of(
    builder: &mut Builder,
    operation: &cst::OperationDefinition,
) -> Result<Operation, DocumentError> {
    let kind = match operation.operation_type() {
        None => OperationKind::Query,
        Some(kind) if kind.mutation_token().is_some() => OperationKind::Mutation,
        Some(kind) if kind.subscription_token().is_some() => OperationKind::Subscription,
        Some(_) => OperationKind::Query,
    };
    let mut required = Vec::new();
    let mut defaults = HashMap::new();
    for definition in operation
        .variable_definitions()
        .iter()
        .flat_map(|definitions| definitions.variable_definitions())
    {
        let name = build::name(
            definition.variable().and_then(|variable| variable.name()),
            "a variable's name",
        )?;
        let non_null = matches!(definition.ty(), Some(cst::Type::NonNullType(_)));
        match definition
            .default_value()
            .and_then(|default| default.value())
        {
            Some(value) => {
                defaults.insert(name, const_json(value, 0)?);
            }
            None if non_null => required.push(name),
            None => {}
        }
    }
    let set = operation
        .selection_set()
        .ok_or_else(|| build::missing("the operation's selection set"))?;
    let (selection, _) = builder.selection_set(&set, 0)?;
    let name = match operation.name() {
        Some(name) => Some(build::name(Some(name), "the operation's name")?),
        None => None,
    };
    Ok(Operation {
        kind,
        name,
        required,
        defaults,
        selection,
    })
}

impl<'v> Variables<'v> {
    /// The value of `$name`: given (`null` included), else its default.
    fn get(&self, name: &str) -> Option<&'v serde_json::Value> {
        match self.given.and_then(|given| given.get(name)) {
            Some(value) => Some(value),
            None => self.defaults?.get(name),
        }
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
    /// value (arguments from unset variables are left out), canonically serialised. A variable
    /// value nested deeper than [`DEFAULT_MAX_DEPTH`](crate::DEFAULT_MAX_DEPTH) is refused.
    /// `__typename` is stored under its plain name whatever its arguments.
    pub(crate) fn store_name(&self, variables: &Variables<'_>) -> Result<FieldName, DocumentError> {
        if self.arguments.is_empty() || self.is_typename() {
            return Ok(FieldName::new(&self.name));
        }
        let mut args = serde_json::Map::new();
        for (name, arg) in &self.arguments {
            if let Some(value) = arg.resolve(variables)? {
                args.insert(name.clone(), value);
            }
        }
        Ok(FieldName::with_args(
            &self.name,
            &serde_json::Value::Object(args),
        ))
    }

    /// Whether this is `__typename`.
    pub(crate) fn is_typename(&self) -> bool {
        self.name == TYPENAME
    }
}

impl Arg {
    /// The value, or `None` where an unset variable leaves it undefined. Literals are bounded
    /// by parsing; a variable's value is checked before it is copied.
    pub(crate) fn resolve(
        &self,
        variables: &Variables<'_>,
    ) -> Result<Option<serde_json::Value>, DocumentError> {
        Ok(match self {
            Arg::Const(value) => Some(value.clone()),
            Arg::Variable(name) => match variables.get(name) {
                Some(value)
                    if !crate::value::json_within(value, crate::policy::DEFAULT_MAX_DEPTH) =>
                {
                    return Err(DocumentError::TooDeep {
                        limit: crate::policy::DEFAULT_MAX_DEPTH,
                    });
                }
                value => value.cloned(),
            },
            Arg::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(item.resolve(variables)?.unwrap_or(serde_json::Value::Null));
                }
                Some(serde_json::Value::Array(out))
            }
            Arg::Object(fields) => {
                let mut out = serde_json::Map::new();
                for (name, arg) in fields {
                    if let Some(value) = arg.resolve(variables)? {
                        out.insert(name.clone(), value);
                    }
                }
                Some(serde_json::Value::Object(out))
            }
        })
    }
}

impl Conditions {
    /// Whether the selection is included under these variables (`@skip` wins over `@include`,
    /// as every condition must allow it). Only a literal or variable `true` counts as true.
    pub(crate) fn included(&self, variables: &Variables<'_>) -> bool {
        self.0.iter().all(|condition| {
            let flag = match &condition.value {
                Arg::Const(value) => value.as_bool() == Some(true),
                Arg::Variable(name) => {
                    variables.get(name).and_then(serde_json::Value::as_bool) == Some(true)
                }
                Arg::List(_) | Arg::Object(_) => false,
            };
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
    /// The document has several operations and none was named: it must have at most one, or
    /// be parsed with [`Document::parse_operation`].
    MultipleOperations {
        /// How many it has.
        count: usize,
    },
    /// No operation of the name given to [`Document::parse_operation`].
    UnknownOperation {
        /// The name.
        name: String,
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
    /// Selections, argument values or the value of a variable used as an argument nest deeper
    /// than the limit.
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// `@skip` or `@include` without an `if` argument.
    BadDirective {
        /// The directive's name.
        name: String,
    },
    /// A list directive (`@appendEdge`, `@prependEdge`, `@appendNode`, `@prependNode`,
    /// `@deleteEdge`, `@deleteRecord`) without an argument it needs, or with one of the wrong
    /// kind.
    DirectiveArgument {
        /// What is wrong, naming the directive (one string: an error stays as small as the
        /// others, which reads return through every level of their recursion).
        message: String,
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
                    "the document has {count} operations and none was named \
                     (Document::parse_operation takes its name)"
                )
            }
            DocumentError::UnknownOperation { name } => {
                write!(f, "the document has no operation named `{name}`")
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
            DocumentError::DirectiveArgument { message } => f.write_str(message),
            DocumentError::VariablesNotAnObject => f.write_str("variables must be a JSON object"),
            DocumentError::MissingVariable { name } => {
                write!(f, "variable `${name}` is required but was not given")
            }
        }
    }
}

impl std::error::Error for DocumentError {}
