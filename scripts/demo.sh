#!/usr/bin/env bash
# Set up (scripts/setup.sh), then run habitat's main job on embedded defaults: this repository is itself a
# coordinator whose agents/ hold a small demo fleet on the local backend (no Docker, no network, no keys).
# `habitat validate` checks every agent file, `habitat up --once` runs what is due and records each run
# under .habitat/ (logs, run records), and `habitat history` shows what happened.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
source scripts/env.sh
habitat() { node "$root/apps/cli/dist/index.js" "$@"; }
habitat validate
habitat list
habitat up --once
habitat history
