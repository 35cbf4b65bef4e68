// Apollo Client side of optimist's side-by-side benchmarks.
//
// What this measures
// ------------------
// The workloads W1-W9 of benches/README.md, run against Apollo Client's
// `new InMemoryCache()` (npm @apollo/client 4.x, pinned in package.json).
// The Rust benchmarks of the `optimist` crate and the Relay and urql benches
// (../relay, ../urql) mirror this file step by step: same entity shape, same
// seeded PRNG (mulberry32, seed 42, fresh for every workload/parameter
// combination), same order of PRNG draws, same batch and sample counts (PLAN
// in ../common.mjs, which holds everything the Node sides share), so every
// side does the same work and the workload names below join the result sets.
//
//   W1 read_depth L=<L>       N=100,000 items in base, L optimistic layers of
//                             4 random items each; one op = read field `count`
//                             of a random item through the merged view with
//                             `cache.optimisticData.get(id, "count")` (Apollo's
//                             own EntityStore read, no query machinery).
//   W1 readFragment L=<L>     same, but one op = an optimistic `readFragment`
//                             of `fragment F on Item { count }`. Random ids in
//                             a fresh cache: nearly every read misses Apollo's
//                             result cache (a hit costs ~20 us at L=1000, a
//                             miss some ms, as the miss registers a dependency
//                             at every layer it walks through).
//   W2 lifecycle W=<W>        N=100,000 base, W pending layers; one op = settle
//                             a random pending layer (80 %: success =
//                             removeOptimistic + the server's answer for one
//                             random item written to base; 20 %: failure =
//                             removeOptimistic only), then push a new layer.
//   W3 normalize n=<n>        one op = `writeQuery` of n items (each with an
//                             owner User, 50 distinct users) into a fresh cache.
//   W3 normalize_text n=<n>   the same from the response's text: `JSON.parse` then
//                             `writeQuery`.
//   W4 read_query cold/warm   after the W3 write: cold = one random item's
//                             `count` changed (untimed) before each timed
//                             `readQuery`; warm = `readQuery` with nothing
//                             changed since the previous read.
//   W5 list_insert n=<n>      W3 data in base; one op = optimistic transaction
//                             appending a new Item ref to ROOT_QUERY.items
//                             (cache.modify) and writing that Item, then
//                             removeOptimistic of that layer (push + fail).
//   W6 memory                 V8 heapUsed growth per entity for N=100,000
//                             items, and per layer for 1000 layers of 4 keys.
//   W7 watch                  10,000 cache.watch item watchers + 100 of the
//                             list; one op = an optimistic transaction setting
//                             `count` of one listed item, then removeOptimistic
//                             (each broadcasts synchronously); `told` = the
//                             callbacks called per op.
//   W8 persist                N items + 100 pending layers; one op =
//                             extract(true) + JSON.stringify + JSON.parse +
//                             restore into a new cache (layers come back
//                             folded into base: Apollo's extract has no layers).
//   W9 remap                  a temporary Item:tmp-s in ROOT_QUERY.items
//                             (10,000 refs), 100 layers above its create; one
//                             op = cache.batch writing the server's Item and
//                             list entry to base and removing the create layer.
//   W10 gc                    N items in base, the first 10,000 listed in
//                             ROOT_QUERY.items, the next 1,000 retained
//                             (cache.retain), 100 pending layers as W1's; one
//                             op = cache.gc() on a cache built afresh for each
//                             sample (untimed). `removed` = the ids it removed.
//   W11 app_trace <kind>      10,000 items, 200 page queries `items(page:)` of
//                             100 items each, one cache.watch per page; the
//                             seeded trace of ../common.mjs (W11Trace): a
//                             refetch is JSON.parse of the answer's text +
//                             writeQuery; a mutation recordOptimisticTransaction;
//                             its answer one cache.batch writing the server's
//                             row and removing the layer (as W9), or
//                             removeOptimistic; a remount the watch's
//                             unsubscribe and a new cache.watch. Per kind and
//                             for the mix; `told` = callbacks per operation
//                             (an arriving watch's first call not counted).
//   W12 pagination n=<n>      InMemoryCache with typePolicies Project.fields.tasks
//                             = relayStylePagination(); the connection built
//                             (untimed, afresh for every sample) to n edges by
//                             writeQuery of n/25 pages, each after the last
//                             cursor, then one cache.watch (immediate) of the
//                             first page's query; one op = writeQuery of the
//                             next page (`after: c<n-1>`), which merges it and
//                             broadcasts to the watch before returning.
//   W13 cold start            N items listed by ROOT_QUERY.items (W8's data), 20
//                             pages written as results of the page query, 3
//                             pending layers (recordOptimisticTransaction);
//                             saved untimed as JSON.stringify(extract(true)) to
//                             a file (the layers folded into the saved data:
//                             extract has no place for a layer); one op =
//                             readFileSync of the file + JSON.parse + restore
//                             into a new InMemoryCache + readQuery of the 20
//                             pages (optimistic), until the 20th result.
//
// Timing (../common.mjs): each sample is a batch of ops timed with
// process.hrtime.bigint(); the reported figure is the median over samples of
// (sample time / ops in the batch), in ns. One extra warm-up batch (untimed,
// but drawing from the PRNG like a timed one) runs before the samples. Setup
// (base data, layer pushes, fresh caches, per-op untimed preparation) is never
// timed.
//
// Usage (from this directory):
//   npm ci
//   NODE_ENV=production node --expose-gc bench.mjs [out.json]
//
// Writes a JSON array to out.json (or stdout) of
//   { "workload": string, "apollo_ns": number, "samples": number }
// and, for W6, { "workload": string, "apollo_bytes": number } (W7 adds
// `told` and `affected`);
// a readable summary goes to stderr. BENCH_ONLY=W1,W4 (say) runs only those
// workloads, for quick checks; a full run leaves it unset.
//
// Apollo 4 picks its development checks through the `__DEV__` flag (export
// conditions / globalThis.__DEV__, off by default) and graphql-js skips its
// development checks under NODE_ENV=production; both are reported below.

import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InMemoryCache, gql } from "@apollo/client";
import { cacheSizes, relayStylePagination } from "@apollo/client/utilities";
import { __DEV__ } from "@apollo/client/utilities/environment";
import {
  N, PLAN, W7, W7_AFFECTED, W8_LAYERS, W9, W10, W11, KEYS, freshPick, item, optimisticItem, serverItem,
  ownerData, tempItem, createdItem, sink, gc, timeBatches, timeSingles, heapAfterGc, makeResults,
  runAll, W11Trace, timeTrace, isReserved, W12, TASKS_QUERY_TEXT, tasksPage, afterOf, checkTasks,
  W13, w13PageItems, w13Layers, checkW13, w13Phases,
} from "../common.mjs";

// ---------------------------------------------------------------------------
// Data shapes.

const ITEMS_QUERY = gql`
  query Items {
    items {
      id
      title
      count
      done
    }
  }
`;

const ITEMS_WITH_OWNER_QUERY = gql`
  query ItemsWithOwner {
    items {
      id
      title
      count
      done
      owner {
        id
        name
      }
    }
  }
`;

const ITEM_FIELDS = gql`
  fragment ItemFields on Item {
    id
    title
    count
    done
  }
`;

const COUNT_FRAGMENT = gql`
  fragment F on Item {
    count
  }
`;

/** A fresh cache holding Item:0..N-1 (and ROOT_QUERY.items) in base. */
function baseCache() {
  const cache = new InMemoryCache();
  cache.writeQuery({ query: ITEMS_QUERY, data: { items: Array.from({ length: N }, (_, i) => item(i)) } });
  return cache;
}

/**
 * Push one optimistic layer `id` setting all fields of 4 items drawn with pick(N). The items are
 * drawn before the transaction: Apollo re-runs a layer's transaction whenever a layer below it
 * is removed (W2), and a re-run must write the same items, not draw new ones.
 */
function pushLayer(cache, pick, id, serial) {
  const picks = [pick(N), pick(N), pick(N), pick(N)];
  cache.recordOptimisticTransaction((c) => {
    for (const i of picks) {
      c.writeFragment({ id: KEYS[i], fragment: ITEM_FIELDS, data: optimisticItem(i, serial) });
    }
  }, id);
}

const { report, reportBytes, notDriven, ...results } = makeResults("apollo");

// ---------------------------------------------------------------------------
// W1: read through L optimistic layers.

function w1() {
  // Each L starts from a fresh base cache, so Apollo's result caches (which
  // readFragment fills, and which all optimistic layers share) hold nothing
  // from an earlier combination. With a fresh pick, push L layers
  // "layer-0".."layer-(L-1)", then time `read` with the same pick (the reads
  // continue its sequence).
  const run = (L, plan, read) => {
    const cache = baseCache();
    const pick = freshPick();
    for (let j = 0; j < L; j++) pushLayer(cache, pick, "layer-" + j, j);
    gc();
    return timeBatches(plan.samples, plan.batch[L], () => read(cache, pick));
  };

  for (const L of [0, 1, 10, 100, 1000]) {
    const ns = run(L, PLAN.w1Get, (cache, pick) => {
      sink.value += cache.optimisticData.get(KEYS[pick(N)], "count");
    });
    report(`W1 read_depth L=${L}`, ns, PLAN.w1Get.samples);
  }

  for (const L of [0, 1000]) {
    const ns = run(L, PLAN.w1ReadFragment, (cache, pick) => {
      sink.value += cache.readFragment({ id: KEYS[pick(N)], fragment: COUNT_FRAGMENT }, true).count;
    });
    report(`W1 readFragment L=${L}`, ns, PLAN.w1ReadFragment.samples);
  }
}

// ---------------------------------------------------------------------------
// W2: optimistic mutation lifecycle with W pending layers.
//
// PRNG draws per lifecycle, in order: p = pick(pending.length); r = pick(100);
// if r < 80, k = pick(N); then 4 x pick(N) for the new layer. The settled id is
// removed with pending.splice(p, 1) (order kept) and the new id is appended.

function w2() {
  for (const W of [1, 10, 100]) {
    const cache = baseCache(); // fresh base for each W
    const pick = freshPick();
    const pending = []; // { id, reserved }
    let serial = 0; // layer number: ids are "m" + serial
    // Every fourth new request is a query whose answer comes later (a reservation on optimist):
    // Apollo has no slot for it; its answer is written to the cache when it arrives.
    const push = () => {
      const id = "m" + serial;
      const reserved = isReserved(serial);
      if (!reserved) pushLayer(cache, pick, id, serial);
      pending.push({ id, reserved });
      serial++;
    };
    for (let j = 0; j < W; j++) push();
    gc(); // collect the previous W's cache before timing
    let t = 0; // lifecycle number
    const { samples, batch } = PLAN.w2;
    const ns = timeBatches(samples, batch[W], () => {
      const p = pick(pending.length);
      const { id, reserved } = pending[p];
      pending.splice(p, 1);
      if (pick(100) < 80) {
        if (!reserved) cache.removeOptimistic(id);
        const k = pick(N);
        cache.writeFragment({ id: KEYS[k], fragment: ITEM_FIELDS, data: serverItem(k, t) });
      } else if (!reserved) {
        cache.removeOptimistic(id);
      }
      push();
      t++;
    });
    report(`W2 lifecycle W=${W}`, ns, samples);
  }
}

// ---------------------------------------------------------------------------
// W3: normalize a list of n items with owners into a fresh cache.

function w3() {
  for (const n of [1000, 10000]) {
    const data = ownerData(n);
    const samples = PLAN.w3.samples[n];
    // No gc() between samples: a full collection right before a write was seen
    // to make that write slower (V8 shrinks the young generation), not faster.
    const ns = timeSingles(
      samples,
      () => new InMemoryCache(),
      (cache) => cache.writeQuery({ query: ITEMS_WITH_OWNER_QUERY, data }),
    );
    report(`W3 normalize n=${n}`, ns, samples);
  }
  // From the wire: the same response as text, parsed and written.
  for (const n of [1000, 10000]) {
    const text = JSON.stringify(ownerData(n));
    const samples = PLAN.w3.samples[n];
    const ns = timeSingles(
      samples,
      () => new InMemoryCache(),
      (cache) => cache.writeQuery({ query: ITEMS_WITH_OWNER_QUERY, data: JSON.parse(text) }),
    );
    report(`W3 normalize_text n=${n}`, ns, samples);
  }
}

// ---------------------------------------------------------------------------
// W4: readQuery of the W3 list, cold (one item changed) and warm.

function w4() {
  for (const n of [1000, 10000]) {
    const cache = new InMemoryCache();
    cache.writeQuery({ query: ITEMS_WITH_OWNER_QUERY, data: ownerData(n) });
    const read = () => {
      sink.value += cache.readQuery({ query: ITEMS_WITH_OWNER_QUERY }).items.length;
    };
    read(); // first read fills Apollo's result caches
    gc();

    const pick = freshPick();
    let t = 0;
    const cold = timeSingles(
      PLAN.w4Cold.samples,
      () => {
        const k = pick(n);
        cache.writeFragment({
          id: KEYS[k],
          fragment: COUNT_FRAGMENT,
          data: { __typename: "Item", id: String(k), count: 1_000_000 + t++ },
        });
      },
      read,
    );
    report(`W4 read_query cold n=${n}`, cold, PLAN.w4Cold.samples);

    read(); // the last cold write has not been read yet
    const warm = timeBatches(PLAN.w4Warm.samples, PLAN.w4Warm.batch, read);
    report(`W4 read_query warm n=${n}`, warm, PLAN.w4Warm.samples);
  }
}

// ---------------------------------------------------------------------------
// W5: optimistic list insert, then failure (layer removed). No PRNG: op
// number k (0-based, warm-up included) inserts Item:new-k in layer "ins-k".

function w5() {
  for (const n of [1000, 10000]) {
    const cache = new InMemoryCache();
    cache.writeQuery({ query: ITEMS_WITH_OWNER_QUERY, data: ownerData(n) });
    gc();
    let k = 0;
    const { samples, batch } = PLAN.w5;
    const ns = timeBatches(samples, batch[n], () => {
      const layerId = "ins-" + k;
      const key = "Item:new-" + k;
      const data = { __typename: "Item", id: "new-" + k, title: "New " + k, count: k, done: false };
      cache.recordOptimisticTransaction((c) => {
        c.modify({
          id: "ROOT_QUERY",
          fields: {
            items(existing) {
              return [...existing, { __ref: key }];
            },
          },
        });
        c.writeFragment({ id: key, fragment: ITEM_FIELDS, data });
      }, layerId);
      cache.removeOptimistic(layerId);
      k++;
    });
    report(`W5 list_insert n=${n}`, ns, samples);
  }
}

// ---------------------------------------------------------------------------
// W6: memory. V8 heapUsed growth after full collections.

function w6() {
  if (!globalThis.gc) {
    console.error("W6 skipped: run node with --expose-gc");
    return;
  }
  // Entities: Item:0..N-1 written one by one (writeFragment), so only the
  // entities themselves are held, no list of references on ROOT_QUERY. No id is
  // passed: Apollo builds each key from the data (cache.identify), so its key
  // strings are inside the measured region, as they are on every side.
  const cache = new InMemoryCache();
  const before = heapAfterGc();
  for (let i = 0; i < N; i++) {
    cache.writeFragment({ fragment: ITEM_FIELDS, data: item(i) });
  }
  if (cache.optimisticData.get(KEYS[N - 1], "count") !== N - 1) throw new Error("W6: the entities are not in the cache");
  const after = heapAfterGc();
  reportBytes("W6 bytes/entity", (after - before) / N);

  // Layers: 1000 layers of 4 random items, as in W1.
  const layers = 1000;
  const pick = freshPick();
  const beforeLayers = heapAfterGc();
  for (let j = 0; j < layers; j++) pushLayer(cache, pick, "layer-" + j, j);
  const afterLayers = heapAfterGc();
  reportBytes("W6 bytes/layer(4 keys)", (afterLayers - beforeLayers) / layers);

  // Keep the cache alive until both measurements are taken.
  sink.value += cache.optimisticData.get(KEYS[0], "count");
}

// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// W7: 10,000 item watchers and 100 list watchers; one field of one listed item changes in an
// optimistic layer, which then fails. Apollo broadcasts synchronously at the end of each
// transaction and of removeOptimistic: every watcher whose read depends on the change gets its
// new diff before the call returns, so the op's time is the time until all were told.

const ALL_ITEMS_QUERY = gql`
  query AllItems {
    allItems {
      id
      title
      count
      done
    }
  }
`;

// Read from the entity at `id` (cache.watch's rootId), as readFragment does.
const WATCH_ITEM_QUERY = gql`
  query WatchItem {
    id
    title
    count
    done
  }
`;

// Each list watcher w reads its own field `items(w: $w)`, so no two share a query and variables.
const ITEMS_W_QUERY = gql`
  query Items($w: Int!) {
    items(w: $w) {
      id
      title
      count
      done
    }
  }
`;

function w7() {
  // Apollo memoises each watch's broadcast in an LRU of cacheSizes["inMemoryCache.maybeBroadcastWatch"]
  // entries (default 5000), keyed by query, callback, id and variables. With 10,100 watchers
  // the default thrashes: every broadcast recomputes every watcher's diff (about 1 s per op
  // here). Its documented knob is raised to hold every watcher, for this cache only.
  const defaultSize = cacheSizes["inMemoryCache.maybeBroadcastWatch"];
  cacheSizes["inMemoryCache.maybeBroadcastWatch"] = 2 * (W7.items + W7.listWatchers);
  const cache = new InMemoryCache();
  cacheSizes["inMemoryCache.maybeBroadcastWatch"] = defaultSize;
  cache.writeQuery({ query: ALL_ITEMS_QUERY, data: { allItems: Array.from({ length: W7.items }, (_, i) => item(i)) } });
  for (let w = 0; w < W7.listWatchers; w++) {
    cache.writeQuery({ query: ITEMS_W_QUERY, variables: { w }, data: { items: Array.from({ length: W7.list }, (_, i) => item(i)) } });
  }
  let told = 0;
  // One callback per watcher, as every component has its own (Apollo keys its memo by it).
  const callback = () => () => told++;
  // immediate: each watch computes its first diff now, so later broadcasts tell only changes.
  for (let i = 0; i < W7.items; i++) {
    cache.watch({ query: WATCH_ITEM_QUERY, id: KEYS[i], optimistic: true, immediate: true, callback: callback() });
  }
  for (let w = 0; w < W7.listWatchers; w++) {
    cache.watch({ query: ITEMS_W_QUERY, variables: { w }, optimistic: true, immediate: true, callback: callback() });
  }
  told = 0;
  gc();
  const pick = freshPick();
  let t = 0;
  // With 100 distinct list queries every broadcast re-reads each list through the new layer
  // (Apollo's result caches are per layer): seconds per operation, so the slow plan.
  const { samples, batch } = PLAN.w7Slow;
  const ns = timeBatches(samples, batch, () => {
    const k = pick(W7.list);
    const id = "w7-" + t;
    const data = { __typename: "Item", id: String(k), count: 2_000_000 + t };
    cache.recordOptimisticTransaction((c) => c.writeFragment({ id: KEYS[k], fragment: COUNT_FRAGMENT, data }), id);
    cache.removeOptimistic(id);
    t++;
  });
  report("W7 watch", ns, samples, { told: told / t, affected: W7_AFFECTED });
}

// ---------------------------------------------------------------------------
// W8: N items and 100 pending layers, serialised and loaded back. Apollo's extract has no place
// for a layer. `W8 persist` = extract() (base only, what cache persistence libraries such as
// apollo3-cache-persist save) + JSON.stringify + JSON.parse + restore into a new cache: the
// layers' writes are not saved. `W8 persist extract(true)` saves the merged view instead (the
// layers' writes folded into plain entities, restored as base data, so no layer can be removed
// afterwards); each Layer's toObject() spreads its parent's whole map, so this costs O(layers x
// N): one sample, no warm-up.

function w8() {
  const cache = baseCache();
  const pick = freshPick();
  for (let j = 0; j < W8_LAYERS; j++) pushLayer(cache, pick, "layer-" + j, j);
  gc();
  let restored = null;
  let bytes = 0;
  const roundTrip = (optimistic) => () => {
    const json = JSON.stringify(cache.extract(optimistic));
    bytes = json.length;
    restored = new InMemoryCache();
    restored.restore(JSON.parse(json));
  };
  const prepare = () => {
    restored = null;
    gc();
  };
  const ns = timeSingles(PLAN.w8.samples, prepare, roundTrip(false));
  sink.value += restored.readFragment({ id: KEYS[0], fragment: COUNT_FRAGMENT }).count;
  report("W8 persist", ns, PLAN.w8.samples, { bytes });
  const merged = timeSingles(1, prepare, roundTrip(true), 0);
  sink.value += restored.readFragment({ id: KEYS[0], fragment: COUNT_FRAGMENT }).count;
  report("W8 persist extract(true)", merged, 1, { bytes });
}

// ---------------------------------------------------------------------------
// W9: confirm an optimistic create under the server's key, with 100 layers above the create
// still targeting the temporary key. Apollo has no remap: confirming is what its mutation path
// does with a result, one cache.batch that writes the server's entity and list entry to base
// and removes the create's layer, which replays the 100 layers above it (they keep writing
// Item:tmp-s, which nothing lists any more).

function w9() {
  const cache = new InMemoryCache();
  cache.writeQuery({ query: ITEMS_QUERY, data: { items: Array.from({ length: W9.list }, (_, i) => item(i)) } });
  gc();
  const appendRef = (ref) => ({ fields: { items: (existing) => [...existing, ref] }, id: "ROOT_QUERY" });
  const ns = timeSingles(
    PLAN.w9.samples,
    (s) => {
      const tmp = tempItem(s);
      const tmpKey = "Item:" + tmp.id;
      cache.recordOptimisticTransaction((c) => {
        const ref = c.writeFragment({ id: tmpKey, fragment: ITEM_FIELDS, data: tmp });
        c.modify(appendRef(ref));
      }, "create-" + s);
      const above = [];
      for (let j = 0; j < W9.above; j++) {
        const data = { __typename: "Item", id: tmp.id, count: s * 1000 + j };
        cache.recordOptimisticTransaction((c) => c.writeFragment({ id: tmpKey, fragment: COUNT_FRAGMENT, data }), "above-" + s + "-" + j);
        above.push("above-" + s + "-" + j);
      }
      return { s, above };
    },
    ({ s }) => {
      const created = createdItem(s);
      cache.batch({
        optimistic: false,
        removeOptimistic: "create-" + s,
        update(c) {
          const ref = c.writeFragment({ id: "Item:" + created.id, fragment: ITEM_FIELDS, data: created });
          c.modify(appendRef(ref));
        },
      });
    },
    1,
    ({ above }) => {
      // Top first, so no removal replays a layer.
      for (let j = above.length - 1; j >= 0; j--) cache.removeOptimistic(above[j]);
    },
  );
  const items = cache.readQuery({ query: ITEMS_QUERY }).items;
  if (items.length !== W9.list + PLAN.w9.samples + 1 || items.at(-1).id !== String(W9.list + PLAN.w9.samples)) {
    throw new Error("W9: the confirmed creates are not at the end of the list");
  }
  report("W9 remap", ns, PLAN.w9.samples);
}

// ---------------------------------------------------------------------------
// W10: gc over N entities, with a listed part, retained ids and pending layers. Apollo judges
// reachability from its top optimistic layer and removes from the root layer; it removes the
// unreachable items written by no layer, as optimist does (optimist also keeps the items the
// layers write, which Apollo may remove from base while a layer still shows them).

function w10() {
  const snapshot = { ROOT_QUERY: { __typename: "Query", items: [] } };
  for (let i = 0; i < N; i++) {
    snapshot[KEYS[i]] = item(i);
    if (i < W10.listed) snapshot.ROOT_QUERY.items.push({ __ref: KEYS[i] });
  }
  for (const layers of W10.layers) {
    let removed = 0;
    const ns = timeSingles(
      PLAN.w10.samples,
      () => {
        const cache = new InMemoryCache();
        cache.restore(snapshot);
        for (let i = W10.listed; i < W10.listed + W10.retained; i++) cache.retain(KEYS[i]);
        const pick = freshPick();
        for (let j = 0; j < layers; j++) pushLayer(cache, pick, "layer-" + j, j);
        gc();
        return cache;
      },
      (cache) => {
        removed = cache.gc().length;
      },
    );
    report(`W10 gc L=${layers}`, ns, PLAN.w10.samples, { removed });
  }
}

// ---------------------------------------------------------------------------
// W11: the app trace (benches/README.md). Every watch is a component showing one page: its
// callback is Apollo's broadcast of a new diff (data changed), so `told` counts those; the
// first call an arriving watch gets (immediate: true hands it its data) is not counted, as no
// other side tells an arriving observer anything. Apollo's ObservableQuery / QueryManager
// layer (what watchQuery adds over cache.watch) is not run: its cost is not in the figures.

const PAGE_QUERY = gql`
  query Page($page: Int!) {
    items(page: $page) {
      id
      title
      count
      done
    }
  }
`;

function w11() {
  const cache = new InMemoryCache();
  const trace = new W11Trace();
  let told = 0;
  let arriving = false;
  const callback = () => () => {
    if (!arriving) told++;
  };
  const watch = (page) => {
    arriving = true;
    const unwatch = cache.watch({ query: PAGE_QUERY, variables: { page }, optimistic: true, immediate: true, callback: callback() });
    arriving = false;
    return unwatch;
  };
  // Each page's first answer, then its watcher.
  for (let page = 0; page < W11.queries; page++) {
    cache.writeQuery({ query: PAGE_QUERY, variables: { page }, data: JSON.parse(trace.pageText(page)) });
  }
  const unwatch = Array.from({ length: W11.queries }, (_, page) => watch(page));
  gc();
  const writeRow = (c, i, serial) => c.writeFragment({ id: KEYS[i], fragment: ITEM_FIELDS, data: optimisticItem(i, serial) });
  const run = (op) => {
    switch (op.kind) {
      case "refetch_same":
      case "refetch_changed":
        cache.writeQuery({ query: PAGE_QUERY, variables: { page: op.page }, data: JSON.parse(op.text) });
        break;
      case "mutate":
        cache.recordOptimisticTransaction((c) => writeRow(c, op.item, op.serial), "m" + op.serial);
        break;
      case "confirm":
        cache.batch({ optimistic: false, removeOptimistic: "m" + op.serial, update: (c) => writeRow(c, op.item, op.serial) });
        break;
      case "fail":
        cache.removeOptimistic("m" + op.serial);
        break;
      case "remount":
        unwatch[op.page]();
        unwatch[op.page] = watch(op.page);
        break;
    }
  };
  return timeTrace(PLAN.w11, () => {
    const op = trace.next();
    const before = told;
    const t0 = process.hrtime.bigint();
    run(op);
    const ns = Number(process.hrtime.bigint() - t0);
    return { kind: op.kind, ns, told: told - before };
  }).then((rows) => {
    const data = cache.readQuery({ query: PAGE_QUERY, variables: { page: 0 } });
    if (data.items.length !== W11.page) throw new Error("W11: page 0 does not list its items");
    for (const row of rows) report(row.workload, row.ns, row.samples, { told: row.told, ops: row.ops });
  });
}

// ---------------------------------------------------------------------------
// W12: a page of 25 edges merged by relayStylePagination onto a connection of n edges, one
// watcher on the list. writeQuery runs the field's merge function and broadcasts synchronously:
// the watch's callback has its new diff (the whole list re-read through the policy's read
// function) before writeQuery returns.

const TASKS_QUERY = gql(TASKS_QUERY_TEXT);

function w12() {
  for (const n of W12.sizes) {
    let told = 0;
    let shown = null;
    const ns = timeSingles(
      PLAN.w12.samples,
      () => {
        const cache = new InMemoryCache({ typePolicies: { Project: { fields: { tasks: relayStylePagination() } } } });
        for (let start = 0; start < n; start += W12.page) {
          cache.writeQuery({ query: TASKS_QUERY, variables: afterOf(start), data: tasksPage(start) });
        }
        const unwatch = cache.watch({
          query: TASKS_QUERY, variables: {}, optimistic: true, immediate: true,
          callback: (diff) => {
            told++;
            shown = diff.result;
          },
        });
        checkTasks(shown.project.tasks, n, "Apollo");
        told = 0;
        gc();
        return { cache, unwatch, variables: afterOf(n), data: tasksPage(n) };
      },
      ({ cache, variables, data }) => cache.writeQuery({ query: TASKS_QUERY, variables, data }),
      1,
      ({ unwatch }) => {
        if (told !== 1) throw new Error(`W12 (Apollo): the watcher was told ${told} times`);
        checkTasks(shown.project.tasks, n + W12.page, "Apollo");
        unwatch();
      },
    );
    report(`W12 pagination n=${n}`, ns, PLAN.w12.samples, { told: 1 });
  }
}

// ---------------------------------------------------------------------------
// W13: cold start from a file. Apollo's persistence is extract() of the cache (what
// apollo3-cache-persist saves) and restore() of it; extract(true) takes the optimistic view,
// so the 3 pending layers' writes are saved folded into the entities: after the restart they are
// data, no longer layers that a failure could roll back (Apollo keeps no pending layer across a
// restart). The file holds what the first reads need to show what optimist's shows.

function w13() {
  const cache = baseCache();
  for (let page = 0; page < W13.pages; page++) {
    cache.writeQuery({ query: PAGE_QUERY, variables: { page }, data: { items: w13PageItems(page).map(item) } });
  }
  const layers = w13Layers();
  layers.forEach((items, s) => {
    cache.recordOptimisticTransaction((c) => {
      for (const i of items) c.writeFragment({ id: KEYS[i], fragment: ITEM_FIELDS, data: optimisticItem(i, s) });
    }, "w13-layer-" + s);
  });
  const path = join(tmpdir(), `optimist-w13-apollo-${process.pid}.json`);
  writeFileSync(path, JSON.stringify(cache.extract(true)));
  const bytes = readFileSync(path).length; // and the file is in the page cache
  const variables = Array.from({ length: W13.pages }, (_, page) => ({ page }));
  const now = () => process.hrtime.bigint();
  const laps = [];
  let results = null;
  const ns = timeSingles(
    PLAN.w13.samples,
    () => {
      results = null;
      gc();
    },
    () => {
      const t0 = now();
      const text = readFileSync(path, "utf8");
      const t1 = now();
      const restored = new InMemoryCache();
      restored.restore(JSON.parse(text));
      const t2 = now();
      results = variables.map((v) => restored.readQuery({ query: PAGE_QUERY, variables: v, optimistic: true }).items);
      laps.push([t0, t1, t2, now()]);
    },
    1,
    () => checkW13(results, layers, "Apollo"),
  );
  unlinkSync(path);
  report("W13 cold start", ns, PLAN.w13.samples, {
    bytes, ...w13Phases(laps), layers: "folded into the saved data (extract(true)): no longer pending",
  });
}

// ---------------------------------------------------------------------------

runAll(
  `Apollo InMemoryCache bench (Apollo __DEV__=${__DEV__})`,
  { W1: w1, W2: w2, W3: w3, W4: w4, W5: w5, W6: w6, W7: w7, W8: w8, W9: w9, W10: w10, W11: w11, W12: w12, W13: w13 },
  results,
);
