#!/bin/sh
# A stand-in for an agent that talks to a rate-limited API: with few requests left it sleeps until the
# window resets, and says why. Real agents do the same after reading their API's response headers.
set -eu
remaining=3
echo "x-rate-limit-remaining: $remaining"
if [ "$remaining" -lt 5 ]; then
  echo "only $remaining requests left: sleeping 46m"
  printf '46m\nx-rate-limit-remaining: %s\n' "$remaining" > "$HABITAT_WAKE_FILE"
fi
