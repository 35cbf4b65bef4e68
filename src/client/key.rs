//! What a query is: what it reads from the store and how its answer is written there. Two
//! queries with the same [`QueryKey`] are one query (one record, one fetch in flight).

use std::fmt;
use std::sync::Arc;

#[cfg(feature = "graphql")]
use crate::document::{Document, DocumentError};
use crate::field::FieldName;

/// A query's identity and its source: a GraphQL document with its variables, or a REST
/// endpoint whose answer lands in one field of `ROOT_QUERY` (TanStack Query's query key,
/// Apollo's document + variables).
///
/// * [`QueryKey::graphql`]: the answer's `data` is normalized through the document
///   ([`normalize_query`](crate::normalize_query)); the query reads the document back.
/// * [`QueryKey::rest`]: the answer (any JSON: a list, an object) is normalized as the field
///   `field` of `ROOT_QUERY` ([`normalize_at`](crate::normalize_at), typed by
///   [`Policies::type_at`](crate::Policies::type_at)); the query reads that field with every
///   reference followed. The app key (`"GET /todos"`) is what the app sends.
///
/// Keys compare by identity: the document's text and its variables (as JSON, whose objects
/// compare by their keys sorted), or the app key and field.
///
/// ```
/// use optimist::QueryKey;
/// let todos = QueryKey::rest("GET /todos", "todos");
/// assert_eq!(todos, QueryKey::rest("GET /todos", "todos"));
/// assert_eq!(todos.app_key(), Some("GET /todos"));
/// # #[cfg(feature = "graphql")] {
/// let a = QueryKey::graphql("query Todo($id: ID!) { todo(id: $id) { id title } }", serde_json::json!({"id": 1}))?;
/// let b = QueryKey::graphql("query Todo($id: ID!) { todo(id: $id) { id title } }", serde_json::json!({"id": 2}))?;
/// assert_ne!(a, b);
/// assert_eq!(a.operation_name(), Some("Todo"));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct QueryKey {
    pub(crate) source: Arc<Source>,
    /// The identity the records are keyed by.
    pub(crate) identity: Arc<str>,
}

pub(crate) enum Source {
    #[cfg(feature = "graphql")]
    Document {
        text: Arc<str>,
        doc: Document,
        variables: serde_json::Value,
    },
    Rest {
        app_key: Arc<str>,
        field: FieldName,
    },
}

impl QueryKey {
    #[cfg(feature = "graphql")]
    /// A GraphQL query: `text` parsed once (its one operation, and the fragments it uses) and
    /// read with `variables` (an object, or `null`). The text is kept for the request
    /// ([`body`](QueryKey::body)).
    ///
    /// ```
    /// assert!(optimist::QueryKey::graphql("{ todos { id", serde_json::Value::Null).is_err());
    /// ```
    pub fn graphql(text: &str, variables: serde_json::Value) -> Result<QueryKey, DocumentError> {
        Ok(QueryKey::of_document(
            text,
            Document::parse(text)?,
            variables,
        ))
    }

    #[cfg(feature = "graphql")]
    /// A GraphQL query from a text holding several operations: the one named `operation`
    /// ([`Document::parse_operation`]), as graphql_client's generated `QUERY` and
    /// `OPERATION_NAME` give it.
    ///
    /// ```
    /// use optimist::QueryKey;
    /// use serde_json::json;
    /// let file = "query Me { me { id } } query Todos { todos { id } }";
    /// let me = QueryKey::graphql_operation(file, "Me", json!({}))?;
    /// assert_eq!(me.operation_name(), Some("Me"));
    /// assert_eq!(me.body().unwrap()["query"], "query Me { me { __typename id } }");
    /// assert_ne!(me, QueryKey::graphql_operation(file, "Todos", json!({}))?);
    /// # Ok::<(), optimist::DocumentError>(())
    /// ```
    pub fn graphql_operation(
        text: &str,
        operation: &str,
        variables: serde_json::Value,
    ) -> Result<QueryKey, DocumentError> {
        let doc = Document::parse_operation(text, operation)?;
        Ok(QueryKey::of_document(text, doc, variables))
    }

    #[cfg(feature = "graphql")]
    fn of_document(text: &str, doc: Document, variables: serde_json::Value) -> QueryKey {
        QueryKey {
            identity: graphql_identity(text, doc.operation_name(), &variables),
            source: Arc::new(Source::Document {
                text: Arc::from(text),
                doc,
                variables,
            }),
        }
    }

    #[cfg(feature = "graphql")]
    /// The same GraphQL query with other `variables`, sharing this key's parsed document and
    /// text (no parse): what a component whose variables follow its props builds each time
    /// they change. A REST key has no variables: it comes back unchanged.
    ///
    /// ```
    /// use optimist::QueryKey;
    /// use serde_json::json;
    /// let todo = QueryKey::graphql("query T($id: ID!) { todo(id: $id) { title } }", json!({"id": 1}))?;
    /// let other = todo.with_variables(json!({"id": 2}));
    /// assert_eq!(other, QueryKey::graphql("query T($id: ID!) { todo(id: $id) { title } }", json!({"id": 2}))?);
    /// assert_eq!(other.variables(), Some(&json!({"id": 2})));
    /// # Ok::<(), optimist::DocumentError>(())
    /// ```
    pub fn with_variables(&self, variables: serde_json::Value) -> QueryKey {
        let Source::Document { text, doc, .. } = &*self.source else {
            return self.clone();
        };
        QueryKey {
            identity: graphql_identity(text, doc.operation_name(), &variables),
            source: Arc::new(Source::Document {
                text: text.clone(),
                doc: doc.clone(),
                variables,
            }),
        }
    }

    /// A REST query: the app sends what `app_key` names (`"GET /todos"`), and its answer is
    /// written as the field `field` of `ROOT_QUERY` (a store field name: `"todos"`, or one
    /// with arguments, [`FieldName::with_args`](crate::FieldName::with_args)).
    ///
    /// ```
    /// let key = optimist::QueryKey::rest("GET /todos?done=true", "todos({\"done\":true})");
    /// assert_eq!(key.field(), Some("todos({\"done\":true})"));
    /// ```
    pub fn rest(app_key: &str, field: impl Into<FieldName>) -> QueryKey {
        let field = field.into();
        let identity = format!("rest\u{0}{app_key}\u{0}{}", field.as_str());
        QueryKey {
            source: Arc::new(Source::Rest {
                app_key: Arc::from(app_key),
                field,
            }),
            identity: Arc::from(identity),
        }
    }

    /// The app key of a REST query; `None` for a GraphQL one.
    ///
    /// ```
    /// assert_eq!(optimist::QueryKey::rest("GET /me", "me").app_key(), Some("GET /me"));
    /// ```
    pub fn app_key(&self) -> Option<&str> {
        match &*self.source {
            Source::Rest { app_key, .. } => Some(app_key),
            #[cfg(feature = "graphql")]
            Source::Document { .. } => None,
        }
    }

    /// The `ROOT_QUERY` field a REST query's answer is written as; `None` for a GraphQL one.
    ///
    /// ```
    /// assert_eq!(optimist::QueryKey::rest("GET /me", "me").field(), Some("me"));
    /// ```
    pub fn field(&self) -> Option<&str> {
        match &*self.source {
            Source::Rest { field, .. } => Some(field.as_str()),
            #[cfg(feature = "graphql")]
            Source::Document { .. } => None,
        }
    }

    #[cfg(feature = "graphql")]
    /// The document's text as given; `None` for a REST query.
    ///
    /// ```
    /// let key = optimist::QueryKey::graphql("{ me { id } }", serde_json::Value::Null)?;
    /// assert_eq!(key.text(), Some("{ me { id } }"));
    /// # Ok::<(), optimist::DocumentError>(())
    /// ```
    pub fn text(&self) -> Option<&str> {
        match &*self.source {
            Source::Document { text, .. } => Some(text),
            Source::Rest { .. } => None,
        }
    }

    #[cfg(feature = "graphql")]
    /// The parsed document; `None` for a REST query.
    ///
    /// ```
    /// let key = optimist::QueryKey::graphql("query Me { me { id } }", serde_json::Value::Null)?;
    /// assert_eq!(key.document().and_then(|doc| doc.operation_name()), Some("Me"));
    /// # Ok::<(), optimist::DocumentError>(())
    /// ```
    pub fn document(&self) -> Option<&Document> {
        match &*self.source {
            Source::Document { doc, .. } => Some(doc),
            Source::Rest { .. } => None,
        }
    }

    #[cfg(feature = "graphql")]
    /// The variables; `None` for a REST query.
    ///
    /// ```
    /// let key = optimist::QueryKey::graphql("{ me { id } }", serde_json::json!({"a": 1}))?;
    /// assert_eq!(key.variables(), Some(&serde_json::json!({"a": 1})));
    /// # Ok::<(), optimist::DocumentError>(())
    /// ```
    pub fn variables(&self) -> Option<&serde_json::Value> {
        match &*self.source {
            Source::Document { variables, .. } => Some(variables),
            Source::Rest { .. } => None,
        }
    }

    #[cfg(feature = "graphql")]
    /// The operation's name, if the document names it; `None` for a REST query.
    ///
    /// ```
    /// let key = optimist::QueryKey::graphql("{ me { id } }", serde_json::Value::Null)?;
    /// assert_eq!(key.operation_name(), None);
    /// # Ok::<(), optimist::DocumentError>(())
    /// ```
    pub fn operation_name(&self) -> Option<&str> {
        self.document().and_then(Document::operation_name)
    }

    #[cfg(feature = "graphql")]
    /// The body of a GraphQL request over HTTP: `{"query", "variables", "operationName"}`,
    /// the query being the document's [`request_text`](Document::request_text) (`__typename`
    /// added to its selection sets, only the fragments its operation uses) and the name given
    /// only when the operation has one; `None` for a REST query.
    ///
    /// ```
    /// use serde_json::json;
    /// let key = optimist::QueryKey::graphql("query Me { me { id } }", json!({}))?;
    /// assert_eq!(key.body(), Some(json!({"query": "query Me { me { __typename id } }", "variables": {}, "operationName": "Me"})));
    /// # Ok::<(), optimist::DocumentError>(())
    /// ```
    pub fn body(&self) -> Option<serde_json::Value> {
        let Source::Document { doc, variables, .. } = &*self.source else {
            return None;
        };
        Some(doc.request_body(variables.clone()))
    }

    #[cfg(feature = "graphql")]
    /// The body to send with these policies' schema: [`body`](QueryKey::body) with the key
    /// fields added ([`Document::request_text_for`]). `None` for a REST key.
    ///
    /// ```
    /// use optimist::{Policies, QueryKey};
    /// let policies = Policies::new().schema_from_sdl("type Query { me: User } type User { id: ID name: String }")?;
    /// let key = QueryKey::graphql("{ me { name } }", serde_json::json!({}))?;
    /// assert_eq!(key.body_for(&policies).unwrap()["query"], "{ me { id __typename name } }");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn body_for(&self, policies: &crate::Policies) -> Option<serde_json::Value> {
        let Source::Document { doc, variables, .. } = &*self.source else {
            return None;
        };
        Some(doc.request_body_for(policies, variables.clone()))
    }
}

impl PartialEq for QueryKey {
    fn eq(&self, other: &QueryKey) -> bool {
        self.identity == other.identity
    }
}

impl Eq for QueryKey {}

impl std::hash::Hash for QueryKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.identity.hash(state);
    }
}

impl fmt::Debug for QueryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.source {
            Source::Rest { app_key, field } => write!(f, "{app_key} -> {field:?}"),
            #[cfg(feature = "graphql")]
            Source::Document { doc, variables, .. } => match doc.operation_name() {
                Some(name) => write!(f, "{name}({variables})"),
                None => write!(f, "query({variables})"),
            },
        }
    }
}

#[cfg(feature = "graphql")]
/// A GraphQL key's identity: its text and its variables as JSON.
/// The identity of a GraphQL query: the text as given, the operation chosen (a text may hold
/// several) and the variables.
fn graphql_identity(
    text: &str,
    operation: Option<&str>,
    variables: &serde_json::Value,
) -> Arc<str> {
    let operation = operation.unwrap_or_default();
    Arc::from(format!(
        "graphql\u{0}{text}\u{0}{operation}\u{0}{variables}"
    ))
}
