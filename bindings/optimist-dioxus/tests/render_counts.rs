//! A component tree over a real store renders, and a layer pushed then failed re-renders
//! exactly the components that show what it changed: the row of the entity it touched and the
//! "saving" badge, not the other row, not their parent.

mod common;

use common::{Renders, counts, html, mount, rendered, settle};
use dioxus::prelude::*;
use optimist::{Key, Patch};
use optimist_dioxus::{lock, use_entity, use_is_mutating};

#[component]
fn App() -> Element {
    rendered("App");
    rsx! {
        ul {
            Row { id: 1 }
            Row { id: 2 }
        }
        Badge {}
    }
}

#[component]
fn Row(id: u32) -> Element {
    rendered(&format!("Row {id}"));
    let todo = use_entity(Key::entity("Todo", &id.to_string())?);
    let title = todo
        .read()
        .as_ref()
        .and_then(|todo| todo.get("title")?.as_str().map(str::to_owned))
        .unwrap_or_default();
    rsx! { li { "{title}" } }
}

#[component]
fn Badge() -> Element {
    rendered("Badge");
    let saving = use_is_mutating();
    rsx! { p { if saving() { "saving" } else { "saved" } } }
}

#[test]
fn a_push_and_its_failure_re_render_the_row_and_the_badge_only() {
    let client = common::client();
    lock(&client)
        .store_mut()
        .write(
            Patch::new()
                .set("Todo:1", "title", "milk")
                .set("Todo:2", "title", "eggs"),
        )
        .unwrap();
    let renders = Renders::default();
    let mut dom = mount(App, &client, &renders);
    assert_eq!(
        html(&dom),
        "<ul><li>milk</li><li>eggs</li></ul><p>saved</p>"
    );
    let first = counts(&[("App", 1), ("Row 1", 1), ("Row 2", 1), ("Badge", 1)]);
    assert_eq!(renders.counts(), first);

    let (rename, _) = lock(&client)
        .store_mut()
        .push("rename", Patch::new().set("Todo:1", "title", "oat milk"))
        .unwrap();
    settle(&mut dom);
    assert_eq!(
        html(&dom),
        "<ul><li>oat milk</li><li>eggs</li></ul><p>saving</p>"
    );
    let pushed = counts(&[("App", 1), ("Row 1", 2), ("Row 2", 1), ("Badge", 2)]);
    assert_eq!(renders.counts(), pushed);

    lock(&client).store_mut().fail(rename).unwrap();
    settle(&mut dom);
    assert_eq!(
        html(&dom),
        "<ul><li>milk</li><li>eggs</li></ul><p>saved</p>"
    );
    let failed = counts(&[("App", 1), ("Row 1", 3), ("Row 2", 1), ("Badge", 3)]);
    assert_eq!(renders.counts(), failed);
}

#[test]
fn an_equal_write_and_another_entity_re_render_nothing() {
    let client = common::client();
    lock(&client)
        .store_mut()
        .write(
            Patch::new()
                .set("Todo:1", "title", "milk")
                .set("Todo:2", "title", "eggs"),
        )
        .unwrap();
    let renders = Renders::default();
    let mut dom = mount(App, &client, &renders);

    let mut client = lock(&client);
    let mut store = client.store_mut();
    store
        .write(Patch::new().set("Todo:1", "title", "milk"))
        .unwrap();
    store
        .write(Patch::new().set("Todo:3", "title", "bread"))
        .unwrap();
    drop(store);
    drop(client);
    settle(&mut dom);
    let untouched = counts(&[("App", 1), ("Row 1", 1), ("Row 2", 1), ("Badge", 1)]);
    assert_eq!(renders.counts(), untouched);
}
