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
//! comments and every construct as written; the only change is the inserted ` __typename`
//! after the `{` of each selection set, except an operation's own (its root type's typename
//! is known) and one that already selects a field whose name starts with `__` (`__typename`
//! itself under any alias, or an introspection field, as Apollo does). Fragments no operation
//! here uses are left out: a server refuses a request with an unused fragment. Iterative: the
//! syntax tree is walked in order, never recursed.

use std::collections::HashMap;

use apollo_parser::cst::{self, CstNode};

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
    let mut parts: Vec<(usize, String)> = Vec::with_capacity(kept.len() + 1);
    if let Some(operation) = operation {
        let root = operation.selection_set();
        parts.push(with_typenames(operation.syntax(), root.as_ref()));
    }
    for fragment in kept {
        parts.push(with_typenames(fragment.syntax(), None));
    }
    // In document order, as written.
    parts.sort_by_key(|(start, _)| *start);
    let texts: Vec<String> = parts.into_iter().map(|(_, text)| text).collect();
    texts.join("\n")
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

/// The text of `definition` with ` __typename` after the `{` of each selection set that needs
/// it (every one but `root`), and where the definition starts in the document.
fn with_typenames(
    definition: &apollo_parser::SyntaxNode,
    root: Option<&cst::SelectionSet>,
) -> (usize, String) {
    let range = definition.text_range();
    let start = usize::from(range.start());
    let text = definition.text().to_string();
    let mut inserts: Vec<usize> = definition
        .descendants()
        .filter_map(cst::SelectionSet::cast)
        .filter(|set| root.is_none_or(|root| root.syntax() != set.syntax()))
        .filter(|set| !selects_a_meta_field(set))
        .filter_map(|set| set.l_curly_token())
        .map(|curly| usize::from(curly.text_range().end()) - start)
        .collect();
    inserts.sort_unstable();
    let mut out = String::with_capacity(text.len() + inserts.len() * 11);
    let mut from = 0;
    for at in inserts {
        out.push_str(&text[from..at]);
        out.push_str(" __typename");
        from = at;
    }
    out.push_str(&text[from..]);
    (start, out)
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
