#!/usr/bin/env bash
# The side-by-side benchmark run: optimist and its peers (Apollo Client's InMemoryCache, Relay's
# store, urql Graphcache) on the workloads of benches/README.md, one after the other (never at
# once: the machine has 2 cores), then one table of medians and ratios.
#
#   benches/peers/run.sh            everything (about 10-12 minutes on 2 cores)
#   benches/peers/run.sh --quick    shorter criterion timings and 3 samples of a tenth of each
#                                   batch on the Node sides (BENCH_QUICK=1): a pipeline check
#   benches/peers/run.sh --report   only redraw the table and the SVG from the last results
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
peers=(apollo relay urql)
for arg in "$@"; do
  case "$arg" in
    --quick) warm_up=0.5 measure=1 quick=1 ;;
    --report) run_benches=0 ;;
    -h | --help) sed -n '2,14p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "run.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

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

if (( run_benches )); then
  step "building the Rust benches"
  (cd "$root" && cargo bench --no-run --bench workloads --bench memory)

  for peer in "${peers[@]}"; do
    step "npm ci (benches/peers/$peer)"
    (cd "$here/$peer" && npm ci --no-audit --no-fund)

    step "$peer: bench.mjs -> $target/$peer.json"
    rm -f "$target/$peer.json"
    if (( quick )); then
      (cd "$here/$peer" && BENCH_QUICK=1 NODE_ENV=production node --expose-gc bench.mjs "$target/$peer.json")
    else
      (cd "$here/$peer" && NODE_ENV=production node --expose-gc bench.mjs "$target/$peer.json")
    fi
  done

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
