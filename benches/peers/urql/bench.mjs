// urql Graphcache side of optimist's side-by-side benchmarks.
//
// What this measures
// ------------------
// The workloads W1-W9 of benches/README.md, run against urql's normalized cache (npm
// @urql/exchange-graphcache with @urql/core, pinned in package.json). Same entity shape, same
// seeded PRNG, same order of draws, same batch and sample counts as apollo/bench.mjs (all from
// ../common.mjs); the workload names join the result sets.
//
// How Graphcache is driven, and why this way
// ------------------------------------------
// Graphcache's package exports `Store`, `cacheExchange` and `offlineExchange`, nothing else: its
// layer functions (reserveLayer, createLayer, clearLayer, squashLayer, in its store/data module)
// and its read/write entry points (query, write, writeOptimistic) are private to the bundle and
// cannot be imported. A `Store`'s own methods (resolve, readFragment, writeFragment, updateQuery,
// link) only work while Graphcache has set up its data state for an operation, i.e. inside a
// resolver, an updater or an optimistic function; called from outside they throw. So every
// step below goes through a urql `Client` whose exchanges are `cacheExchange(config)` and a
// bench exchange standing in for the network:
// * Optimistic layers are what Graphcache makes them from: a mutation whose field has an
//   `optimistic` function (config.optimistic). Dispatching it writes its optimistic result in
//   a layer named by the operation's key; the bench exchange holds the mutation, and the layer
//   lives until the bench sends its result: success = data, failure = an error result.
// * Base data comes in as network results of queries (`requestPolicy: "network-only"`), or,
//   where only a write is to be timed, through an `updates` function of a mutation whose result
//   the bench exchange answers at once (W3, W6: cache.updateQuery / cache.writeFragment there).
// * Reads are `client.readQuery` (a cache-only query through the exchanges, answered
//   synchronously by Graphcache), or `cache.resolve` inside a local resolver (W1 read_depth).
// Graphcache holds back the result of an optimistic mutation while any other optimistic
// mutation is still in flight (its exchange queues them until all have come back, then applies
// them together): a layer cannot be settled while another stays pending. Hence:
// * W2 lifecycle is driven only at W=1; at W=10 and W=100 a settled layer would stay visible
//   until every pending mutation had come back, which in W2 never happens: not the same work.
// * W9 remap is not driven: the create cannot be confirmed while the 100 layers above it are
//   pending (its result waits for theirs).
//
//   W1 read_depth L=<L>     L pending optimistic mutations of 4 items; one sample = one
//                           client.readQuery of a local field whose resolver reads `count` of
//                           `batch` random items with cache.resolve (Graphcache's field read,
//                           which walks every layer, newest first, then base). The query's own
//                           cost (one per batch of 200-50,000 reads) is included.
//   W1 readFragment L=<L>   one op = client.readQuery of `item(id) { count }`, with a resolver
//                           Query.item pointing at Item:id.
//   W2 lifecycle W=1        settle the pending mutation (80 %: data with the server's answer for
//                           one random item; 20 %: an error), then dispatch a new one.
//   W3 normalize n=<n>      a mutation whose updater runs cache.updateQuery writing the
//                           ItemsWithOwner data into a fresh client's cache.
//   W3 normalize_text n=<n> the same, the updater parsing the response's text (JSON.parse).
//   W4 read_query           client.readQuery of ItemsWithOwner; Graphcache has no result cache
//                           (it re-reads, reusing unchanged objects of the previous result).
//   W5 list_insert n=<n>    an optimistic mutation creating Item:new-k whose updater appends it
//                           to Query.items, then its error result.
//   W6 memory               V8 heapUsed growth per entity for N items written by one updater
//                           (cache.writeFragment each), and per pending optimistic mutation of 4
//                           items for 1000 of them.
//   W7 watch                10,000 client.query subscriptions of `item(id)` and 100 of the list;
//                           an optimistic mutation setting one count, then its error result.
//                           Graphcache re-executes the dependent queries through the client on
//                           microtasks: the op's time runs until every affected subscriber has
//                           had its result (awaited), and `told` counts the results delivered.
//   W8 persist              Graphcache's persistence: a StorageAdapter (the `storage` option of
//                           offlineExchange) gets every base field as serialised entries; one op =
//                           Graphcache serialising the store into entries (its deferred
//                           persistData, awaited from the last write) + JSON.stringify +
//                           JSON.parse + hydrating a new client's cache from them (until
//                           onCacheHydrated). Optimistic layers are never persisted: the 100
//                           pending layers do not come back (offlineExchange would store the
//                           mutations to replay, not their layers).
//   W12 pagination n=<n>    cacheExchange with resolvers Project.tasks = relayPagination() (from
//                           @urql/exchange-graphcache/extras) and keys null for the connection,
//                           edge and page-info types; the connection built (untimed, afresh for
//                           every sample) to n edges: the first page as a network-only query's
//                           result, the other n/25 - 1 pages by cache.writeFragment in one
//                           mutation's updater, each page stored under its own arguments as a
//                           query's result stores it; one client.query subscription of the first
//                           page's query. One op = a network-only query of the next page
//                           (`after: c<n-1>`), answered at once: Graphcache writes the page and
//                           reads that query's result from the cache, then re-executes the
//                           watcher's query; the op's time runs until the watcher has its
//                           result (awaited). relayPagination merges at read time: each of those
//                           two reads walks every stored page.
//   W13 cold start          Graphcache's persistence (offlineExchange with a StorageAdapter
//                           whose readMetadata / writeMetadata / onOnline make it keep the
//                           offline mutation queue): N items listed by Query.items (W8's data),
//                           20 pages as network-only results of the page query, 3 optimistic
//                           mutations (layers) that failed offline, so offlineExchange keeps
//                           their layers and queues them in the metadata; saved untimed as
//                           JSON.stringify({entries, metadata}) to a file (entries: base only,
//                           Graphcache never persists a layer). One op = readFileSync +
//                           JSON.parse + a new client over offlineExchange whose storage hands
//                           back those entries and mutations; hydration (until
//                           onCacheHydrated, after which offlineExchange re-dispatches the 3
//                           queued mutations: their optimistic layers come back, pending, held
//                           by the bench's network) + client.readQuery of the 20 pages, until
//                           the 20th result.
//
// Usage (from this directory):
//   npm ci
//   NODE_ENV=production node --expose-gc bench.mjs [out.json]
//
// Writes a JSON array of { workload, urql_ns, samples } (W6: urql_bytes; W7 adds told and
// affected; workloads not driven carry urql_ns null and `not_driven`, the reason) to out.json or
// stdout; a readable summary goes to stderr. BENCH_ONLY=W1,W4 runs only those workloads.

import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, gql, makeErrorResult, makeResult } from "@urql/core";
import { cacheExchange, offlineExchange } from "@urql/exchange-graphcache";
import { relayPagination } from "@urql/exchange-graphcache/extras";
import { filter, fromValue, makeSubject, mergeMap, pipe, subscribe } from "wonka";
import {
  N, PLAN, W7, W7_AFFECTED, W8_LAYERS, KEYS, freshPick, item, optimisticItem, serverItem,
  ownerData, newItem, sink, gc, timeBatches, timeSingles, timeBatchesAsync,
  heapAfterGc, drain, timeSinglesAsync, makeResults, runAll, W11_KINDS, W10, isReserved,
  W12, TASKS_QUERY_TEXT, tasksPage, afterOf, checkTasks,
  W13, PAGE_QUERY_TEXT, w13PageItems, w13Layers, checkW13, w13Phases,
} from "../common.mjs";

// ---------------------------------------------------------------------------
// Documents.

const ITEMS_QUERY = gql`
  query Items {
    items { id title count done }
  }
`;
// W7's list watchers: a field of its own per watcher.
const ITEMS_W_QUERY = gql`
  query ItemsW($w: Int!) {
    items(w: $w) { id title count done }
  }
`;
// W2's query whose answer comes later (a reservation on optimist).
const ANSWER_ITEM_QUERY = gql`
  query AnswerItem($serial: Int!) {
    answerItem(serial: $serial) { id title count done }
  }
`;
const ALL_ITEMS_QUERY = gql`
  query AllItems {
    allItems { id title count done }
  }
`;
const ITEMS_WITH_OWNER_QUERY = gql`
  query ItemsWithOwner {
    items { id title count done owner { id name } }
  }
`;
const ITEM_QUERY = gql`
  query Item($id: ID!) {
    item(id: $id) { id title count done }
  }
`;
const COUNT_QUERY = gql`
  query Count($id: ID!) {
    item(id: $id) { count }
  }
`;
const BENCH_READS_QUERY = gql`
  query BenchReads($n: Int!) {
    benchReads(n: $n)
  }
`;
const ITEM_FIELDS = gql`
  fragment ItemFields on Item { id title count done }
`;
// Every mutation takes `$serial`, which makes its operation key (and so its layer) distinct.
const PUSH_LAYER_MUTATION = gql`
  mutation PushLayer($serial: Int!, $ids: [Int!]!) {
    pushLayer(serial: $serial, ids: $ids) { id title count done }
  }
`;
const SET_COUNT_MUTATION = gql`
  mutation SetCount($serial: Int!, $id: ID!, $count: Int!) {
    setCount(id: $id, count: $count) { id count }
  }
`;
const WRITE_COUNT_MUTATION = gql`
  mutation WriteCount($serial: Int!, $id: ID!, $count: Int!) {
    writeCount(id: $id, count: $count) { id count }
  }
`;
const INSERT_ITEM_MUTATION = gql`
  mutation InsertItem($serial: Int!) {
    insertItem(k: $serial) { id title count done }
  }
`;
const WRITE_LIST_MUTATION = gql`
  mutation WriteList($serial: Int!, $n: Int!) {
    writeList(n: $n)
  }
`;
const WRITE_ENTITIES_MUTATION = gql`
  mutation WriteEntities($serial: Int!, $n: Int!) {
    writeEntities(n: $n)
  }
`;

// ---------------------------------------------------------------------------
// Graphcache configuration: resolvers, optimistic functions and updaters the workloads use.

// W1 read_depth's resolver draws from the workload's PRNG, set here before each read batch.
let readPick = null;
// The W3 data the WriteList updater writes, by n.
const LIST_DATA = new Map();
/** W3 from the wire: the response's text by n, parsed in the updater (while set). */
const LIST_TEXT = new Map();

const graphcacheConfig = {
  resolvers: {
    Query: {
      item: (_, args) => ({ __typename: "Item", id: args.id }),
      benchReads: (_, args, cache) => {
        let s = 0;
        for (let b = 0; b < args.n; b++) s += cache.resolve(KEYS[readPick(N)], "count");
        return s;
      },
    },
  },
  optimistic: {
    pushLayer: (args) => args.ids.map((i) => optimisticItem(i, args.serial)),
    setCount: (args) => ({ __typename: "Item", id: args.id, count: args.count }),
    insertItem: (args) => newItem(args.k),
  },
  updates: {
    Mutation: {
      insertItem: (result, _args, cache) => {
        const key = cache.keyOfEntity(result.insertItem);
        cache.link("Query", "items", [...cache.resolve("Query", "items"), key]);
      },
      writeList: (_result, args, cache) => {
        cache.updateQuery({ query: ITEMS_WITH_OWNER_QUERY }, () =>
          LIST_TEXT.has(args.n) ? JSON.parse(LIST_TEXT.get(args.n)) : LIST_DATA.get(args.n),
        );
      },
      writeEntities: (_result, args, cache) => {
        for (let i = 0; i < args.n; i++) cache.writeFragment(ITEM_FIELDS, item(i));
      },
    },
  },
};

// ---------------------------------------------------------------------------
// The client: Graphcache over a bench exchange standing in for the network.

const HOLD = Symbol("hold");
const operationName = (op) => op.query.definitions.find((d) => d.kind === "OperationDefinition").name.value;

/**
 * A client over `cache` (an exchange) and a network exchange that answers every operation with
 * answer(op)'s data at once, or, where it returns HOLD, keeps the operation in `held` (by its
 * `serial` variable) until the bench settles it.
 */
function makeClient(answer, cache = cacheExchange(graphcacheConfig)) {
  const held = new Map();
  const network = () => (ops$) =>
    pipe(
      ops$,
      filter((op) => op.kind !== "teardown"),
      mergeMap((op) => {
        const data = answer(op);
        if (data !== HOLD) return fromValue(makeResult(op, { data }));
        const subject = makeSubject();
        held.set(op.variables.serial, { op, subject });
        return subject.source;
      }),
    );
  const client = new Client({ url: "http://bench.invalid/graphql", exchanges: [cache, network] });
  const settle = (serial, data) => {
    const { op, subject } = held.get(serial);
    held.delete(serial);
    subject.next(data === undefined ? makeErrorResult(op, new Error("the server said no")) : makeResult(op, { data }));
    subject.complete();
  };
  return { client, held, settle };
}

/** What the bench's server answers: list data for the loading queries, true for the writes. */
const serverData = (lists) => (op) => {
  const name = operationName(op);
  if (name in lists) return lists[name];
  switch (name) {
    case "PushLayer":
    case "SetCount":
    case "InsertItem":
    case "AnswerItem":
      return HOLD;
    case "WriteCount":
      return { writeCount: { __typename: "Item", id: op.variables.id, count: op.variables.count } };
    case "WriteList":
      return { writeList: true };
    case "WriteEntities":
      return { writeEntities: true };
    default:
      throw new Error("no answer for " + name);
  }
};

/** Subscribes to `source` and returns its first result, which must arrive synchronously. */
function runSync(source) {
  let result = null;
  const subscription = pipe(source, subscribe((r) => (result ??= r)));
  subscription.unsubscribe();
  if (!result) throw new Error("no synchronous result");
  if (result.error) throw result.error;
  return result;
}

/** Dispatches a mutation the network holds; its layer lives until settled. */
const dispatch = (client, mutation, variables) => pipe(client.mutation(mutation, variables), subscribe(() => {}));

const items = (n) => Array.from({ length: n }, (_, i) => item(i));

/** A client whose cache holds Item:0..n-1 in base, listed by Query.items. */
function baseClient(n = N) {
  const c = makeClient(serverData({ Items: { items: items(n) } }));
  runSync(c.client.query(ITEMS_QUERY, {}, { requestPolicy: "network-only" }));
  return c;
}

/** Dispatch one optimistic mutation (layer) of 4 items drawn with pick(N). */
function pushLayer(client, pick, serial) {
  const ids = [pick(N), pick(N), pick(N), pick(N)];
  return dispatch(client, PUSH_LAYER_MUTATION, { serial, ids });
}

const { report, reportBytes, notDriven, ...results } = makeResults("urql");

// ---------------------------------------------------------------------------
// W1: read through L optimistic layers.

function w1() {
  const setUp = (L) => {
    const { client } = baseClient();
    const pick = freshPick();
    for (let j = 0; j < L; j++) pushLayer(client, pick, j);
    gc();
    return { client, pick };
  };

  for (const L of [0, 1, 10, 100, 1000]) {
    const { client, pick } = setUp(L);
    const { samples, batch } = PLAN.w1Get;
    readPick = pick;
    // One readQuery per batch, its resolver doing the batch's reads (timeBatches with a batch
    // of one op that reads batch[L] fields, divided back to ns per read).
    const perBatch = timeBatches(samples, 1, () => {
      sink.value += client.readQuery(BENCH_READS_QUERY, { n: batch[L] }).data.benchReads;
    });
    report(`W1 read_depth L=${L}`, perBatch / batch[L], samples);
  }
  for (const L of [0, 1000]) {
    const { client, pick } = setUp(L);
    const { samples, batch } = PLAN.w1ReadFragment;
    const ns = timeBatches(samples, batch[L], () => {
      sink.value += client.readQuery(COUNT_QUERY, { id: String(pick(N)) }).data.item.count;
    });
    report(`W1 readFragment L=${L}`, ns, samples);
  }
}

// ---------------------------------------------------------------------------
// W2: the optimistic mutation lifecycle, at W=1 only (see the top of this file).
//
// PRNG draws per lifecycle, in order: p = pick(1) (= 0); r = pick(100); if r < 80, k = pick(N);
// then 4 x pick(N) for the new mutation.

function w2() {
  const W = 1;
  const { client, settle } = baseClient();
  const pick = freshPick();
  const pending = [];
  let serial = 0;
  // Every fourth new request is a query whose answer comes later (a reservation on optimist):
  // a network-only query the bench's network holds, answered with data or an error.
  const push = () => {
    if (isReserved(serial)) {
      pipe(client.query(ANSWER_ITEM_QUERY, { serial }, { requestPolicy: "network-only" }), subscribe(() => {}));
    } else {
      pushLayer(client, pick, serial);
    }
    pending.push(serial);
    serial++;
  };
  push();
  gc();
  let t = 0;
  const { samples, batch } = PLAN.w2;
  const ns = timeBatches(samples, batch[W], () => {
    const p = pick(pending.length);
    const settled = pending[p];
    pending.splice(p, 1);
    if (pick(100) < 80) {
      const k = pick(N);
      settle(settled, isReserved(settled) ? { answerItem: serverItem(k, t) } : { pushLayer: [serverItem(k, t)] });
    } else {
      settle(settled, undefined);
    }
    push();
    t++;
  });
  report(`W2 lifecycle W=${W}`, ns, samples);
  const why =
    "Graphcache holds an optimistic mutation's result back while any other optimistic mutation " +
    "is in flight, so a settled layer stays until all pending ones have come back (never, in W2)";
  notDriven("W2 lifecycle W=10", why);
  notDriven("W2 lifecycle W=100", why);
}

// ---------------------------------------------------------------------------
// W3: normalize a list of n items with owners into a fresh cache.

function w3() {
  for (const n of [1000, 10000]) {
    LIST_DATA.set(n, ownerData(n));
    const samples = PLAN.w3.samples[n];
    const ns = timeSingles(
      samples,
      () => makeClient(serverData({})).client,
      (client) => runSync(client.mutation(WRITE_LIST_MUTATION, { serial: 0, n })),
    );
    report(`W3 normalize n=${n}`, ns, samples);
  }
  for (const n of [1000, 10000]) {
    LIST_TEXT.set(n, JSON.stringify(ownerData(n)));
    const samples = PLAN.w3.samples[n];
    const ns = timeSingles(
      samples,
      () => makeClient(serverData({})).client,
      (client) => runSync(client.mutation(WRITE_LIST_MUTATION, { serial: 0, n })),
    );
    report(`W3 normalize_text n=${n}`, ns, samples);
    LIST_TEXT.delete(n);
  }
}

// ---------------------------------------------------------------------------
// W4: read the W3 list back, cold (one item changed) and warm.

const NO_WARM_READ =
  "Graphcache has no result cache for a read (client.readQuery re-reads every field, reusing " +
  "unchanged objects): a warm read is the cold read again, not the same work";

function w4() {
  for (const n of [1000, 10000]) {
    const { client } = makeClient(serverData({ ItemsWithOwner: ownerData(n) }));
    runSync(client.query(ITEMS_WITH_OWNER_QUERY, {}, { requestPolicy: "network-only" }));
    const read = () => {
      sink.value += client.readQuery(ITEMS_WITH_OWNER_QUERY, {}).data.items.length;
    };
    read();
    gc();
    const pick = freshPick();
    let t = 0;
    const cold = timeSingles(
      PLAN.w4Cold.samples,
      () => {
        const k = pick(n);
        runSync(client.mutation(WRITE_COUNT_MUTATION, { serial: t, id: String(k), count: 1_000_000 + t }));
        t++;
      },
      read,
    );
    report(`W4 read_query cold n=${n}`, cold, PLAN.w4Cold.samples);
    notDriven(`W4 read_query warm n=${n}`, NO_WARM_READ);
  }
}

// ---------------------------------------------------------------------------
// W5: optimistic list insert, then failure. Op number k inserts Item:new-k.

function w5() {
  for (const n of [1000, 10000]) {
    const { client, settle } = makeClient(serverData({ ItemsWithOwner: ownerData(n) }));
    runSync(client.query(ITEMS_WITH_OWNER_QUERY, {}, { requestPolicy: "network-only" }));
    gc();
    let k = 0;
    const { samples, batch } = PLAN.w5;
    const ns = timeBatches(samples, batch[n], () => {
      dispatch(client, INSERT_ITEM_MUTATION, { serial: k });
      settle(k, undefined);
      k++;
    });
    const listed = client.readQuery(ITEMS_WITH_OWNER_QUERY, {}).data.items.length;
    if (listed !== n) throw new Error(`W5: ${listed} items listed after the failures, not ${n}`);
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
  const { client } = makeClient(serverData({}));
  const before = heapAfterGc();
  runSync(client.mutation(WRITE_ENTITIES_MUTATION, { serial: 0, n: N }));
  const after = heapAfterGc();
  reportBytes("W6 bytes/entity", (after - before) / N);

  const layers = 1000;
  const pick = freshPick();
  const beforeLayers = heapAfterGc();
  const held = [];
  for (let j = 0; j < layers; j++) held.push(pushLayer(client, pick, j + 1));
  const afterLayers = heapAfterGc();
  reportBytes("W6 bytes/layer(4 keys)", (afterLayers - beforeLayers) / layers);
  sink.value += client.readQuery(COUNT_QUERY, { id: "0" }).data.item.count + held.length;
}

// ---------------------------------------------------------------------------
// W7: subscribers told of an optimistic change and of its failure.

async function w7() {
  const { client, settle } = makeClient(
    serverData({ AllItems: { allItems: items(W7.items) }, ItemsW: { items: items(W7.list) } }),
  );
  runSync(client.query(ALL_ITEMS_QUERY, {}, { requestPolicy: "network-only" }));
  for (let w = 0; w < W7.listWatchers; w++) {
    runSync(client.query(ITEMS_W_QUERY, { w }, { requestPolicy: "network-only" }));
  }

  let told = 0;
  let waiting = null; // { target, resolve }
  const onResult = () => {
    told++;
    if (waiting && told >= waiting.target) {
      const { resolve } = waiting;
      waiting = null;
      resolve();
    }
  };
  /** Resolves once `told` reaches `target`; fails after 10 s (some watcher was never told). */
  const toldReaches = (target) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`W7: told ${told}, waited for ${target}`)), 10_000);
      waiting = {
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });

  const subscriptions = [];
  for (let i = 0; i < W7.items; i++) {
    subscriptions.push(pipe(client.query(ITEM_QUERY, { id: String(i) }), subscribe(onResult)));
  }
  for (let w = 0; w < W7.listWatchers; w++) {
    subscriptions.push(pipe(client.query(ITEMS_W_QUERY, { w }), subscribe(onResult)));
  }
  await drain();
  // Every subscriber has its first result (a subscriber of a query another already watches
  // would make the earlier ones hear it again: at least one each, none missing).
  if (told < W7.items + W7.listWatchers) throw new Error(`W7: ${told} first results for ${W7.items + W7.listWatchers} subscribers`);
  told = 0;
  gc();

  const pick = freshPick();
  const affected = W7_AFFECTED / 2; // per change
  let t = 0;
  const { samples, batch } = PLAN.w7Slow;
  const ns = await timeBatchesAsync(samples, batch, async () => {
    const k = pick(W7.list);
    const serial = t++;
    let reached = toldReaches(told + affected);
    dispatch(client, SET_COUNT_MUTATION, { serial, id: String(k), count: 2_000_000 + serial });
    await reached;
    reached = toldReaches(told + affected);
    settle(serial, undefined);
    await reached;
  });
  await drain();
  report("W7 watch", ns, samples, { told: told / t, affected: W7_AFFECTED });
  for (const s of subscriptions) s.unsubscribe();
}

// ---------------------------------------------------------------------------
// W8: Graphcache's own persistence round trip, N items and 100 pending layers.

/** A StorageAdapter holding its entries in memory; `written` resolves at the first writeData. */
function memoryStorage(entries) {
  let onWritten;
  const written = new Promise((resolve) => (onWritten = resolve));
  let onHydrated;
  const hydrated = new Promise((resolve) => (onHydrated = resolve));
  const storage = {
    readData: () => Promise.resolve(entries),
    writeData: (delta) => {
      onWritten(delta);
      return Promise.resolve();
    },
    onCacheHydrated: () => onHydrated(),
  };
  return { storage, written, hydrated };
}

// Graphcache's serialisation reads every field through every layer (its field read walks the
// layers, W1), and hydration writes every field back one by one: seconds a round trip with 100
// layers. Each sample builds its client afresh (untimed: written, layers pushed, the previous
// sample's garbage collected), as the other sides build theirs, with one warm-up sample first;
// the three phases (ms, of the last sample) are reported next to the total.
async function w8() {
  const lists = serverData({ Items: { items: items(N) } });
  const now = () => process.hrtime.bigint();
  const ms = (a, b) => Number(b - a) / 1e6;
  let phases = null;
  let bytes = 0;
  const ns = await timeSinglesAsync(
    PLAN.w8.samples,
    async () => {
      phases = null;
      gc();
      const original = memoryStorage({});
      const { client } = makeClient(lists, offlineExchange({ ...graphcacheConfig, storage: original.storage }));
      await original.hydrated;
      runSync(client.query(ITEMS_QUERY, {}, { requestPolicy: "network-only" }));
      const pick = freshPick();
      for (let j = 0; j < W8_LAYERS; j++) pushLayer(client, pick, j);
      gc();
      return { original };
    },
    async ({ original }) => {
      // Graphcache persists on a timer set by the last write; the serialisation is its own work.
      const t0 = now();
      const entries = await original.written;
      const t1 = now();
      const json = JSON.stringify(entries);
      bytes = json.length;
      const copy = memoryStorage(JSON.parse(json));
      const t2 = now();
      const restored = makeClient(lists, offlineExchange({ ...graphcacheConfig, storage: copy.storage })).client;
      await copy.hydrated;
      const t3 = now();
      phases = { persist_ms: Math.round(ms(t0, t1)), json_ms: Math.round(ms(t1, t2)), hydrate_ms: Math.round(ms(t2, t3)) };
      if (Object.keys(entries).length < N * 5) throw new Error("W8: fewer entries than fields");
      const count = restored.readQuery(COUNT_QUERY, { id: "20956" }, { requestPolicy: "cache-only" }).data.item.count;
      if (count !== 20956) throw new Error(`W8: restored Item:20956 count ${count}`);
    },
  );
  report("W8 persist", ns, PLAN.w8.samples, { bytes, ...phases });
}

// ---------------------------------------------------------------------------

function w9() {
  notDriven(
    "W9 remap",
    "the create's result would be held back until the 100 optimistic mutations above it had " +
      "come back too: Graphcache cannot confirm one layer while others are pending",
  );
}

// W10: not driven. Graphcache collects on its own (after the operations it serves, on its
// schedule); it exports no call to collect, so there is nothing an app could time.
function w10() {
  const why = "Graphcache exports no garbage collection call: it collects on its own schedule";
  for (const layers of W10.layers) notDriven(`W10 gc L=${layers}`, why);
}

// W11: not driven. The trace keeps up to W11.maxPending optimistic mutations in flight and
// answers the oldest first; Graphcache holds that answer back until every other optimistic
// mutation has come back, so its layer would stay shown: not the same work.
function w11() {
  const why =
    "the trace keeps up to 4 optimistic mutations in flight and answers the oldest first; " +
    "Graphcache holds an optimistic mutation's result back while any other is in flight";
  for (const kind of [...W11_KINDS, "mix"]) notDriven("W11 app_trace " + kind, why);
}

// W12: a page of 25 edges onto a connection of n edges, one watcher on the list. Graphcache
// stores each page under its own arguments (`tasks({"after":"c24","first":25})`); its
// relayPagination resolver merges the stored pages whenever the field is read, so the merge is
// the read of every query that selects the connection: the page query's own result, and the
// watcher's re-executed query.

const TASKS_QUERY = gql(TASKS_QUERY_TEXT);
// The same selection as a fragment on the project, for writing the setup's pages.
const TASKS_FRAGMENT = gql`
  fragment TasksPage on Project {
    __typename
    id
    tasks(first: 25, after: $after) {
      __typename
      edges { __typename cursor node { __typename id title } }
      pageInfo { __typename hasNextPage endCursor }
    }
  }
`;
const WRITE_PAGES_MUTATION = gql`
  mutation WritePages($serial: Int!, $n: Int!) {
    writePages(n: $n)
  }
`;

const w12Config = {
  keys: { TaskConnection: () => null, TaskEdge: () => null, PageInfo: () => null },
  resolvers: { Project: { tasks: relayPagination() } },
  updates: {
    Mutation: {
      writePages: (_result, args, cache) => {
        for (let start = W12.page; start < args.n; start += W12.page) {
          cache.writeFragment(TASKS_FRAGMENT, tasksPage(start).project, afterOf(start));
        }
      },
    },
  },
};

async function w12() {
  for (const n of W12.sizes) {
    let told = 0;
    let shown = null;
    let waiting = null;
    const onResult = (result) => {
      told++;
      shown = result.data;
      if (waiting) {
        const resolve = waiting;
        waiting = null;
        resolve();
      }
    };
    // The page the bench's server answers with (set before each page query).
    let page = null;
    const answer = (op) => {
      switch (operationName(op)) {
        case "Tasks":
          return page;
        case "WritePages":
          return { writePages: true };
        default:
          throw new Error("no answer for " + operationName(op));
      }
    };
    const ns = await timeSinglesAsync(
      PLAN.w12.samples,
      async () => {
        const { client } = makeClient(answer, cacheExchange(w12Config));
        page = tasksPage(0);
        runSync(client.query(TASKS_QUERY, afterOf(0), { requestPolicy: "network-only" }));
        runSync(client.mutation(WRITE_PAGES_MUTATION, { serial: 0, n }));
        const subscription = pipe(client.query(TASKS_QUERY, {}), subscribe(onResult));
        await drain();
        checkTasks(shown?.project?.tasks, n, "urql");
        told = 0;
        page = tasksPage(n);
        gc();
        return { client, subscription, variables: afterOf(n) };
      },
      async ({ client, variables }) => {
        const told$ = new Promise((resolve) => (waiting = resolve));
        const result = runSync(client.query(TASKS_QUERY, variables, { requestPolicy: "network-only" }));
        sink.value += result.data.project.tasks.edges.length;
        await told$;
      },
      1,
      async ({ subscription }) => {
        await drain();
        if (told !== 1) throw new Error(`W12 (urql): the watcher was told ${told} times`);
        checkTasks(shown.project.tasks, n + W12.page, "urql");
        subscription.unsubscribe();
      },
    );
    report(`W12 pagination n=${n}`, ns, PLAN.w12.samples, { told: 1 });
  }
}

// ---------------------------------------------------------------------------
// W13: cold start from a file, through Graphcache's own persistence. offlineExchange with a
// storage that has readMetadata, writeMetadata and onOnline keeps the mutations that failed
// offline: their optimistic layers stay, the mutations are written to the metadata, and after a
// restart (once the cache is hydrated) it dispatches them again, which applies their optimistic
// results again: the pending layers come back. The entries hold base only.

const PAGE_QUERY = gql(PAGE_QUERY_TEXT);

/** A StorageAdapter over `saved` ({entries, metadata}) that records what Graphcache writes. */
function fileStorage(saved) {
  let onHydrated;
  const hydrated = new Promise((resolve) => (onHydrated = resolve));
  const storage = {
    readData: () => Promise.resolve(saved.entries),
    writeData: (delta) => {
      Object.assign(saved.entries, delta);
      return Promise.resolve();
    },
    readMetadata: () => Promise.resolve(saved.metadata),
    writeMetadata: (metadata) => {
      saved.metadata = metadata;
    },
    onOnline: () => {},
    onCacheHydrated: () => onHydrated(),
  };
  return { storage, hydrated };
}

async function w13() {
  const base = serverData({ Items: { items: items(N) } });
  const answer = (op) => (operationName(op) === "Page" ? { items: w13PageItems(op.variables.page).map(item) } : base(op));
  const saved = { entries: {}, metadata: [] };
  const original = fileStorage(saved);
  const { client, held } = makeClient(answer, offlineExchange({ ...graphcacheConfig, storage: original.storage }));
  await original.hydrated;
  runSync(client.query(ITEMS_QUERY, {}, { requestPolicy: "network-only" }));
  for (let page = 0; page < W13.pages; page++) runSync(client.query(PAGE_QUERY, { page }, { requestPolicy: "network-only" }));
  const layers = w13Layers();
  layers.forEach((ids, serial) => {
    dispatch(client, PUSH_LAYER_MUTATION, { serial, ids });
    // The network fails offline: offlineExchange keeps the layer and queues the mutation.
    const { op, subject } = held.get(serial);
    held.delete(serial);
    subject.next(makeErrorResult(op, new Error("Network error")));
    subject.complete();
  });
  await drain(); // Graphcache persists on a timer set by the last write
  if (saved.metadata.length !== W13.layers) throw new Error(`W13 (urql): ${saved.metadata.length} mutations queued`);
  checkW13(
    Array.from({ length: W13.pages }, (_, page) => client.readQuery(PAGE_QUERY, { page }).data.items),
    layers, "urql (before saving)",
  );
  const path = join(tmpdir(), `optimist-w13-urql-${process.pid}.json`);
  writeFileSync(path, JSON.stringify(saved));
  const bytes = readFileSync(path).length; // and the file is in the page cache
  const now = () => process.hrtime.bigint();
  const laps = [];
  let results = null;
  let restoredHeld = null;
  const ns = await timeSinglesAsync(
    PLAN.w13.samples,
    async () => {
      results = null;
      restoredHeld = null;
      gc();
    },
    async () => {
      const t0 = now();
      const text = readFileSync(path, "utf8");
      const t1 = now();
      const copy = fileStorage(JSON.parse(text));
      const restored = makeClient(answer, offlineExchange({ ...graphcacheConfig, storage: copy.storage }));
      await copy.hydrated;
      const t2 = now();
      results = [];
      for (let page = 0; page < W13.pages; page++) {
        const result = restored.client.readQuery(PAGE_QUERY, { page });
        if (!result?.data || result.stale) throw new Error(`W13 (urql): page ${page} is not complete`);
        results.push(result.data.items);
      }
      laps.push([t0, t1, t2, now()]);
      restoredHeld = restored.held;
    },
    1,
    async () => {
      checkW13(results, layers, "urql");
      if (restoredHeld.size !== W13.layers) throw new Error(`W13 (urql): ${restoredHeld.size} mutations pending after the restart`);
      await drain();
    },
  );
  unlinkSync(path);
  report("W13 cold start", ns, PLAN.w13.samples, {
    bytes, ...w13Phases(laps), layers: "kept: the offline mutation queue re-dispatched, its optimistic layers applied again",
  });
}

runAll(
  "urql Graphcache bench (@urql/exchange-graphcache)",
  { W1: w1, W2: w2, W3: w3, W4: w4, W5: w5, W6: w6, W7: w7, W8: w8, W9: w9, W10: w10, W11: w11, W12: w12, W13: w13 },
  results,
);
