#!/usr/bin/env bash
# The memory of a real daemon's `habitat-wal` checkpoint process (src/checkpointer.ts), with 1 agent and with
# 100 shell agents every 1 s: 5 samples 5 s apart from /proc/<pid>/status and smaps_rollup (Private = what it
# costs beyond the node binary's pages it shares). Temp coordinators under $TMPDIR, removed at exit.
#   source scripts/env.sh && pnpm turbo run build && packages/scheduler/bench/wal-memory.sh
set -euo pipefail
cli=$(cd "$(dirname "$0")/../../../apps/cli/dist" && pwd)/index.js
dirs=()
trap 'rm -rf "${dirs[@]}"' EXIT
for n in 1 100; do
  d=$(mktemp -d "${TMPDIR:-/tmp}/habitat-wal-mem.XXXXXX")
  dirs+=("$d")
  mkdir "$d/agents"
  for i in $(seq 1 "$n"); do printf 'run: { command: ["true"] }\nschedule: { every: 1s }\n' > "$d/agents/a$i.yaml"; done
  (cd "$d" && exec node "$cli" up --no-layers > /dev/null 2>&1) &
  up=$!
  sleep 8
  for s in 1 2 3 4 5; do
    wal=$(pgrep -P "$up" -f habitat-wal | head -1)
    private=$(awk '/^Private_(Clean|Dirty)/ { kb += $2 } END { print kb }' "/proc/$wal/smaps_rollup")
    echo "agents=$n sample=$s $(grep -E '^(VmHWM|RssAnon|RssFile)' "/proc/$wal/status" | tr -s ' \t\n' ' ')Private: $private kB"
    sleep 5
  done
  kill "$up"
  wait "$up" 2> /dev/null || true
done
uptime
