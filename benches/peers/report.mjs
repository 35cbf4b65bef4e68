// Joins optimist's criterion results with its peers' and prints the side-by-side table.
//
// Usage: node benches/peers/report.mjs [--out OUT_DIR] [RUN_DIR ...]
//   One RUN_DIR (default: the repository's target/): that run's medians and ratios. Several
//   (run.sh --repeat: TARGET/runs/1 .. TARGET/runs/N): each figure's median over the runs, each
//   ratio's median over the runs with its spread (min-max), and a target "met" only when every
//   run meets it (the worst run decides). OUT_DIR (default: the only RUN_DIR, else the
//   repository's target/) receives peer-report.json and the SVG.
//
// Reads, in each RUN_DIR (TARGET_DIR below)
//   TARGET_DIR/criterion/<group>/<id>/new/estimates.json   median point estimate, ns per iteration
//   TARGET_DIR/<peer>.json    from benches/peers/<peer>/bench.mjs, for each peer in PEERS:
//                             [{workload, <peer>_ns | <peer>_bytes, told?, not_driven?}]
//   TARGET_DIR/memory.json    from benches/memory.rs: [{workload, optimist_bytes, ...}]
//   TARGET_DIR/criterion/app_trace/trace.json   W11 on optimist, sampled as the peers sample it
//                             (benches/workloads.rs): [{workload, optimist_ns, told, calls, ...}]
//   TARGET_DIR/criterion/persist/saved.json     W8: the bytes optimist saves
//   TARGET_DIR/criterion/pagination/w12.json    W12 on optimist, sampled as the peers sample it
//                             (benches/workloads.rs): [{workload, optimist_ns, samples, told}]
//   TARGET_DIR/criterion/cold_start/w13.json    W13 on optimist, sampled as the peers sample it:
//                             [{workload, optimist_ns, samples, bytes, read_ms, restore_ms,
//                             reads_ms, layers}] (the peers' W13 rows carry the same fields)
// A peer's workload it cannot do the same way carries `not_driven` (its reason): the cell reads
// "n/a" and the reason is printed under the table; no ratio is taken.
// Writes
//   TARGET_DIR/peer-report.json   [{workload, optimist_ns, <peer>_ns, <peer>_ratio, ...}] (W6 rows:
//                                 bytes); <peer>_ratio = peer / optimist
//   TARGET_DIR/w1-read-depth.svg  W1: ns per read against L, every system, log y
// A missing figure (a side not run, or not written yet, such as optimist's W8) prints as "—"
// and is null in the JSON; a workload a peer cannot drive carries its reason (`not_driven`).
// The workloads and targets are those of benches/README.md. No dependencies: plain Node >= 18.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
let outDir = null;
const runDirs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--out") outDir = resolve(args[++i]);
  else runDirs.push(resolve(args[i]));
}
if (!runDirs.length) runDirs.push(resolve(join(here, "..", "..", "target")));
outDir ??= runDirs.length === 1 ? runDirs[0] : resolve(join(here, "..", "..", "target"));
// The directory being read (loadRun sets it); the SVG is drawn from the last run.
let target = runDirs[0];

const PEERS = [
  { key: "apollo", name: "Apollo" },
  { key: "relay", name: "Relay" },
  { key: "urql", name: "urql" },
];

// ---------------------------------------------------------------------------
// What joins with what. `ours`: criterion id (group/parameter); `peer`: the workload name in
// <peer>.json (the same as ours unless given); `baseline`: our naive baseline's criterion id;
// `target`: the goal of benches/README.md, as { text, met(figures) -> bool | null } where
// figures = { ours, baseline, ratio: { apollo, relay, urql } } (ratio = peer / optimist).

const atLeast = (peer, x) => (f) => (f.ratio[peer] == null ? null : f.ratio[peer] >= x);
const all = (...checks) => (f) => {
  const results = checks.map((check) => check(f));
  if (results.includes(false)) return false;
  return results.includes(null) ? null : true;
};
const withinBaseline = (x) => (f) => (f.ours == null || f.baseline == null ? null : f.ours <= x * f.baseline);

const W1 = [0, 1, 10, 100, 1000];
const W10_LAYERS = [0, 1, 100];
const W11_ROWS = ["refetch_same", "refetch_changed", "mutate", "confirm", "fail", "remount", "mix"];
const ROWS = [
  // Field reads: Store::get_field against each peer's own field read (Apollo's
  // optimisticData.get, Relay's Record.getValue of the merged source, urql's cache.resolve);
  // the HashMap baseline measured right after each L, on the same keys.
  ...W1.map((L) => ({
    workload: `W1 read_depth L=${L}`,
    ours: `read_depth/${L}`,
    baseline: `read_depth_baseline/hashmap/${L}`,
    baselineName: "HashMap get",
    target: {
      text: `<= 1.5x HashMap${L === 0 ? ", >= 10x Apollo" : L === 1000 ? ", >= 1000x Apollo" : ""}, >= 3x Relay`,
      met: all(withinBaseline(1.5), ...(L === 0 ? [atLeast("apollo", 10)] : L === 1000 ? [atLeast("apollo", 1000)] : []), atLeast("relay", 3)),
    },
  })),
  // Document reads of `fragment F on Item { count }` on every side: Store::read_fragment into
  // JSON; Apollo's readFragment; Relay's environment.lookup of the fragment; urql's readQuery.
  ...[0, 1000].map((L) => ({
    workload: `W1 readFragment L=${L}`,
    ours: `read_fragment/${L}`,
    note: "optimist: Store::read_fragment; Apollo: readFragment; Relay: environment.lookup of a fragment; urql: client.readQuery",
  })),
  ...[1, 10, 100].map((W) => ({
    workload: `W2 lifecycle W=${W}`,
    ours: `lifecycle/${W}`,
    baseline: `lifecycle_baseline/undo_log/${W}`,
    baselineName: "undo log",
    target: W === 100 ? { text: ">= 500x Apollo, >= 300x Relay", met: all(atLeast("apollo", 500), atLeast("relay", 300)) } : undefined,
  })),
  ...[1000, 10000].map((n) => ({
    workload: `W3 normalize n=${n}`,
    ours: `normalize/${n}`,
    target: { text: ">= 30x Apollo, < 1 us/entity", met: all(atLeast("apollo", 30), (f) => (f.ours == null ? null : f.ours < n * 1000)) },
  })),
  // From the wire: text in (optimist's stream; the peers' JSON.parse first), the baseline the
  // same text through serde_json::from_str and the tree walk.
  ...[1000, 10000].map((n) => ({
    workload: `W3 normalize_text n=${n}`,
    ours: `normalize_text/${n}`,
    baseline: `normalize_text_tree/${n}`,
    baselineName: "from_str + tree walk",
    target: { text: ">= 30x Apollo, < 1 us/entity", met: all(atLeast("apollo", 30), (f) => (f.ours == null ? null : f.ours < n * 1000)) },
  })),
  // Cold and warm go through a kept optimist::Query, as Apollo's readQuery goes through its
  // result cache; the baseline is a full read with no cache (Store::read_query).
  ...[1000, 10000].map((n) => ({
    workload: `W4 read_query cold n=${n}`,
    ours: `read_query/cold/${n}`,
    baseline: `read_query/uncached/${n}`,
    baselineName: "read_query, no cache",
    target: { text: ">= 10x Apollo", met: atLeast("apollo", 10) },
  })),
  ...[1000, 10000].map((n) => ({
    workload: `W4 read_query warm n=${n}`,
    ours: `read_query/warm/${n}`,
    baseline: `read_query/uncached/${n}`,
    baselineName: "read_query, no cache",
    target: { text: ">= 100x Apollo", met: atLeast("apollo", 100) },
    note: "Relay and urql: n/a, no result cache (a warm read would be the cold read again)",
  })),
  // A full read straight into structs (read_query_as), against the peers' cold reads.
  ...[1000, 10000].map((n) => ({
    workload: `W4 read_query typed n=${n}`,
    ours: `read_query/typed/${n}`,
    peer: `W4 read_query cold n=${n}`,
    note: "optimist: read_query_as into structs, no cache; peers: their cold read",
  })),
  // The typed read a Rust UI keeps: Query::read_as into rows that are Shared parts, after one
  // item changed, against our own shared read of the same change and the peers' cold reads.
  ...[1000, 10000].map((n) => ({
    workload: `W4 read_query typed kept n=${n}`,
    ours: `read_query/typed_kept/${n}`,
    peer: `W4 read_query cold n=${n}`,
    baseline: `read_query/cold/${n}`,
    baselineName: "our shared Value read",
    target: { text: "<= 1.2x our Value read, >= 3x Relay", met: all(withinBaseline(1.2), atLeast("relay", 3)) },
    note: "optimist: Query::read_as into Vec<Shared<Row>>, unchanged rows reused; peers: their cold read",
  })),
  ...[1000, 10000].map((n) => ({
    workload: `W5 list_insert n=${n}`,
    ours: `list_insert/${n}`,
    baseline: `list_insert_baseline/undo_log/${n}`,
    baselineName: "undo log",
    target: { text: "flat in n, >= 50x Apollo", met: atLeast("apollo", 50) },
  })),
  // ---- W7-W9: an id with no criterion group yet (W8: persistence is being built) prints "—".
  {
    workload: "W7 watch",
    ours: "watch/10000",
    told: true,
    target: { text: "only the affected told, >= 20x Apollo", met: atLeast("apollo", 20) },
  },
  { workload: "W8 persist", ours: "persist/100000", savedBytes: true, target: { text: ">= 5x Apollo, layers kept", met: atLeast("apollo", 5) } },
  {
    workload: "W8 persist extract(true)",
    ours: "persist/100000",
    savedBytes: true,
    note: "Apollo only: extract(true), the merged view with the layers folded in (one sample)",
  },
  { workload: "W9 remap", ours: "remap/10000", target: { text: "proportional to the key's places", met: () => null } },
  ...W10_LAYERS.map((L) => ({
    workload: `W10 gc L=${L}`,
    ours: `gc/${L}`,
    target: { text: "faster than Apollo, nothing a layer needs removed", met: atLeast("apollo", 1) },
  })),
  // ---- W11: every side samples the one trace per kind and for the mix (ours from
  // app_trace/trace.json, not criterion: the same sampler as the peers'); `told` on every side,
  // ours included. The identical refetch's baseline: a full read of one page, no cache.
  ...W11_ROWS.map((kind) => ({
    workload: `W11 app_trace ${kind}`,
    trace: true,
    told: true,
    ...(kind === "refetch_same"
      ? {
          baseline: "app_trace/read",
          baselineName: "read_query of the page",
          target: {
            text: "<= 1.5x read, tells 0, >= 20x Apollo",
            met: all(withinBaseline(1.5), (f) => (f.told == null ? null : f.told === 0), atLeast("apollo", 20)),
          },
        }
      : kind === "mix"
        ? { target: { text: ">= 20x Apollo", met: atLeast("apollo", 20) } }
        : {}),
  })),
  // ---- W12: ours from pagination/w12.json (the peers' sampling: every page on a connection
  // built afresh to n edges), not criterion's steady variant. At n=10000 the baseline is our
  // own page at n=1000: "proportional to the page" is read as at most 2x it at ten times the list.
  ...[1000, 10000].map((n) => ({
    workload: `W12 pagination n=${n}`,
    w12: true,
    ...(n === 10000
      ? {
          w12Baseline: "W12 pagination n=1000",
          baselineName: "our page at n=1000",
          target: { text: ">= 10x Apollo, <= 2x our page at n=1000", met: all(atLeast("apollo", 10), withinBaseline(2)) },
        }
      : { target: { text: ">= 10x Apollo", met: atLeast("apollo", 10) } }),
  })),
  // ---- W13: ours from cold_start/w13.json (the peers' sampling: one warm-up, then samples of
  // the whole cold start), with each side's file size, phases and what became of its layers.
  {
    workload: "W13 cold start",
    w13: true,
    savedBytes: true,
    target: { text: ">= 5x Apollo", met: atLeast("apollo", 5) },
  },
];
const MEMORY_ROWS = [
  {
    workload: "W6 bytes/entity",
    baselineName: "HashMap",
    target: { text: "below Apollo, <= 250 B", met: (f) => (f.ours == null ? null : f.ours <= 250 && (f.ratio.apollo == null || f.ratio.apollo > 1)) },
  },
  // Not a like-for-like figure: optimist's layer record and its ops; Apollo's and Relay's a
  // closure over the drawn items and their layer; urql's a whole client mutation (operation,
  // subscription, layer). The bytes are shown, no ratio is taken.
  { workload: "W6 bytes/layer(4 keys)", noRatio: "sides hold different things per layer" },
];

// ---------------------------------------------------------------------------
// Inputs.

function readJson(path) {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8"));
}

/** Median ns per iteration of a criterion bench in the run being read, or null. */
function criterion(id) {
  if (!id) return null;
  const estimates = readJson(join(target, "criterion", ...id.split("/"), "new", "estimates.json"));
  return estimates?.median?.point_estimate ?? null;
}

const ratio = (a, b) => (a != null && b != null && b > 0 ? a / b : null);
const round = (x, digits = 1) =>
  x == null ? null : Math.abs(x) >= 1 ? Number(x.toFixed(digits)) : Number(x.toPrecision(3));
const median = (xs) => {
  const s = xs.filter((x) => x != null).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * One run's figures, joined: for each row { row, ours, baseline, figures: {peer: x}, ratios:
 * {peer: x}, told: {optimist?, peer...}, calls, notDriven: {peer: why}, bytes: {side: saved
 * bytes}, met }.
 */
function loadRun(dir) {
  target = dir;
  const memoryPath = join(dir, "memory.json");
  const peerRows = Object.fromEntries(
    PEERS.map(({ key }) => [key, new Map((readJson(join(dir, `${key}.json`)) ?? []).map((r) => [r.workload, r]))]),
  );
  const memory = new Map((readJson(memoryPath) ?? []).map((r) => [r.workload, r]));
  const tracePath = join(dir, "criterion", "app_trace", "trace.json");
  const trace = new Map((readJson(tracePath) ?? []).map((r) => [r.workload, r]));
  const saved = new Map((readJson(join(dir, "criterion", "persist", "saved.json")) ?? []).map((r) => [r.workload, r]));
  const w12 = new Map((readJson(join(dir, "criterion", "pagination", "w12.json")) ?? []).map((r) => [r.workload, r]));
  const w13 = new Map((readJson(join(dir, "criterion", "cold_start", "w13.json")) ?? []).map((r) => [r.workload, r]));
  const missing = [];
  for (const { key } of PEERS) {
    if (!peerRows[key].size) missing.push(`${join(dir, key + ".json")} (run benches/peers/${key}/bench.mjs)`);
  }
  if (!memory.size) missing.push(`${memoryPath} (run cargo bench --bench memory -- ${memoryPath})`);
  if (!trace.size) missing.push(`${tracePath} (run cargo bench --bench workloads -- app_trace)`);
  if (!criterion("read_depth/0")) missing.push(`${join(dir, "criterion")} (run cargo bench --bench workloads)`);

  const join1 = (row, unit, ours, baseline) => {
    const out = { row, ours, baseline, figures: {}, ratios: {}, told: {}, notDriven: {}, bytes: {}, phases: {} };
    if (row.trace) {
      const ourTrace = trace.get(row.workload);
      out.told.optimist = ourTrace?.told ?? null;
      // Every call of our observers' listeners, fetch-status changes included (benches/README.md).
      out.calls = ourTrace?.calls ?? null;
    }
    if (row.savedBytes) out.bytes.optimist = row.w13 ? w13.get(row.workload)?.bytes ?? null : saved.get("W8 persist")?.optimist_bytes ?? null;
    if (row.w13) out.phases.optimist = w13.get(row.workload) ?? null;
    for (const { key } of PEERS) {
      const r = peerRows[key].get(row.peer ?? row.workload);
      out.figures[key] = r?.[`${key}_${unit}`] ?? null;
      out.ratios[key] = row.noRatio ? null : ratio(out.figures[key], ours);
      if (row.told && r?.told != null) out.told[key] = r.told;
      if (r?.not_driven) out.notDriven[key] = r.not_driven;
      if (row.savedBytes && r?.bytes != null) out.bytes[key] = r.bytes;
      if (row.w13 && r) out.phases[key] = r;
    }
    out.met = row.target ? row.target.met({ ours, baseline, ratio: out.ratios, told: out.told.optimist ?? null }) : null;
    return out;
  };
  const ours = (row) =>
    row.trace
      ? trace.get(row.workload)?.optimist_ns ?? null
      : row.w12
        ? w12.get(row.workload)?.optimist_ns ?? null
        : row.w13
          ? w13.get(row.workload)?.optimist_ns ?? null
          : criterion(row.ours);
  const baseline = (row) => (row.w12Baseline ? w12.get(row.w12Baseline)?.optimist_ns ?? null : criterion(row.baseline));
  const timed = ROWS.map((row) => join1(row, "ns", ours(row), baseline(row)));
  const bytes = MEMORY_ROWS.map((row) => {
    const figures = memory.get(row.workload);
    const out = join1(row, "bytes", figures?.optimist_bytes ?? null, figures?.baseline_bytes ?? null);
    out.rss = figures?.optimist_rss_bytes ?? null;
    out.requested = figures?.optimist_requested_bytes ?? null;
    return out;
  });
  return { dir, timed, bytes, missing, peerRows };
}

const runs = runDirs.map(loadRun);
const multi = runs.length > 1;

/**
 * The runs' results for one row combined: medians of the figures, each ratio's median and
 * spread (min, max over the runs that have it), and `met` true only when every run met the
 * target (false when any missed; null when none could tell).
 */
function combine(unit, perRun) {
  const { row } = perRun[0];
  const spread = (xs) => {
    const v = xs.filter((x) => x != null);
    return v.length ? { median: median(v), min: Math.min(...v), max: Math.max(...v), runs: v.length } : null;
  };
  const json = { workload: row.workload, runs: perRun.length, [`optimist_${unit}`]: round(median(perRun.map((r) => r.ours))) };
  const ratios = {};
  const notDriven = {};
  for (const { key } of PEERS) {
    json[`${key}_${unit}`] = round(median(perRun.map((r) => r.figures[key])));
    ratios[key] = spread(perRun.map((r) => r.ratios[key]));
    json[`${key}_ratio`] = round(ratios[key]?.median ?? null, 2);
    if (multi && ratios[key]) json[`${key}_ratio_spread`] = [round(ratios[key].min, 2), round(ratios[key].max, 2)];
    for (const r of perRun) if (r.notDriven[key]) notDriven[key] = r.notDriven[key];
  }
  for (const side of ["optimist", ...PEERS.map((p) => p.key)]) {
    const told = median(perRun.map((r) => r.told[side]));
    if (told != null) json[`${side}_told`] = told;
    const saved = median(perRun.map((r) => r.bytes[side]));
    if (saved != null) json[`${side}_saved_bytes`] = saved;
    // W13: each phase's median over the runs, and what became of the side's pending layers.
    for (const phase of ["read_ms", "restore_ms", "reads_ms"]) {
      const ms = median(perRun.map((r) => r.phases?.[side]?.[phase]));
      if (ms != null) json[`${side}_${phase}`] = ms;
    }
    const layers = perRun.map((r) => r.phases?.[side]?.layers).find((x) => x != null);
    if (layers != null) json[`${side}_layers`] = layers;
  }
  const calls = median(perRun.map((r) => r.calls));
  if (calls != null) json.optimist_calls = calls;
  let baselineRatio = null;
  if (row.baseline || perRun.some((r) => r.baseline != null)) {
    json.baseline = row.baselineName;
    json[`baseline_${unit}`] = round(median(perRun.map((r) => r.baseline)));
    baselineRatio = spread(perRun.map((r) => ratio(r.baseline, r.ours)));
    json.baseline_ratio = round(baselineRatio?.median ?? null, 2);
    if (multi && baselineRatio) json.baseline_ratio_spread = [round(baselineRatio.min, 2), round(baselineRatio.max, 2)];
  }
  if (row.note) json.note = row.note;
  if (row.noRatio) json.no_ratio = row.noRatio;
  if (Object.keys(notDriven).length) json.not_driven = notDriven;
  const verdicts = perRun.map((r) => r.met);
  const met = verdicts.includes(false) ? false : verdicts.every((v) => v === true) ? true : null;
  if (row.target) {
    Object.assign(json, { target: row.target.text, target_met: met });
    if (multi) json.target_met_runs = verdicts.filter((v) => v === true).length;
  }
  const last = perRun[perRun.length - 1];
  if (last.rss != null) json.optimist_rss_bytes = round(median(perRun.map((r) => r.rss)));
  if (last.requested != null) json.optimist_requested_bytes = round(median(perRun.map((r) => r.requested)));
  return { row, json, met, ratios, baselineRatio, metRuns: verdicts.filter((v) => v === true).length };
}

const timed = ROWS.map((_, i) => combine("ns", runs.map((r) => r.timed[i])));
const bytes = MEMORY_ROWS.map((_, i) => combine("bytes", runs.map((r) => r.bytes[i])));
const missing = runs.flatMap((r) => r.missing);
// The SVG is drawn from the last run.
const { peerRows } = runs[runs.length - 1];
target = runs[runs.length - 1].dir;

// ---------------------------------------------------------------------------
// Table.

const DASH = "—";
function fmtNs(ns) {
  if (ns == null) return DASH;
  if (ns < 1e3) return ns.toFixed(1) + " ns";
  if (ns < 1e6) return (ns / 1e3).toFixed(2) + " us";
  return (ns / 1e6).toFixed(2) + " ms";
}
const fmtBytes = (b) => (b == null ? DASH : b.toFixed(0) + " B");
function fmtRatio(x) {
  if (x == null) return DASH;
  if (x >= 100) return x.toFixed(0) + "x";
  if (x >= 0.1) return x.toFixed(2) + "x";
  return x.toPrecision(2) + "x";
}
// Several runs: "met" only when every run met it; the count of runs that met it otherwise.
const verdict = ({ row, met, metRuns }) => {
  if (!row.target) return "";
  if (met == null) return row.target.text;
  const runsNote = multi ? ` (${metRuns}/${runs.length} runs)` : "";
  return `${row.target.text}: ${met ? "met" : "MISSED"}${runsNote}`;
};
// A ratio: the median, and with several runs its spread over them.
const fmtSpread = (s) => (s == null ? DASH : multi && s.runs > 1 ? `${fmtRatio(s.median)} (${fmtRatio(s.min)}-${fmtRatio(s.max)})` : fmtRatio(s.median));

const header = [
  "workload", "optimist", ...PEERS.map((p) => p.name), ...PEERS.map((p) => `${p.name}/opt`),
  "our baseline", "baseline/opt", "target",
];
const numeric = 1 + 2 * PEERS.length; // right-aligned columns after the first
// A told figure: whole numbers as they are, small fractions with two significant digits (an
// identical refetch that told one watcher in 2,500 shows as 0.00040, not as 0.00).
const fmtTold = (x) => (x == null ? DASH : Number.isInteger(x) ? String(x) : Math.abs(x) < 0.01 ? x.toPrecision(2) : x.toFixed(2));
const toldOf = (json) => [...(json.optimist_told !== undefined ? ["optimist"] : []), ...PEERS.map((p) => p.key)]
  .map((key) => (json.not_driven?.[key] ? DASH : fmtTold(json[`${key}_told`])))
  .join(" / ");
const line = (combined, unit, fmt) => {
  const { row, json, ratios, baselineRatio } = combined;
  return [
    json.workload + (row.told ? " (told: " + toldOf(json) + ")" : ""),
    fmt(json[`optimist_${unit}`]),
    ...PEERS.map((p) => (json.not_driven?.[p.key] ? "n/a" : fmt(json[`${p.key}_${unit}`]))),
    ...PEERS.map((p) => (json.not_driven?.[p.key] ? "n/a" : row.noRatio ? "no ratio" : fmtSpread(ratios[p.key]))),
    json.baseline ? `${fmt(json[`baseline_${unit}`])} (${json.baseline})` : "",
    json.baseline ? fmtSpread(baselineRatio) : "",
    verdict(combined),
  ];
};
const lines = [...timed.map((r) => line(r, "ns", fmtNs)), ...bytes.map((r) => line(r, "bytes", fmtBytes))];
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const pad = (cells) =>
  cells.map((c, i) => (i === 0 || i > numeric ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();

const cpu = cpus()[0]?.model ?? "unknown CPU";
console.log(`optimist vs ${PEERS.map((p) => p.name).join(", ")}: medians; <peer>/opt = peer / optimist (W6: bytes)`);
if (multi) {
  console.log(
    `${runs.length} runs (${runs.map((r) => r.dir).join(", ")}): figures are medians over the runs; each ratio ` +
      "is its median over the runs with (min-max); a target is met only when every run meets it",
  );
}
console.log(`${cpus().length} x ${cpu}, node ${process.version}, ${new Date().toISOString()}`);
console.log("");
console.log(pad(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const l of lines) console.log(pad(l));
console.log("");
console.log("W1 read_depth rows: one field read (optimist Store::get_field; the peers' own field reads); W1 readFragment rows: a document read of `fragment F on Item { count }` on every side (optimist Store::read_fragment).");
const persist = timed.find(({ json }) => json.workload === "W8 persist")?.json;
if (persist) {
  const sides = ["optimist", ...PEERS.map((p) => p.key)].filter((k) => persist[`${k}_saved_bytes`] != null);
  if (sides.length) {
    console.log(
      "W8 bytes saved: " + sides.map((k) => `${k} ${persist[`${k}_saved_bytes`].toLocaleString("en-US")}`).join(", ") +
        " (optimist keeps its 100 layers as layers; Apollo's extract() and urql keep base only; Relay folds the layers into its records)",
    );
  }
}
const cold = timed.find(({ json }) => json.workload === "W13 cold start")?.json;
if (cold) {
  const sides = ["optimist", ...PEERS.map((p) => p.key)].filter((k) => cold[`${k}_ns`] != null);
  if (sides.length) {
    console.log(
      "W13 file bytes and phases (read the file / parse + restore / read the 20 pages, ms): " +
        sides
          .map((k) => `${k} ${(cold[`${k}_saved_bytes`] ?? 0).toLocaleString("en-US")} B, ${cold[`${k}_read_ms`]} / ${cold[`${k}_restore_ms`]} / ${cold[`${k}_reads_ms`]}`)
          .join("; "),
    );
    console.log("W13 pending layers after the restart: " + sides.map((k) => `${k} ${cold[`${k}_layers`] ?? DASH}`).join("; "));
  }
}
const rss = bytes.find(({ json }) => json.optimist_rss_bytes != null)?.json;
if (rss) {
  console.log(
    `W6 optimist: malloc's chunks (size + header, rounded to its size classes); requested ${fmtBytes(rss.optimist_requested_bytes)}, ` +
      `resident ${fmtBytes(rss.optimist_rss_bytes)} per entity. bytes/layer: no ratio (optimist a layer record, Apollo and Relay ` +
      "a closure over the drawn items, urql a whole client mutation).",
  );
}
console.log("W7 (told: a / b / c): watchers told per op (push + fail) on each peer; 202 are affected.");
console.log("W11 (told: optimist / Apollo / Relay / urql): watchers given new data per operation of that kind.");
const calls = timed.filter(({ json }) => json.optimist_calls != null);
if (calls.length > 0) {
  console.log(
    "W11 optimist listener calls per operation, fetch-status changes included: " +
      calls.map(({ json }) => `${json.workload.replace("W11 app_trace ", "")} ${fmtTold(json.optimist_calls)}`).join(", "),
  );
}
{
  // W12: per-page cost at n=10000 over n=1000 on every side (1 if proportional to the page,
  // 10 if to the list).
  const at = (n) => timed.find(({ json }) => json.workload === `W12 pagination n=${n}`)?.json;
  const [small, large] = [at(1000), at(10000)];
  if (small && large) {
    const sides = ["optimist", ...PEERS.map((p) => p.key)];
    const growth = sides
      .map((k) => [k, ratio(large[`${k}_ns`], small[`${k}_ns`])])
      .filter(([, x]) => x != null)
      .map(([k, x]) => `${k} ${fmtRatio(x)}`);
    if (growth.length) {
      console.log(`W12 per-page cost n=10000 / n=1000 (1x: proportional to the page; 10x: to the list): ${growth.join(", ")}`);
    }
  }
}
const unwritten = timed.filter(({ row, json }) => /^W[789] /.test(row.workload) && json.optimist_ns == null);
if (unwritten.length > 0) {
  const names = [...new Set(unwritten.map(({ row }) => row.workload))].join(", ");
  console.log(`${names}: "${DASH}" on our side until benches/workloads.rs has a group for it.`);
}
const reasons = new Map();
for (const { json } of [...timed, ...bytes]) {
  for (const [peer, why] of Object.entries(json.not_driven ?? {})) {
    const name = PEERS.find((p) => p.key === peer).name;
    reasons.set(`${name}: ${why}`, [...(reasons.get(`${name}: ${why}`) ?? []), json.workload]);
  }
}
for (const [why, workloads] of reasons) console.log(`n/a (${workloads.join(", ")}) on ${why}`);
for (const m of missing) console.log(`missing: ${m}`);

const report = [...timed, ...bytes].map(({ json }) => json);
writeFileSync(join(outDir, "peer-report.json"), JSON.stringify(report, null, 2) + "\n");
console.log(`wrote ${join(outDir, "peer-report.json")}`);

// ---------------------------------------------------------------------------
// W1 curve as hand-written SVG: x = L (0, 1, 10, 100, 1000 evenly spaced, i.e. a log axis with
// 0 put one decade left of 1), y = ns per read on a log axis.

function w1Svg() {
  const peer = (key, workload) => peerRows[key].get(workload)?.[`${key}_ns`] ?? null;
  const series = [
    {
      name: "optimist Store::get_field",
      color: "#1f6fd1",
      dash: "",
      marker: "circle",
      points: W1.map((L) => [L, criterion(`read_depth/${L}`)]),
    },
    {
      name: "optimist Store::read_fragment",
      color: "#1f6fd1",
      dash: "6 4",
      marker: "square-open",
      points: [0, 1000].map((L) => [L, criterion(`read_fragment/${L}`)]),
    },
    ...[
      ["apollo", "#d1491f", "Apollo optimisticData.get", "Apollo readFragment"],
      ["relay", "#2a9d3c", "Relay source.get + getValue", "Relay environment.lookup"],
      ["urql", "#8e44ad", "urql cache.resolve", "urql client.readQuery"],
    ].flatMap(([key, color, get, api]) => [
      { name: get, color, dash: "", marker: "square", points: W1.map((L) => [L, peer(key, `W1 read_depth L=${L}`)]) },
      { name: api, color, dash: "6 4", marker: "square-open", points: [0, 1000].map((L) => [L, peer(key, `W1 readFragment L=${L}`)]) },
    ]),
  ].map((s) => ({ ...s, points: s.points.filter(([, y]) => y != null && y > 0) }));
  // The baseline is measured next to each L; the line is their median.
  const hashmap = median(W1.map((L) => criterion(`read_depth_baseline/hashmap/${L}`)));

  const values = [...series.flatMap((s) => s.points.map(([, y]) => y)), ...(hashmap ? [hashmap] : [])];
  if (!values.length) return null;
  // A little room below the lowest and above the highest figure; grid lines at whole decades.
  const lo = Math.log10(Math.min(...values)) - 0.25;
  const hi = Math.max(lo + 1, Math.log10(Math.max(...values)) + 0.2);

  const W = 960, H = 460;
  const m = { left: 78, right: 300, top: 46, bottom: 62 };
  const pw = W - m.left - m.right, ph = H - m.top - m.bottom;
  const xAt = (L) => m.left + (W1.indexOf(L) / (W1.length - 1)) * pw;
  const yAt = (ns) => m.top + ph - ((Math.log10(ns) - lo) / (hi - lo)) * ph;
  const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="24" text-anchor="middle" font-size="15" font-weight="600">W1: read one field through L optimistic layers (N = 100,000 items)</text>`);
  // Grid and y ticks: decades, with light lines at 2x and 5x.
  const unit = (ns) => (ns >= 1e6 ? `${ns / 1e6} ms` : ns >= 1e3 ? `${ns / 1e3} us` : `${ns} ns`);
  const inside = (v) => Math.log10(v) >= lo && Math.log10(v) <= hi;
  for (let d = Math.floor(lo); d <= Math.ceil(hi); d++) {
    const v = 10 ** d;
    for (const k of [2, 5]) {
      if (inside(k * v)) {
        const y = yAt(k * v).toFixed(1);
        out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="#eeeeee"/>`);
      }
    }
    if (!inside(v)) continue;
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${yAt(v).toFixed(1)}" y2="${yAt(v).toFixed(1)}" stroke="#cccccc"/>`);
    out.push(`<text x="${m.left - 8}" y="${(yAt(v) + 4).toFixed(1)}" text-anchor="end">${unit(v)}</text>`);
  }
  for (const L of W1) {
    const x = xAt(L).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.top}" y2="${m.top + ph}" stroke="#eeeeee"/>`);
    out.push(`<text x="${x}" y="${m.top + ph + 18}" text-anchor="middle">${L}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888888"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 16}" text-anchor="middle">pending optimistic layers L (log scale; 0 at the left)</text>`);
  // Where the figures come from, in the right margin under the legend.
  const footnote = [
    `medians, ${new Date().toISOString().slice(0, 10)}, benches/peers/run.sh`,
    `${cpus().length} x ${cpu}`,
    `node ${process.version}; peers: ${PEERS.map((p) => p.name).join(", ")}`,
  ];
  footnote.forEach((line, i) => {
    const y = m.top + ph - (footnote.length - 1 - i) * 14;
    out.push(`<text x="${m.left + pw + 16}" y="${y}" font-size="10" fill="#777777">${esc(line)}</text>`);
  });
  out.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">ns per read (median, log scale)</text>`);

  if (hashmap) {
    const y = yAt(hashmap).toFixed(1);
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="#555555" stroke-dasharray="2 3"/>`);
  }
  const marker = (kind, x, y, color) => {
    if (kind === "circle") return `<circle cx="${x}" cy="${y}" r="4" fill="${color}"/>`;
    const fill = kind === "square" ? color : "#ffffff";
    return `<rect x="${x - 4}" y="${y - 4}" width="8" height="8" fill="${fill}" stroke="${color}" stroke-width="1.5"/>`;
  };
  for (const s of series) {
    const pts = s.points.map(([L, ns]) => [xAt(L).toFixed(1), yAt(ns).toFixed(1), ns]);
    if (pts.length > 1) {
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}" ` : ""}points="${pts.map(([x, y]) => `${x},${y}`).join(" ")}"/>`);
    }
    for (const [x, y, ns] of pts) {
      out.push(marker(s.marker, Number(x), Number(y), s.color));
      // Labels go right of their point, except at the right edge.
      const last = Number(x) > m.left + pw - 40;
      out.push(`<text x="${Number(x) + (last ? -8 : 7)}" y="${Number(y) - 8}" text-anchor="${last ? "end" : "start"}" fill="${s.color}" font-size="11">${esc(fmtNs(ns))}</text>`);
    }
  }
  // Legend.
  const legend = [
    ...series.filter((s) => s.points.length).map((s) => ({ ...s, line: true })),
    ...(hashmap ? [{ name: `HashMap get, no layers (${fmtNs(hashmap)})`, color: "#555555", dash: "2 3", line: true }] : []),
  ];
  // Legend in the right margin, clear of the curves.
  const lx = m.left + pw + 24, ly = m.top + 10;
  out.push(`<rect x="${lx - 8}" y="${ly - 12}" width="${m.right - 24}" height="${legend.length * 20 + 8}" fill="#ffffff" stroke="#cccccc"/>`);
  legend.forEach((s, i) => {
    const y = ly + i * 20;
    out.push(`<line x1="${lx}" x2="${lx + 26}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ""}/>`);
    if (s.marker) out.push(marker(s.marker, lx + 13, y, s.color));
    out.push(`<text x="${lx + 34}" y="${y + 4}">${esc(s.name)}</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

const svg = w1Svg();
if (svg) {
  writeFileSync(join(outDir, "w1-read-depth.svg"), svg);
  console.log(`wrote ${join(outDir, "w1-read-depth.svg")}`);
} else {
  console.log("no W1 figures: no SVG drawn");
}
