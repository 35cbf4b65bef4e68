// Apollo Client side of optimist's side-by-side benchmarks.
//
// What this measures
// ------------------
// The workloads W1-W6 of shared/BENCHMARKS.md, run against Apollo Client's
// `new InMemoryCache()` (npm @apollo/client 4.x, pinned in package.json).
// The Rust benchmarks of the `optimist` crate mirror this file step by step:
// same entity shape, same seeded PRNG (mulberry32, seed 42, fresh for every
// workload/parameter combination), same order of PRNG draws, same batch and
// sample counts (see PLAN below), so both sides do the same work and the
// workload names below join the two result sets.
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
//
// Timing: each sample is a batch of ops timed with process.hrtime.bigint();
// the reported figure is the median over samples of (sample time / ops in the
// batch), in ns. One extra warm-up batch (untimed, but drawing from the PRNG
// like a timed one) runs before the samples. Setup (base data, layer pushes,
// fresh caches, per-op untimed preparation) is never timed.
//
// Usage (from this directory):
//   npm ci
//   NODE_ENV=production node --expose-gc bench.mjs [out.json]
//
// Writes a JSON array to out.json (or stdout) of
//   { "workload": string, "apollo_ns": number, "samples": number }
// and, for W6, { "workload": string, "apollo_bytes": number };
// a readable summary goes to stderr. BENCH_ONLY=W1,W4 (say) runs only those
// workloads, for quick checks; a full run leaves it unset.
//
// Apollo 4 picks its development checks through the `__DEV__` flag (export
// conditions / globalThis.__DEV__, off by default) and graphql-js skips its
// development checks under NODE_ENV=production; both are reported below.

import { writeFileSync } from "node:fs";
import { InMemoryCache, gql } from "@apollo/client";
import { __DEV__ } from "@apollo/client/utilities/environment";

// ---------------------------------------------------------------------------
// Parameters. The Rust side copies these numbers.

const N = 100_000; // items in base for W1, W2, W6

// samples: timed batches; batch: ops per batch. Each workload also runs one
// untimed warm-up batch of the same size first.
const PLAN = {
  w1Get: { samples: 25, batch: { 0: 50_000, 1: 30_000, 10: 10_000, 100: 2_000, 1000: 200 } },
  w1ReadFragment: { samples: 25, batch: { 0: 1_000, 1000: 50 } },
  w2: { samples: 21, batch: { 1: 100, 10: 40, 100: 4 } },
  w3: { samples: { 1000: 25, 10000: 15 }, batch: 1 },
  w4Cold: { samples: 25, batch: 1 },
  w4Warm: { samples: 25, batch: 1_000 },
  w5: { samples: 25, batch: { 1000: 200, 10000: 100 } },
};

// ---------------------------------------------------------------------------
// Seeded PRNG: mulberry32, returning a u32. pick(n) = rng() % n.
// Test vector: mulberry32(42) yields 2581720956, 1925393290, 3661312704,
// 2876485805, 750819978, ...; so with N = 100,000 the first layer of W1
// touches Item:20956, Item:93290, Item:12704, Item:85805.

function mulberry32(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A fresh pick(n) drawing from mulberry32(42). */
function freshPick() {
  const rng = mulberry32(42);
  return (n) => rng() % n;
}

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

/** Base entity Item:i. */
function item(i) {
  return { __typename: "Item", id: String(i), title: "Item " + i, count: i, done: i % 2 === 0 };
}

/** What optimistic layer number `s` (0-based, per workload) writes for Item:i. */
function optimisticItem(i, s) {
  return { __typename: "Item", id: String(i), title: "Item " + i + " opt " + s, count: i + s + 1, done: i % 2 !== 0 };
}

/** The server's answer written to base by W2 lifecycle number `t` for Item:k. */
function serverItem(k, t) {
  return { __typename: "Item", id: String(k), title: "Item " + k + " srv " + t, count: k + t + 1, done: k % 2 !== 0 };
}

/** W3/W4/W5 item i with its owner User:(i % 50). */
function itemWithOwner(i) {
  const u = i % 50;
  return { ...item(i), owner: { __typename: "User", id: String(u), name: "User " + u } };
}

// Cache keys are built once, as a real cache would get them from references.
const KEYS = Array.from({ length: N }, (_, i) => "Item:" + i);

/** A fresh cache holding Item:0..N-1 (and ROOT_QUERY.items) in base. */
function baseCache() {
  const cache = new InMemoryCache();
  cache.writeQuery({ query: ITEMS_QUERY, data: { items: Array.from({ length: N }, (_, i) => item(i)) } });
  return cache;
}

/** Push one optimistic layer `id` setting all fields of 4 items drawn with pick(N). */
function pushLayer(cache, pick, id, serial) {
  cache.recordOptimisticTransaction((c) => {
    for (let k = 0; k < 4; k++) {
      const i = pick(N);
      c.writeFragment({ id: KEYS[i], fragment: ITEM_FIELDS, data: optimisticItem(i, serial) });
    }
  }, id);
}

// ---------------------------------------------------------------------------
// Measurement helpers.

// Every read result is folded into this sink, printed at the end, so no read
// can be optimised away.
let sink = 0;

const gc = globalThis.gc ?? (() => {});

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Run one warm-up batch and `samples` timed batches of `batch` calls to op();
 * returns the median ns per op.
 */
function timeBatches(samples, batch, op) {
  const perOp = [];
  for (let s = 0; s <= samples; s++) {
    const t0 = process.hrtime.bigint();
    for (let b = 0; b < batch; b++) op();
    const dt = Number(process.hrtime.bigint() - t0);
    if (s > 0) perOp.push(dt / batch); // s = 0 is the warm-up batch
  }
  return median(perOp);
}

/**
 * Like timeBatches with a batch of one op, but prepare() runs untimed before
 * each op (and may return a value handed to op).
 */
function timeSingles(samples, prepare, op, warmups = 1) {
  const perOp = [];
  for (let s = 0; s < warmups + samples; s++) {
    const ctx = prepare();
    const t0 = process.hrtime.bigint();
    op(ctx);
    const dt = Number(process.hrtime.bigint() - t0);
    if (s >= warmups) perOp.push(dt);
  }
  return median(perOp);
}

const results = [];

function report(workload, ns, samples) {
  results.push({ workload, apollo_ns: ns, samples });
  console.error(`${workload.padEnd(28)} ${fmtNs(ns).padStart(12)}   (${samples} samples)`);
}

function reportBytes(workload, bytes) {
  results.push({ workload, apollo_bytes: bytes });
  console.error(`${workload.padEnd(28)} ${bytes.toFixed(0).padStart(9)} bytes`);
}

function fmtNs(ns) {
  if (ns < 1e3) return ns.toFixed(1) + " ns";
  if (ns < 1e6) return (ns / 1e3).toFixed(2) + " us";
  return (ns / 1e6).toFixed(2) + " ms";
}

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
      sink += cache.optimisticData.get(KEYS[pick(N)], "count");
    });
    report(`W1 read_depth L=${L}`, ns, PLAN.w1Get.samples);
  }

  for (const L of [0, 1000]) {
    const ns = run(L, PLAN.w1ReadFragment, (cache, pick) => {
      sink += cache.readFragment({ id: KEYS[pick(N)], fragment: COUNT_FRAGMENT }, true).count;
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
    const pending = [];
    let serial = 0; // layer number: ids are "m" + serial
    for (; serial < W; serial++) {
      pushLayer(cache, pick, "m" + serial, serial);
      pending.push("m" + serial);
    }
    gc(); // collect the previous W's cache before timing
    let t = 0; // lifecycle number
    const { samples, batch } = PLAN.w2;
    const ns = timeBatches(samples, batch[W], () => {
      const p = pick(pending.length);
      const id = pending[p];
      pending.splice(p, 1);
      if (pick(100) < 80) {
        cache.removeOptimistic(id);
        const k = pick(N);
        cache.writeFragment({ id: KEYS[k], fragment: ITEM_FIELDS, data: serverItem(k, t) });
      } else {
        cache.removeOptimistic(id);
      }
      pushLayer(cache, pick, "m" + serial, serial);
      pending.push("m" + serial);
      serial++;
      t++;
    });
    report(`W2 lifecycle W=${W}`, ns, samples);
  }
}

// ---------------------------------------------------------------------------
// W3: normalize a list of n items with owners into a fresh cache.

function ownerData(n) {
  return { items: Array.from({ length: n }, (_, i) => itemWithOwner(i)) };
}

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
}

// ---------------------------------------------------------------------------
// W4: readQuery of the W3 list, cold (one item changed) and warm.

function w4() {
  for (const n of [1000, 10000]) {
    const cache = new InMemoryCache();
    cache.writeQuery({ query: ITEMS_WITH_OWNER_QUERY, data: ownerData(n) });
    const read = () => {
      sink += cache.readQuery({ query: ITEMS_WITH_OWNER_QUERY }).items.length;
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

function heapAfterGc() {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function w6() {
  if (!globalThis.gc) {
    console.error("W6 skipped: run node with --expose-gc");
    return;
  }
  // Entities: Item:0..N-1 written one by one (writeFragment), so only the
  // entities themselves are held, no list of references on ROOT_QUERY.
  const cache = new InMemoryCache();
  const before = heapAfterGc();
  for (let i = 0; i < N; i++) {
    cache.writeFragment({ id: KEYS[i], fragment: ITEM_FIELDS, data: item(i) });
  }
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
  sink += cache.optimisticData.get(KEYS[0], "count");
}

// ---------------------------------------------------------------------------

function main() {
  const out = process.argv[2];
  console.error(
    `Apollo InMemoryCache bench: node ${process.version}, NODE_ENV=${process.env.NODE_ENV ?? "(unset)"}, ` +
      `Apollo __DEV__=${__DEV__}, gc ${globalThis.gc ? "exposed" : "NOT exposed"}`,
  );
  if (process.env.NODE_ENV !== "production") {
    console.error("warning: NODE_ENV is not 'production'; graphql-js runs its development checks");
  }
  const start = process.hrtime.bigint();

  const all = { W1: w1, W2: w2, W3: w3, W4: w4, W5: w5, W6: w6 };
  const only = (process.env.BENCH_ONLY ?? "").split(",").filter(Boolean);
  for (const [name, run] of Object.entries(all)) {
    if (only.length && !only.includes(name)) continue;
    gc();
    run();
  }

  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  console.error(`done in ${secs.toFixed(1)} s (sink ${sink})`);

  const json = JSON.stringify(results, null, 2) + "\n";
  if (out) writeFileSync(out, json);
  else process.stdout.write(json);
}

main();
