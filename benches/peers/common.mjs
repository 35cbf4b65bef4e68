// What every Node peer bench shares: the parameters, the seeded PRNG, the data shapes, the
// timing loops and the JSON output, so Apollo (apollo/bench.mjs), Relay (relay/bench.mjs) and
// urql Graphcache (urql/bench.mjs) do the same work as each other and as the Rust side
// (benches/common/mod.rs copies the numbers and shapes below). The workloads are defined in
// benches/README.md. Plain Node, no dependencies: each peer's directory imports it as
// "../common.mjs".
//
// Timing: each sample is a batch of ops timed with process.hrtime.bigint(); the reported figure
// is the median over samples of (sample time / ops in the batch), in ns. One extra warm-up batch
// (untimed, but drawing from the PRNG like a timed one) runs before the samples. Setup (base
// data, layer pushes, fresh caches, per-op untimed preparation) is never timed.
//
// Output: a JSON array of { workload, <peer>_ns, samples } (and, for W6, { workload,
// <peer>_bytes }; W7 rows also carry `told`, the watchers told per op), written to the file
// named on the command line, or to stdout. BENCH_ONLY=W1,W4 (say) runs only those workloads.

import { writeFileSync } from "node:fs";

// ---------------------------------------------------------------------------
// Parameters. The Rust side copies these numbers.

export const N = 100_000; // items in base for W1, W2, W6, W8

// samples: timed batches; batch: ops per batch. Each workload also runs one untimed warm-up
// batch of the same size first.
export const PLAN = {
  w1Get: { samples: 25, batch: { 0: 50_000, 1: 30_000, 10: 10_000, 100: 2_000, 1000: 200 } },
  w1ReadFragment: { samples: 25, batch: { 0: 1_000, 1000: 50 } },
  w2: { samples: 21, batch: { 1: 100, 10: 40, 100: 4 } },
  w3: { samples: { 1000: 25, 10000: 15 }, batch: 1 },
  w4Cold: { samples: 25, batch: 1 },
  w4Warm: { samples: 25, batch: 1_000 },
  // For a peer without a result cache (Relay, urql), where a warm read is a full re-read of
  // milliseconds: the same reads, fewer per sample, so the run stays minutes long.
  w4WarmFullRead: { samples: 25, batch: 1 },
  w5: { samples: 25, batch: { 1000: 200, 10000: 100 } },
  w7: { samples: 25, batch: 4 },
  // For a side whose W7 operation takes seconds (Apollo re-reads each of the 100 distinct
  // lists through the new layer, urql re-runs each list query through its client): fewer
  // samples of one operation, so the run stays minutes long.
  w7Slow: { samples: 7, batch: 1 },
  w8: { samples: 5, batch: 1 },
  w9: { samples: 25, batch: 1 },
  w10: { samples: 5, batch: 1 },
  // W11: `warmup` operations of the trace untimed, then every kind of operation has `samples`
  // timed batches of `batch` of its operations, the mix `samples` of `mixBatch` operations of
  // any kind, all from one run of the trace (timeTrace).
  w11: { warmup: 1_000, samples: 25, batch: 10, mixBatch: 50 },
  // W12: one page per sample, each on a connection built afresh (untimed) to N edges.
  w12: { samples: 25, batch: 1 },
  // W13: one cold start per sample (the saved file read, parsed, restored into a fresh cache,
  // 20 queries read), each after the last sample's cache was collected (untimed).
  w13: { samples: 10, batch: 1 },
};

// BENCH_QUICK=1 (run.sh --quick): 3 samples and a tenth of each batch, to check the pipeline;
// its figures are not for comparing.
if (process.env.BENCH_QUICK) {
  const each = (x, f) => (typeof x === "number" ? f(x) : Object.fromEntries(Object.entries(x).map(([k, v]) => [k, f(v)])));
  for (const plan of Object.values(PLAN)) {
    plan.samples = each(plan.samples, (n) => Math.min(n, 3));
    plan.batch = each(plan.batch, (n) => Math.ceil(n / 10));
    if (plan.mixBatch) plan.mixBatch = Math.ceil(plan.mixBatch / 10);
    if (plan.warmup) plan.warmup = Math.ceil(plan.warmup / 10);
  }
}

// W7: ITEMS_W7 items in base; one watcher per item (Item:0..ITEMS_W7-1) and LIST_WATCHERS
// watchers of ROOT_QUERY.items, which lists the first LIST_W7 items. Op number t (warm-up
// included) sets `count` of Item:k, k = pick(LIST_W7), to 2,000,000 + t in a new optimistic
// layer, waits until every affected watcher has its new result, then fails the layer and waits
// again. k is drawn from the list so that both kinds of watcher are affected: 1 item watcher
// and the LIST_WATCHERS list watchers, on the push and again on the failure.
export const W7 = { items: 10_000, list: 1_000, listWatchers: 100 };
export const W7_AFFECTED = 2 * (1 + W7.listWatchers); // watchers told per op (push + fail)

// W8: N items in base and W8_LAYERS pending layers (pushed as in W1, pick continuing).
export const W8_LAYERS = 100;

// W9: ROOT_QUERY.items lists Item:0..W9.list-1. Sample s (warm-up = 0) pushes a create layer
// for Item:tmp-s that appends its ref to the list, then W9.above layers each setting `count` of
// Item:tmp-s (layer j: s * 1000 + j); the timed op confirms the create under the server's key
// Item:(W9.list + s), whose data is createdItem(s). The layers above are removed untimed.
export const W9 = { list: 10_000, above: 100 };

// W10: N items in base; ROOT_QUERY.items lists Item:0..W10.listed-1; Item:W10.listed ..
// W10.listed+W10.retained-1 are retained; L in W10.layers pending layers as W1's (pushLayer
// with a fresh pick); one op = gc() of that cache, built afresh for each sample (untimed).
export const W10 = { listed: 10_000, retained: 1_000, layers: [0, 1, 100] };

/**
 * W2: whether new request number `serial` is a query whose answer comes later (a reservation
 * on optimist: `Store::reserve`) rather than an optimistic mutation: every fourth. No PRNG draw;
 * a reservation draws no items.
 */
export const isReserved = (serial) => serial % 4 === 3;

// W11 app trace: W11.items items in base; W11.queries watched queries, page p listing the
// W11.page items (W11.stride * p + j) % W11.items, j in 0..W11.page, in that order: consecutive
// pages share half their items, every item is listed by exactly two pages. At most
// W11.maxPending mutations in flight. The trace itself is W11Trace below.
export const W11 = { items: 10_000, queries: 200, page: 100, stride: 50, maxPending: 4 };
// W12 pagination: Project:1's connection `tasks` holding N edges, N in W12.sizes, built untimed
// as N / W12.page pages of W12.page edges (tasksPage(0), then each page after the last cursor),
// then one watcher of the first page's query (TASKS_QUERY_TEXT, variables {}). One op = the
// next page, tasksPage(N) with `after: "c<N-1>"`, merged through the side's own merge path, until
// the watcher has been told. Every sample builds its connection afresh, so every timed page
// lands on exactly N edges.
export const W12 = { sizes: [1000, 10_000], page: 25 };

/** W12's query (Apollo, urql and optimist parse this text; Relay's artifact is written by hand). */
export const TASKS_QUERY_TEXT =
  "query Tasks($after: String) { project(id: \"1\") { __typename id tasks(first: 25, after: $after) { __typename " +
  "edges { __typename cursor node { __typename id title } } pageInfo { __typename hasNextPage endCursor } } } }";

/** W12's node n. */
export function task(n) {
  return { __typename: "Task", id: String(n), title: "Task " + n };
}

/** W12's page of W12.page edges starting at edge `start` (cursors c<n>): the response's data. */
export function tasksPage(start) {
  const edges = Array.from({ length: W12.page }, (_, j) => ({ __typename: "TaskEdge", cursor: "c" + (start + j), node: task(start + j) }));
  const pageInfo = { __typename: "PageInfo", hasNextPage: true, endCursor: "c" + (start + W12.page - 1) };
  return { project: { __typename: "Project", id: "1", tasks: { __typename: "TaskConnection", edges, pageInfo } } };
}

/** The `after` variable of the page starting at `start` (the first page has none). */
export const afterOf = (start) => (start === 0 ? {} : { after: "c" + (start - 1) });

/** Throws unless `connection` (a watcher's `project.tasks`) lists edges c0 .. c<n-1> in order. */
export function checkTasks(connection, n, side) {
  const edges = connection?.edges ?? [];
  if (edges.length !== n || edges[0]?.cursor !== "c0" || edges[n - 1]?.cursor !== "c" + (n - 1) || edges[n - 1]?.node?.id !== String(n - 1)) {
    throw new Error(`W12 (${side}): the watcher shows ${edges.length} edges (${edges[0]?.cursor} .. ${edges.at(-1)?.cursor}), not c0 .. c${n - 1}`);
  }
}

// W13 cold start: N items in base, listed by ROOT_QUERY.items (W8's shape); W13.pages page
// queries (PAGE_QUERY_TEXT, W11's page query, variables {page: p}), page p listing the W13.page
// items Item:(W13.stride * p + j), j in 0..W13.page, written as that query's result; then
// W13.layers pending optimistic layers, layer s setting optimisticItem(i, s) on the 4 items
// w13Layers() draws for it (every one listed by a page, so the first results show the layers).
// Saved to a file (untimed); one op = the file's bytes read, parsed and restored into a fresh
// cache, and the 20 pages read, until the 20th result is in hand.
export const W13 = { pages: 20, page: 100, stride: N / 20, layers: 3 };

/** W11's and W13's page query (Apollo, urql and optimist parse this text; Relay's artifact is written by hand). */
export const PAGE_QUERY_TEXT = "query Page($page: Int!) { items(page: $page) { id title count done } }";

/** The items W13's page `page` lists, in order, in a store of `n` items (stride n / pages). */
export const w13PageItems = (page, n = N) => Array.from({ length: W13.page }, (_, j) => (n / W13.pages) * page + j);

/**
 * The items of W13's layers: W13.layers arrays of 4, drawn from a fresh pick as page
 * pick(W13.pages), then position pick(W13.page) on it (two draws per item, in that order).
 */
export function w13Layers(n = N) {
  const pick = freshPick();
  const stride = n / W13.pages;
  return Array.from({ length: W13.layers }, () =>
    Array.from({ length: 4 }, () => {
      const page = pick(W13.pages);
      return stride * page + pick(W13.page);
    }),
  );
}

/**
 * Throws unless `results` (the 20 pages' `items`, read after a cold start) list the items of
 * w13PageItems in order with the values the merged view holds: optimisticItem(i, s) of the
 * newest layer s writing item i, item(i) otherwise.
 */
export function checkW13(results, layers, side, n = N) {
  const newest = new Map();
  layers.forEach((items, s) => items.forEach((i) => newest.set(i, s)));
  if (results.length !== W13.pages) throw new Error(`W13 (${side}): ${results.length} results, not ${W13.pages}`);
  let layered = 0;
  results.forEach((items, page) => {
    const want = w13PageItems(page, n);
    if (items?.length !== want.length) throw new Error(`W13 (${side}): page ${page} lists ${items?.length} items`);
    want.forEach((i, j) => {
      const expected = newest.has(i) ? optimisticItem(i, newest.get(i)) : item(i);
      const got = items[j];
      if (got.id !== expected.id || got.count !== expected.count || got.title !== expected.title || got.done !== expected.done) {
        throw new Error(`W13 (${side}): page ${page} item ${j} is ${JSON.stringify(got)}, not ${JSON.stringify(expected)}`);
      }
      if (newest.has(i)) layered++;
    });
  });
  if (layered === 0) throw new Error(`W13 (${side}): no layered item on the pages`);
}

/**
 * W13's phases: `laps` holds, per sample (the warm-up first), the process.hrtime.bigint() taken
 * at the start, after the file's read, after the restore and after the 20 reads; returns the
 * median ms of each phase over the timed samples (read_ms, restore_ms, reads_ms).
 */
export function w13Phases(laps) {
  const timed = laps.slice(laps.length - PLAN.w13.samples);
  const phase = (k) => Math.round(median(timed.map((t) => Number(t[k + 1] - t[k]) / 1e6)) * 10) / 10;
  return { read_ms: phase(0), restore_ms: phase(1), reads_ms: phase(2) };
}

export const W11_KINDS = ["refetch_same", "refetch_changed", "mutate", "confirm", "fail", "remount"];

// ---------------------------------------------------------------------------
// Seeded PRNG: mulberry32, returning a u32. pick(n) = rng() % n.
// Test vector: mulberry32(42) yields 2581720956, 1925393290, 3661312704,
// 2876485805, 750819978, ...; so with N = 100,000 the first layer of W1
// touches Item:20956, Item:93290, Item:12704, Item:85805.

export function mulberry32(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

{
  const rng = mulberry32(42);
  const first = [rng(), rng(), rng(), rng(), rng()].join(",");
  if (first !== "2581720956,1925393290,3661312704,2876485805,750819978") {
    throw new Error("mulberry32 differs from the documented test vector: " + first);
  }
}

/** A fresh pick(n) drawing from mulberry32(42). */
export function freshPick() {
  const rng = mulberry32(42);
  return (n) => rng() % n;
}

// ---------------------------------------------------------------------------
// Data shapes.

/** Base entity Item:i. */
export function item(i) {
  return { __typename: "Item", id: String(i), title: "Item " + i, count: i, done: i % 2 === 0 };
}

/** What optimistic layer number `s` (0-based, per workload) writes for Item:i. */
export function optimisticItem(i, s) {
  return { __typename: "Item", id: String(i), title: "Item " + i + " opt " + s, count: i + s + 1, done: i % 2 !== 0 };
}

/** The server's answer written to base by W2 lifecycle number `t` for Item:k. */
export function serverItem(k, t) {
  return { __typename: "Item", id: String(k), title: "Item " + k + " srv " + t, count: k + t + 1, done: k % 2 !== 0 };
}

/** W3/W4/W5 item i with its owner User:(i % 50). */
export function itemWithOwner(i) {
  const u = i % 50;
  return { ...item(i), owner: { __typename: "User", id: String(u), name: "User " + u } };
}

/** W3's response data: n items with owners. */
export function ownerData(n) {
  return { items: Array.from({ length: n }, (_, i) => itemWithOwner(i)) };
}

/** The new item that W5's operation number k inserts (Item:new-k). */
export function newItem(k) {
  return { __typename: "Item", id: "new-" + k, title: "New " + k, count: k, done: false };
}

/** W9 sample s: the optimistic create (Item:tmp-s) and the server's answer (Item:(list + s)). */
export function tempItem(s) {
  return { __typename: "Item", id: "tmp-" + s, title: "Created " + s, count: 0, done: false };
}
export function createdItem(s) {
  return { __typename: "Item", id: String(W9.list + s), title: "Created " + s, count: 0, done: false };
}

/**
 * W11's seeded trace (W11Trace in benches/common/mod.rs, draw for draw): the server's rows, each
 * page's answer text (built once per distinct answer: JSON.stringify of `{items: [...]}`), the
 * mutations in flight. next() returns the next operation, prepared (its text built) untimed:
 *
 *   { kind: "refetch_same" | "refetch_changed", page, text }   refetch `page`, answered `text`
 *   { kind: "mutate", item, serial }            push mutation `serial`: optimisticItem(item, serial)
 *   { kind: "confirm" | "fail", item, serial }  answer the oldest pending mutation; a confirm
 *                                               writes the server's row = optimisticItem(item, serial)
 *   { kind: "remount", page }                   the observer of `page` leaves, a new one arrives
 *
 * Operation t draws r = pick(100): r < 40 refetch_same (page = pick(200)); r < 50
 * refetch_changed (page = pick(200), j = pick(100): the server's row of item (50 page + j) %
 * 10,000 becomes serverItem(item, t)); r < 70 mutate (item = pick(10,000)); r < 90 the oldest
 * pending answered (confirm if pick(100) < 80, else fail); otherwise remount (page = pick(200)).
 * A mutate with W11.maxPending in flight is an answer instead, an answer with none in flight a
 * mutate.
 */
export class W11Trace {
  constructor() {
    this.pick = freshPick();
    this.rows = Array.from({ length: W11.items }, (_, i) => item(i));
    this.texts = new Array(W11.queries).fill(null);
    this.pending = []; // { serial, item }, oldest first
    this.serial = 0;
    this.t = 0;
  }

  /** The items page `page` lists, in order. */
  static pageItems(page) {
    return Array.from({ length: W11.page }, (_, j) => (W11.stride * page + j) % W11.items);
  }

  /** The two pages that list `item`. */
  static pagesOf(item) {
    const last = Math.floor(item / W11.stride);
    return [(last + W11.queries - 1) % W11.queries, last];
  }

  /** Page `page`'s answer text (the response's `data`), byte for byte the Rust side's. */
  pageText(page) {
    this.texts[page] ??= JSON.stringify({ items: W11Trace.pageItems(page).map((i) => this.rows[i]) });
    return this.texts[page];
  }

  setRow(i, row) {
    this.rows[i] = row;
    for (const page of W11Trace.pagesOf(i)) this.texts[page] = null;
  }

  next() {
    const t = this.t++;
    const r = this.pick(100);
    let kind = r < 40 ? "refetch_same" : r < 50 ? "refetch_changed" : r < 70 ? "mutate" : r < 90 ? "confirm" : "remount";
    if (kind === "mutate" && this.pending.length >= W11.maxPending) kind = "confirm";
    else if (kind === "confirm" && this.pending.length === 0) kind = "mutate";
    switch (kind) {
      case "refetch_same": {
        const page = this.pick(W11.queries);
        return { kind, page, text: this.pageText(page) };
      }
      case "refetch_changed": {
        const page = this.pick(W11.queries);
        const i = (W11.stride * page + this.pick(W11.page)) % W11.items;
        this.setRow(i, serverItem(i, t));
        return { kind, page, item: i, text: this.pageText(page) };
      }
      case "mutate": {
        const i = this.pick(W11.items);
        const serial = this.serial++;
        this.pending.push({ serial, item: i });
        return { kind, item: i, serial };
      }
      case "confirm": {
        const { serial, item: i } = this.pending.shift();
        const ok = this.pick(100) < 80;
        if (ok) this.setRow(i, optimisticItem(i, serial));
        return { kind: ok ? "confirm" : "fail", item: i, serial };
      }
      default:
        return { kind, page: this.pick(W11.queries) };
    }
  }
}

/**
 * Samples W11 (the Rust side's W11Sampler): runs `step()` (one operation of the trace; it
 * returns { kind, ns, told }: its time, untimed preparation excluded, and the watchers it told)
 * `warmup` times unrecorded, then until the mix and every kind have `samples` timed batches
 * after their warm-up batch. Returns rows { workload, ns, samples, ops, told } per kind then the
 * mix; told is per operation, over every operation after the trace's warm-up.
 */
export async function timeTrace(plan, step) {
  const make = (batch) => ({ batch, sum: 0, n: 0, batches: 0, samples: [] });
  const add = (acc, ns) => {
    acc.sum += ns;
    if (++acc.n === acc.batch) {
      if (acc.batches > 0) acc.samples.push(acc.sum / acc.batch);
      acc.batches++;
      acc.sum = 0;
      acc.n = 0;
    }
  };
  const kinds = Object.fromEntries(W11_KINDS.map((k) => [k, { ...make(plan.batch), ops: 0, told: 0 }]));
  const mix = { ...make(plan.mixBatch), ops: 0, told: 0 };
  const done = () => mix.samples.length >= plan.samples && W11_KINDS.every((k) => kinds[k].samples.length >= plan.samples);
  for (let w = 0; w < plan.warmup; w++) await step();
  while (!done()) {
    const { kind, ns, told } = await step();
    for (const acc of [kinds[kind], mix]) {
      add(acc, ns);
      acc.ops++;
      acc.told += told;
    }
  }
  const row = (name, acc) => ({
    workload: "W11 app_trace " + name,
    ns: median(acc.samples),
    samples: acc.samples.length,
    ops: acc.ops,
    told: acc.told / acc.ops,
  });
  return [...W11_KINDS.map((k) => row(k, kinds[k])), row("mix", mix)];
}

// Cache keys are built once, as a real cache would get them from references.
export const KEYS = Array.from({ length: N }, (_, i) => "Item:" + i);

// ---------------------------------------------------------------------------
// Measurement helpers.

// Every read result is folded into this sink, printed at the end, so no read can be optimised
// away.
export const sink = { value: 0 };

export const gc = globalThis.gc ?? (() => {});

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Run one warm-up batch and `samples` timed batches of `batch` calls to op(); returns the
 * median ns per op.
 */
export function timeBatches(samples, batch, op) {
  const perOp = [];
  for (let s = 0; s <= samples; s++) {
    const t0 = process.hrtime.bigint();
    for (let b = 0; b < batch; b++) op();
    const dt = Number(process.hrtime.bigint() - t0);
    if (s > 0) perOp.push(dt / batch); // s = 0 is the warm-up batch
  }
  return median(perOp);
}

/** timeBatches for an op that returns a promise (awaited one after the other). */
export async function timeBatchesAsync(samples, batch, op) {
  const perOp = [];
  for (let s = 0; s <= samples; s++) {
    const t0 = process.hrtime.bigint();
    for (let b = 0; b < batch; b++) await op();
    const dt = Number(process.hrtime.bigint() - t0);
    if (s > 0) perOp.push(dt / batch);
  }
  return median(perOp);
}

/**
 * Like timeBatches with a batch of one op, but prepare() runs untimed before each op (and may
 * return a value handed to op), and cleanup(ctx) untimed after it.
 */
export function timeSingles(samples, prepare, op, warmups = 1, cleanup = () => {}) {
  const perOp = [];
  for (let s = 0; s < warmups + samples; s++) {
    const ctx = prepare(s);
    const t0 = process.hrtime.bigint();
    op(ctx);
    const dt = Number(process.hrtime.bigint() - t0);
    cleanup(ctx);
    if (s >= warmups) perOp.push(dt);
  }
  return median(perOp);
}

/** timeSingles where prepare, op and cleanup may return promises. */
export async function timeSinglesAsync(samples, prepare, op, warmups = 1, cleanup = async () => {}) {
  const perOp = [];
  for (let s = 0; s < warmups + samples; s++) {
    const ctx = await prepare(s);
    const t0 = process.hrtime.bigint();
    await op(ctx);
    const dt = Number(process.hrtime.bigint() - t0);
    await cleanup(ctx);
    if (s >= warmups) perOp.push(dt);
  }
  return median(perOp);
}

export function heapAfterGc() {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Lets every queued microtask, timer of 0 ms and immediate run. */
export const drain = () => new Promise((resolve) => setTimeout(() => setImmediate(resolve), 0));

export function fmtNs(ns) {
  if (ns < 1e3) return ns.toFixed(1) + " ns";
  if (ns < 1e6) return (ns / 1e3).toFixed(2) + " us";
  return (ns / 1e6).toFixed(2) + " ms";
}

/** The results of one peer, named `peer` in the JSON keys (`apollo_ns`, `relay_ns`, ...). */
export function makeResults(peer) {
  const rows = [];
  return {
    rows,
    report(workload, ns, samples, extra = {}) {
      rows.push({ workload, [`${peer}_ns`]: ns, samples, ...extra });
      const more = Object.entries(extra)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
      console.error(`${workload.padEnd(28)} ${fmtNs(ns).padStart(12)}   (${samples} samples${more ? ", " + more : ""})`);
    },
    reportBytes(workload, bytes) {
      rows.push({ workload, [`${peer}_bytes`]: bytes });
      console.error(`${workload.padEnd(28)} ${bytes.toFixed(0).padStart(9)} bytes`);
    },
    /** A workload this peer cannot drive the same way: no figure, and why (kept in the JSON). */
    notDriven(workload, why) {
      rows.push({ workload, [`${peer}_ns`]: null, not_driven: why });
      console.error(`${workload.padEnd(28)} ${"-".padStart(12)}   not driven: ${why}`);
    },
  };
}

/**
 * Runs the workloads in `all` ({W1: fn, ...}, each possibly async) that BENCH_ONLY selects,
 * then writes the results to argv[2] or stdout.
 */
export async function runAll(banner, all, results) {
  const out = process.argv[2];
  console.error(`${banner}: node ${process.version}, NODE_ENV=${process.env.NODE_ENV ?? "(unset)"}, gc ${globalThis.gc ? "exposed" : "NOT exposed"}`);
  if (process.env.NODE_ENV !== "production") {
    console.error("warning: NODE_ENV is not 'production'; the libraries run their development checks");
  }
  const start = process.hrtime.bigint();
  const only = (process.env.BENCH_ONLY ?? "").split(",").filter(Boolean);
  for (const [name, run] of Object.entries(all)) {
    if (only.length && !only.includes(name)) continue;
    gc();
    await run();
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  console.error(`done in ${secs.toFixed(1)} s (sink ${sink.value})`);
  const json = JSON.stringify(results.rows, null, 2) + "\n";
  if (out) writeFileSync(out, json);
  else process.stdout.write(json);
}
