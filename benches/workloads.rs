//! The workloads of `benches/README.md`, mirrored step by step by the Node sides
//! (`benches/peers/*/bench.mjs`, sharing `benches/peers/common.mjs`), with a naive baseline
//! next to each where one says something: the machine's limit for a read, the undo log an app
//! would write by hand for a mutation's lifecycle.
//!
//! Groups, as `benches/peers/report.mjs` joins them (criterion ids `group/parameter`):
//!
//! * `read_depth/{0,1,10,100,1000}` (W1): read field `count` of a random item through
//!   [`Store::get_field`] with L layers pending; `read_depth_baseline/hashmap/L`, measured right
//!   after each L: the same keys looked up in a plain `HashMap<Key, Entity>`;
//!   `read_fragment/{0,1000}`: the same reads as [`Store::read_fragment`] of
//!   `fragment F on Item { count }`, the work of the peers' fragment reads.
//! * `remap/10000` (W9): the answer to an optimistic create listed among 10,000 refs and
//!   targeted by 100 layers above it: `remap` and `confirm_keeping_relative`.
//! * `lifecycle/{1,10,100}` (W2): settle a random one of W pending layers (80 % confirmed with
//!   the server's answer, 20 % failed), push a new one, every fourth a reservation
//!   ([`Store::reserve`]: a query's answer awaited); `lifecycle_baseline/undo_log/W`, right
//!   after each W: the same writes on a plain map with an undo log per request.
//! * `normalize/{1000,10000}` (W3): normalise a response of n items with owners with its query
//!   and write it into a fresh store's base.
//! * `read_query/{cold,warm}/{1000,10000}` (W4): read that query back, after one item changed
//!   (cold) or after nothing changed (warm); `read_query/typed/n` into structs with no cache
//!   (`Store::read_query_as`), `read_query/typed_kept/n` into structs whose rows are `Shared`
//!   parts through the kept query (`Query::read_as`), after one item changed.
//! * `list_insert/{1000,10000}` (W5): push a layer that creates an item and appends its ref to
//!   `ROOT_QUERY.items`, then fail it; `list_insert_baseline/undo_log/n`: keep the old root,
//!   append by copying the list, put the old root back.
//! * `watch/10000` (W7): with 10,000 single-item query watchers and 100 list watchers (each
//!   with an argument of its own) registered, push a layer changing one listed item's `count`, then fail it; every
//!   notification is inside the timed calls. Prints the watchers told per operation.
//! * `persist/100000` (W8): `save_json` and `load_json` of 100,000 listed items and 100 layers
//!   (the drops untimed); the saved bytes go to `<criterion home>/persist/saved.json`.
//! * `gc/{0,1,100}` (W10): `gc()` over 100,000 items, 10,000 listed, 1,000 retained, with 0, 1
//!   or 100 pending layers. Prints how many entities it removes.
//! * `app_trace/mix` (W11): the app trace through [`Client`]: 200 watched page queries over
//!   10,000 items, refetches answering the same or 1 %-changed data, optimistic mutations and
//!   their answers, observers leaving and arriving; per operation. On its first run it also
//!   samples every kind of operation as the Node sides do (`common::W11Sampler`) and writes
//!   the figures and the watchers told per kind to `<criterion home>/app_trace/trace.json`.
//!   `app_trace/read` (the baseline): `Store::read_query` of one page, a full read with no
//!   cache; `app_trace/normalize`: normalising one page's answer text, nothing written.
//! * `pagination/{1000,10000}` (W12): a page of 25 edges merged by
//!   [`optimist::relay_style_pagination`] onto a connection of n edges, one query watcher on the
//!   list. On its first run per n it samples the workload as the Node sides do (every sample on
//!   a connection built afresh to n edges, one page appended) and writes the medians to
//!   `<criterion home>/pagination/w12.json`, the figures the report takes. Criterion's own
//!   figure is a steady variant for regressions: the page re-merged after `c<n-1>` on one store
//!   (alternately two different pages, so the list holds n + 25 edges and the watcher is told
//!   every time).
//! * `cold_start/100000` (W13): a saved store (100,000 listed items, 20 page queries' results,
//!   3 pending layers) from its file's bytes to the first results of the 20 pages:
//!   `std::fs::read` + `Store::load_json` into a fresh store + `Store::read_query` of each page
//!   (the drops untimed). On its first run it samples the workload as the Node sides do and
//!   writes the median, the phases and the file's size to `<criterion home>/cold_start/w13.json`,
//!   the figures the report takes; criterion's own figure is the same routine, kept for
//!   regressions.
//!
//! Stores are built once per parameter, outside the timed routine, on first use (so a filtered
//! run builds only what it measures). Stateful routines (W2, W5) carry their state from one
//! iteration to the next, as the JavaScript side does. Run as a test (`cargo test --benches`),
//! every bench runs once on [`common::N_TEST`] items.

mod common;

use std::cell::OnceCell;
use std::collections::VecDeque;
use std::hint::black_box;
use std::iter;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{
    ITEMS_WITH_OWNER_QUERY, Names, PlainCache, Rng, W7_ITEMS, W7_LIST, W7_LIST_WATCHERS, W11_ITEMS,
    W11_PAGE, W11_PAGE_QUERY, W11_QUERIES, W11Kind, W11Op, W11Sampler, W11Trace, W12_PAGE,
    W12_TASKS_QUERY, W13_PAGES, after_of, base_plain, base_store, check_tasks, check_w13,
    fresh_pick, item_keys, layer_patch, list_patch, measuring, merged, n_items, new_item,
    optimistic_fields, owner_data, server_fields, tasks_page, w7_store, w7_watch, w11_plan,
    w12_samples, w12_sizes, w13_layers, w13_page_items, w13_samples,
};
use criterion::{BatchSize, Bencher, BenchmarkId, Criterion, criterion_group, criterion_main};
use optimist::{
    Client, Document, Entity, Key, KeyArgs, LayerId, List, ListPosition, ObserverId, Patch,
    Policies, Query, QueryId, QueryKey, QueryOptions, QueryState, QueryStatus, Shared, Store,
    Value, normalize_query, relay_style_pagination,
};
use serde_json::json;

/// Random keys drawn before timing and read in a cycle, so the generator is not timed. As many
/// as this so that, like the JavaScript side's fresh draw per read, reads land all over the
/// 100,000 items and pay for cache misses: with a few thousand keys the touched entities stay in
/// cache and a read looks about a third cheaper than it is.
const READ_KEYS: usize = 1 << 16;

/// W1's L values.
const DEPTHS: [usize; 5] = [0, 1, 10, 100, 1000];

/// W2's W values.
const PENDING: [usize; 3] = [1, 10, 100];

/// W5's list lengths.
const LIST_LENGTHS: [usize; 2] = [1000, 10_000];

/// `READ_KEYS` keys drawn with `pick`, continuing its sequence.
fn read_keys(keys: &[Key], pick: &mut Rng) -> Vec<Key> {
    (0..READ_KEYS)
        .map(|_| keys[pick.pick(keys.len())].clone())
        .collect()
}

/// W1's L values at which a whole fragment is read (`read_fragment/L`), as the peers'
/// document reads (Apollo's `readFragment`, Relay's `environment.lookup`, urql's `readQuery`).
const FRAGMENT_DEPTHS: [usize; 2] = [0, 1000];

/// The fragment the W1 document reads read on every side: `count` of one item (and the
/// `__typename` every side adds).
const COUNT_FRAGMENT: &str = "fragment F on Item { count }";

/// W1: a field read through L layers; a read is one lookup in the materialised view. Next to
/// each L, in the same run and on the same keys: the `HashMap` baseline
/// (`read_depth_baseline/hashmap/L`, no layers: the machine's limit for one hash lookup and one
/// field search) and, at L in [`FRAGMENT_DEPTHS`], the same reads as a document read of the
/// fragment (`read_fragment/L`: [`Store::read_fragment`] into JSON, the work the peers' fragment
/// reads do).
fn read_depth(c: &mut Criterion) {
    let names = Names::new();
    let n = n_items();
    let keys = item_keys(n);
    let fragment = Document::parse(COUNT_FRAGMENT).expect("a valid fragment");
    let null = serde_json::Value::Null;

    // One base for every L, so each L reads the same memory layout and differs only by what its
    // layers copied into the view. Built on first use: a filtered run skips it.
    let base = OnceCell::new();
    let plain = OnceCell::new();
    for depth in DEPTHS {
        let mut reads = None;
        let mut setup = || {
            let mut store: Store = base.get_or_init(|| base_store(&names, n)).clone();
            let mut pick = fresh_pick();
            for serial in 0..depth {
                let patch = layer_patch(&names, &keys, &mut pick, serial);
                store
                    .push(&format!("layer-{serial}"), patch)
                    .expect("a valid layer");
            }
            let reads = read_keys(&keys, &mut pick);
            (store, reads)
        };
        // Where the reads go on: each sample continues the key sequence, none restarts it.
        let mut at = 0;
        let mut group = c.benchmark_group("read_depth");
        group.bench_function(BenchmarkId::from_parameter(depth), |b| {
            let (store, reads) = reads.get_or_insert_with(&mut setup);
            b.iter(|| {
                let key = &reads[at];
                at = (at + 1) % READ_KEYS;
                black_box(store.get_field(black_box(key), "count"))
            });
        });
        group.finish();

        // The machine's limit, measured right after this L on the same keys.
        let mut group = c.benchmark_group("read_depth_baseline");
        let mut at = 0;
        group.bench_function(BenchmarkId::new("hashmap", depth), |b| {
            let plain: &PlainCache = plain.get_or_init(|| base_plain(&names, n));
            let (_, reads) = reads.get_or_insert_with(&mut setup);
            b.iter(|| {
                let key = &reads[at];
                at = (at + 1) % READ_KEYS;
                black_box(
                    plain
                        .get(black_box(key).as_str())
                        .and_then(|e| e.get("count")),
                )
            });
        });
        group.finish();

        if FRAGMENT_DEPTHS.contains(&depth) {
            let mut group = c.benchmark_group("read_fragment");
            let mut at = 0;
            group.bench_function(BenchmarkId::from_parameter(depth), |b| {
                let (store, reads) = reads.get_or_insert_with(&mut setup);
                b.iter(|| {
                    let key = &reads[at];
                    at = (at + 1) % READ_KEYS;
                    black_box(
                        store
                            .read_fragment(&fragment, None, black_box(key).as_str(), &null)
                            .expect("a complete read"),
                    )
                });
            });
            group.finish();
        }
    }
}

/// Whether W2's new layer number `serial` is a reservation (a query's answer awaited, answered
/// later): a quarter of them, every fourth. The same on every side; no PRNG draw.
fn reserved(serial: usize) -> bool {
    serial % 4 == 3
}

/// W2's state: the store, its pending layers in push order (with whether each is a
/// reservation), and the counters that name layers and answers as the JavaScript side does.
struct Lifecycle<'a> {
    names: &'a Names,
    keys: &'a [Key],
    pick: Rng,
    store: Store,
    pending: Vec<(LayerId, bool)>,
    /// Layer number: labels are `m{serial}`.
    serial: usize,
    /// Lifecycle number, for the server's answer.
    t: usize,
}

impl Lifecycle<'_> {
    /// A new layer: every fourth a reservation ([`Store::reserve`], a query's slot, nothing
    /// drawn), the others an optimistic mutation of 4 items drawn with `pick(N)`.
    fn push(&mut self) {
        let label = format!("m{}", self.serial);
        if reserved(self.serial) {
            let id = self.store.reserve(&label);
            self.pending.push((id, true));
        } else {
            let patch = layer_patch(self.names, self.keys, &mut self.pick, self.serial);
            let (id, _) = self.store.push(&label, patch).expect("a valid layer");
            self.pending.push((id, false));
        }
        self.serial += 1;
    }

    /// PRNG draws, in order: p = pick(pending), r = pick(100), k = pick(N) if r < 80, then the
    /// new layer's 4 x pick(N) unless it is a reservation. r < 80: the answer arrives (a
    /// mutation's or a query's: the server's row of `Item:k`), confirmed into the layer;
    /// otherwise the request failed: a mutation's layer fails, a reservation is cancelled.
    fn step(&mut self) {
        let p = self.pick.pick(self.pending.len());
        let (id, reservation) = self.pending.remove(p);
        if self.pick.pick(100) < 80 {
            let k = self.pick.pick(self.keys.len());
            let answer = server_fields(self.names, k, self.t);
            self.store
                .confirm(id, Patch::new().write(&self.keys[k], answer))
                .expect("a pending layer");
        } else if reservation {
            self.store.cancel(id).expect("a pending reservation");
        } else {
            self.store.fail(id).expect("a pending layer");
        }
        self.push();
        self.t += 1;
    }
}

/// The old values of the keys one request wrote, oldest write first: what undoes it.
type Undo = Vec<(Key, Option<Entity>)>;

/// The same lifecycle the naive way on a plain map: a mutation writes straight into the cache
/// and keeps an undo log of the keys it touched (their values before it wrote); success keeps
/// the writes and writes the server's answer, failure writes the old values back (whatever
/// later mutations wrote to those keys is lost with them, as in a hand-rolled app). A
/// reservation is a query in flight: nothing written, nothing to undo; its answer is written
/// when it arrives. Same random choices and same values as [`Lifecycle`].
struct UndoLog<'a> {
    names: &'a Names,
    keys: &'a [Key],
    pick: Rng,
    cache: PlainCache,
    /// One undo log per pending request, in push order.
    pending: Vec<Undo>,
    serial: usize,
    t: usize,
}

impl UndoLog<'_> {
    /// Writes `fields` over `Item:i`, recording the old value in `undo` when given.
    fn write(&mut self, i: usize, fields: &Entity, undo: Option<&mut Undo>) {
        let key = &self.keys[i];
        let old = self.cache.get(key);
        let entity = merged(old, fields);
        if let Some(undo) = undo {
            undo.push((key.clone(), old.cloned()));
        }
        self.cache.insert(key.clone(), entity);
    }

    fn push(&mut self) {
        let mut undo = Vec::new();
        if !reserved(self.serial) {
            undo.reserve(4);
            for _ in 0..4 {
                let i = self.pick.pick(self.keys.len());
                let fields = optimistic_fields(self.names, i, self.serial);
                self.write(i, &fields, Some(&mut undo));
            }
        }
        self.pending.push(undo);
        self.serial += 1;
    }

    fn step(&mut self) {
        let p = self.pick.pick(self.pending.len());
        let undo = self.pending.remove(p);
        if self.pick.pick(100) < 80 {
            let k = self.pick.pick(self.keys.len());
            self.write(k, &server_fields(self.names, k, self.t), None);
        } else {
            for (key, old) in undo.into_iter().rev() {
                match old {
                    Some(entity) => self.cache.insert(key, entity),
                    None => self.cache.remove(&key),
                };
            }
        }
        self.push();
        self.t += 1;
    }
}

/// W2: the lifecycle of optimistic mutations and reserved query answers with W pending.
fn lifecycle(c: &mut Criterion) {
    let names = Names::new();
    let n = n_items();
    let keys = item_keys(n);

    for pending in PENDING {
        let mut group = c.benchmark_group("lifecycle");
        let mut state = None;
        group.bench_function(BenchmarkId::from_parameter(pending), |b| {
            let state = state.get_or_insert_with(|| {
                let mut state = Lifecycle {
                    names: &names,
                    keys: &keys,
                    pick: fresh_pick(),
                    store: base_store(&names, n),
                    pending: Vec::with_capacity(pending + 1),
                    serial: 0,
                    t: 0,
                };
                for _ in 0..pending {
                    state.push();
                }
                state
            });
            b.iter(|| state.step());
        });
        group.finish();
        drop(state);

        // The naive baseline, right after the same W.
        let mut group = c.benchmark_group("lifecycle_baseline");
        let mut state = None;
        group.bench_function(BenchmarkId::new("undo_log", pending), |b| {
            let state = state.get_or_insert_with(|| {
                let mut state = UndoLog {
                    names: &names,
                    keys: &keys,
                    pick: fresh_pick(),
                    cache: base_plain(&names, n),
                    pending: Vec::with_capacity(pending + 1),
                    serial: 0,
                    t: 0,
                };
                for _ in 0..pending {
                    state.push();
                }
                state
            });
            b.iter(|| state.step());
        });
        group.finish();
    }
}

/// W5's base: the W3 list of n items with owners.
fn list_store(names: &Names, n: usize) -> Store {
    let mut store = Store::new();
    store.write(list_patch(names, n)).expect("valid list data");
    store
}

/// W5: push a layer that creates `Item:new-k` and appends its ref to `ROOT_QUERY.items`, then
/// fail it. No PRNG: operation number k (warm-up included) inserts `Item:new-k`.
fn list_insert(c: &mut Criterion) {
    let names = Names::new();
    let root = Key::root_query();

    let mut group = c.benchmark_group("list_insert");
    for n in LIST_LENGTHS {
        let mut store = None;
        let mut k = 0;
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            let store = store.get_or_insert_with(|| list_store(&names, n));
            b.iter(|| {
                let (key, entity) = new_item(&names, k);
                let patch = Patch::new().write(&key, entity).insert(
                    &root,
                    &names.items,
                    Value::from(key),
                    ListPosition::End,
                );
                let (id, _) = store
                    .push(&format!("ins-{k}"), patch)
                    .expect("a valid layer");
                store.fail(id).expect("a pending layer");
                k += 1;
            });
        });
    }
    group.finish();

    // The naive way: keep the old root entity (the undo log: one key, and the new item's
    // absence), write the new item and a copy of the list with its ref appended
    // (`[...existing, ref]`), then, the request having failed, put the old values back.
    let mut group = c.benchmark_group("list_insert_baseline");
    for n in LIST_LENGTHS {
        let mut cache = None;
        let mut k = 0;
        group.bench_function(BenchmarkId::new("undo_log", n), |b| {
            let cache: &mut PlainCache = cache.get_or_insert_with(|| {
                let store = list_store(&names, n);
                store.iter().map(|(k, e)| (k.clone(), e.clone())).collect()
            });
            b.iter(|| {
                let (key, entity) = new_item(&names, k);
                let old_root = cache.get(&root).cloned();
                let old_item = cache.get(&key).cloned();
                let existing = old_root
                    .as_ref()
                    .and_then(|e| e.get("items"))
                    .and_then(Value::as_list);
                let items: List = existing
                    .into_iter()
                    .flat_map(|list| list.iter().cloned())
                    .chain(iter::once(Value::from(&key)))
                    .collect();
                let fields = Entity::from_fields([(names.items.clone(), Value::List(items))]);
                let new_root = merged(old_root.as_ref(), &fields);
                cache.insert(root.clone(), new_root);
                cache.insert(key.clone(), entity);
                // The request failed: the undo log, newest first.
                match old_item {
                    Some(old) => cache.insert(key, old),
                    None => cache.remove(&key),
                };
                if let Some(old) = old_root {
                    cache.insert(root.clone(), old);
                }
                k += 1;
            });
        });
    }
    group.finish();
}

/// W3: normalise the response of `ITEMS_WITH_OWNER_QUERY` (n items, 50 owners) with the
/// document and write it into the base of a fresh store (made untimed, as Apollo's fresh cache).
fn normalize(c: &mut Criterion) {
    let doc = Document::parse(ITEMS_WITH_OWNER_QUERY).expect("a valid query");
    let variables = json!({});
    let mut group = c.benchmark_group("normalize");
    // A write of 10,000 items takes milliseconds.
    group.sample_size(20);
    for n in LIST_LENGTHS {
        let mut data = None;
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            let data = data.get_or_insert_with(|| owner_data(n));
            b.iter_batched(
                Store::new,
                |mut store| {
                    let patch = normalize_query(store.policies(), &doc, &variables, &*data)
                        .expect("the data matches the query");
                    store.write(patch).expect("a valid patch");
                    store
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

/// W3 from the wire: the same response as text, as it arrives, normalised and written; beside
/// it the route through a parsed tree (`serde_json::from_str`, then the tree walk), in the same
/// run. The peers parse the text with `JSON.parse` first.
fn normalize_text(c: &mut Criterion) {
    let doc = Document::parse(ITEMS_WITH_OWNER_QUERY).expect("a valid query");
    let variables = json!({});
    let mut group = c.benchmark_group("normalize_text");
    group.sample_size(20);
    for n in LIST_LENGTHS {
        let mut text = None;
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            let text: &String = text.get_or_insert_with(|| owner_data(n).to_string());
            b.iter_batched(
                Store::new,
                |mut store| {
                    let patch = normalize_query(store.policies(), &doc, &variables, text)
                        .expect("the data matches the query");
                    store.write(patch).expect("a valid patch");
                    store
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
    let mut group = c.benchmark_group("normalize_text_tree");
    group.sample_size(20);
    for n in LIST_LENGTHS {
        let mut text = None;
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            let text: &String = text.get_or_insert_with(|| owner_data(n).to_string());
            b.iter_batched(
                Store::new,
                |mut store| {
                    let data: serde_json::Value =
                        serde_json::from_str(text).expect("the text is JSON");
                    let patch = normalize_query(store.policies(), &doc, &variables, &data)
                        .expect("the data matches the query");
                    store.write(patch).expect("a valid patch");
                    store
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

/// The items of W4's query, for the typed read.
#[derive(serde::Deserialize)]
#[expect(
    dead_code,
    reason = "the fields are read by deserializing them, which is the work measured"
)]
struct Items {
    items: Vec<ItemRow>,
}

/// The items of W4's query, for the kept typed read: each row a [`Shared`] part.
#[derive(serde::Deserialize)]
#[expect(
    dead_code,
    reason = "the fields are read by deserializing them, which is the work measured"
)]
struct SharedItems {
    items: Vec<Shared<ItemRow>>,
}

#[derive(serde::Deserialize)]
#[expect(
    dead_code,
    reason = "the fields are read by deserializing them, which is the work measured"
)]
struct ItemRow {
    id: String,
    title: String,
    count: u64,
    done: bool,
    owner: Option<Owner>,
}

#[derive(serde::Deserialize)]
#[expect(
    dead_code,
    reason = "the fields are read by deserializing them, which is the work measured"
)]
struct Owner {
    id: String,
    name: String,
}

/// How W4 reads.
#[derive(Clone, Copy)]
enum Read {
    /// A shared read through a kept [`Query`] (`Query::read_shared`: a tree that reuses every
    /// unchanged subtree, as Apollo's `readQuery` reuses its result cache's objects); one
    /// random item's `count` changed (untimed) since the last read.
    Cold,
    /// The shared read, nothing changed since the last read.
    Warm,
    /// Through the kept [`Query`] into JSON (`Query::read`), one item changed: JSON shares
    /// nothing, so a change rebuilds the whole result.
    ColdJson,
    /// `Store::read_query`: a full read into JSON every time (our baseline: no cache).
    Uncached,
    /// `Store::read_query_as` into plain structs: a full read, no JSON built.
    Typed,
    /// Through the kept [`Query`] into structs whose rows are [`Shared`] parts
    /// (`Query::read_as`), one item changed: the shared read, then the rows that changed
    /// deserialized and the others given back as they were.
    TypedKept,
}

/// W4: read `ITEMS_WITH_OWNER_QUERY` back from the W3 store. Only the read is timed, not
/// dropping its result.
fn read_query(c: &mut Criterion) {
    let doc = Document::parse(ITEMS_WITH_OWNER_QUERY).expect("a valid query");
    let variables = json!({});
    let mut group = c.benchmark_group("read_query");
    // A read of 10,000 items takes milliseconds.
    group.sample_size(20);
    for n in LIST_LENGTHS {
        let mut state = None;
        let mut t = 0_u64;
        let mut read = |b: &mut Bencher, how: Read| {
            let (store, keys, pick, query) = state.get_or_insert_with(|| {
                let mut store = Store::new();
                let patch = normalize_query(store.policies(), &doc, &variables, &owner_data(n))
                    .expect("the data matches the query");
                store.write(patch).expect("a valid patch");
                let query = Query::new(doc.clone(), variables.clone());
                (store, item_keys(n), fresh_pick(), query)
            });
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                // The result the caller shows until the next one arrives, as a UI holds it: the
                // tree a re-read replaces is freed by the caller, outside the read.
                let mut shown = Some(query.read_shared(store).expect("a complete read"));
                let mut shown_json = None;
                let mut shown_typed = None;
                for _ in 0..iters {
                    if let Read::Cold | Read::ColdJson | Read::TypedKept = how {
                        let k = pick.pick(n);
                        store
                            .write(Patch::new().set(&keys[k], "count", 1_000_000 + t))
                            .expect("a valid patch");
                        t += 1;
                    }
                    match how {
                        Read::Cold | Read::Warm => {
                            let start = Instant::now();
                            let result = query.read_shared(store);
                            total += start.elapsed();
                            // Freed after the timed read: the caller still held it.
                            drop(shown.replace(black_box(result.expect("a complete read"))));
                        }
                        Read::ColdJson => {
                            let start = Instant::now();
                            let result = query.read(store);
                            total += start.elapsed();
                            drop(shown_json.replace(black_box(result.expect("a complete read"))));
                        }
                        Read::Uncached => {
                            let start = Instant::now();
                            let result = store.read_query(&doc, &variables);
                            total += start.elapsed();
                            black_box(result.expect("a complete read"));
                        }
                        Read::Typed => {
                            let start = Instant::now();
                            let result = store.read_query_as::<Items>(&doc, &variables);
                            total += start.elapsed();
                            black_box(result.expect("a complete read"));
                        }
                        Read::TypedKept => {
                            let start = Instant::now();
                            let result = query.read_as::<SharedItems>(store);
                            total += start.elapsed();
                            drop(shown_typed.replace(black_box(result.expect("a complete read"))));
                        }
                    }
                }
                total
            });
        };
        group.bench_function(BenchmarkId::new("cold", n), |b| read(b, Read::Cold));
        group.bench_function(BenchmarkId::new("warm", n), |b| read(b, Read::Warm));
        group.bench_function(BenchmarkId::new("cold_json", n), |b| {
            read(b, Read::ColdJson)
        });
        group.bench_function(BenchmarkId::new("uncached", n), |b| read(b, Read::Uncached));
        group.bench_function(BenchmarkId::new("typed", n), |b| read(b, Read::Typed));
        group.bench_function(BenchmarkId::new("typed_kept", n), |b| {
            read(b, Read::TypedKept)
        });
    }
    group.finish();
}

/// Layers above W9's create that target its temporary key.
const W9_LAYERS: usize = 100;
/// Refs in W9's list.
const W9_LIST: usize = 10_000;

/// W9: a temporary key listed in `ROOT_QUERY.items` (10,000 refs) by its create, and targeted
/// by 100 layers above it; one op = the create's answer: `remap` to the server's key and
/// `confirm_keeping_relative` with the server's item (its list insert kept). The store with
/// its layers is made untimed before each op.
fn remap(c: &mut Criterion) {
    let names = Names::new();
    let root = Key::root_query();
    let base = list_store(&names, W9_LIST);
    let mut group = c.benchmark_group("remap");
    let mut s = 0;
    group.bench_function(BenchmarkId::from_parameter(W9_LIST), |b| {
        b.iter_batched(
            || {
                let mut store = base.clone();
                let tmp = store.temporary_key("Item").expect("a valid typename");
                let (_, entity) = new_item(&names, s);
                let create = Patch::new().write(&tmp, entity).insert_unique(
                    &root,
                    &names.items,
                    Value::from(&tmp),
                    ListPosition::End,
                );
                let (id, _) = store.push("create", create).expect("a valid layer");
                for i in 0..W9_LAYERS {
                    let edit = Patch::new().set(&tmp, "count", i);
                    store.push("edit", edit).expect("a valid layer");
                }
                let (real, answer) = new_item(&names, W9_LIST + s);
                s += 1;
                (store, tmp, id, real, answer)
            },
            |(mut store, tmp, id, real, answer)| {
                store.remap(&tmp, &real).expect("a temporary key");
                store
                    .confirm_keeping_relative(id, Patch::new().write(&real, answer))
                    .expect("a pending layer");
                store
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

/// W7: `W7_ITEMS` query watchers of one item each and `W7_LIST_WATCHERS` of the list of the
/// first `W7_LIST`. Operation t sets `count` of `Item:k`, k = pick(`W7_LIST`), to 2,000,000 + t
/// in a pushed layer, then fails the layer; the time is the push and the failure, every
/// notification included (watchers are told before each call returns). The watchers told are
/// counted and printed once: 202 per operation if only the affected are told.
fn watch(c: &mut Criterion) {
    let names = Names::new();
    let mut group = c.benchmark_group("watch");
    let told = Arc::new(AtomicUsize::new(0));
    let mut state = None;
    let mut t = 0_usize;
    group.bench_function(BenchmarkId::from_parameter(W7_ITEMS), |b| {
        let (store, keys, pick) = state.get_or_insert_with(|| {
            let mut store = w7_store(&names);
            w7_watch(&mut store, &told);
            told.store(0, Ordering::Relaxed);
            (store, item_keys(W7_LIST), fresh_pick())
        });
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let k = pick.pick(W7_LIST);
                let patch = Patch::new().set(&keys[k], names.count.clone(), 2_000_000 + t as u64);
                let start = Instant::now();
                let (id, pushed) = store.push("w7", patch).expect("a valid patch");
                let failed = store.fail(id).expect("pending");
                total += start.elapsed();
                black_box((pushed, failed));
                t += 1;
            }
            total
        });
    });
    group.finish();
    if t > 0 {
        let told = told.load(Ordering::Relaxed);
        let affected = 2 * (1 + W7_LIST_WATCHERS);
        println!(
            "watch/{W7_ITEMS}: told {:.1} watchers per op ({told} over {t} ops; {affected} affected)",
            told as f64 / t as f64,
        );
        // Every list watcher reads a field of its own: a change to a listed item reaches each.
        assert_eq!(told, t * affected, "exactly the affected watchers are told");
    }
}

/// Entities in W8's store.
const W8_ENTITIES: usize = 100_000;
/// Pending layers in W8's store.
const W8_LAYERS: usize = 100;

/// W8: the data every side saves: `Item:0..W8_ENTITIES` (the house shape, no owners) listed in
/// `ROOT_QUERY.items`, and `W8_LAYERS` pending layers pushed as W1's (`layer_patch`, a fresh
/// pick), as `baseCache` + `pushLayer` in the peers' benches. One op = `save_json` and
/// `load_json` into a fresh store; the saved text and the loaded store are dropped after the
/// clock stops, as the peers leave theirs to V8's collector (run untimed between samples).
/// optimist saves the layers too, which no peer does (Apollo's `extract()` and urql keep base
/// only, Relay the layers folded into its records): the saved bytes are printed and, when
/// measuring, written to `<criterion home>/persist/saved.json` for the report to show next to
/// the peers'.
fn persist(c: &mut Criterion) {
    let names = Names::new();
    let n = if measuring() { W8_ENTITIES } else { 1_000 };
    let keys = item_keys(n);
    let mut store = base_store(&names, n);
    let list: Vec<Value> = keys.iter().cloned().map(Value::Ref).collect();
    store
        .write(Patch::new().set(Key::root_query(), names.items.clone(), list))
        .expect("a valid list");
    let mut pick = fresh_pick();
    for serial in 0..W8_LAYERS {
        let patch = layer_patch(&names, &keys, &mut pick, serial);
        store
            .push(&format!("layer-{serial}"), patch)
            .expect("a valid patch");
    }
    let saved = store.save_json().expect("a store saves").len();
    let mut check = Store::new();
    check
        .load_json(&store.save_json().expect("a store saves"))
        .expect("a saved store");
    assert_eq!(check, store, "the loaded store equals the saved one");
    drop(check);
    println!("persist/{n}: {saved} bytes of JSON");
    if measuring() {
        let dir = criterion_home().join("persist");
        std::fs::create_dir_all(&dir).expect("the criterion directory");
        let row = json!([{ "workload": "W8 persist", "optimist_bytes": saved }]);
        std::fs::write(dir.join("saved.json"), row.to_string() + "\n").expect("written");
    }
    let mut group = c.benchmark_group("persist");
    group.sample_size(10);
    group.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let text = store.save_json().expect("a store saves");
                let mut loaded = Store::new();
                loaded.load_json(&text).expect("a saved store");
                total += start.elapsed();
                black_box(loaded.len());
                drop((text, loaded));
            }
            total
        });
    });
    group.finish();
}

/// W10's listed items (`ROOT_QUERY.items`), retained items, and the pending layers it is
/// measured at.
const W10_LISTED: usize = 10_000;
const W10_RETAINED: usize = 1_000;
const W10_LAYERS: [usize; 3] = [0, 1, 100];

/// W10: `Item:0..N` in base, the first `W10_LISTED` listed in `ROOT_QUERY.items`, the next
/// `W10_RETAINED` retained, and L in [`W10_LAYERS`] pending layers as W1's (`layer_patch`, a
/// fresh pick); one op = `gc()` of a clone of that store (the clone, O(layers), is setup; the
/// removed entities are dropped after the timing, as Apollo's are left to V8's collector).
/// Apollo's side is `cache.gc()` on the same data, Relay's its store's collection.
fn gc(c: &mut Criterion) {
    let names = Names::new();
    let n = n_items();
    let (listed, retained) = if measuring() {
        (W10_LISTED, W10_RETAINED)
    } else {
        (n / 10, n / 100)
    };
    let keys = item_keys(n);
    let mut base = base_store(&names, n);
    let list: Vec<Value> = keys[..listed].iter().cloned().map(Value::Ref).collect();
    base.write(Patch::new().set(Key::root_query(), names.items.clone(), list))
        .expect("a valid list");
    for key in &keys[listed..listed + retained] {
        base.retain(key.clone()).expect("a valid key");
    }
    for layers in W10_LAYERS {
        let mut store = base.clone();
        let mut pick = fresh_pick();
        for serial in 0..layers {
            let patch = layer_patch(&names, &keys, &mut pick, serial);
            store.push("w10", patch).expect("a valid patch");
        }
        let removed = store.clone().gc().len();
        let entities = store.iter_confirmed().count();
        println!("W10 gc/{layers}: removes {removed} of {entities} entities");
        // Nothing listed, retained or written by a layer goes; every other item does.
        assert!(removed >= entities - 1 - listed - retained - 4 * layers);
        assert!(removed <= entities - 1 - listed - retained);
        let mut group = c.benchmark_group("gc");
        group.sample_size(10);
        group.bench_function(BenchmarkId::from_parameter(layers), |b| {
            b.iter_batched(
                || store.clone(),
                |mut copy| {
                    let changes = copy.gc();
                    (copy, changes)
                },
                BatchSize::LargeInput,
            );
        });
        group.finish();
    }
}

/// What W11's listeners counted: every call, and the calls that brought an observer data other
/// than what it showed (another `Arc`: what a UI re-renders for).
#[derive(Default)]
struct Told {
    calls: AtomicUsize,
    data: AtomicUsize,
}

impl Told {
    fn take(&self) -> (usize, usize) {
        (
            self.data.swap(0, Ordering::Relaxed),
            self.calls.swap(0, Ordering::Relaxed),
        )
    }
}

/// A W11 observer's listener: a component that keeps the data it shows (`shown`) and counts.
fn w11_listener(
    told: &Arc<Told>,
    shown: Arc<Mutex<Option<Arc<serde_json::Value>>>>,
) -> impl Fn(&QueryState) + Send + Sync + 'static {
    let told = told.clone();
    move |state: &QueryState| {
        told.calls.fetch_add(1, Ordering::Relaxed);
        let mut shown = shown.lock().expect("not poisoned");
        let same = match (&*shown, &state.data) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if !same {
            told.data.fetch_add(1, Ordering::Relaxed);
            shown.clone_from(&state.data);
        }
    }
}

/// W11's state: a [`Client`] over the store, one observer per page query, the mutations in
/// flight (oldest first, as the trace holds them) and the trace.
struct AppTrace {
    names: Names,
    keys: Vec<Key>,
    client: Client,
    pages: Vec<QueryKey>,
    queries: Vec<QueryId>,
    observers: Vec<ObserverId>,
    layers: VecDeque<LayerId>,
    trace: W11Trace,
    told: Arc<Told>,
}

impl AppTrace {
    /// Observes the 200 page queries (cache-first, nothing cached: each fetches) and answers
    /// each first fetch with its page: the store then holds the 10,000 items, every query a
    /// success. Untimed setup.
    fn new() -> AppTrace {
        let names = Names::new();
        let keys = item_keys(W11_ITEMS);
        let mut client = Client::new(Store::new());
        let told = Arc::new(Told::default());
        let now = Instant::now();
        let pages: Vec<QueryKey> = (0..W11_QUERIES)
            .map(|page| {
                QueryKey::graphql(W11_PAGE_QUERY, serde_json::json!({ "page": page }))
                    .expect("a valid query")
            })
            .collect();
        let mut queries = Vec::with_capacity(W11_QUERIES);
        let mut observers = Vec::with_capacity(W11_QUERIES);
        for key in &pages {
            let shown = Arc::new(Mutex::new(None));
            let seen = client.observe(
                key.clone(),
                QueryOptions::new(),
                now,
                w11_listener(&told, shown.clone()),
            );
            *shown.lock().expect("not poisoned") = seen.state.data.clone();
            queries.push(seen.query);
            observers.push(seen.observer);
        }
        let mut trace = W11Trace::new();
        while let Some(fetch) = client.next_fetch(now) {
            let page = queries
                .iter()
                .position(|query| *query == fetch.query)
                .expect("a page's fetch");
            let text = trace.page_text(page);
            client
                .resolve(fetch.id, &*text, now)
                .expect("an awaited fetch");
        }
        let state = AppTrace {
            names,
            keys,
            client,
            pages,
            queries,
            observers,
            layers: VecDeque::new(),
            trace,
            told,
        };
        state.check();
        assert_eq!(
            state.client.store().len(),
            W11_ITEMS + 1,
            "the items and the root"
        );
        state.told.take();
        state
    }

    /// Every observer shows its page, a success.
    fn check(&self) {
        for observer in &self.observers {
            let state = self.client.state(*observer).expect("an observer");
            assert_eq!(state.status, QueryStatus::Success, "{:?}", state.error);
            let items = state
                .data
                .as_ref()
                .and_then(|data| data.get("items"))
                .and_then(|items| items.as_array())
                .map(Vec::len);
            assert_eq!(items, Some(W11_PAGE));
        }
    }

    /// Carries out `op` as an app does: the timed part of a W11 operation.
    fn run(&mut self, op: &W11Op) {
        let now = Instant::now();
        match op {
            W11Op::Refetch { page, text, .. } => {
                let query = self.queries[*page];
                self.client.refetch(query, now).expect("a query");
                let fetch = self.client.next_fetch(now).expect("the refetch is due");
                debug_assert_eq!(fetch.query, query);
                self.client
                    .resolve(fetch.id, &**text, now)
                    .expect("an awaited fetch");
            }
            W11Op::Mutate { item, serial } => {
                let patch = Patch::new().write(
                    &self.keys[*item],
                    optimistic_fields(&self.names, *item, *serial),
                );
                let (id, _) = self
                    .client
                    .store_mut()
                    .push(&format!("m{serial}"), patch)
                    .expect("a valid layer");
                self.layers.push_back(id);
            }
            W11Op::Settle { item, serial, ok } => {
                let id = self.layers.pop_front().expect("a pending mutation");
                if *ok {
                    let answer = Patch::new().write(
                        &self.keys[*item],
                        optimistic_fields(&self.names, *item, *serial),
                    );
                    self.client
                        .store_mut()
                        .confirm(id, answer)
                        .expect("a pending layer");
                } else {
                    self.client.store_mut().fail(id).expect("a pending layer");
                }
            }
            W11Op::Remount { page } => {
                self.client.unobserve(self.observers[*page], now);
                let shown = Arc::new(Mutex::new(None));
                let seen = self.client.observe(
                    self.pages[*page].clone(),
                    QueryOptions::new(),
                    now,
                    w11_listener(&self.told, shown.clone()),
                );
                *shown.lock().expect("not poisoned") = seen.state.data.clone();
                self.observers[*page] = seen.observer;
            }
        }
    }

    /// The next operation of the trace, drawn and prepared untimed, then run: its time and
    /// the watchers it told.
    fn step(&mut self) -> (W11Kind, Duration, usize, usize) {
        let op = self.trace.next_op();
        let start = Instant::now();
        self.run(&op);
        let elapsed = start.elapsed();
        let (data, calls) = self.told.take();
        (op.kind(), elapsed, data, calls)
    }

    /// W11 per kind: the trace sampled as the Node sides sample it; the rows are written to
    /// `<criterion home>/app_trace/trace.json` when measuring, and printed.
    fn sample(&mut self) {
        let plan = w11_plan();
        for _ in 0..plan.warmup {
            self.step();
        }
        let mut sampler = W11Sampler::new(&plan);
        while !sampler.done() {
            let (kind, elapsed, data, calls) = self.step();
            sampler.add(kind, elapsed, data, calls);
        }
        self.check();
        let rows = sampler.rows();
        for row in rows.as_array().into_iter().flatten() {
            println!(
                "{}: {:.1} us per op, told {:.2} per op ({:.2} listener calls), {} ops",
                row["workload"].as_str().unwrap_or_default(),
                row["optimist_ns"].as_f64().unwrap_or(f64::NAN) / 1e3,
                row["told"].as_f64().unwrap_or(f64::NAN),
                row["calls"].as_f64().unwrap_or(f64::NAN),
                row["ops"],
            );
        }
        if measuring() {
            let dir = criterion_home().join("app_trace");
            std::fs::create_dir_all(&dir).expect("the criterion directory");
            let path = dir.join("trace.json");
            let text = serde_json::to_string_pretty(&rows).expect("JSON");
            std::fs::write(&path, text + "\n").expect("written");
            println!("wrote {}", path.display());
        }
    }
}

/// Where criterion writes (as criterion finds it): `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else the target directory this bench was built in.
fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    // target/<profile>/deps/workloads-<hash>
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// W11: the app trace (see `AppTrace`); `app_trace/mix` is per operation of the trace, every
/// kind mixed as drawn. Its first run samples each kind (`AppTrace::sample`). `read`: the
/// baseline, a full read of one page (`Store::read_query`, no cache) from the same store;
/// `normalize`: one page's answer text normalised, nothing written.
fn app_trace(c: &mut Criterion) {
    let mut group = c.benchmark_group("app_trace");
    let mut state: Option<AppTrace> = None;
    group.bench_function("mix", |b| {
        let state = state.get_or_insert_with(|| {
            let mut state = AppTrace::new();
            state.sample();
            state
        });
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += state.step().1;
            }
            total
        });
    });
    let doc = Document::parse(W11_PAGE_QUERY).expect("a valid query");
    let variables: Vec<serde_json::Value> = (0..W11_QUERIES)
        .map(|page| serde_json::json!({ "page": page }))
        .collect();
    let mut page = 0;
    group.bench_function("read", |b| {
        let state = state.get_or_insert_with(AppTrace::new);
        let store = state.client.store();
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                page = (page + 1) % W11_QUERIES;
                let start = Instant::now();
                let result = store.read_query(&doc, &variables[page]);
                total += start.elapsed();
                black_box(result.expect("a complete read"));
            }
            total
        });
    });
    group.bench_function("normalize", |b| {
        let state = state.get_or_insert_with(AppTrace::new);
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                page = (page + 1) % W11_QUERIES;
                let text = state.trace.page_text(page);
                let policies = state.client.store().policies();
                let start = Instant::now();
                let patch = normalize_query(policies, &doc, &variables[page], &*text);
                total += start.elapsed();
                black_box(patch.expect("the answer matches the query"));
            }
            total
        });
    });
    group.finish();
}

/// W12's store: `Project:1`'s connection `tasks` under [`relay_style_pagination`], built to `n`
/// edges by `n / 25` pages, each written after the last cursor; then one watcher of the first
/// page's query (`Store::watch_query`, variables `{}`), handed each new result. Returns the
/// store, the times the watcher was told since it registered, and its last result.
#[expect(
    clippy::type_complexity,
    reason = "a bench helper's tuple, taken apart at once by its two callers"
)]
fn w12_watched(
    doc: &Document,
    n: usize,
) -> (
    Store,
    Arc<AtomicUsize>,
    Arc<Mutex<Option<Arc<serde_json::Value>>>>,
) {
    let policies =
        Policies::new().field_policy("Project", "tasks", relay_style_pagination(KeyArgs::None));
    let mut store = Store::with_policies(policies);
    for start in (0..n).step_by(W12_PAGE) {
        let patch = normalize_query(store.policies(), doc, &after_of(start), &tasks_page(start))
            .expect("the page matches the query");
        store.write(patch).expect("a valid patch");
    }
    let told = Arc::new(AtomicUsize::new(0));
    let shown = Arc::new(Mutex::new(None));
    let (told_in, shown_in) = (told.clone(), shown.clone());
    store.watch_query(doc.clone(), json!({}), move |result| {
        told_in.fetch_add(1, Ordering::Relaxed);
        *shown_in.lock().expect("not poisoned") = Some(result.clone().expect("a complete read"));
    });
    let first = store.read_query(doc, &json!({})).expect("a complete read");
    check_tasks(&first, n);
    (store, told, shown)
}

/// W12 as the Node sides sample it (`timeSingles` in `common.mjs`): one untimed warm-up sample,
/// then `w12_samples()`, each on a connection built afresh to `n` edges with its watcher
/// (untimed); the timed part is the next page's `normalize_query` (the page as a parsed
/// `serde_json::Value`, as the peers get a parsed object) and `Store::write`, which merges it and
/// tells the watcher before returning. The median, in ns.
fn w12_sample(doc: &Document, n: usize) -> f64 {
    let mut times = Vec::new();
    for s in 0..=w12_samples() {
        let (mut store, told, shown) = w12_watched(doc, n);
        let (variables, page) = (after_of(n), tasks_page(n));
        let start = Instant::now();
        let patch = normalize_query(store.policies(), doc, &variables, &page)
            .expect("the page matches the query");
        let changes = store.write(patch).expect("a valid patch");
        let elapsed = start.elapsed();
        drop(changes);
        assert_eq!(
            told.load(Ordering::Relaxed),
            1,
            "W12: the watcher is told once"
        );
        let shown = shown
            .lock()
            .expect("not poisoned")
            .take()
            .expect("a result");
        check_tasks(&shown, n + W12_PAGE);
        drop(store);
        if s > 0 {
            times.push(elapsed.as_nanos() as f64);
        }
    }
    times.sort_by(f64::total_cmp);
    let m = times.len() / 2;
    if times.len() % 2 == 1 {
        times[m]
    } else {
        (times[m - 1] + times[m]) / 2.0
    }
}

/// W12: pages merged onto a connection of n edges with a watcher on the list (see `w12_sample`,
/// whose medians go to `<criterion home>/pagination/w12.json`). Criterion times a steady
/// variant on one store: pages of edges n.. and n+25.. alternately merged after `c<n-1>`, so the
/// list stays n + 25 edges long and every write changes what the watcher shows.
fn pagination(c: &mut Criterion) {
    let doc = Document::parse(W12_TASKS_QUERY).expect("a valid query");
    let mut rows = Vec::new();
    let mut group = c.benchmark_group("pagination");
    for n in w12_sizes() {
        let mut state = None;
        let mut t = 0_usize;
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            let (store, told, _) = state.get_or_insert_with(|| {
                let ns = w12_sample(&doc, n);
                println!(
                    "pagination/{n}: {:.1} us per page (median of {} fresh connections)",
                    ns / 1e3,
                    w12_samples()
                );
                rows.push(json!({
                    "workload": format!("W12 pagination n={n}"),
                    "optimist_ns": ns,
                    "samples": w12_samples(),
                    "told": 1,
                }));
                w12_watched(&doc, n)
            });
            let variables = after_of(n);
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let page = tasks_page(n + (t % 2) * W12_PAGE);
                    let before = told.load(Ordering::Relaxed);
                    let start = Instant::now();
                    let patch = normalize_query(store.policies(), &doc, &variables, &page)
                        .expect("the page matches the query");
                    let changes = store.write(patch).expect("a valid patch");
                    total += start.elapsed();
                    drop(changes);
                    assert_eq!(told.load(Ordering::Relaxed), before + 1, "W12: told once");
                    t += 1;
                }
                total
            });
        });
    }
    group.finish();
    if measuring() && !rows.is_empty() {
        let dir = criterion_home().join("pagination");
        std::fs::create_dir_all(&dir).expect("the criterion directory");
        let path = dir.join("w12.json");
        let text = serde_json::to_string_pretty(&rows).expect("JSON");
        std::fs::write(&path, text + "\n").expect("written");
        println!("wrote {}", path.display());
    }
}

/// W13's store: W8's data (`Item:0..n` listed in `ROOT_QUERY.items`), the 20 pages of
/// `W11_PAGE_QUERY` written as that query's results (`normalize_query` + `Store::write`), and
/// 3 pending layers, layer s writing [`optimistic_fields`] of the items [`w13_layers`] draws.
/// Returns the store and the layers' items.
fn w13_store(names: &Names, doc: &Document, n: usize) -> (Store, Vec<[usize; 4]>) {
    let keys = item_keys(n);
    let mut store = base_store(names, n);
    let list: Vec<Value> = keys.iter().cloned().map(Value::Ref).collect();
    store
        .write(Patch::new().set(Key::root_query(), names.items.clone(), list))
        .expect("a valid list");
    for page in 0..W13_PAGES {
        let items: Vec<serde_json::Value> = w13_page_items(page, n)
            .map(|i| {
                json!({"__typename": "Item", "id": i.to_string(), "title": format!("Item {i}"),
                    "count": i, "done": i.is_multiple_of(2)})
            })
            .collect();
        let patch = normalize_query(
            store.policies(),
            doc,
            &json!({ "page": page }),
            &json!({ "items": items }),
        )
        .expect("the page matches the query");
        store.write(patch).expect("a valid page");
    }
    let layers = w13_layers(n);
    for (s, items) in layers.iter().enumerate() {
        let mut patch = Patch::new();
        for &i in items {
            patch = patch.write(&keys[i], optimistic_fields(names, i, s));
        }
        store
            .push(&format!("layer-{s}"), patch)
            .expect("a valid layer");
    }
    (store, layers)
}

/// What one W13 cold start leaves, dropped after the clock stops: the loaded store, its text,
/// the load's changes and the 20 results (the text and the changes only to be dropped late); and the times at which each phase ended (the file
/// read; the load; the reads).
struct ColdStart {
    store: Store,
    results: Vec<serde_json::Value>,
    _dropped: (String, optimist::Changes),
    laps: [Instant; 4],
}

/// One W13 cold start: the file's bytes (`std::fs::read`, the page cache warm), UTF-8 checked,
/// loaded into a fresh store (`Store::load_json`: base, the layers re-applied), then
/// `Store::read_query` of the 20 pages, until the 20th result is in hand.
fn cold_start_once(
    path: &std::path::Path,
    doc: &Document,
    variables: &[serde_json::Value],
) -> ColdStart {
    let start = Instant::now();
    let bytes = std::fs::read(path).expect("the saved file");
    let read = Instant::now();
    let text = String::from_utf8(bytes).expect("UTF-8");
    let mut store = Store::new();
    let changes = store.load_json(&text).expect("a saved store");
    let loaded = Instant::now();
    let results: Vec<serde_json::Value> = variables
        .iter()
        .map(|v| store.read_query(doc, v).expect("a complete read"))
        .collect();
    let done = Instant::now();
    ColdStart {
        store,
        results,
        _dropped: (text, changes),
        laps: [start, read, loaded, done],
    }
}

/// The median of `xs`.
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    }
}

/// W13: cold start from a file. The store of [`w13_store`] saved untimed with
/// `Store::save_json` (the crate's only text format; `save` hands serde a [`optimist::Saved`]
/// for any other, which the crate does not ship) to a file in the temporary directory; each
/// sample runs [`cold_start_once`] on it and checks, untimed, that the 3 layers came back
/// pending and that every result shows the merged view. Sampled first as the Node sides sample
/// (`timeSingles`: one warm-up, `w13_samples()`), to `<criterion home>/cold_start/w13.json`;
/// then criterion times the same routine.
fn cold_start(c: &mut Criterion) {
    let names = Names::new();
    let n = if measuring() { W8_ENTITIES } else { n_items() };
    let doc = Document::parse(W11_PAGE_QUERY).expect("a valid query");
    let variables: Vec<serde_json::Value> =
        (0..W13_PAGES).map(|page| json!({ "page": page })).collect();
    let mut prepared = None;
    let mut group = c.benchmark_group("cold_start");
    group.sample_size(10);
    group.bench_function(BenchmarkId::from_parameter(n), |b| {
        let path = prepared.get_or_insert_with(|| {
            let (store, layers) = w13_store(&names, &doc, n);
            let path =
                std::env::temp_dir().join(format!("optimist-w13-optimist-{}.json", std::process::id()));
            let text = store.save_json().expect("a store saves");
            std::fs::write(&path, &text).expect("the saved file");
            let bytes = std::fs::read(&path).expect("the saved file").len(); // and it is in the page cache
            drop(text);
            let mut times = Vec::new();
            let mut phases = [Vec::new(), Vec::new(), Vec::new()];
            for s in 0..=w13_samples() {
                let run = cold_start_once(&path, &doc, &variables);
                let [start, read, loaded, done] = run.laps;
                assert_eq!(run.store, store, "W13: the loaded store equals the saved one");
                assert_eq!(run.store.layers().count(), layers.len(), "W13: the layers came back");
                check_w13(&run.results, &layers, n);
                drop(run);
                if s > 0 {
                    times.push((done - start).as_nanos() as f64);
                    for (phase, (from, to)) in phases.iter_mut().zip([(start, read), (read, loaded), (loaded, done)]) {
                        phase.push((to - from).as_secs_f64() * 1e3);
                    }
                }
            }
            let ns = median(times);
            let [read_ms, restore_ms, reads_ms] = phases.map(|p| (median(p) * 10.0).round() / 10.0);
            println!(
                "cold_start/{n}: {:.2} ms from {bytes} bytes to 20 results (read {read_ms} ms, load {restore_ms} ms, reads {reads_ms} ms; median of {})",
                ns / 1e6,
                w13_samples()
            );
            if measuring() {
                let dir = criterion_home().join("cold_start");
                std::fs::create_dir_all(&dir).expect("the criterion directory");
                let row = json!([{
                    "workload": "W13 cold start",
                    "optimist_ns": ns,
                    "samples": w13_samples(),
                    "bytes": bytes,
                    "read_ms": read_ms,
                    "restore_ms": restore_ms,
                    "reads_ms": reads_ms,
                    "layers": "kept: loaded as pending layers",
                }]);
                let text = serde_json::to_string_pretty(&row).expect("JSON");
                std::fs::write(dir.join("w13.json"), text + "\n").expect("written");
            }
            path
        });
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let run = cold_start_once(path, &doc, &variables);
                total += run.laps[3] - run.laps[0];
                black_box(&run.results);
                drop(run);
            }
            total
        });
    });
    group.finish();
    if let Some(path) = prepared {
        std::fs::remove_file(path).expect("the saved file is removed");
    }
}

/// Criterion as the command line sets it, quiet about plots (none are built).
fn config() -> Criterion {
    let criterion = Criterion::default().without_plots();
    if measuring() {
        criterion
    } else {
        criterion.sample_size(10)
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = read_depth, lifecycle, normalize, normalize_text, read_query, list_insert, remap, watch, persist, gc, app_trace, pagination, cold_start
}
criterion_main!(benches);
