//! Seeded data shared by every bench; the Node sides hold the same in `benches/peers/common.mjs`.
//!
//! Both sides draw from mulberry32 seeded with 42, afresh for every workload and parameter, and
//! make the same draws in the same order, so they touch the same items. The entity shapes and
//! values below copy `common.mjs` (`item`, `optimisticItem`, `serverItem`, `itemWithOwner`).

// Each bench binary includes this module and uses a different part of it.
#![allow(
    dead_code,
    reason = "each bench target uses only part of the shared module"
)]

use std::collections::HashMap;

use optimist::{Entity, FieldName, Key, Patch, Store, Value};

/// Items in base for W1, W2 and W6 (the N of benches/README.md).
pub const N: usize = 100_000;

/// Items in base when the bench runs as a test (`cargo test --benches`, where criterion runs
/// each bench once): the same code paths in an unoptimised build, without the minutes that
/// building 100,000 entities per parameter would take there.
pub const N_TEST: usize = 2_000;

/// Whether this run measures (`cargo bench` passes `--bench`) rather than checks.
pub fn measuring() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// N for this run: [`N`] when measuring, [`N_TEST`] as a test.
pub fn n_items() -> usize {
    if measuring() { N } else { N_TEST }
}

/// mulberry32, bit for bit the JavaScript function in `common.mjs` (u32 wrapping arithmetic
/// stands for `>>> 0` and `Math.imul`).
#[derive(Clone, Debug)]
pub struct Rng {
    a: u32,
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u32) -> Rng {
        Rng { a: seed }
    }

    /// The next u32.
    pub fn next_u32(&mut self) -> u32 {
        self.a = self.a.wrapping_add(0x6D2B_79F5);
        let mut t = self.a;
        t = (t ^ (t >> 15)).wrapping_mul(t | 1);
        t ^= t.wrapping_add((t ^ (t >> 7)).wrapping_mul(t | 61));
        t ^ (t >> 14)
    }

    /// `rng() % n`, as the JavaScript side's `pick(n)`.
    pub fn pick(&mut self, n: usize) -> usize {
        let n = u32::try_from(n).expect("bench sizes fit in u32");
        (self.next_u32() % n) as usize
    }
}

/// A fresh generator for one workload and parameter: mulberry32(42).
pub fn fresh_pick() -> Rng {
    let mut rng = Rng::new(42);
    // The test vector `common.mjs` documents; a mismatch would make the two sides do different
    // work, so it is checked every time, not only in a unit test.
    let first: Vec<u32> = (0..5).map(|_| rng.next_u32()).collect();
    assert_eq!(
        first,
        [
            2_581_720_956,
            1_925_393_290,
            3_661_312_704,
            2_876_485_805,
            750_819_978
        ],
        "mulberry32 differs from the JavaScript side"
    );
    Rng::new(42)
}

/// Field names and type names, made once: a [`FieldName`] clone is a reference count, so patches built in a
/// timed loop do not allocate names.
#[derive(Clone)]
pub struct Names {
    pub typename: FieldName,
    pub id: FieldName,
    pub title: FieldName,
    pub count: FieldName,
    pub done: FieldName,
    pub owner: FieldName,
    pub name: FieldName,
    pub items: FieldName,
    /// `"Item"`, shared by every item as a JavaScript engine shares one string constant.
    pub item_type: Value,
    /// `"User"`, likewise.
    pub user_type: Value,
}

impl Names {
    pub fn new() -> Names {
        Names {
            typename: FieldName::new("__typename"),
            id: FieldName::new("id"),
            title: FieldName::new("title"),
            count: FieldName::new("count"),
            done: FieldName::new("done"),
            owner: FieldName::new("owner"),
            name: FieldName::new("name"),
            items: FieldName::new("items"),
            item_type: Value::from("Item"),
            user_type: Value::from("User"),
        }
    }
}

/// `Item:i`.
pub fn item_key(i: usize) -> Key {
    Key::new(&format!("Item:{i}")).expect("a valid key")
}

/// `Item:0` .. `Item:(n-1)`, built once as the JavaScript side's `KEYS`.
pub fn item_keys(n: usize) -> Vec<Key> {
    (0..n).map(item_key).collect()
}

/// Base entity `Item:i`: `{__typename: "Item", id: "i", title: "Item i", count: i, done: i % 2 == 0}`.
pub fn item(names: &Names, i: usize) -> Entity {
    Entity::from_fields([
        (names.typename.clone(), names.item_type.clone()),
        (names.id.clone(), Value::from(i.to_string())),
        (names.title.clone(), Value::from(format!("Item {i}"))),
        (names.count.clone(), Value::from(i as u64)),
        (names.done.clone(), Value::from(i.is_multiple_of(2))),
    ])
}

/// What optimistic layer number `s` writes to `Item:i` (`optimisticItem` in `common.mjs`).
pub fn optimistic_fields(names: &Names, i: usize, s: usize) -> Entity {
    Entity::from_fields([
        (
            names.title.clone(),
            Value::from(format!("Item {i} opt {s}")),
        ),
        (names.count.clone(), Value::from((i + s + 1) as u64)),
        (names.done.clone(), Value::from(!i.is_multiple_of(2))),
    ])
}

/// The server's answer for `Item:k` in lifecycle number `t` (`serverItem` in `common.mjs`).
pub fn server_fields(names: &Names, k: usize, t: usize) -> Entity {
    Entity::from_fields([
        (
            names.title.clone(),
            Value::from(format!("Item {k} srv {t}")),
        ),
        (names.count.clone(), Value::from((k + t + 1) as u64)),
        (names.done.clone(), Value::from(!k.is_multiple_of(2))),
    ])
}

/// The patch of one optimistic layer number `serial`: 4 items drawn with `pick(n)`, each
/// getting [`optimistic_fields`] (`pushLayer` in `apollo/bench.mjs`).
pub fn layer_patch(names: &Names, keys: &[Key], pick: &mut Rng, serial: usize) -> Patch {
    let mut patch = Patch::new();
    for _ in 0..4 {
        let i = pick.pick(keys.len());
        patch = patch.write(&keys[i], optimistic_fields(names, i, serial));
    }
    patch
}

/// A store holding `Item:0..n` in base, and no layer.
pub fn base_store(names: &Names, n: usize) -> Store {
    let mut patch = Patch::new();
    for i in 0..n {
        patch = patch.write(item_key(i), item(names, i));
    }
    let mut store = Store::new();
    store.write(patch).expect("valid base data");
    store
}

/// The plain map the baselines use: what a hand-rolled cache without layers would hold.
pub type PlainCache = HashMap<Key, Entity, foldhash::fast::RandomState>;

/// `Item:0..n` in a [`PlainCache`].
pub fn base_plain(names: &Names, n: usize) -> PlainCache {
    (0..n).map(|i| (item_key(i), item(names, i))).collect()
}

/// `{...old, ...fields}`: the entity with `fields` written over it, as a baseline writes.
pub fn merged(old: Option<&Entity>, fields: &Entity) -> Entity {
    let old = old.into_iter().flat_map(Entity::iter);
    Entity::from_fields(
        old.chain(fields.iter())
            .map(|(name, value)| (name.clone(), value.clone())),
    )
}

/// `User:u` of W3-W5 (`itemWithOwner` in `common.mjs`).
pub fn user(names: &Names, u: usize) -> Entity {
    Entity::from_fields([
        (names.typename.clone(), names.user_type.clone()),
        (names.id.clone(), Value::from(u.to_string())),
        (names.name.clone(), Value::from(format!("User {u}"))),
    ])
}

/// Users owning the W3-W5 items: `User:(i % 50)`.
pub const USERS: usize = 50;

/// W3's data normalised by hand, as a patch: `Item:0..n` with `owner` refs to `User:(i % 50)`,
/// the users, and `ROOT_QUERY.items` listing the items in order.
pub fn list_patch(names: &Names, n: usize) -> Patch {
    let mut patch = Patch::new();
    for u in 0..USERS.min(n) {
        let key = Key::new(&format!("User:{u}")).expect("a valid key");
        patch = patch.write(key, user(names, u));
    }
    let mut refs = Vec::with_capacity(n);
    for i in 0..n {
        let owner = Key::new(&format!("User:{}", i % USERS)).expect("a valid key");
        let key = item_key(i);
        refs.push(Value::from(&key));
        let fields = merged(
            Some(&item(names, i)),
            &Entity::from_fields([(names.owner.clone(), Value::from(owner))]),
        );
        patch = patch.write(key, fields);
    }
    patch.write(
        Key::root_query(),
        Entity::from_fields([(names.items.clone(), Value::List(refs.into_iter().collect()))]),
    )
}

/// W3's response data as JSON: `{items: [n x {__typename, id, title, count, done, owner:
/// {__typename: "User", id: i % 50, name}}]}` (`ownerData` in `common.mjs`).
pub fn owner_data(n: usize) -> serde_json::Value {
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let u = i % USERS;
            serde_json::json!({
                "__typename": "Item",
                "id": i.to_string(),
                "title": format!("Item {i}"),
                "count": i,
                "done": i.is_multiple_of(2),
                "owner": {"__typename": "User", "id": u.to_string(), "name": format!("User {u}")},
            })
        })
        .collect();
    serde_json::json!({ "items": items })
}

/// W3/W4's query (`ITEMS_WITH_OWNER_QUERY` in `apollo/bench.mjs`).
pub const ITEMS_WITH_OWNER_QUERY: &str =
    "query ItemsWithOwner { items { id title count done owner { id name } } }";

/// The new item that W5's operation number `k` inserts (`Item:new-k`).
pub fn new_item(names: &Names, k: usize) -> (Key, Entity) {
    let key = Key::new(&format!("Item:new-{k}")).expect("a valid key");
    let entity = Entity::from_fields([
        (names.typename.clone(), names.item_type.clone()),
        (names.id.clone(), Value::from(format!("new-{k}"))),
        (names.title.clone(), Value::from(format!("New {k}"))),
        (names.count.clone(), Value::from(k as u64)),
        (names.done.clone(), Value::from(false)),
    ]);
    (key, entity)
}

/// W7's sizes (`W7` in `common.mjs`): items in base, each with its own watcher; the first
/// `W7_LIST` are listed in `ROOT_QUERY.items`, read whole by `W7_LIST_WATCHERS` watchers.
pub const W7_ITEMS: usize = 10_000;
pub const W7_LIST: usize = 1_000;
pub const W7_LIST_WATCHERS: usize = 100;

/// A W7 item watcher's query: one item, reached through the root field `item(id:)`.
pub const W7_ITEM_QUERY: &str =
    "query WatchItem($id: ID!) { item(id: $id) { id title count done } }";

/// A W7 list watcher's query: the whole listed items.
pub const W7_LIST_QUERY: &str = "query Items { items { id title count done } }";

/// W7's store: `Item:0..W7_ITEMS` in base, `ROOT_QUERY.item({"id":"i"})` referring to each (so
/// an item watcher's query reads it, as Apollo's `cache.watch` with a root id does), and
/// `ROOT_QUERY.items` listing the first `W7_LIST`.
pub fn w7_store(names: &Names) -> Store {
    let mut store = base_store(names, W7_ITEMS);
    let mut root = Vec::with_capacity(W7_ITEMS + 1);
    for i in 0..W7_ITEMS {
        let field = FieldName::with_args("item", &serde_json::json!({"id": i.to_string()}));
        root.push((field, Value::from(item_key(i))));
    }
    let list: Vec<Value> = (0..W7_LIST).map(|i| Value::from(item_key(i))).collect();
    root.push((names.items.clone(), Value::List(list.into_iter().collect())));
    store
        .write(Patch::new().write(Key::root_query(), Entity::from_fields(root)))
        .expect("valid root data");
    store
}

/// Registers W7's watchers on `store` (one per item, then the list watchers), each with a
/// callback of its own that counts into `told`. They are tree watchers
/// (`Store::watch_query_tree`), the kind a UI rendering lists uses: each is handed its new
/// result, shared with the old where nothing changed (Apollo's watchers likewise get results
/// from its result cache).
pub fn w7_watch(store: &mut Store, told: &std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let item = optimist::Document::parse(W7_ITEM_QUERY).expect("a valid query");
    let list = optimist::Document::parse(W7_LIST_QUERY).expect("a valid query");
    let callback = || {
        let told = told.clone();
        move |_: &optimist::TreeResult| {
            told.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    };
    for i in 0..W7_ITEMS {
        store.watch_query_tree(
            item.clone(),
            serde_json::json!({"id": i.to_string()}),
            callback(),
        );
    }
    for _ in 0..W7_LIST_WATCHERS {
        store.watch_query_tree(list.clone(), serde_json::json!({}), callback());
    }
}
