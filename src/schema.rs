//! What a schema tells the cache: which types an interface or a union stands for (Apollo's
//! `possibleTypes`), so fragments on the supertype match its members. Apollo's users generate
//! these from the server's introspection with a script; here they are read from the
//! introspection result or from the schema's SDL, so nobody writes them by hand.
//!
//! Only the subtype relation is read; every other part of a schema is skipped. Parsing SDL is
//! apollo-parser's job (as for documents); a result of the wrong shape or text that does not
//! parse is a [`SchemaError`], never a panic.

use std::fmt;

use apollo_parser::cst;
use serde_json::Value as Json;

use crate::document::{PARSER_RECURSION_LIMIT, SyntaxError, syntax};
use crate::policy::Policies;

/// Why a schema could not be read.
///
/// ```
/// let err = optimist::Policies::new().possible_types_from_sdl("union U = ").unwrap_err();
/// assert!(matches!(err, optimist::SchemaError::Parse { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaError {
    /// The SDL does not parse.
    Parse {
        /// The parser's message.
        message: String,
    },
    /// The JSON is not an introspection result: `what` names the part that is not as the
    /// introspection query answers it.
    NotIntrospection {
        /// What is missing or of the wrong type.
        what: String,
    },
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaError::Parse { message } => write!(f, "the schema does not parse: {message}"),
            SchemaError::NotIntrospection { what } => {
                write!(f, "not an introspection result: {what}")
            }
        }
    }
}

impl std::error::Error for SchemaError {}

fn not_introspection(what: &str) -> SchemaError {
    SchemaError::NotIntrospection { what: what.into() }
}

/// ## Possible types from the schema
impl Policies {
    /// Declares the possible types every interface and union of an introspection result lists
    /// (as [`possible_types`](Policies::possible_types) does for one). `result` is the answer to
    /// the introspection query, whole (`{"data": {"__schema": ...}}`) or its data
    /// (`{"__schema": ...}`); only `__schema.types[].name` and `possibleTypes[].name` are read,
    /// so the smallest query that asks for them does:
    /// `{ __schema { types { kind name possibleTypes { name } } } }`. Refused, with nothing
    /// declared, if it is not of that shape.
    ///
    /// ```
    /// use optimist::Policies;
    /// use serde_json::json;
    /// let result = json!({"data": {"__schema": {"types": [
    ///     {"kind": "UNION", "name": "SearchResult", "possibleTypes": [{"name": "Book"}, {"name": "Author"}]},
    ///     {"kind": "OBJECT", "name": "Book", "possibleTypes": null},
    /// ]}}});
    /// let policies = Policies::new().possible_types_from_introspection(&result)?;
    /// assert!(policies.type_matches("SearchResult", "Author"));
    /// assert!(Policies::new().possible_types_from_introspection(&json!({"data": {}})).is_err());
    /// # Ok::<(), optimist::SchemaError>(())
    /// ```
    pub fn possible_types_from_introspection(self, result: &Json) -> Result<Policies, SchemaError> {
        let data = result.get("data").unwrap_or(result);
        let types = data
            .get("__schema")
            .ok_or_else(|| not_introspection("no `__schema`"))?
            .get("types")
            .and_then(Json::as_array)
            .ok_or_else(|| not_introspection("`__schema.types` is not a list"))?;
        let mut declared: Vec<(&str, Vec<&str>)> = Vec::new();
        for (at, ty) in types.iter().enumerate() {
            let name = ty.get("name").and_then(Json::as_str).ok_or_else(|| {
                not_introspection(&format!("`__schema.types[{at}].name` is not a string"))
            })?;
            let subtypes = match ty.get("possibleTypes") {
                None | Some(Json::Null) => continue,
                Some(Json::Array(subtypes)) => subtypes,
                Some(_) => {
                    return Err(not_introspection(&format!(
                        "`{name}.possibleTypes` is not a list"
                    )));
                }
            };
            let names = subtypes
                .iter()
                .map(|subtype| subtype.get("name").and_then(Json::as_str))
                .collect::<Option<Vec<&str>>>()
                .ok_or_else(|| {
                    not_introspection(&format!("a name in `{name}.possibleTypes` is not a string"))
                })?;
            declared.push((name, names));
        }
        Ok(declared
            .into_iter()
            .fold(self, |policies, (supertype, subtypes)| {
                policies.possible_types(supertype, subtypes)
            }))
    }

    /// Declares the possible types a schema's SDL gives: each union's members, and each
    /// object type and interface under every interface it implements (definitions and
    /// extensions alike). Everything else in the text is skipped. Refused, with nothing
    /// declared, if it does not parse.
    ///
    /// ```
    /// use optimist::Policies;
    /// let sdl = "interface Node { id: ID! }
    ///            type Todo implements Node { id: ID! title: String }
    ///            union Feed = Todo | Note
    ///            extend type Note implements Node";
    /// let policies = Policies::new().possible_types_from_sdl(sdl)?;
    /// assert!(policies.type_matches("Node", "Todo") && policies.type_matches("Node", "Note"));
    /// assert!(policies.type_matches("Feed", "Note") && !policies.type_matches("Node", "Feed"));
    /// # Ok::<(), optimist::SchemaError>(())
    /// ```
    pub fn possible_types_from_sdl(self, sdl: &str) -> Result<Policies, SchemaError> {
        let tree = syntax(sdl).map_err(parse_error)?;
        // (supertype, subtype) pairs, gathered before any is declared.
        let mut pairs: Vec<(String, String)> = Vec::new();
        for definition in tree.document().definitions() {
            let (name, implements, members) = match &definition {
                cst::Definition::ObjectTypeDefinition(d) => {
                    (d.name(), d.implements_interfaces(), None)
                }
                cst::Definition::ObjectTypeExtension(d) => {
                    (d.name(), d.implements_interfaces(), None)
                }
                cst::Definition::InterfaceTypeDefinition(d) => {
                    (d.name(), d.implements_interfaces(), None)
                }
                cst::Definition::InterfaceTypeExtension(d) => {
                    (d.name(), d.implements_interfaces(), None)
                }
                cst::Definition::UnionTypeDefinition(d) => (d.name(), None, d.union_member_types()),
                cst::Definition::UnionTypeExtension(d) => (d.name(), None, d.union_member_types()),
                _ => continue,
            };
            let Some(name) = name.map(|name| name.text().to_string()) else {
                continue;
            };
            let named = |types: cst::CstChildren<cst::NamedType>| -> Vec<String> {
                types
                    .filter_map(|ty| ty.name())
                    .map(|name| name.text().to_string())
                    .collect()
            };
            for interface in implements
                .map(|i| named(i.named_types()))
                .unwrap_or_default()
            {
                pairs.push((interface, name.clone()));
            }
            for member in members.map(|m| named(m.named_types())).unwrap_or_default() {
                pairs.push((name.clone(), member));
            }
        }
        Ok(pairs
            .into_iter()
            .fold(self, |policies, (supertype, subtype)| {
                policies.possible_types(&supertype, [subtype])
            }))
    }
}

/// A type of the schema, as the cache needs it.
#[derive(Default)]
struct TypeDef {
    /// An object type (not an interface, union, scalar, enum or input).
    object: bool,
    /// Each field's named type (lists and non-null taken off).
    fields: Vec<(String, String)>,
    /// The fields of its first `@key(fields: "...")` directive (Apollo Federation's), when
    /// they are plain field names.
    key: Option<Vec<String>>,
}

/// The plain field names of the first `@key(fields: "a b")` among `directives`; `None` without
/// one, or when its fields select into objects (`author { id }`), which are not read.
fn key_directive(directives: Option<cst::Directives>) -> Option<Vec<String>> {
    let directive = directives
        .iter()
        .flat_map(|d| d.directives())
        .find(|directive| directive.name().is_some_and(|name| name.text() == "key"))?;
    let argument = directive
        .arguments()
        .iter()
        .flat_map(|a| a.arguments())
        .find(|argument| argument.name().is_some_and(|name| name.text() == "fields"))?;
    let cst::Value::StringValue(text) = argument.value()? else {
        return None;
    };
    let text = String::from(text);
    if text.contains(['{', '}', '(']) {
        return None;
    }
    let names: Vec<String> = text
        .split([' ', ',', '\n', '\t'])
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    (!names.is_empty()).then_some(names)
}

/// The object and interface types of `sdl` (definitions and extensions merged), by name.
fn object_types(sdl: &str) -> Result<std::collections::HashMap<String, TypeDef>, SchemaError> {
    let tree = syntax(sdl).map_err(parse_error)?;
    let mut types: std::collections::HashMap<String, TypeDef> = Default::default();
    for definition in tree.document().definitions() {
        let (name, fields, directives, object) = match &definition {
            cst::Definition::ObjectTypeDefinition(d) => {
                (d.name(), d.fields_definition(), d.directives(), true)
            }
            cst::Definition::ObjectTypeExtension(d) => {
                (d.name(), d.fields_definition(), d.directives(), true)
            }
            cst::Definition::InterfaceTypeDefinition(d) => {
                (d.name(), d.fields_definition(), d.directives(), false)
            }
            cst::Definition::InterfaceTypeExtension(d) => {
                (d.name(), d.fields_definition(), d.directives(), false)
            }
            _ => continue,
        };
        let Some(name) = name.map(|name| name.text().to_string()) else {
            continue;
        };
        let def = types.entry(name).or_default();
        def.object |= object;
        if def.key.is_none() {
            def.key = key_directive(directives);
        }
        for field in fields.iter().flat_map(|f| f.field_definitions()) {
            let (Some(field_name), Some(ty)) = (field.name(), field.ty()) else {
                continue;
            };
            if let Some(named) = named_type(ty) {
                def.fields.push((field_name.text().to_string(), named));
            }
        }
    }
    Ok(types)
}

/// The named type inside a field's type (`[Task!]!`: `Task`). Iterative.
fn named_type(mut ty: cst::Type) -> Option<String> {
    loop {
        ty = match ty {
            cst::Type::NamedType(named) => return Some(named.name()?.text().to_string()),
            cst::Type::ListType(list) => list.ty()?,
            cst::Type::NonNullType(non_null) => match (non_null.named_type(), non_null.list_type())
            {
                (Some(named), _) => return Some(named.name()?.text().to_string()),
                (None, Some(list)) => list.ty()?,
                (None, None) => return None,
            },
        };
    }
}

fn parse_error(error: SyntaxError) -> SchemaError {
    SchemaError::Parse {
        message: match error {
            SyntaxError::TooDeep => format!("nested deeper than {PARSER_RECURSION_LIMIT} levels"),
            SyntaxError::Parse(message) => message,
        },
    }
}

/// ## Types from the schema
impl Policies {
    /// Everything the schema's SDL tells the cache, so that nothing is listed by hand:
    ///
    /// - **possible types**, as [`possible_types_from_sdl`](Policies::possible_types_from_sdl);
    /// - **field types**: each field of an object type that holds objects of one object type
    ///   is declared with [`field_type`](Policies::field_type), so an object without
    ///   `__typename` there (an optimistic response written without it, a server that leaves
    ///   it out) is typed and keyed as Relay's and urql's schema-aware caches type it; the
    ///   `__typename` a payload gives still wins;
    /// - **key fields**: an object type's first `@key(fields: "email")` directive (Apollo
    ///   Federation's) declares its key fields, when none are declared yet and they are plain
    ///   field names;
    /// - **types without identity**: an object type with neither `id` nor `_id`, no `@key` and
    ///   no key fields declared yet is [`KeyFields::Embedded`](crate::KeyFields::Embedded) (a
    ///   connection, a page info), so typing it never asks it for an id;
    /// - **each type's fields**, so [`Document::request_text_for`](crate::Document::request_text_for)
    ///   adds the key fields a selection lacks (`id`, or the fields declared with
    ///   [`key_fields`](Policies::key_fields), which are best declared before this call).
    ///
    /// Root types are taken to be named `Query`, `Mutation` and `Subscription`.
    ///
    /// ```
    /// use optimist::{Key, KeyFields, Policies, Store, Value, normalize};
    /// use serde_json::json;
    ///
    /// let sdl = "type Query { todos: [Todo!]! }
    ///            type Todo { id: ID! title: String owner: User page: PageInfo }
    ///            type User { email: String! name: String }
    ///            type PageInfo { hasNextPage: Boolean! }";
    /// let policies = Policies::new()
    ///     .key_fields("User", KeyFields::fields(["email"]))
    ///     .schema_from_sdl(sdl)?;
    /// assert_eq!(policies.field_type_of("Todo", "owner"), Some("User"));
    /// // A payload with no typename at all is keyed by the schema.
    /// let mut store = Store::with_policies(policies);
    /// let data = json!({"todos": [{"id": 1, "owner": {"email": "a@b"}, "page": {"hasNextPage": false}}]});
    /// store.write(normalize(store.policies(), &Key::root_query(), &data)?)?;
    /// assert!(store.contains("Todo:1") && store.contains(r#"User:{"email":"a@b"}"#));
    /// assert!(matches!(store.get_field("Todo:1", "page"), Some(Value::Object(_))), "embedded");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn schema_from_sdl(self, sdl: &str) -> Result<Policies, SchemaError> {
        let types = object_types(sdl)?;
        let mut policies = self.possible_types_from_sdl(sdl)?;
        for (name, def) in &types {
            let has = |field: &str| def.fields.iter().any(|(known, _)| known == field);
            let declared = !matches!(policies.key_fields_of(name), crate::KeyFields::Default);
            if let (Some(key), false, true) = (&def.key, declared, def.object) {
                policies = policies.key_fields(name, crate::KeyFields::fields(key.iter().cloned()));
            } else if def.object && !declared && !has("id") && !has("_id") {
                policies = policies.key_fields(name, crate::KeyFields::Embedded);
            }
            if def.object {
                for (field, named) in &def.fields {
                    if types.get(named).is_some_and(|target| target.object) {
                        policies = policies.field_type(name, field, named);
                    }
                }
            }
        }
        let fields = policies.schema_fields_mut();
        for (name, def) in types {
            fields.insert(name, def.fields.into_iter().collect());
        }
        Ok(policies)
    }
}
