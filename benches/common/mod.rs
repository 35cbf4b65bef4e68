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

/// A W7 list watcher's query: the whole listed items, under an argument of its own (`w`, the
/// watcher's number), so no two list watchers share a document and variables and none can
/// share another's read: each reads its own field `items({"w": w})`, all listing the same items.
pub const W7_LIST_QUERY: &str = "query Items($w: Int!) { items(w: $w) { id title count done } }";

/// W7's store: `Item:0..W7_ITEMS` in base, `ROOT_QUERY.item({"id":"i"})` referring to each (so
/// an item watcher's query reads it, as Apollo's `cache.watch` with a root id does), and
/// `ROOT_QUERY.items({"w": w})`, w in `0..W7_LIST_WATCHERS`, each listing the first `W7_LIST`.
pub fn w7_store(names: &Names) -> Store {
    let mut store = base_store(names, W7_ITEMS);
    let mut root = Vec::with_capacity(W7_ITEMS + W7_LIST_WATCHERS);
    for i in 0..W7_ITEMS {
        let field = FieldName::with_args("item", &serde_json::json!({"id": i.to_string()}));
        root.push((field, Value::from(item_key(i))));
    }
    let list: optimist::List = (0..W7_LIST).map(|i| Value::from(item_key(i))).collect();
    for w in 0..W7_LIST_WATCHERS {
        let field = FieldName::with_args("items", &serde_json::json!({"w": w}));
        root.push((field, Value::List(list.clone())));
    }
    store
        .write(Patch::new().write(Key::root_query(), Entity::from_fields(root)))
        .expect("valid W7 data");
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
    for w in 0..W7_LIST_WATCHERS {
        store.watch_query_tree(list.clone(), serde_json::json!({ "w": w }), callback());
    }
}

/// W11's sizes (`W11` in `common.mjs`): `W11_ITEMS` items in base; `W11_QUERIES` watched
/// queries, page p listing the `W11_PAGE` items `(W11_STRIDE * p + j) % W11_ITEMS`, j in
/// `0..W11_PAGE`, so consecutive pages share half their items and every item is listed by
/// exactly two queries; at most `W11_MAX_PENDING` mutations in flight.
pub const W11_ITEMS: usize = 10_000;
pub const W11_QUERIES: usize = 200;
pub const W11_PAGE: usize = 100;
pub const W11_STRIDE: usize = 50;
pub const W11_MAX_PENDING: usize = 4;

/// W11's watched query (one per page).
pub const W11_PAGE_QUERY: &str =
    "query Page($page: Int!) { items(page: $page) { id title count done } }";

/// W11's sampler (`PLAN.w11` in `common.mjs`): first `warmup` operations of the trace run
/// untimed; then `samples` timed batches per kind after one warm-up batch each; a kind's batch
/// is `batch` of its operations, the mix's `mix_batch` operations of any kind.
pub struct W11Plan {
    pub warmup: usize,
    pub samples: usize,
    pub batch: usize,
    pub mix_batch: usize,
}

/// The plan when measuring, and the one-batch check of `cargo test --benches`.
pub fn w11_plan() -> W11Plan {
    if measuring() {
        W11Plan {
            warmup: 1_000,
            samples: 25,
            batch: 10,
            mix_batch: 50,
        }
    } else {
        W11Plan {
            warmup: 10,
            samples: 1,
            batch: 1,
            mix_batch: 5,
        }
    }
}

/// The kinds of W11 operation, in the order `common.mjs` lists them (`W11_KINDS`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum W11Kind {
    /// A refetch of one query whose answer is what the store holds.
    RefetchSame,
    /// A refetch of one query whose answer has one of its 100 items changed (1 %).
    RefetchChanged,
    /// An optimistic mutation of one item: a layer pushed.
    Mutate,
    /// The oldest pending mutation answered: confirmed with the server's row.
    Confirm,
    /// The oldest pending mutation failed: its layer removed.
    Fail,
    /// The observer of one query leaves and a new one arrives on it.
    Remount,
}

impl W11Kind {
    pub const ALL: [W11Kind; 6] = [
        W11Kind::RefetchSame,
        W11Kind::RefetchChanged,
        W11Kind::Mutate,
        W11Kind::Confirm,
        W11Kind::Fail,
        W11Kind::Remount,
    ];

    /// Its name in the results (`W11 app_trace <name>`).
    pub fn name(self) -> &'static str {
        match self {
            W11Kind::RefetchSame => "refetch_same",
            W11Kind::RefetchChanged => "refetch_changed",
            W11Kind::Mutate => "mutate",
            W11Kind::Confirm => "confirm",
            W11Kind::Fail => "fail",
            W11Kind::Remount => "remount",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// One W11 operation, as the trace draws it; the side carries it out (and times only that).
pub enum W11Op {
    /// Refetch `page`; the server answers `text` (the response's `data`, as it arrives).
    Refetch {
        kind: W11Kind,
        page: usize,
        text: std::sync::Arc<str>,
    },
    /// Push mutation number `serial`: `Item:item` gets `optimistic_fields(item, serial)`.
    Mutate { item: usize, serial: usize },
    /// Answer the oldest pending mutation (number `serial`, on `Item:item`): confirmed with the
    /// server's row (the fields it asked for) when `ok`, failed otherwise.
    Settle {
        item: usize,
        serial: usize,
        ok: bool,
    },
    /// The observer of `page` leaves; a new one arrives on `page`.
    Remount { page: usize },
}

impl W11Op {
    pub fn kind(&self) -> W11Kind {
        match self {
            W11Op::Refetch { kind, .. } => *kind,
            W11Op::Mutate { .. } => W11Kind::Mutate,
            W11Op::Settle { ok: true, .. } => W11Kind::Confirm,
            W11Op::Settle { ok: false, .. } => W11Kind::Fail,
            W11Op::Remount { .. } => W11Kind::Remount,
        }
    }
}

/// The server's row of an item: what a page lists for it.
#[derive(Clone)]
struct W11Row {
    title: String,
    count: u64,
    done: bool,
}

/// W11's seeded trace (`W11Trace` in `common.mjs`, draw for draw): the server's rows, the
/// answer texts (built once per distinct answer), and the mutations in flight.
///
/// Operation t draws r = pick(100): r < 40 refetch_same (page = pick(200)); r < 50
/// refetch_changed (page = pick(200), j = pick(100): the server's row of item
/// (50 page + j) % 10,000 becomes `server_fields(item, t)`); r < 70 mutate (item =
/// pick(10,000)); r < 90 settle the oldest pending (ok = pick(100) < 80; the server's row
/// becomes the mutation's fields when ok); otherwise remount (page = pick(200)). A mutate
/// with `W11_MAX_PENDING` in flight is a settle instead, a settle with none in flight a
/// mutate.
pub struct W11Trace {
    pick: Rng,
    rows: Vec<W11Row>,
    /// Each page's answer text, while its rows are unchanged.
    texts: Vec<Option<std::sync::Arc<str>>>,
    /// (serial, item) of the mutations in flight, oldest first.
    pending: std::collections::VecDeque<(usize, usize)>,
    serial: usize,
    t: usize,
}

impl W11Trace {
    pub fn new() -> W11Trace {
        W11Trace {
            pick: fresh_pick(),
            rows: (0..W11_ITEMS)
                .map(|i| W11Row {
                    title: format!("Item {i}"),
                    count: i as u64,
                    done: i.is_multiple_of(2),
                })
                .collect(),
            texts: vec![None; W11_QUERIES],
            pending: std::collections::VecDeque::new(),
            serial: 0,
            t: 0,
        }
    }

    /// The items page `page` lists, in order.
    pub fn page_items(page: usize) -> impl Iterator<Item = usize> {
        (0..W11_PAGE).map(move |j| (W11_STRIDE * page + j) % W11_ITEMS)
    }

    /// The two pages that list `item`.
    pub fn pages_of(item: usize) -> [usize; 2] {
        let last = item / W11_STRIDE;
        [(last + W11_QUERIES - 1) % W11_QUERIES, last]
    }

    /// Page `page`'s answer as the server sends it: `{"items":[{"__typename":"Item","id":..,
    /// "title":..,"count":..,"done":..},..]}`, byte for byte `JSON.stringify` of the same data.
    pub fn page_text(&mut self, page: usize) -> std::sync::Arc<str> {
        if let Some(text) = &self.texts[page] {
            return text.clone();
        }
        let mut text = String::with_capacity(W11_PAGE * 80);
        text.push_str("{\"items\":[");
        for (n, i) in Self::page_items(page).enumerate() {
            let row = &self.rows[i];
            if n > 0 {
                text.push(',');
            }
            let title = serde_json::to_string(&row.title).expect("a string");
            text.push_str(&format!(
                "{{\"__typename\":\"Item\",\"id\":\"{i}\",\"title\":{title},\"count\":{},\"done\":{}}}",
                row.count, row.done
            ));
        }
        text.push_str("]}");
        let text: std::sync::Arc<str> = text.into();
        self.texts[page] = Some(text.clone());
        text
    }

    fn set_row(&mut self, item: usize, row: W11Row) {
        self.rows[item] = row;
        for page in Self::pages_of(item) {
            self.texts[page] = None;
        }
    }

    /// The next operation, its answer text built (untimed, by the caller's clock) if it has one.
    pub fn next_op(&mut self) -> W11Op {
        let t = self.t;
        self.t += 1;
        let r = self.pick.pick(100);
        let mut kind = match r {
            0..40 => W11Kind::RefetchSame,
            40..50 => W11Kind::RefetchChanged,
            50..70 => W11Kind::Mutate,
            70..90 => W11Kind::Confirm,
            _ => W11Kind::Remount,
        };
        if kind == W11Kind::Mutate && self.pending.len() >= W11_MAX_PENDING {
            kind = W11Kind::Confirm;
        } else if kind == W11Kind::Confirm && self.pending.is_empty() {
            kind = W11Kind::Mutate;
        }
        match kind {
            W11Kind::RefetchSame => {
                let page = self.pick.pick(W11_QUERIES);
                let text = self.page_text(page);
                W11Op::Refetch { kind, page, text }
            }
            W11Kind::RefetchChanged => {
                let page = self.pick.pick(W11_QUERIES);
                let item = (W11_STRIDE * page + self.pick.pick(W11_PAGE)) % W11_ITEMS;
                self.set_row(
                    item,
                    W11Row {
                        title: format!("Item {item} srv {t}"),
                        count: (item + t + 1) as u64,
                        done: !item.is_multiple_of(2),
                    },
                );
                let text = self.page_text(page);
                W11Op::Refetch { kind, page, text }
            }
            W11Kind::Mutate => {
                let item = self.pick.pick(W11_ITEMS);
                let serial = self.serial;
                self.serial += 1;
                self.pending.push_back((serial, item));
                W11Op::Mutate { item, serial }
            }
            W11Kind::Confirm | W11Kind::Fail => {
                let (serial, item) = self.pending.pop_front().expect("one is pending");
                let ok = self.pick.pick(100) < 80;
                if ok {
                    self.set_row(
                        item,
                        W11Row {
                            title: format!("Item {item} opt {serial}"),
                            count: (item + serial + 1) as u64,
                            done: !item.is_multiple_of(2),
                        },
                    );
                }
                W11Op::Settle { item, serial, ok }
            }
            W11Kind::Remount => W11Op::Remount {
                page: self.pick.pick(W11_QUERIES),
            },
        }
    }
}

/// Timed batches of one W11 kind (or of the mix): a batch is `batch` operations; its time
/// divided by `batch` is one sample; the first batch is the warm-up, not kept.
struct W11Batches {
    batch: usize,
    sum: std::time::Duration,
    in_batch: usize,
    /// Batches done, the warm-up included.
    batches: usize,
    /// ns per operation of each kept batch.
    samples: Vec<f64>,
}

impl W11Batches {
    fn new(batch: usize) -> W11Batches {
        W11Batches {
            batch,
            sum: std::time::Duration::ZERO,
            in_batch: 0,
            batches: 0,
            samples: Vec::new(),
        }
    }

    fn add(&mut self, elapsed: std::time::Duration) {
        self.sum += elapsed;
        self.in_batch += 1;
        if self.in_batch == self.batch {
            if self.batches > 0 {
                self.samples
                    .push(self.sum.as_nanos() as f64 / self.batch as f64);
            }
            self.batches += 1;
            self.sum = std::time::Duration::ZERO;
            self.in_batch = 0;
        }
    }

    fn median(&self) -> Option<f64> {
        let mut s = self.samples.clone();
        s.sort_by(f64::total_cmp);
        let m = s.len() / 2;
        match s.len() {
            0 => None,
            n if n % 2 == 1 => Some(s[m]),
            _ => Some((s[m - 1] + s[m]) / 2.0),
        }
    }
}

/// W11's sampler, as `timeTrace` in `common.mjs`: every operation of the trace counts towards
/// the mix and towards its kind; the trace runs until the mix and every kind have their
/// samples. Watchers told are summed per kind over every operation it is given (each kind's
/// warm-up batch included; the trace's warm-up operations are not given to it).
pub struct W11Sampler {
    samples: usize,
    kinds: Vec<W11Batches>,
    mix: W11Batches,
    ops: [usize; 6],
    told: [usize; 6],
    calls: [usize; 6],
}

impl W11Sampler {
    pub fn new(plan: &W11Plan) -> W11Sampler {
        W11Sampler {
            samples: plan.samples,
            kinds: W11Kind::ALL
                .iter()
                .map(|_| W11Batches::new(plan.batch))
                .collect(),
            mix: W11Batches::new(plan.mix_batch),
            ops: [0; 6],
            told: [0; 6],
            calls: [0; 6],
        }
    }

    /// One operation of `kind` took `elapsed` and told `told` watchers new data (in `calls`
    /// listener calls).
    pub fn add(&mut self, kind: W11Kind, elapsed: std::time::Duration, told: usize, calls: usize) {
        let k = kind.index();
        self.kinds[k].add(elapsed);
        self.mix.add(elapsed);
        self.ops[k] += 1;
        self.told[k] += told;
        self.calls[k] += calls;
    }

    /// Whether every kind and the mix have their samples.
    pub fn done(&self) -> bool {
        self.mix.samples.len() >= self.samples
            && self.kinds.iter().all(|k| k.samples.len() >= self.samples)
    }

    /// The results as JSON rows, as the Node sides write theirs: `{workload, optimist_ns,
    /// samples, ops, told, calls}`, one per kind, then the mix (told: over all operations).
    pub fn rows(&self) -> serde_json::Value {
        let per_op = |n: usize, ops: usize| {
            if ops == 0 {
                serde_json::Value::Null
            } else {
                serde_json::json!(n as f64 / ops as f64)
            }
        };
        let mut rows: Vec<serde_json::Value> = W11Kind::ALL
            .iter()
            .map(|kind| {
                let k = kind.index();
                serde_json::json!({
                    "workload": format!("W11 app_trace {}", kind.name()),
                    "optimist_ns": self.kinds[k].median(),
                    "samples": self.kinds[k].samples.len(),
                    "ops": self.ops[k],
                    "told": per_op(self.told[k], self.ops[k]),
                    "calls": per_op(self.calls[k], self.ops[k]),
                })
            })
            .collect();
        let ops: usize = self.ops.iter().sum();
        rows.push(serde_json::json!({
            "workload": "W11 app_trace mix",
            "optimist_ns": self.mix.median(),
            "samples": self.mix.samples.len(),
            "ops": ops,
            "told": per_op(self.told.iter().sum(), ops),
            "calls": per_op(self.calls.iter().sum(), ops),
        }));
        serde_json::Value::Array(rows)
    }
}

/// W12's page size (`W12.page` in `common.mjs`).
pub const W12_PAGE: usize = 25;

/// W12's connection sizes when measuring (`W12.sizes`); a test run (`cargo test --benches`,
/// unoptimised) builds smaller connections through the same code.
pub fn w12_sizes() -> [usize; 2] {
    if measuring() {
        [1_000, 10_000]
    } else {
        [100, 250]
    }
}

/// W12's timed samples (`PLAN.w12.samples`), each after one untimed warm-up sample.
pub fn w12_samples() -> usize {
    if measuring() { 25 } else { 1 }
}

/// W12's query, the text of `TASKS_QUERY_TEXT` in `common.mjs`.
pub const W12_TASKS_QUERY: &str = "query Tasks($after: String) { project(id: \"1\") { __typename id tasks(first: 25, after: $after) { __typename edges { __typename cursor node { __typename id title } } pageInfo { __typename hasNextPage endCursor } } } }";

/// W12's page of [`W12_PAGE`] edges from edge `start` (cursors `c<n>`, nodes `Task:<n>`): the
/// response's data, as `tasksPage` in `common.mjs` builds it.
pub fn tasks_page(start: usize) -> serde_json::Value {
    let edges: Vec<serde_json::Value> = (start..start + W12_PAGE)
        .map(|n| {
            serde_json::json!({
                "__typename": "TaskEdge",
                "cursor": format!("c{n}"),
                "node": {"__typename": "Task", "id": n.to_string(), "title": format!("Task {n}")},
            })
        })
        .collect();
    let end = format!("c{}", start + W12_PAGE - 1);
    serde_json::json!({"project": {"__typename": "Project", "id": "1", "tasks": {
        "__typename": "TaskConnection",
        "edges": edges,
        "pageInfo": {"__typename": "PageInfo", "hasNextPage": true, "endCursor": end},
    }}})
}

/// The variables of the page starting at `start` (`afterOf`): the first page has no `after`.
pub fn after_of(start: usize) -> serde_json::Value {
    if start == 0 {
        serde_json::json!({})
    } else {
        serde_json::json!({ "after": format!("c{}", start - 1) })
    }
}

/// Panics unless `data` (a read of [`W12_TASKS_QUERY`]) lists edges `c0` .. `c<n-1>` in order
/// (`checkTasks`).
pub fn check_tasks(data: &serde_json::Value, n: usize) {
    let edges = data["project"]["tasks"]["edges"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let last = format!("c{}", n.saturating_sub(1));
    assert!(
        edges.len() == n
            && edges.first().map(|e| &e["cursor"]) == Some(&serde_json::json!("c0"))
            && edges.last().map(|e| &e["cursor"]) == Some(&serde_json::json!(last))
            && edges.last().map(|e| &e["node"]["id"])
                == Some(&serde_json::json!((n - 1).to_string())),
        "W12: the watcher shows {} edges, not c0 .. {last}",
        edges.len()
    );
}

/// W13's page queries (`W13.pages` in `common.mjs`), items per page, and pending layers.
pub const W13_PAGES: usize = 20;
pub const W13_PAGE: usize = 100;
pub const W13_LAYERS: usize = 3;

/// W13's timed samples (`PLAN.w13.samples`), each after one untimed warm-up sample.
pub fn w13_samples() -> usize {
    if measuring() { 10 } else { 1 }
}

/// The items W13's page `page` lists, in order, in a store of `n` items: `Item:(n / 20 * page
/// + j)`, j in `0..100` (`w13PageItems`).
pub fn w13_page_items(page: usize, n: usize) -> impl Iterator<Item = usize> {
    let stride = n / W13_PAGES;
    (0..W13_PAGE).map(move |j| stride * page + j)
}

/// The items of W13's layers, 4 per layer, each drawn from a fresh pick as page
/// `pick(20)`, then position `pick(100)` on it (`w13Layers`).
pub fn w13_layers(n: usize) -> Vec<[usize; 4]> {
    let mut pick = fresh_pick();
    let stride = n / W13_PAGES;
    (0..W13_LAYERS)
        .map(|_| {
            std::array::from_fn(|_| {
                let page = pick.pick(W13_PAGES);
                stride * page + pick.pick(W13_PAGE)
            })
        })
        .collect()
}

/// Panics unless `results` (the 20 pages' reads after a cold start) list the items of
/// [`w13_page_items`] in order with the merged view's values: what the newest layer writing an
/// item wrote (`optimisticItem`), the base item otherwise (`checkW13`).
pub fn check_w13(results: &[serde_json::Value], layers: &[[usize; 4]], n: usize) {
    let mut newest = HashMap::new();
    for (s, items) in layers.iter().enumerate() {
        for &i in items {
            newest.insert(i, s);
        }
    }
    assert_eq!(results.len(), W13_PAGES, "W13: one result per page");
    let mut layered = 0;
    for (page, result) in results.iter().enumerate() {
        let items = result["items"].as_array().expect("W13: a list of items");
        assert_eq!(items.len(), W13_PAGE, "W13: page {page}'s length");
        for (got, i) in items.iter().zip(w13_page_items(page, n)) {
            let expected = match newest.get(&i) {
                Some(&s) => {
                    layered += 1;
                    serde_json::json!({"id": i.to_string(), "title": format!("Item {i} opt {s}"),
                        "count": i + s + 1, "done": !i.is_multiple_of(2)})
                }
                None => serde_json::json!({"id": i.to_string(), "title": format!("Item {i}"),
                    "count": i, "done": i.is_multiple_of(2)}),
            };
            for field in ["id", "title", "count", "done"] {
                assert_eq!(got[field], expected[field], "W13: page {page}, Item:{i}");
            }
        }
    }
    assert!(layered > 0, "W13: no layered item on the pages");
}
