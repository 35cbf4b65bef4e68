//! The screen's HTML read back as rows: what the user sees, for the flows' checks.

/// One row as the screen shows it: its key (the `li`'s id), title, and whether ticked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShownRow {
    /// The entity's key.
    pub key: String,
    /// The title.
    pub title: String,
    /// Whether its checkbox is checked.
    pub done: bool,
}

/// The rows in the screen's HTML, in order.
pub fn rows_in(html: &str) -> Vec<ShownRow> {
    html.split("<li id=\"")
        .skip(1)
        .filter_map(|row| {
            let (key, rest) = row.split_once('"')?;
            let (before, title) = rest.split_once("<span class=\"title\">")?;
            let (title, _) = title.split_once("</span>")?;
            Some(ShownRow {
                key: key.to_owned(),
                title: unescape(title),
                done: before.contains("checked=true"),
            })
        })
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
