# Source me: puts habitat's provisioned Node and pnpm (from scripts/setup.sh) on PATH.
_habitat_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -x "$_habitat_root/.tools/node/bin/node" ]; then
  export PATH="$_habitat_root/.tools/node/bin:$PATH"
fi
[ -d "$_habitat_root/.tools/pnpm/node_modules/.bin" ] && export PATH="$_habitat_root/.tools/pnpm/node_modules/.bin:$PATH"
export PATH="$_habitat_root/node_modules/.bin:$PATH"
# The provisioned Node and the npm it runs do not read the system npm's cafile: trust the system CA bundle
# (networks that inspect TLS put their CA there).
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
unset _habitat_root
