#!/usr/bin/env bash
# A busy disk for the daemon benches (issue 17): for $1 seconds (default 40), a loop of 200 MiB direct writes
# ending in an fsync beside a loop of 1 MiB writes each fsynced, in a temp dir under $TMPDIR, removed at exit.
#   bench/disk-load.sh 40 & node bench/daemon-load.ts 1000 30 5; wait
set -euo pipefail
dir=$(mktemp -d "${TMPDIR:-/tmp}/habitat-disk-load.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
end=$((SECONDS + ${1:-40}))
(while [ $SECONDS -lt $end ]; do dd if=/dev/zero of="$dir/big" bs=1M count=200 oflag=direct conv=fsync status=none; done) &
while [ $SECONDS -lt $end ]; do dd if=/dev/zero of="$dir/small" bs=64k count=16 conv=fsync status=none; done
wait
