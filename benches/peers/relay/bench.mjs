// Relay side of optimist's side-by-side benchmarks.
//
// What this measures
// ------------------
// The workloads W1-W9 of benches/README.md, run against Relay's store (npm relay-runtime,
// pinned in package.json): one `Environment` over a `Store` over a `RecordSource`, optimistic
// layers as Relay's optimistic updates, server answers as `commitPayload` or as a mutation's
// network response. Same entity shape, same seeded PRNG, same order of draws, same batch and
// sample counts as apollo/bench.mjs (all from ../common.mjs); the workload names join the
// result sets.
//
// How Relay is driven
// -------------------
// * Record ids: Relay keys a record by `id` alone; `getDataID` (an Environment and Store
//   option) makes it `Type:id`, so records are `Item:i` and `User:u` as on every other side.
// * Operations: relay-runtime needs compiled artifacts (ConcreteRequest: a reader AST and a
//   normalization AST) where an app writes `graphql` tags. They are written by hand below, in
//   the shape relay-compiler emits for these documents (scalar and linked fields with a
//   `concreteType`, no fragments spreads, no directives), so no compiler or Babel plugin runs.
// * Layers: `environment.applyUpdate({storeUpdater})` (W1, W5-W9), whose `dispose()` is a
//   failure; W2 and W9 settle through `commitMutation` with an `optimisticUpdater` and a network
//   whose response the bench sends when it settles, because that is how Relay itself confirms:
//   the executor reverts the optimistic update and commits the payload in one publish-queue run
//   (a dispose() followed by commitPayload() would run and rebase twice).
// * Relay keeps one merged record source: while any optimistic update is applied, a copy-on-
//   write overlay sits above base, and reverting any update restores base and re-runs every
//   remaining updater (a "rebase"). The updaters below only write what was drawn when the
//   layer was pushed, so a rebase re-does the same writes.
// * Garbage collection: Relay frees records no retained operation reaches, on a scheduled task.
//   The bench data is not retained by any query, so each store holds GC (`store.holdGC()`), as
//   an app retains its queries.
//
//   W1 read_depth L=<L>     Record.getValue(store.getSource().get(id), "count"): the merged
//                           source (overlay, then base) read directly.
//   W1 readFragment L=<L>   environment.lookup of a reader selector for `fragment F on Item
//                           { count }` on the item (Relay's read of a fragment).
//   W2 lifecycle W=<W>      settle a random pending mutation (80 %: the server's answer for one
//                           random item; 20 %: a network error), then commit a new one.
//   W3 normalize n=<n>      environment.commitPayload of the ItemsWithOwner query's data into a
//                           fresh environment (normalise + publish + notify).
//   W3 normalize_text n=<n> the same from the response's text: JSON.parse, then commitPayload.
//   W4 read_query           environment.lookup(operation.fragment) of ItemsWithOwner. Relay has
//                           no result cache for lookups (subscriptions keep their snapshot,
//                           W7): cold and warm both re-read the whole tree.
//   W5 list_insert n=<n>    applyUpdate creating Item:new-k and appending it to the root's
//                           `items`, then dispose().
//   W6 memory               V8 heapUsed growth per record for N items created by one
//                           commitUpdate, and per layer for 1000 applyUpdate layers of 4 keys.
//   W7 watch                environment.subscribe on 10,000 item fragment snapshots and 100
//                           list query snapshots; applyUpdate setting one count, then dispose();
//                           Relay notifies synchronously at the end of each publish-queue run.
//   W8 persist              store.getSource().toJSON() + JSON.stringify + JSON.parse + a new
//                           Store over `new RecordSource(records)`. Optimistic updates are
//                           updater functions and cannot be serialised: the source saved is the
//                           merged one (layers folded into records), as Apollo's extract(true).
//   W9 remap                the create is a pending commitMutation whose optimistic updater
//                           makes Item:tmp-s and appends it to `items`; confirming = its network
//                           response (the server's Item) plus the mutation's `updater`
//                           appending the server's record. Relay has no remap either: the 100
//                           layers above are re-run and find no Item:tmp-s.
//   W11 app_trace <kind>    10,000 items, 200 page queries `items(page:)` of 100 items, one
//                           environment.subscribe per page's snapshot; the seeded trace of
//                           ../common.mjs (W11Trace): a refetch is JSON.parse of the answer's
//                           text + commitPayload; a mutation commitMutation with an
//                           optimisticUpdater (held network, as W2), answered by its network
//                           response (the server's row) or a network error; a remount the
//                           subscription's dispose() and a new lookup + subscribe. `told` =
//                           subscription callbacks per operation.
//   W12 pagination n=<n>    `tasks(first: 25, after: $after) @connection(key: "Project_tasks")`:
//                           the connection built (untimed, afresh for every sample) to n edges
//                           by commitPayload of n/25 pages, each after the last cursor, the
//                           store's ConnectionHandler merging each into the client connection
//                           record; one environment.subscribe of the first page's snapshot;
//                           one op = commitPayload of the next page (`after: c<n-1>`), which
//                           normalises it, runs the handler and notifies the subscription.
//   W13 cold start          N items listed by the root's `items` (W8's data), 20 pages
//                           committed as PageQuery payloads, 3 pending applyUpdate layers; saved
//                           untimed as JSON.stringify(store.getSource().toJSON()) to a file: the
//                           merged source, the layers folded into the records (an optimistic
//                           update is a function, not data: Relay keeps no pending update
//                           across a restart). One op = readFileSync + JSON.parse + a new
//                           Environment over `new Store(new RecordSource(records))` +
//                           environment.lookup of the 20 pages' operations, until the 20th
//                           snapshot.
//
// Usage (from this directory):
//   npm ci
//   NODE_ENV=production node --expose-gc bench.mjs [out.json]
//
// Writes a JSON array of { workload, relay_ns, samples } (W6: relay_bytes; W7 adds told and
// affected) to out.json or stdout; a readable summary goes to stderr. BENCH_ONLY=W1,W4 runs only
// those workloads.

import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import RelayRuntime from "relay-runtime";
import {
  N, PLAN, W7, W7_AFFECTED, W8_LAYERS, W9, W11, KEYS, freshPick, item, optimisticItem, serverItem,
  ownerData, newItem, tempItem, createdItem, sink, gc, timeBatches, timeSingles, heapAfterGc,
  makeResults, runAll, W11Trace, timeTrace, W10, isReserved, W12, tasksPage, afterOf, checkTasks,
  W13, w13PageItems, w13Layers, checkW13, w13Phases,
} from "../common.mjs";

const {
  Environment, Network, Observable, RecordSource, Store, Record, commitMutation,
  createOperationDescriptor, createReaderSelector, fetchQuery,
} = RelayRuntime;

// ---------------------------------------------------------------------------
// Hand-written Relay artifacts. Reader and normalization ASTs coincide for documents made only
// of scalar fields and linked fields of a concrete type, so one selection list serves both.

const scalar = (name) => ({ alias: null, args: null, kind: "ScalarField", name, storageKey: null });
const linked = (name, concreteType, plural, selections, args = null) => ({
  alias: null, args, concreteType, kind: "LinkedField", name, plural, selections, storageKey: null,
});

/** A ConcreteRequest for `operationKind name(args) { selections }`; `text` is documentation. */
function request(name, operationKind, selections, text, variables = []) {
  const argumentDefinitions = variables.map((v) => ({ defaultValue: null, kind: "LocalArgument", name: v }));
  return {
    kind: "Request",
    fragment: {
      argumentDefinitions, kind: "Fragment", metadata: null, name, selections,
      type: operationKind === "mutation" ? "Mutation" : "Query", abstractKey: null,
    },
    operation: { argumentDefinitions, kind: "Operation", name, selections },
    params: { cacheID: name, id: null, metadata: {}, name, operationKind, text },
  };
}

/** A ReaderFragment `fragment name on Item { selections }`. */
const fragment = (name, selections) => ({
  argumentDefinitions: [], kind: "Fragment", metadata: null, name, selections, type: "Item", abstractKey: null,
});

const ITEM_SELECTIONS = ["id", "title", "count", "done"].map(scalar);
const ITEMS_QUERY = request("ItemsQuery", "query", [linked("items", "Item", true, ITEM_SELECTIONS)],
  "query ItemsQuery { items { id title count done } }");
const ALL_ITEMS_QUERY = request("AllItemsQuery", "query", [linked("allItems", "Item", true, ITEM_SELECTIONS)],
  "query AllItemsQuery { allItems { id title count done } }");
const ITEMS_WITH_OWNER_QUERY = request(
  "ItemsWithOwnerQuery", "query",
  [linked("items", "Item", true, [...ITEM_SELECTIONS, linked("owner", "User", false, ["id", "name"].map(scalar))])],
  "query ItemsWithOwnerQuery { items { id title count done owner { id name } } }",
);
// `$serial` only makes each mutation's request identifier distinct; no field takes it, so the
// root record keeps one `updateItem` / `createItem` field however many mutations ran.
const UPDATE_ITEM_MUTATION = request("UpdateItemMutation", "mutation", [linked("updateItem", "Item", false, ITEM_SELECTIONS)],
  "mutation UpdateItemMutation($serial: Int) { updateItem { id title count done } }", ["serial"]);
const CREATE_ITEM_MUTATION = request("CreateItemMutation", "mutation", [linked("createItem", "Item", false, ITEM_SELECTIONS)],
  "mutation CreateItemMutation($serial: Int) { createItem { id title count done } }", ["serial"]);
// W11's page query: `items(page: $page)`, the argument a variable (storage key `items(page:3)`).
const PAGE_QUERY = request(
  "PageQuery", "query",
  [linked("items", "Item", true, ITEM_SELECTIONS, [{ kind: "Variable", name: "page", variableName: "page" }])],
  "query PageQuery($page: Int!) { items(page: $page) { id title count done } }", ["page"],
);
// W2's query whose answer comes later (a reservation on optimist); `$serial` makes each
// request distinct, as the mutations'.
const ANSWER_ITEM_QUERY = request("AnswerItemQuery", "query", [linked("answerItem", "Item", false, ITEM_SELECTIONS)],
  "query AnswerItemQuery($serial: Int) { answerItem { id title count done } }", ["serial"]);
// W7's list watchers: `items(w: $w)`, a field of its own per watcher.
const ITEMS_W_QUERY = request(
  "ItemsWQuery", "query",
  [linked("items", "Item", true, ITEM_SELECTIONS, [{ kind: "Variable", name: "w", variableName: "w" }])],
  "query ItemsWQuery($w: Int!) { items(w: $w) { id title count done } }", ["w"],
);
// W10's retained items: an operation rooted at the item (`createOperationDescriptor`'s dataID),
// `$i` making each one's identifier distinct.
const ITEM_ROOT_QUERY = request("ItemRootQuery", "query", ITEM_SELECTIONS, "query ItemRootQuery($i: Int) { id title count done }", ["i"]);
const COUNT_FRAGMENT = fragment("F", [scalar("count")]);
const ITEM_FRAGMENT = fragment("ItemFields", ITEM_SELECTIONS);

// ---------------------------------------------------------------------------
// Environments.

const getDataID = (fieldValue, typeName) => (fieldValue.id == null ? null : typeName + ":" + fieldValue.id);

const NO_NETWORK = Network.create(() => {
  throw new Error("this bench sends no request");
});

/**
 * A network whose requests stay pending until the bench answers them: `pending.get(serial)` is
 * the response sink of the mutation committed with variables {serial}.
 */
function heldNetwork() {
  const pending = new Map();
  const network = Network.create((params, variables) =>
    Observable.create((responseSink) => {
      pending.set(variables.serial, responseSink);
    }),
  );
  return { network, pending };
}

function makeEnv(network = NO_NETWORK, source = new RecordSource()) {
  const store = new Store(source, { getDataID });
  store.holdGC();
  return new Environment({ network, store, getDataID });
}

const query = (req) => createOperationDescriptor(req, {});
const ITEMS_OP = query(ITEMS_QUERY);
const OWNER = ITEMS_OP.request; // the owner a reader selector names

/** An environment holding Item:0..n-1 in base, listed by the root's `items`. */
function baseEnv(n = N, network = NO_NETWORK) {
  const env = makeEnv(network);
  env.commitPayload(ITEMS_OP, { items: Array.from({ length: n }, (_, i) => item(i)) });
  return env;
}

/** Writes the non-key fields of `data` into a RecordProxy. */
function setItem(record, data) {
  record.setValue(data.title, "title");
  record.setValue(data.count, "count");
  record.setValue(data.done, "done");
}

/** The optimistic updater of layer `serial`: 4 items drawn now, written on every (re)run. */
function layerUpdater(pick, serial) {
  const picks = [pick(N), pick(N), pick(N), pick(N)];
  return (store) => {
    for (const i of picks) setItem(store.get(KEYS[i]), optimisticItem(i, serial));
  };
}

/** Push one optimistic layer of 4 random items; returns its disposable. */
function pushLayer(env, pick, serial) {
  return env.applyUpdate({ storeUpdater: layerUpdater(pick, serial) });
}

/** Appends `record` to the root's `items` (a RecordSourceProxy updater step). */
function appendToItems(store, record) {
  const root = store.getRoot();
  root.setLinkedRecords([...root.getLinkedRecords("items"), record], "items");
}

const { report, reportBytes, notDriven, ...results } = makeResults("relay");

// ---------------------------------------------------------------------------
// W1: read through L optimistic layers.

function w1() {
  const run = (L, plan, read) => {
    const env = baseEnv();
    const pick = freshPick();
    for (let j = 0; j < L; j++) pushLayer(env, pick, j);
    gc();
    return timeBatches(plan.samples, plan.batch[L], () => read(env, pick));
  };

  for (const L of [0, 1, 10, 100, 1000]) {
    const ns = run(L, PLAN.w1Get, (env, pick) => {
      sink.value += Record.getValue(env.getStore().getSource().get(KEYS[pick(N)]), "count");
    });
    report(`W1 read_depth L=${L}`, ns, PLAN.w1Get.samples);
  }
  for (const L of [0, 1000]) {
    const ns = run(L, PLAN.w1ReadFragment, (env, pick) => {
      sink.value += env.lookup(createReaderSelector(COUNT_FRAGMENT, KEYS[pick(N)], {}, OWNER)).data.count;
    });
    report(`W1 readFragment L=${L}`, ns, PLAN.w1ReadFragment.samples);
  }
}


// ---------------------------------------------------------------------------
// W2: optimistic mutation lifecycle with W pending mutations.
//
// PRNG draws per lifecycle, in order: p = pick(pending.length); r = pick(100); if r < 80,
// k = pick(N); then 4 x pick(N) for the new mutation's optimistic updater.

function w2() {
  for (const W of [1, 10, 100]) {
    const { network, pending: responses } = heldNetwork();
    const env = baseEnv(N, network);
    const pick = freshPick();
    const pending = [];
    let serial = 0;
    const onError = () => {};
    // Every fourth new request is a query whose answer comes later (a reservation on optimist):
    // fetchQuery on the held network, answered by its network response or a network error.
    const push = () => {
      if (isReserved(serial)) {
        fetchQuery(env, ANSWER_ITEM_QUERY, { serial }).subscribe({ error: onError });
      } else {
        commitMutation(env, {
          mutation: UPDATE_ITEM_MUTATION,
          variables: { serial },
          optimisticUpdater: layerUpdater(pick, serial),
          onError,
        });
      }
      pending.push(serial);
      serial++;
    };
    for (let j = 0; j < W; j++) push();
    gc();
    let t = 0;
    const { samples, batch } = PLAN.w2;
    const ns = timeBatches(samples, batch[W], () => {
      const p = pick(pending.length);
      const settled = pending[p];
      pending.splice(p, 1);
      const response = responses.get(settled);
      responses.delete(settled);
      if (pick(100) < 80) {
        const k = pick(N);
        const data = isReserved(settled) ? { answerItem: serverItem(k, t) } : { updateItem: serverItem(k, t) };
        response.next({ data });
        response.complete();
      } else {
        response.error(new Error("the server said no"));
      }
      push();
      t++;
    });
    if (responses.size !== pending.length) throw new Error("W2: a request did not reach the network");
    report(`W2 lifecycle W=${W}`, ns, samples);
  }
}

// ---------------------------------------------------------------------------
// W3: normalize a list of n items with owners into a fresh environment.

function w3() {
  const op = query(ITEMS_WITH_OWNER_QUERY);
  for (const n of [1000, 10000]) {
    const data = ownerData(n);
    const samples = PLAN.w3.samples[n];
    const ns = timeSingles(samples, () => makeEnv(), (env) => env.commitPayload(op, data));
    report(`W3 normalize n=${n}`, ns, samples);
  }
  // From the wire: the same response as text, parsed and committed.
  for (const n of [1000, 10000]) {
    const text = JSON.stringify(ownerData(n));
    const samples = PLAN.w3.samples[n];
    const ns = timeSingles(samples, () => makeEnv(), (env) => env.commitPayload(op, JSON.parse(text)));
    report(`W3 normalize_text n=${n}`, ns, samples);
  }
}

// ---------------------------------------------------------------------------
// W4: read the W3 list back, cold (one item changed) and warm.

const NO_WARM_READ =
  "Relay has no result cache for a read (environment.lookup re-reads the whole tree; only a " +
  "subscription keeps its snapshot): a warm read is the cold read again, not the same work";

function w4() {
  const op = query(ITEMS_WITH_OWNER_QUERY);
  for (const n of [1000, 10000]) {
    const env = makeEnv();
    env.commitPayload(op, ownerData(n));
    const read = () => {
      sink.value += env.lookup(op.fragment).data.items.length;
    };
    read();
    gc();
    const pick = freshPick();
    let t = 0;
    const cold = timeSingles(
      PLAN.w4Cold.samples,
      () => {
        const k = pick(n);
        const count = 1_000_000 + t++;
        env.commitUpdate((store) => store.get(KEYS[k]).setValue(count, "count"));
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
  const op = query(ITEMS_WITH_OWNER_QUERY);
  for (const n of [1000, 10000]) {
    const env = makeEnv();
    env.commitPayload(op, ownerData(n));
    gc();
    let k = 0;
    const { samples, batch } = PLAN.w5;
    const ns = timeBatches(samples, batch[n], () => {
      const data = newItem(k);
      const key = "Item:" + data.id;
      const update = env.applyUpdate({
        storeUpdater: (store) => {
          const record = store.create(key, "Item");
          record.setValue(data.id, "id");
          setItem(record, data);
          appendToItems(store, record);
        },
      });
      update.dispose();
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
  // Records Item:0..N-1 created by one commitUpdate, so only the records are held, no list;
  // their keys are built inside the measured region.
  const env = makeEnv();
  const before = heapAfterGc();
  env.commitUpdate((store) => {
    for (let i = 0; i < N; i++) {
      const data = item(i);
      // The key built here, inside the measured region, as every side's keys are.
      const record = store.create("Item:" + data.id, "Item");
      record.setValue(data.id, "id");
      setItem(record, data);
    }
  });
  const after = heapAfterGc();
  reportBytes("W6 bytes/entity", (after - before) / N);

  const layers = 1000;
  const pick = freshPick();
  const beforeLayers = heapAfterGc();
  const held = [];
  for (let j = 0; j < layers; j++) held.push(pushLayer(env, pick, j));
  const afterLayers = heapAfterGc();
  reportBytes("W6 bytes/layer(4 keys)", (afterLayers - beforeLayers) / layers);
  sink.value += Record.getValue(env.getStore().getSource().get(KEYS[0]), "count") + held.length;
}

// ---------------------------------------------------------------------------
// W7: watchers told of an optimistic change and of its failure.

function w7() {
  const env = makeEnv();
  env.commitPayload(query(ALL_ITEMS_QUERY), { allItems: Array.from({ length: W7.items }, (_, i) => item(i)) });
  const listOps = Array.from({ length: W7.listWatchers }, (_, w) => createOperationDescriptor(ITEMS_W_QUERY, { w }));
  for (const op of listOps) env.commitPayload(op, { items: Array.from({ length: W7.list }, (_, i) => item(i)) });
  let told = 0;
  const subscriptions = [];
  for (let i = 0; i < W7.items; i++) {
    const snapshot = env.lookup(createReaderSelector(ITEM_FRAGMENT, KEYS[i], {}, OWNER));
    subscriptions.push(env.subscribe(snapshot, () => told++));
  }
  for (const op of listOps) {
    subscriptions.push(env.subscribe(env.lookup(op.fragment), () => told++));
  }
  gc();
  const pick = freshPick();
  let t = 0;
  const { samples, batch } = PLAN.w7;
  const ns = timeBatches(samples, batch, () => {
    const k = pick(W7.list);
    const count = 2_000_000 + t;
    const update = env.applyUpdate({ storeUpdater: (store) => store.get(KEYS[k]).setValue(count, "count") });
    update.dispose();
    t++;
  });
  report("W7 watch", ns, samples, { told: told / t, affected: W7_AFFECTED });
  sink.value += subscriptions.length;
}

// ---------------------------------------------------------------------------
// W8: serialise the store (N items, 100 pending layers) and load it into a new one.

function w8() {
  const env = baseEnv();
  const pick = freshPick();
  for (let j = 0; j < W8_LAYERS; j++) pushLayer(env, pick, j);
  gc();
  let restored = null;
  let bytes = 0;
  const ns = timeSingles(
    PLAN.w8.samples,
    () => {
      restored = null;
      gc();
    },
    () => {
      const json = JSON.stringify(env.getStore().getSource().toJSON());
      bytes = json.length;
      restored = makeEnv(NO_NETWORK, new RecordSource(JSON.parse(json)));
    },
  );
  const original = env.getStore().getSource();
  const copy = restored.getStore().getSource();
  if (copy.size() !== original.size() || Record.getValue(copy.get(KEYS[20956]), "count") !== Record.getValue(original.get(KEYS[20956]), "count")) {
    throw new Error("W8: the restored source differs from the merged one");
  }
  report("W8 persist", ns, PLAN.w8.samples, { bytes });
}

// ---------------------------------------------------------------------------
// W9: confirm an optimistic create under the server's key, 100 layers above it.

function w9() {
  const { network, pending: responses } = heldNetwork();
  const env = baseEnv(W9.list, network);
  gc();
  const onError = () => {};
  const ns = timeSingles(
    PLAN.w9.samples,
    (s) => {
      const tmp = tempItem(s);
      const tmpKey = "Item:" + tmp.id;
      commitMutation(env, {
        mutation: CREATE_ITEM_MUTATION,
        variables: { serial: s },
        optimisticUpdater: (store) => {
          const record = store.create(tmpKey, "Item");
          record.setValue(tmp.id, "id");
          setItem(record, tmp);
          appendToItems(store, record);
        },
        updater: (store) => appendToItems(store, store.getRootField("createItem")),
        onError,
      });
      const above = [];
      for (let j = 0; j < W9.above; j++) {
        const count = s * 1000 + j;
        above.push(env.applyUpdate({ storeUpdater: (store) => store.get(tmpKey)?.setValue(count, "count") }));
      }
      return { s, above };
    },
    ({ s }) => {
      const response = responses.get(s);
      responses.delete(s);
      response.next({ data: { createItem: createdItem(s) } });
      response.complete();
    },
    1,
    ({ above }) => {
      for (let j = above.length - 1; j >= 0; j--) above[j].dispose();
    },
  );
  const items = env.lookup(ITEMS_OP.fragment).data.items;
  if (items.length !== W9.list + PLAN.w9.samples + 1 || items.at(-1).id !== String(W9.list + PLAN.w9.samples)) {
    throw new Error("W9: the confirmed creates are not at the end of the list");
  }
  report("W9 remap", ns, PLAN.w9.samples);
}

// ---------------------------------------------------------------------------
// W10: Relay's own collection over N records, the first W10.listed listed by a retained query,
// the next W10.retained retained each by an operation rooted at the record. The store's
// gcScheduler (a Store option) holds the collection's steps, and the timed op runs them to the
// end: store.scheduleGC() then every step, synchronously, which is what Relay does on its
// default scheduler over a few ticks. Relay does not collect while an optimistic update is
// applied (a snapshot cancels a run and defers it until the last update is reverted), so with
// 1 or 100 pending layers there is no collection to time.

function w10() {
  const listOp = createOperationDescriptor(ITEMS_QUERY, {});
  let removed = 0;
  const ns = timeSingles(
    PLAN.w10.samples,
    () => {
      let step = null;
      const store = new Store(new RecordSource(), { getDataID, gcScheduler: (run) => (step = run) });
      const env = new Environment({ network: NO_NETWORK, store, getDataID });
      // The records by one commitUpdate (commitPayload would keep its query in Relay's
      // release buffer, which retains what it lists), then the list by its query.
      env.commitUpdate((proxy) => {
        for (let i = 0; i < N; i++) {
          const data = item(i);
          const record = proxy.create(KEYS[i], "Item");
          record.setValue(data.id, "id");
          setItem(record, data);
        }
      });
      env.commitPayload(listOp, { items: Array.from({ length: W10.listed }, (_, i) => item(i)) });
      const held = [env.retain(listOp)];
      for (let i = W10.listed; i < W10.listed + W10.retained; i++) {
        held.push(env.retain(createOperationDescriptor(ITEM_ROOT_QUERY, { i }, null, KEYS[i])));
      }
      step = null;
      gc();
      return { store, held, runSteps: () => { while (step) { const run = step; step = null; run(); } } };
    },
    ({ store, runSteps }) => {
      const before = store.getSource().size();
      store.scheduleGC();
      runSteps();
      removed = before - store.getSource().size();
    },
  );
  if (removed !== N - W10.listed - W10.retained) throw new Error(`W10: removed ${removed} records`);
  report("W10 gc L=0", ns, PLAN.w10.samples, { removed });
  const why =
    "Relay does not collect while an optimistic update is applied (its snapshot cancels a " +
    "run and defers it until the last update is reverted)";
  for (const layers of W10.layers.filter((l) => l > 0)) notDriven(`W10 gc L=${layers}`, why);
}

// ---------------------------------------------------------------------------
// W11: the app trace (benches/README.md). Every subscription is a component showing one page;
// Relay calls it when the page's data changed (after recycling equal subtrees).

function w11() {
  const { network, pending: responses } = heldNetwork();
  const env = makeEnv(network);
  const trace = new W11Trace();
  let told = 0;
  const callback = () => told++;
  const ops = Array.from({ length: W11.queries }, (_, page) => createOperationDescriptor(PAGE_QUERY, { page }));
  for (let page = 0; page < W11.queries; page++) env.commitPayload(ops[page], JSON.parse(trace.pageText(page)));
  const subscribe = (page) => env.subscribe(env.lookup(ops[page].fragment), callback);
  const subscriptions = ops.map((_, page) => subscribe(page));
  gc();
  const onError = () => {};
  const run = (op) => {
    switch (op.kind) {
      case "refetch_same":
      case "refetch_changed":
        env.commitPayload(ops[op.page], JSON.parse(op.text));
        break;
      case "mutate":
        commitMutation(env, {
          mutation: UPDATE_ITEM_MUTATION,
          variables: { serial: op.serial },
          optimisticUpdater: (store) => setItem(store.get(KEYS[op.item]), optimisticItem(op.item, op.serial)),
          onError,
        });
        break;
      case "confirm": {
        const response = responses.get(op.serial);
        responses.delete(op.serial);
        response.next({ data: { updateItem: optimisticItem(op.item, op.serial) } });
        response.complete();
        break;
      }
      case "fail": {
        const response = responses.get(op.serial);
        responses.delete(op.serial);
        response.error(new Error("the server said no"));
        break;
      }
      case "remount":
        subscriptions[op.page].dispose();
        subscriptions[op.page] = subscribe(op.page);
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
    const snapshot = env.lookup(ops[0].fragment);
    if (snapshot.isMissingData || snapshot.data.items.length !== W11.page) throw new Error("W11: page 0 does not list its items");
    for (const row of rows) report(row.workload, row.ns, row.samples, { told: row.told, ops: row.ops });
  });
}

// ---------------------------------------------------------------------------
// W12: a page of 25 edges merged by Relay's ConnectionHandler onto a connection of n edges, one
// subscription on the list. The artifact is what relay-compiler emits for
//
//   query TasksQuery($after: String) { project(id: "1") { __typename id
//     tasks(first: 25, after: $after) @connection(key: "Project_tasks") { __typename
//       edges { __typename cursor node { __typename id title } } pageInfo { __typename hasNextPage endCursor } } } }
//
// The normalization AST has the server field `tasks(after:..,first:25)` and next to it a
// LinkedHandle (handle "connection", key "Project_tasks", no filters): the normalizer records a
// handle payload for it and the publish queue runs the environment's connection handler
// (ConnectionHandler.update), which appends the page's edges to the client connection record
// `__Project_tasks_connection` when `after` is its end cursor. The reader AST reads that record
// (alias `tasks`), as a fragment with @connection does.

const TASK_CONNECTION_SELECTIONS = [
  scalar("__typename"),
  linked("edges", "TaskEdge", true, [
    scalar("__typename"),
    scalar("cursor"),
    linked("node", "Task", false, ["__typename", "id", "title"].map(scalar)),
  ]),
  linked("pageInfo", "PageInfo", false, ["__typename", "hasNextPage", "endCursor"].map(scalar)),
];
const TASKS_ARGS = [
  { kind: "Variable", name: "after", variableName: "after" },
  { kind: "Literal", name: "first", value: 25 },
];
const PROJECT_ARGS = [{ kind: "Literal", name: "id", value: "1" }];
const projectField = (tasksSelections) => ({
  ...linked("project", "Project", false, [scalar("__typename"), scalar("id"), ...tasksSelections], PROJECT_ARGS),
  storageKey: 'project(id:"1")',
});
const TASKS_QUERY = {
  kind: "Request",
  fragment: {
    argumentDefinitions: [{ defaultValue: null, kind: "LocalArgument", name: "after" }],
    kind: "Fragment",
    metadata: null,
    name: "TasksQuery",
    selections: [
      projectField([{ ...linked("__Project_tasks_connection", "TaskConnection", false, TASK_CONNECTION_SELECTIONS), alias: "tasks" }]),
    ],
    type: "Query",
    abstractKey: null,
  },
  operation: {
    argumentDefinitions: [{ defaultValue: null, kind: "LocalArgument", name: "after" }],
    kind: "Operation",
    name: "TasksQuery",
    selections: [
      projectField([
        linked("tasks", "TaskConnection", false, TASK_CONNECTION_SELECTIONS, TASKS_ARGS),
        { alias: null, args: TASKS_ARGS, filters: null, handle: "connection", key: "Project_tasks", kind: "LinkedHandle", name: "tasks" },
      ]),
    ],
  },
  params: {
    cacheID: "TasksQuery", id: null, metadata: {}, name: "TasksQuery", operationKind: "query",
    text: 'query TasksQuery($after: String) { project(id: "1") { __typename id tasks(first: 25, after: $after) { __typename edges { __typename cursor node { __typename id title } } pageInfo { __typename hasNextPage endCursor } } } }',
  },
};
const tasksOp = (start) => createOperationDescriptor(TASKS_QUERY, { after: afterOf(start).after ?? null });

function w12() {
  for (const n of W12.sizes) {
    let told = 0;
    let shown = null;
    const ns = timeSingles(
      PLAN.w12.samples,
      () => {
        const env = makeEnv();
        for (let start = 0; start < n; start += W12.page) env.commitPayload(tasksOp(start), tasksPage(start));
        const snapshot = env.lookup(tasksOp(0).fragment);
        if (snapshot.isMissingData) throw new Error("W12 (Relay): the first page's snapshot misses data");
        shown = snapshot.data;
        checkTasks(shown.project.tasks, n, "Relay");
        const subscription = env.subscribe(snapshot, (next) => {
          told++;
          shown = next.data;
        });
        told = 0;
        gc();
        return { env, subscription, op: tasksOp(n), data: tasksPage(n) };
      },
      ({ env, op, data }) => env.commitPayload(op, data),
      1,
      ({ subscription }) => {
        if (told !== 1) throw new Error(`W12 (Relay): the subscription was told ${told} times`);
        checkTasks(shown.project.tasks, n + W12.page, "Relay");
        subscription.dispose();
      },
    );
    report(`W12 pagination n=${n}`, ns, PLAN.w12.samples, { told: 1 });
  }
}

// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// W13: cold start from a file. Relay's record source is its saved form (toJSON, and a new
// RecordSource of the records); with optimistic updates applied, getSource() is the merged
// source, so the saved records hold the 3 layers' writes as data: after the restart nothing is
// pending (Relay's updates are functions, not data). The first results show what optimist's show.

function w13() {
  const env = baseEnv();
  for (let page = 0; page < W13.pages; page++) {
    env.commitPayload(createOperationDescriptor(PAGE_QUERY, { page }), { items: w13PageItems(page).map(item) });
  }
  const layers = w13Layers();
  layers.forEach((items, s) => {
    env.applyUpdate({
      storeUpdater: (store) => {
        for (const i of items) setItem(store.get(KEYS[i]), optimisticItem(i, s));
      },
    });
  });
  const path = join(tmpdir(), `optimist-w13-relay-${process.pid}.json`);
  writeFileSync(path, JSON.stringify(env.getStore().getSource().toJSON()));
  const bytes = readFileSync(path).length; // and the file is in the page cache
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
      const restored = makeEnv(NO_NETWORK, new RecordSource(JSON.parse(text)));
      const t2 = now();
      results = [];
      for (let page = 0; page < W13.pages; page++) {
        const snapshot = restored.lookup(createOperationDescriptor(PAGE_QUERY, { page }).fragment);
        if (snapshot.isMissingData) throw new Error(`W13 (Relay): page ${page} is missing data`);
        results.push(snapshot.data.items);
      }
      laps.push([t0, t1, t2, now()]);
    },
    1,
    () => checkW13(results, layers, "Relay"),
  );
  unlinkSync(path);
  report("W13 cold start", ns, PLAN.w13.samples, {
    bytes, ...w13Phases(laps), layers: "folded into the saved records (the merged source): no longer pending",
  });
}

runAll(
  "Relay store bench (relay-runtime)",
  { W1: w1, W2: w2, W3: w3, W4: w4, W5: w5, W6: w6, W7: w7, W8: w8, W9: w9, W10: w10, W11: w11, W12: w12, W13: w13 },
  results,
);
