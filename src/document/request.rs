//! The text a document sends: its operation and the fragments that operation uses (spread
//! directly or through other fragments), in document order, each with `__typename` added to
//! every selection set that lacks it, as Apollo Client sends every document by default.
//!
//! Why: identity is read from the data (`__typename` and the key fields), and a server answers
//! `__typename` only where it is asked for. A document written without it, as Apollo's users
//! write theirs, would otherwise normalize nothing: every object would land embedded under its
//! parent. Only what is sent changes; reads are as they were (they give each entity's
//! `__typename` already).
//!
//! The edit is made on the parser's lossless syntax tree, so the text keeps the author's layout,
//! comments and every construct as written; the changes are the inserted ` __typename`
//! after the `{` of each selection set, except an operation's own (its root type's typename
//! is known) and one that already selects a field whose name starts with `__` (`__typename`
//! itself under any alias, or an introspection field, as Apollo does). Fragments no operation
//! here uses are left out: a server refuses a request with an unused fragment. Iterative: the
//! syntax tree is walked in order, never recursed.

use std::collections::HashMap;

use apollo_parser::cst::{self, CstNode};

use super::edits::CLIENT_DIRECTIVES;
use crate::policy::{KeyFields, Policies};

/// The request text of a document whose `operation` (if any) was chosen; `fragments` are the
/// document's fragment definitions by name. With no operation, every fragment is kept.
pub(super) fn request_text(
    operation: Option<&cst::OperationDefinition>,
    fragments: &HashMap<String, cst::FragmentDefinition>,
    order: &[String],
) -> String {
    let kept: Vec<&cst::FragmentDefinition> = match operation {
        None => order
            .iter()
            .filter_map(|name| fragments.get(name))
            .collect(),
        Some(operation) => used_fragments(operation, fragments, order),
    };
    let mut definitions: Vec<&apollo_parser::SyntaxNode> = Vec::with_capacity(kept.len() + 1);
    definitions.extend(operation.map(|operation| operation.syntax()));
    definitions.extend(kept.iter().map(|fragment| fragment.syntax()));
    let dropped = client_only_variables(&definitions);
    let mut parts: Vec<(usize, String)> = Vec::with_capacity(definitions.len());
    if let Some(operation) = operation {
        let root = operation.selection_set();
        parts.push(sent_text(operation.syntax(), root.as_ref(), &dropped));
    }
    for fragment in kept {
        parts.push(sent_text(fragment.syntax(), None, &dropped));
    }
    // In document order, as written.
    parts.sort_by_key(|(start, _)| *start);
    let texts: Vec<String> = parts.into_iter().map(|(_, text)| text).collect();
    texts.join("\n")
}

/// The client's directives in `node` (`@appendEdge`, `@deleteRecord`, ...): not sent.
fn client_directives(node: &apollo_parser::SyntaxNode) -> impl Iterator<Item = cst::Directive> {
    node.descendants()
        .filter_map(cst::Directive::cast)
        .filter(|directive| {
            directive
                .name()
                .is_some_and(|name| CLIENT_DIRECTIVES.contains(&name.text().as_str()))
        })
}

/// The variables that only the client's directives use in `definitions`: their definitions
/// are not sent either (a server refuses a variable the operation does not use).
fn client_only_variables(definitions: &[&apollo_parser::SyntaxNode]) -> Vec<String> {
    let mut in_directives: Vec<String> = Vec::new();
    let mut removed = Vec::new();
    for definition in definitions {
        for directive in client_directives(definition) {
            removed.push(directive.syntax().text_range());
            for variable in directive
                .syntax()
                .descendants()
                .filter_map(cst::Variable::cast)
            {
                if let Some(name) = variable.name() {
                    in_directives.push(name.text().to_string());
                }
            }
        }
    }
    if in_directives.is_empty() {
        return in_directives;
    }
    let mut elsewhere: Vec<String> = Vec::new();
    for definition in definitions {
        for variable in definition.descendants().filter_map(cst::Variable::cast) {
            let range = variable.syntax().text_range();
            let defined = variable
                .syntax()
                .ancestors()
                .any(|node| cst::VariableDefinition::can_cast(node.kind()));
            if defined || removed.iter().any(|at| at.contains_range(range)) {
                continue;
            }
            if let Some(name) = variable.name() {
                elsewhere.push(name.text().to_string());
            }
        }
    }
    in_directives.retain(|name| !elsewhere.contains(name));
    in_directives
}

/// The fragments `operation` spreads, directly or through the fragments it spreads, in
/// document order. An unknown name is skipped: parsing reports it.
fn used_fragments<'a>(
    operation: &cst::OperationDefinition,
    fragments: &'a HashMap<String, cst::FragmentDefinition>,
    order: &[String],
) -> Vec<&'a cst::FragmentDefinition> {
    let mut used: Vec<&str> = Vec::new();
    let mut todo = vec![operation.syntax().clone()];
    while let Some(node) = todo.pop() {
        for spread in node.descendants().filter_map(cst::FragmentSpread::cast) {
            let Some(name) = spread.fragment_name().and_then(|name| name.name()) else {
                continue;
            };
            let name = name.text();
            if let Some((known, fragment)) = fragments.get_key_value(name.as_str())
                && !used.contains(&known.as_str())
            {
                used.push(known.as_str());
                todo.push(fragment.syntax().clone());
            }
        }
    }
    order
        .iter()
        .filter(|name| used.contains(&name.as_str()))
        .filter_map(|name| fragments.get(name))
        .collect()
}

/// The text of `definition` as sent, and where the definition starts in the document: with
/// ` __typename` after the `{` of each selection set that needs it (every one but `root`),
/// without the client's directives, and without the definitions of the variables `dropped`
/// (all of them, parentheses included, when none is left).
fn sent_text(
    definition: &apollo_parser::SyntaxNode,
    root: Option<&cst::SelectionSet>,
    dropped: &[String],
) -> (usize, String) {
    let range = definition.text_range();
    let start = usize::from(range.start());
    let text = definition.text().to_string();
    let offset = |at| usize::from(at) - start;
    // (from, to, replacement), none overlapping.
    let mut edits: Vec<(usize, usize, &str)> = definition
        .descendants()
        .filter_map(cst::SelectionSet::cast)
        .filter(|set| root.is_none_or(|root| root.syntax() != set.syntax()))
        .filter(|set| !selects_a_meta_field(set))
        .filter_map(|set| set.l_curly_token())
        .map(|curly| {
            let at = offset(curly.text_range().end());
            (at, at, " __typename")
        })
        .collect();
    for directive in client_directives(definition) {
        let range = directive.syntax().text_range();
        let at = widened(&text, offset(range.start()), false);
        edits.push((at, offset(range.end()), ""));
    }
    if !dropped.is_empty()
        && let Some(definitions) = definition
            .children()
            .find_map(cst::VariableDefinitions::cast)
    {
        let all = definitions.variable_definitions().collect::<Vec<_>>();
        let gone = |variable: &cst::VariableDefinition| {
            variable
                .variable()
                .and_then(|variable| variable.name())
                .is_some_and(|name| dropped.contains(&name.text().to_string()))
        };
        if all.iter().all(gone) {
            let range = definitions.syntax().text_range();
            edits.push((offset(range.start()), offset(range.end()), ""));
        } else {
            for variable in all.iter().filter(|variable| gone(variable)) {
                let range = variable.syntax().text_range();
                let at = widened(&text, offset(range.start()), true);
                edits.push((at, offset(range.end()), ""));
            }
        }
    }
    edits.sort_unstable();
    let mut out = String::with_capacity(text.len() + edits.len() * 11);
    let mut from = 0;
    for (at, to, replacement) in edits {
        out.push_str(&text[from..at]);
        out.push_str(replacement);
        from = to;
    }
    out.push_str(&text[from..]);
    (start, out)
}

/// Where a removal that starts at `at` starts with the blanks before it (and a comma with its
/// blanks, for a list item), so that no gap is left.
fn widened(text: &str, at: usize, comma: bool) -> usize {
    let before = text[..at].trim_end_matches([' ', '\t']);
    match before.strip_suffix(',') {
        Some(rest) if comma => rest.trim_end().len(),
        _ => before.len(),
    }
}

/// Whether `set` selects, directly, a field whose name starts with `__`.
fn selects_a_meta_field(set: &cst::SelectionSet) -> bool {
    set.selections().any(|selection| match selection {
        cst::Selection::Field(field) => field
            .name()
            .is_some_and(|name| name.text().as_str().starts_with("__")),
        _ => false,
    })
}

/// `text` (a request text) with the key fields each selection set of a known type lacks: the
/// fields [`Policies::key_fields`] declares, or `id` (else `_id`) for a type the schema gives
/// one (see [`Policies::schema_from_sdl`]). A selection's type is known from the operation's
/// root type down through the schema's field types, and from type conditions. The text as it
/// is without a schema (or if it does not parse). Iterative.
pub(super) fn with_key_fields(text: &str, policies: &Policies) -> String {
    let schema = policies.schema_fields();
    if schema.is_empty() {
        return text.to_owned();
    }
    let Ok(tree) = super::syntax(text) else {
        return text.to_owned();
    };
    let mut todo: Vec<(cst::SelectionSet, String)> = Vec::new();
    for definition in tree.document().definitions() {
        match definition {
            cst::Definition::OperationDefinition(operation) => {
                let root = match operation.operation_type() {
                    Some(kind) if kind.mutation_token().is_some() => "Mutation",
                    Some(kind) if kind.subscription_token().is_some() => "Subscription",
                    _ => "Query",
                };
                if let Some(set) = operation.selection_set() {
                    todo.push((set, root.to_owned()));
                }
            }
            cst::Definition::FragmentDefinition(fragment) => {
                let condition = fragment
                    .type_condition()
                    .and_then(|condition| condition.named_type())
                    .and_then(|named| named.name());
                if let (Some(set), Some(condition)) = (fragment.selection_set(), condition) {
                    todo.push((set, condition.text().to_string()));
                }
            }
            _ => {}
        }
    }
    let mut inserts: Vec<(usize, String)> = Vec::new();
    while let Some((set, typename)) = todo.pop() {
        // A union's (or an unknown type's) selections are walked for their type conditions.
        let fields = schema.get(&typename);
        let mut selected: Vec<String> = Vec::new();
        for selection in set.selections() {
            match selection {
                cst::Selection::Field(field) => {
                    let Some(name) = field.name().map(|name| name.text().to_string()) else {
                        continue;
                    };
                    let child_type = fields.and_then(|fields| fields.get(&name));
                    if let (Some(child), Some(child_type)) = (field.selection_set(), child_type) {
                        todo.push((child, child_type.clone()));
                    }
                    selected.push(name);
                }
                cst::Selection::InlineFragment(fragment) => {
                    let condition = fragment
                        .type_condition()
                        .and_then(|condition| condition.named_type())
                        .and_then(|named| named.name())
                        .map_or_else(|| typename.clone(), |name| name.text().to_string());
                    if let Some(child) = fragment.selection_set() {
                        todo.push((child, condition));
                    }
                }
                cst::Selection::FragmentSpread(_) => {}
            }
        }
        let Some(fields) = fields else {
            continue;
        };
        let needed: Vec<&str> = match policies.key_fields_of(&typename) {
            KeyFields::Fields(names) => names
                .iter()
                .filter_map(|name| name.split(['.', ' ', '{']).next())
                .collect(),
            KeyFields::Default if fields.contains_key("id") => vec!["id"],
            KeyFields::Default if fields.contains_key("_id") => vec!["_id"],
            _ => Vec::new(),
        };
        let missing: Vec<&str> = needed
            .into_iter()
            .filter(|name| {
                fields.contains_key(*name) && !selected.iter().any(|known| known == name)
            })
            .collect();
        if let (false, Some(curly)) = (missing.is_empty(), set.l_curly_token()) {
            let at = usize::from(curly.text_range().end());
            inserts.push((at, missing.iter().map(|name| format!(" {name}")).collect()));
        }
    }
    inserts.sort_unstable();
    let mut out = String::with_capacity(text.len() + inserts.len() * 4);
    let mut from = 0;
    for (at, names) in inserts {
        out.push_str(&text[from..at]);
        out.push_str(&names);
        from = at;
    }
    out.push_str(&text[from..]);
    out
}
