//! Infinite queries over REST (TanStack Query's `useInfiniteQuery`): one record holds the
//! pages fetched so far and their parameters; each page's answer lands in a field of its own
//! (`todos({"page":2})`), so pages normalize, rebase under pending mutations and invalidate as
//! any field does, and the query reads them back as one list of pages.

use std::fmt;
use std::sync::Arc;

use crate::field::FieldName;
use crate::key::Key;
use crate::read::ReadError;
use crate::read::kept::FieldTree;
use crate::store::Store;

type NextFn =
    dyn Fn(&serde_json::Value, &[serde_json::Value]) -> Option<serde_json::Value> + Send + Sync;

/// How an infinite query pages: the first page's parameter, and how the next page's follows
/// from the last page fetched (TanStack Query's `initialPageParam` and `getNextPageParam`).
/// Each page's parameter is sent with its [`Fetch`](crate::Fetch) (`fetch.page`); its answer
/// is written as the field `name({"page": parameter})` of `ROOT_QUERY`, `name` being the
/// query key's field. The query's data is `{"pages": [...], "pageParams": [...]}`.
///
/// ```
/// use optimist::Pages;
/// use serde_json::json;
///
/// // `GET /todos?cursor=..` answers `{"items": [...], "next": "c2"}`, `next` null at the end.
/// let pages = Pages::new(json!(null), |last, _params| {
///     last.get("next").filter(|next| !next.is_null()).cloned()
/// });
/// assert_eq!(pages.next_param(&json!({"next": "c2"}), &[json!(null)]), Some(json!("c2")));
/// assert_eq!(pages.next_param(&json!({"next": null}), &[json!(null)]), None);
/// ```
#[derive(Clone)]
pub struct Pages {
    initial: serde_json::Value,
    next: Arc<NextFn>,
}

impl Pages {
    /// Pages starting at `initial`; `next(last_page, params)` gives the parameter of the page
    /// after `last_page` (the last page's data as read back, and the parameters of every page
    /// so far), or `None` when there is none.
    pub fn new(
        initial: serde_json::Value,
        next: impl Fn(&serde_json::Value, &[serde_json::Value]) -> Option<serde_json::Value>
        + Send
        + Sync
        + 'static,
    ) -> Pages {
        Pages {
            initial,
            next: Arc::new(next),
        }
    }

    /// The first page's parameter.
    ///
    /// ```
    /// let pages = optimist::Pages::new(serde_json::json!(1), |_, _| None);
    /// assert_eq!(pages.initial_param(), &serde_json::json!(1));
    /// ```
    pub fn initial_param(&self) -> &serde_json::Value {
        &self.initial
    }

    /// The parameter of the page after `last_page` (see [`Pages::new`]).
    ///
    /// ```
    /// let pages = optimist::Pages::new(serde_json::json!(1), |_, params| Some((params.len() as i64 + 1).into()));
    /// assert_eq!(pages.next_param(&serde_json::json!([]), &[serde_json::json!(1)]), Some(serde_json::json!(2)));
    /// ```
    pub fn next_param(
        &self,
        last_page: &serde_json::Value,
        params: &[serde_json::Value],
    ) -> Option<serde_json::Value> {
        (self.next)(last_page, params)
    }
}

impl fmt::Debug for Pages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("initial", &self.initial)
            .finish_non_exhaustive()
    }
}

/// The store field a page's answer is written as.
pub(crate) fn page_field(field: &FieldName, param: &serde_json::Value) -> FieldName {
    FieldName::with_args(field.name(), &serde_json::json!({ "page": param }))
}

/// The read of an infinite query: one kept field read per page, in order.
pub(crate) struct PagedRead {
    field: FieldName,
    pub(crate) pages: Option<Pages>,
    /// Each page fetched so far: its parameter and its read.
    loaded: Vec<(serde_json::Value, FieldTree)>,
    /// The last data built, and the page results it was built from.
    last: Option<(Vec<Arc<serde_json::Value>>, Arc<serde_json::Value>)>,
}

impl PagedRead {
    pub(crate) fn new(field: FieldName) -> PagedRead {
        PagedRead {
            field,
            pages: None,
            loaded: Vec::new(),
            last: None,
        }
    }

    /// How many pages are loaded.
    pub(crate) fn len(&self) -> usize {
        self.loaded.len()
    }

    /// The parameter of page `index`: the initial one, or the one following the page before
    /// as now read; `None` past the last page.
    pub(crate) fn param_of(&mut self, index: usize, store: &Store) -> Option<serde_json::Value> {
        let pages = self.pages.clone()?;
        if index == 0 {
            return Some(pages.initial.clone());
        }
        let (_, before) = self.loaded.get_mut(index - 1)?;
        let last_page = before.read(store).ok()?;
        let params: Vec<serde_json::Value> = self.loaded[..index]
            .iter()
            .map(|(param, _)| param.clone())
            .collect();
        pages.next_param(&last_page, &params)
    }

    /// The store field page `index` with `param` is written as.
    pub(crate) fn field_of(&self, param: &serde_json::Value) -> FieldName {
        page_field(&self.field, param)
    }

    /// Page `index` answered with `param`: appended, or (a refetch) put in its place.
    pub(crate) fn loaded(&mut self, index: usize, param: serde_json::Value) {
        let read = FieldTree::new(Key::root_query(), self.field_of(&param));
        if index < self.loaded.len() {
            self.loaded[index] = (param, read);
        } else {
            self.loaded.push((param, read));
        }
    }

    /// Drops the pages from `count` on (a refetch that found fewer).
    pub(crate) fn truncate(&mut self, count: usize) {
        self.loaded.truncate(count);
    }

    /// Every page's store field.
    pub(crate) fn fields(&self) -> impl Iterator<Item = &FieldName> {
        self.loaded.iter().map(|(_, read)| read.field())
    }

    /// `{"pages": [...], "pageParams": [...]}`, the same `Arc` while no page changed; an error
    /// when no page is loaded or one is missing.
    pub(crate) fn read(&mut self, store: &Store) -> Result<Arc<serde_json::Value>, ReadError> {
        if self.loaded.is_empty() {
            return Err(ReadError::MissingField {
                path: self.field.to_string(),
            });
        }
        let mut results = Vec::with_capacity(self.loaded.len());
        for (_, read) in &mut self.loaded {
            results.push(read.read(store)?);
        }
        if let Some((then, data)) = &self.last
            && then.len() == results.len()
            && then.iter().zip(&results).all(|(a, b)| Arc::ptr_eq(a, b))
        {
            return Ok(data.clone());
        }
        let data = Arc::new(serde_json::json!({
            "pages": results.iter().map(|page| (**page).clone()).collect::<Vec<_>>(),
            "pageParams": self.loaded.iter().map(|(param, _)| param.clone()).collect::<Vec<_>>(),
        }));
        self.last = Some((results, data.clone()));
        Ok(data)
    }

    /// Whether the store marked stale a field any page read, after the count `after`.
    pub(crate) fn is_marked(&self, store: &Store, after: u64) -> bool {
        self.loaded
            .iter()
            .any(|(_, read)| read.is_marked(store, after))
    }
}
