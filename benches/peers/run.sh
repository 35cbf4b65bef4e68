#!/usr/bin/env bash
# The side-by-side benchmark run: optimist and its peers (Apollo Client's InMemoryCache, Relay's
# store, urql Graphcache) on the workloads of benches/README.md, one after the other (never at
# once: the machine has 2 cores), then one table of medians and ratios.
#
#   benches/peers/run.sh            everything (about 10-12 minutes on 2 cores)
#   benches/peers/run.sh --quick    shorter criterion timings and 3 samples of a tenth of each
#                                   batch on the Node sides (BENCH_QUICK=1): a pipeline check
#   benches/peers/run.sh --report   only redraw the table and the SVG from the last results
#   benches/peers/run.sh --only W11 only these workloads (comma-separated: --only W7,W11) on
#                                   every side; their rows replace those of the last results,
#                                   the other rows stay as they were
#   benches/peers/run.sh --repeat 3 the whole run 3 times, the sides interleaved in a different
#                                   order each time (apollo relay urql optimist; optimist urql
#                                   relay apollo; relay optimist apollo urql; ...), each run's
#                                   results in TARGET/runs/<r>/; the table gives each figure's
#                                   median over the runs and each ratio's median and spread
#                                   (min-max), and a target is met only if every run meets it
#
# Each peer is installed from its committed lock file (npm ci in benches/peers/<peer>/). Results
# land in the cargo target directory: apollo.json, relay.json, urql.json, memory.json,
# criterion/, and the joined peer-report.json and w1-read-depth.svg; the SVG is also copied to
# benches/peers/w1-read-depth.svg for the README.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

warm_up=2
measure=5
run_benches=1
quick=0
only=""
repeat=0
peers=(apollo relay urql)
while (( $# > 0 )); do
  case "$1" in
    --quick) warm_up=0.5 measure=1 quick=1 ;;
    --report) run_benches=0 ;;
    --only)
      [[ $# -ge 2 ]] || { echo "run.sh: --only needs a list of workloads (--only W11)" >&2; exit 2; }
      only="$2"
      shift
      ;;
    --only=*) only="${1#--only=}" ;;
    --repeat)
      [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --repeat needs a number of runs (--repeat 3)" >&2; exit 2; }
      repeat="$2"
      shift
      ;;
    -h | --help) sed -n '2,23p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

if (( repeat > 0 )) && [[ -n "$only" ]]; then
  echo "run.sh: --repeat runs every workload; it does not combine with --only" >&2
  exit 2
fi

# --only: the criterion ids of each workload (benches/workloads.rs), and whether the memory
# bench (W6, and W7's bytes) runs.
filter=""
run_memory=1
if [[ -n "$only" ]]; then
  run_memory=0
  groups=()
  IFS=, read -ra wanted <<<"$only"
  for w in "${wanted[@]}"; do
    case "$w" in
      W1) groups+=("read_depth") ;;
      W2) groups+=("lifecycle") ;;
      W3) groups+=("normalize/" "normalize_text") ;;
      W4) groups+=("read_query") ;;
      W5) groups+=("list_insert") ;;
      W6) run_memory=1 ;;
      W7) groups+=("watch/") ;;
      W8) groups+=("persist/") ;;
      W9) groups+=("remap/") ;;
      W10) groups+=("gc/") ;;
      W11) groups+=("app_trace/") ;;
      W12) groups+=("pagination/") ;;
      W13) groups+=("cold_start/") ;;
      *) echo "run.sh: unknown workload '$w' in --only (W1 .. W13)" >&2; exit 2 ;;
    esac
  done
  if (( ${#groups[@]} > 0 )); then
    filter="^($(IFS='|'; echo "${groups[*]}"))"
  else
    filter='^$'
  fi
fi

need() { command -v "$1" >/dev/null 2>&1 || { echo "run.sh: '$1' is needed but not on PATH${2:+ ($2)}" >&2; exit 1; }; }
need node "Node.js >= 20 runs the peers and the report"
need npm
need cargo
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if (( node_major < 20 )); then
  echo "run.sh: Node.js >= 20 is needed, found $(node --version)" >&2
  exit 1
fi

target="$(cd "$root" && cargo metadata --format-version 1 --no-deps \
  | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).target_directory))')"
mkdir -p "$target"
export CRITERION_HOME="$target/criterion"

start=$SECONDS
step() { printf '\n==> [%3ds] %s\n' "$((SECONDS - start))" "$*"; }

# One peer's bench.mjs, its JSON to $2/<peer>.json (with --only, merged into the last results).
run_peer() {
  local peer="$1" dir="$2"
  local out="$dir/$peer.json"
  [[ -n "$only" ]] && out="$dir/$peer.only.json"
  step "$peer: bench.mjs${only:+ ($only)} -> $out"
  rm -f "$out"
  (
    cd "$here/$peer"
    export NODE_ENV=production
    (( quick )) && export BENCH_QUICK=1
    [[ -n "$only" ]] && export BENCH_ONLY="$only"
    node --expose-gc bench.mjs "$out"
  )
  if [[ -n "$only" ]]; then
    # The new rows replace the old rows of the same workloads; the others are kept.
    node -e '
      const fs = require("fs");
      const [all, part] = process.argv.slice(1);
      const fresh = JSON.parse(fs.readFileSync(part, "utf8"));
      const names = new Set(fresh.map((r) => r.workload));
      const old = fs.existsSync(all) ? JSON.parse(fs.readFileSync(all, "utf8")) : [];
      const rows = [...old.filter((r) => !names.has(r.workload)), ...fresh];
      fs.writeFileSync(all, JSON.stringify(rows, null, 2) + "\n");
      fs.unlinkSync(part);
    ' "$dir/$peer.json" "$out"
  fi
}

# optimist's criterion benches (results in $1/criterion) and its memory bench ($1/memory.json).
run_optimist() {
  local dir="$1"
  if [[ "$filter" != '^$' ]]; then
    step "optimist: cargo bench --bench workloads${filter:+ -- '$filter'} (warm-up ${warm_up}s, measurement ${measure}s) -> $dir/criterion"
    (cd "$root" && CRITERION_HOME="$dir/criterion" cargo bench --bench workloads -- ${filter:+"$filter"} \
      --warm-up-time "$warm_up" --measurement-time "$measure" --noplot)
  fi
  if (( run_memory )); then
    step "optimist: cargo bench --bench memory -> $dir/memory.json"
    rm -f "$dir/memory.json"
    (cd "$root" && cargo bench --bench memory -- "$dir/memory.json")
  fi
}

run_side() {
  if [[ "$1" == optimist ]]; then run_optimist "$2"; else run_peer "$1" "$2"; fi
}

report_dirs=("$target")
if (( run_benches )); then
  step "building the Rust benches"
  (cd "$root" && cargo bench --no-run --bench workloads --bench memory)
  for peer in "${peers[@]}"; do
    step "npm ci (benches/peers/$peer)"
    (cd "$here/$peer" && npm ci --no-audit --no-fund)
  done

  if (( repeat > 0 )); then
    # Every run in its own directory; the sides in a different order each time, so no side
    # always runs first (fresh machine) or last.
    sides=(apollo relay urql optimist)
    orders=("0 1 2 3" "3 2 1 0" "1 3 0 2" "2 0 3 1")
    report_dirs=()
    for (( r = 1; r <= repeat; r++ )); do
      dir="$target/runs/$r"
      rm -rf "$dir"
      mkdir -p "$dir"
      report_dirs+=("$dir")
      read -ra order <<<"${orders[$(((r - 1) % ${#orders[@]}))]}"
      names=()
      for i in "${order[@]}"; do names+=("${sides[$i]}"); done
      step "run $r of $repeat: ${names[*]}"
      for side in "${names[@]}"; do run_side "$side" "$dir"; done
    done
  else
    for peer in "${peers[@]}"; do run_peer "$peer" "$target"; done
    run_optimist "$target"
  fi
elif (( repeat > 0 )); then
  # --report --repeat N: the table of the last N runs.
  report_dirs=()
  for (( r = 1; r <= repeat; r++ )); do report_dirs+=("$target/runs/$r"); done
fi

step "report"
node "$here/report.mjs" --out "$target" "${report_dirs[@]}"
if [[ -f "$target/w1-read-depth.svg" ]]; then
  cp "$target/w1-read-depth.svg" "$here/w1-read-depth.svg"
  echo "copied to $here/w1-read-depth.svg"
fi
printf '\nrun.sh done in %dm%02ds\n' "$(((SECONDS - start) / 60))" "$(((SECONDS - start) % 60))"
