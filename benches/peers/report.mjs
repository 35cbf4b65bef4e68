// Joins optimist's criterion results with Apollo's and prints the side-by-side table.
//
// Usage: node benches/peers/report.mjs [TARGET_DIR]      (default: the repository's target/)
//
// Reads
//   TARGET_DIR/criterion/<group>/<id>/new/estimates.json   median point estimate, ns per iteration
//   TARGET_DIR/apollo.json    from benches/peers/apollo/bench.mjs: [{workload, apollo_ns | apollo_bytes}]
//   TARGET_DIR/memory.json    from benches/memory.rs: [{workload, optimist_bytes, ...}]
// Writes
//   TARGET_DIR/peer-report.json   [{workload, optimist_ns, apollo_ns, speedup, ...}]; W6 rows carry
//                                 bytes (optimist_bytes, apollo_bytes) instead of ns
//   TARGET_DIR/w1-read-depth.svg  W1: ns per read against L, both systems, log y
// A missing figure (a workload not run yet, such as W3/W4 before they exist) prints as "-"
// and is null in the JSON. No dependencies: plain Node >= 18.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const target = resolve(process.argv[2] ?? join(here, "..", "..", "target"));

// ---------------------------------------------------------------------------
// What joins with what. `ours`: criterion id (group/parameter); `apollo`: the workload name in
// apollo.json (the same as ours unless given); `baseline`: our naive baseline's criterion id;
// `target`: the goal from shared/BENCHMARKS.md, as [limit in ns or bytes, its text].

const W1 = [0, 1, 10, 100, 1000];
const ROWS = [
  ...W1.map((L) => ({
    workload: `W1 read_depth L=${L}`,
    ours: `read_depth/${L}`,
    baseline: "read_depth_baseline/hashmap",
    baselineName: "HashMap get",
    target: [100, "<= 100 ns"],
  })),
  // Apollo's public read API on the same reads; ours is the same Store::get_field as above.
  ...[0, 1000].map((L) => ({
    workload: `W1 readFragment L=${L}`,
    ours: `read_depth/${L}`,
    note: "optimist: Store::get_field; Apollo: readFragment({optimistic: true})",
  })),
  ...[1, 10, 100].map((W) => ({
    workload: `W2 lifecycle W=${W}`,
    ours: `lifecycle/${W}`,
    baseline: `lifecycle_baseline/snapshot_restore/${W}`,
    baselineName: "snapshot+restore",
    target: W === 100 ? [10_000, "< 10 us"] : undefined,
  })),
  // ---- W3/W4 SLOT: these ids are reserved for benches/workloads.rs once the normalisation
  // ---- API exists (groups `normalize` and `read_query`); until then they print "-".
  ...[1000, 10000].map((n) => ({
    workload: `W3 normalize n=${n}`,
    ours: `normalize/${n}`,
    target: [n * 1000, "< 1 us/entity"],
  })),
  // Cold and warm go through a kept optimist::Query, as Apollo's readQuery goes through its
  // result cache; the baseline is a full read with no cache (Store::read_query).
  ...[1000, 10000].map((n) => ({
    workload: `W4 read_query cold n=${n}`,
    ours: `read_query/cold/${n}`,
    baseline: `read_query/uncached/${n}`,
    baselineName: "read_query, no cache",
    target: n === 1000 ? [200_000, "< 200 us"] : undefined,
  })),
  ...[1000, 10000].map((n) => ({
    workload: `W4 read_query warm n=${n}`,
    ours: `read_query/warm/${n}`,
    baseline: `read_query/uncached/${n}`,
    baselineName: "read_query, no cache",
    target: [1000, "< 1 us"],
  })),
  // A full read straight into structs (read_query_as), against Apollo's cold readQuery.
  ...[1000, 10000].map((n) => ({
    workload: `W4 read_query typed n=${n}`,
    ours: `read_query/typed/${n}`,
    apollo: `W4 read_query cold n=${n}`,
    note: "optimist: read_query_as into structs, no cache; Apollo: readQuery cold",
  })),
  // ---- end of the W3/W4 slot.
  ...[1000, 10000].map((n) => ({
    workload: `W5 list_insert n=${n}`,
    ours: `list_insert/${n}`,
    baseline: `list_insert_baseline/snapshot_restore/${n}`,
    baselineName: "snapshot+restore",
    target: [5000, "< 5 us"],
  })),
];
const MEMORY_ROWS = [
  { workload: "W6 bytes/entity", baselineName: "HashMap", target: [300, "< 300 B"] },
  { workload: "W6 bytes/layer(4 keys)" },
];

// ---------------------------------------------------------------------------
// Inputs.

function readJson(path) {
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8"));
}

/** Median ns per iteration of a criterion bench, or null. */
function criterion(id) {
  if (!id) return null;
  const estimates = readJson(join(target, "criterion", ...id.split("/"), "new", "estimates.json"));
  return estimates?.median?.point_estimate ?? null;
}

const apolloPath = join(target, "apollo.json");
const memoryPath = join(target, "memory.json");
const apollo = new Map((readJson(apolloPath) ?? []).map((r) => [r.workload, r]));
const memory = new Map((readJson(memoryPath) ?? []).map((r) => [r.workload, r]));
const missing = [];
if (!apollo.size) missing.push(`${apolloPath} (run benches/peers/apollo/bench.mjs)`);
if (!memory.size) missing.push(`${memoryPath} (run cargo bench --bench memory -- ${memoryPath})`);
if (!criterion("read_depth/0")) missing.push(`${join(target, "criterion")} (run cargo bench --bench workloads)`);

// ---------------------------------------------------------------------------
// Join.

const ratio = (a, b) => (a != null && b != null && b > 0 ? a / b : null);
const round = (x, digits = 1) =>
  x == null ? null : Math.abs(x) >= 1 ? Number(x.toFixed(digits)) : Number(x.toPrecision(3));

const timed = ROWS.map((row) => {
  const optimist = criterion(row.ours);
  const peer = apollo.get(row.apollo ?? row.workload)?.apollo_ns ?? null;
  const baseline = criterion(row.baseline);
  return {
    row,
    json: {
      workload: row.workload,
      optimist_ns: round(optimist),
      apollo_ns: round(peer),
      speedup: round(ratio(peer, optimist), 2),
      ...(row.baseline ? { baseline: row.baselineName, baseline_ns: round(baseline) } : {}),
      ...(row.note ? { note: row.note } : {}),
    },
  };
});

const bytes = MEMORY_ROWS.map((row) => {
  const ours = memory.get(row.workload);
  const optimist = ours?.optimist_bytes ?? null;
  const peer = apollo.get(row.workload)?.apollo_bytes ?? null;
  const baseline = ours?.baseline_bytes ?? null;
  return {
    row,
    json: {
      workload: row.workload,
      optimist_bytes: round(optimist),
      apollo_bytes: round(peer),
      speedup: round(ratio(peer, optimist), 2),
      ...(ours?.optimist_rss_bytes != null ? { optimist_rss_bytes: round(ours.optimist_rss_bytes) } : {}),
      ...(baseline != null ? { baseline: row.baselineName, baseline_bytes: round(baseline) } : {}),
    },
  };
});

// ---------------------------------------------------------------------------
// Table.

function fmtNs(ns) {
  if (ns == null) return "-";
  if (ns < 1e3) return ns.toFixed(1) + " ns";
  if (ns < 1e6) return (ns / 1e3).toFixed(2) + " us";
  return (ns / 1e6).toFixed(2) + " ms";
}
const fmtBytes = (b) => (b == null ? "-" : b.toFixed(0) + " B");
function fmtRatio(x) {
  if (x == null) return "-";
  if (x >= 100) return x.toFixed(0) + "x";
  if (x >= 0.1) return x.toFixed(2) + "x";
  return x.toPrecision(2) + "x";
}

function verdict(row, value) {
  if (!row.target) return "";
  const [limit, text] = row.target;
  if (value == null) return text;
  return `${text} ${value <= limit ? "met" : "MISSED"}`;
}

const header = ["workload", "optimist", "Apollo", "speedup", "our baseline", "baseline/optimist", "target"];
const lines = [
  ...timed.map(({ row, json }) => [
    json.workload,
    fmtNs(json.optimist_ns),
    fmtNs(json.apollo_ns),
    fmtRatio(json.speedup),
    row.baseline ? `${fmtNs(json.baseline_ns)} (${row.baselineName})` : "",
    row.baseline ? fmtRatio(ratio(json.baseline_ns, json.optimist_ns)) : "",
    verdict(row, json.optimist_ns),
  ]),
  ...bytes.map(({ row, json }) => [
    json.workload,
    fmtBytes(json.optimist_bytes),
    fmtBytes(json.apollo_bytes),
    fmtRatio(json.speedup),
    json.baseline_bytes != null ? `${fmtBytes(json.baseline_bytes)} (${row.baselineName})` : "",
    json.baseline_bytes != null ? fmtRatio(ratio(json.baseline_bytes, json.optimist_bytes)) : "",
    verdict(row, json.optimist_bytes),
  ]),
];
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const pad = (cells) =>
  cells.map((c, i) => (i === 0 || i >= 4 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();

const cpu = cpus()[0]?.model ?? "unknown CPU";
console.log(`optimist vs Apollo InMemoryCache: medians, speedup = Apollo / optimist (W6: bytes, ratio = Apollo / optimist)`);
console.log(`${cpus().length} x ${cpu}, node ${process.version}, ${new Date().toISOString()}`);
console.log("");
console.log(pad(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const line of lines) console.log(pad(line));
console.log("");
console.log("W1 readFragment rows: Apollo's public read API against the same optimist Store::get_field.");
if (timed.some(({ row, json }) => /^W[34] /.test(row.workload) && json.optimist_ns == null)) {
  console.log("W3/W4: '-' on our side where benches/workloads.rs has not run the normalize and read_query groups.");
}
for (const m of missing) console.log(`missing: ${m}`);

const report = [...timed, ...bytes].map(({ json }) => json);
writeFileSync(join(target, "peer-report.json"), JSON.stringify(report, null, 2) + "\n");
console.log(`wrote ${join(target, "peer-report.json")}`);

// ---------------------------------------------------------------------------
// W1 curve as hand-written SVG: x = L (0, 1, 10, 100, 1000 evenly spaced, i.e. a log axis with
// 0 put one decade left of 1), y = ns per read on a log axis.

function w1Svg() {
  const series = [
    {
      name: "optimist Store::get_field",
      color: "#1f6fd1",
      dash: "",
      marker: "circle",
      points: W1.map((L) => [L, criterion(`read_depth/${L}`)]),
    },
    {
      name: "Apollo optimisticData.get",
      color: "#d1491f",
      dash: "",
      marker: "square",
      points: W1.map((L) => [L, apollo.get(`W1 read_depth L=${L}`)?.apollo_ns ?? null]),
    },
    {
      name: "Apollo readFragment",
      color: "#d1491f",
      dash: "6 4",
      marker: "square-open",
      points: [0, 1000].map((L) => [L, apollo.get(`W1 readFragment L=${L}`)?.apollo_ns ?? null]),
    },
  ].map((s) => ({ ...s, points: s.points.filter(([, y]) => y != null && y > 0) }));
  const hashmap = criterion("read_depth_baseline/hashmap");

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
    `node ${process.version}, Apollo Client InMemoryCache`,
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
  writeFileSync(join(target, "w1-read-depth.svg"), svg);
  console.log(`wrote ${join(target, "w1-read-depth.svg")}`);
} else {
  console.log("no W1 figures: no SVG drawn");
}
