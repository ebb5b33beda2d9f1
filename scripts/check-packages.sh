#!/usr/bin/env bash
# What a user gets from the registry, checked before anything is published: every library packed with
# pnpm (workspace: ranges rewritten), linted by publint and "are the types wrong" (attw), then installed with
# plain npm into a strict TypeScript consumer (strict, no skipLibCheck) that imports each library's public
# API. Also: npm pack refuses workspace: ranges, the testkit is never packed, every tarball has LICENSE.
# `npx @habitat/cli` as the README says (scripts/npx-check.mjs). Prints the installed size of @habitat/cli. Needs the workspace built; uses the npm registry for
# third-party dependencies (install scripts skipped: the consumer only typechecks).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/env.sh
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
libs=(config runner scheduler sessions knowledge)
apps=(tui cli)

for name in "${libs[@]}"; do (cd "packages/$name" && pnpm pack --pack-destination "$out" >/dev/null); done
for name in "${apps[@]}"; do (cd "apps/$name" && pnpm pack --pack-destination "$out" >/dev/null); done

fail=0
for tarball in "$out"/*.tgz; do
  name="$(basename "$tarball")"
  listing="$(tar tzf "$tarball")"
  grep -qx 'package/LICENSE' <<<"$listing" || { echo "check-packages: $name has no LICENSE" >&2; fail=1; }
  if tar xzOf "$tarball" package/package.json | grep -q '"workspace:'; then
    echo "check-packages: $name still has workspace: ranges" >&2
    fail=1
  fi
  publint run "$tarball" --strict --level warning >"$out/publint.txt" 2>&1 || { cat "$out/publint.txt" >&2; fail=1; }
done
for name in "${libs[@]}"; do
  # attw --pack would run npm pack, which the prepack check refuses: give it pnpm's tarball.
  attw "$out/habitat-$name-"*.tgz --profile esm-only --format table-flipped >"$out/attw.txt" 2>&1 ||
    { cat "$out/attw.txt" >&2; fail=1; }
done
echo "check-packages: publint and attw pass on every tarball" >&2

# npm pack of a library with workspace: dependencies refuses; the testkit refuses to be packed at all.
if (cd packages/runner && npm pack --dry-run >/dev/null 2>&1); then
  echo "check-packages: npm pack of @habitat/runner should refuse its workspace: ranges" >&2
  fail=1
fi
if (cd packages/testkit && pnpm pack --pack-destination "$out/testkit" >/dev/null 2>&1); then
  echo "check-packages: @habitat/testkit must never be packed" >&2
  fail=1
fi

# A strict consumer, installed with plain npm from the tarballs.
consumer="$out/consumer"
mkdir -p "$consumer/src"
cat >"$consumer/package.json" <<JSON
{ "name": "consumer", "private": true, "type": "module" }
JSON
cat >"$consumer/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "strict": true,
    "skipLibCheck": false,
    "noEmit": true,
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "target": "es2023",
    "types": ["node"],
    "exactOptionalPropertyTypes": true,
    "noUncheckedIndexedAccess": true
  },
  "include": ["src"]
}
JSON
cat >"$consumer/src/index.ts" <<'TS'
import { HabitatError, loadCoordinator, parseDuration } from '@habitat/config';
import { KnowledgeError, openKnowledge } from '@habitat/knowledge';
import { startRun } from '@habitat/runner';
import { connectDaemon, openStore, type StatusReport } from '@habitat/scheduler';
import { openSessionIndex, SessionsError } from '@habitat/sessions';

export async function use(): Promise<StatusReport | number> {
  const coordinator = await loadCoordinator('.');
  const store = openStore('.habitat', { readonly: true });
  store.close();
  void [startRun, connectDaemon, openSessionIndex, openKnowledge, coordinator.agents.length];
  if (new SessionsError('busy', 'x') instanceof HabitatError && new KnowledgeError('not-found', 'x').code) return 1;
  return parseDuration('1h30m');
}
TS
(cd "$consumer" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error \
  "$out"/habitat-config-*.tgz "$out"/habitat-runner-*.tgz "$out"/habitat-scheduler-*.tgz \
  "$out"/habitat-sessions-*.tgz "$out"/habitat-knowledge-*.tgz typescript@6 @types/node@24 >/dev/null)
if (cd "$consumer" && npx tsc -p .); then
  echo "check-packages: the published types typecheck in a strict consumer (no skipLibCheck)" >&2
else
  echo "check-packages: the published types do not typecheck in a strict consumer" >&2
  fail=1
fi

# The CLI as a user installs it (npm i @habitat/cli / npx @habitat/cli): its size, and that it runs.
cli="$out/cli-install"
mkdir -p "$cli"
(cd "$cli" && echo '{"name":"x","private":true}' >package.json && npm install --no-audit --no-fund --ignore-scripts --loglevel=error "$out"/habitat-*.tgz >/dev/null)
"$cli/node_modules/.bin/habitat" --version >/dev/null || { echo "check-packages: the installed habitat does not run" >&2; fail=1; }
# The README's `npx @habitat/cli --help`, exactly: the tarballs served as the @habitat scope's registry.
node scripts/npx-check.mjs "$out" || fail=1
echo "check-packages: @habitat/cli installed size $(du -sh "$cli/node_modules" | cut -f1) ($(find "$cli/node_modules" -mindepth 1 -maxdepth 2 -name package.json -o -mindepth 2 -maxdepth 3 -path '*/@*/*/package.json' | wc -l) packages; install scripts skipped, so without better-sqlite3's compiled addon)"
exit "$fail"
