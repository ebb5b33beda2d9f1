#!/usr/bin/env bash
# The kill -9 loop of local agents (chaos/kill9.test.ts -t "local agents") with a baseline CLI build and this
# checkout's alternately, round by round, so both see the same machine load. Prints each run's figures
# (one JSON line per run: build, spawner, endedWhileDown, endedWhileDownMissingOutput, ...) and `uptime`.
#   BASE_CLI=<a baseline build's dist/index.js> bash chaos/interleave.sh [rounds=2] [spawner=1|0]
# A baseline build: check out the old sources, `pnpm turbo run build --filter=@habitat/cli`, copy apps/cli/dist
# to apps/cli/node_modules/<name> (its external modules resolve from there), then rebuild this checkout.
# Each run takes ~50 s; on a shared machine wrap it in `flock /tmp/bench.lock`.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${BASE_CLI:?set BASE_CLI to the dist/index.js of a baseline build}"
rounds="${1:-2}"
spawner="${2:-1}"
report="$(mktemp)"
out="$(mktemp -d)"
echo "each run's test output: $out" >&2
for round in $(seq 1 "$rounds"); do
  for build in base current; do
    cli="$(pwd)/../../apps/cli/dist/index.js"
    [ "$build" = base ] && cli="$BASE_CLI"
    : > "$report"
    # the current build asserts 0 missing output; the baseline may fail that: the figures are in the report either way
    HABITAT_CHAOS_CLI="$cli" HABITAT_SPAWNER="$spawner" HABITAT_CHAOS_REPORT="$report" \
      pnpm vitest run chaos/kill9.test.ts -t "local agents" > "$out/$build-$spawner-$round.txt" 2>&1
    node -e 'const [b, s, r, f] = process.argv.slice(1); for (const l of require("fs").readFileSync(f, "utf8").split("\n").filter(Boolean)) console.log(JSON.stringify({ build: b, spawner: s, round: Number(r), ...JSON.parse(l) }))' "$build" "$spawner" "$round" "$report"
    uptime
  done
done
rm -f "$report"
