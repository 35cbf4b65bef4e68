//! Suspense: `UseQuery::suspend` returns `RenderError::Suspended` while the query has neither
//! data nor a final error, so the nearest `SuspenseBoundary` shows its fallback; the answer (or
//! the failure) resolves it; cached data never suspends.

mod common;

use common::{Renders, counts, html, mount, rendered, settle};
use dioxus::prelude::*;
use optimist::{FetchError, Instant, Patch, QueryKey, QueryOptions, RetryPolicy};
use optimist_dioxus::{lock, use_query};

#[component]
fn App() -> Element {
    rendered("App");
    rsx! {
        SuspenseBoundary {
            fallback: |_| rsx! { p { "loading" } },
            Me {}
        }
    }
}

#[component]
fn Me() -> Element {
    rendered("Me");
    let once = QueryOptions::new().retry(RetryPolicy {
        max_attempts: Some(1),
        ..RetryPolicy::default()
    });
    let me = use_query(QueryKey::rest("GET /me", "me"), once).suspend()?;
    match me {
        Ok(name) => rsx! { p { "hello {name}" } },
        Err(error) => rsx! { p { "failed: {error}" } },
    }
}

#[test]
fn the_fallback_shows_until_the_answer() {
    let client = common::client();
    let renders = Renders::default();
    let mut dom = mount(App, &client, &renders);
    assert_eq!(html(&dom), "<p>loading</p>");
    assert_eq!(renders.counts(), counts(&[("App", 1), ("Me", 1)]));
    let now = Instant::now();
    let fetch = lock(&client).next_fetch(Instant::now()).expect("due");
    settle(&mut dom);
    assert_eq!(html(&dom), "<p>loading</p>", "still loading: no re-render");
    assert_eq!(renders.counts(), counts(&[("App", 1), ("Me", 1)]));

    lock(&client).resolve(fetch.id, "7", now).unwrap();
    settle(&mut dom);
    assert_eq!(html(&dom), "<p>hello 7</p>");
    assert_eq!(renders.counts(), counts(&[("App", 1), ("Me", 2)]));
}

#[test]
fn a_final_failure_resolves_it_too() {
    let client = common::client();
    let renders = Renders::default();
    let mut dom = mount(App, &client, &renders);
    let fetch = lock(&client).next_fetch(Instant::now()).expect("due");
    lock(&client)
        .reject(fetch.id, FetchError::permanent("404"), Instant::now())
        .unwrap();
    settle(&mut dom);
    assert_eq!(html(&dom), "<p>failed: 404</p>");
    assert_eq!(renders.counts(), counts(&[("App", 1), ("Me", 2)]));
}

#[test]
fn cached_data_never_suspends() {
    let client = common::client();
    lock(&client)
        .store_mut()
        .write(Patch::new().set("ROOT_QUERY", "me", 7))
        .unwrap();
    let renders = Renders::default();
    let dom = mount(App, &client, &renders);
    assert_eq!(html(&dom), "<p>hello 7</p>");
    assert_eq!(renders.counts(), counts(&[("App", 1), ("Me", 1)]));
    assert!(lock(&client).next_fetch(Instant::now()).is_none());
}
