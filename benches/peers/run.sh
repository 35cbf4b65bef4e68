#!/usr/bin/env bash
# The side-by-side benchmark run: Apollo Client's InMemoryCache and optimist on the workloads of
# shared/BENCHMARKS.md, one after the other (never at once: the machine has 2 cores), then one
# table of medians and ratios.
#
#   benches/peers/run.sh            everything (about 5-6 minutes on 2 cores)
#   benches/peers/run.sh --quick    shorter criterion timings, for a check of the pipeline
#   benches/peers/run.sh --report   only redraw the table and the SVG from the last results
#
# Results land in the cargo target directory: apollo.json, memory.json, criterion/, and the
# joined peer-report.json and w1-read-depth.svg; the SVG is also copied to
# benches/peers/w1-read-depth.svg for the README.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

warm_up=2
measure=5
run_benches=1
for arg in "$@"; do
  case "$arg" in
    --quick) warm_up=0.5 measure=1 ;;
    --report) run_benches=0 ;;
    -h | --help) sed -n '2,12p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "run.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

need() { command -v "$1" >/dev/null 2>&1 || { echo "run.sh: '$1' is needed but not on PATH${2:+ ($2)}" >&2; exit 1; }; }
need node "Node.js >= 20 runs the Apollo side and the report"
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

if (( run_benches )); then
  step "building the Rust benches"
  (cd "$root" && cargo bench --no-run --bench workloads --bench memory)

  step "npm ci (benches/peers/apollo)"
  (cd "$here/apollo" && npm ci --no-audit --no-fund)

  step "Apollo InMemoryCache: bench.mjs -> $target/apollo.json"
  rm -f "$target/apollo.json"
  (cd "$here/apollo" && NODE_ENV=production node --expose-gc bench.mjs "$target/apollo.json")

  step "optimist: cargo bench --bench workloads (warm-up ${warm_up}s, measurement ${measure}s)"
  (cd "$root" && cargo bench --bench workloads -- \
    --warm-up-time "$warm_up" --measurement-time "$measure" --noplot)

  step "optimist: cargo bench --bench memory -> $target/memory.json"
  rm -f "$target/memory.json"
  (cd "$root" && cargo bench --bench memory -- "$target/memory.json")
fi

step "report"
node "$here/report.mjs" "$target"
if [[ -f "$target/w1-read-depth.svg" ]]; then
  cp "$target/w1-read-depth.svg" "$here/w1-read-depth.svg"
  echo "copied to $here/w1-read-depth.svg"
fi
printf '\nrun.sh done in %dm%02ds\n' "$(((SECONDS - start) / 60))" "$(((SECONDS - start) % 60))"
