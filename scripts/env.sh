# Source me: puts habitat's provisioned Node and pnpm (from scripts/setup.sh) on PATH.
_habitat_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -x "$_habitat_root/.tools/node/bin/node" ]; then
  export PATH="$_habitat_root/.tools/node/bin:$PATH"
fi
[ -d "$_habitat_root/.tools/pnpm/node_modules/.bin" ] && export PATH="$_habitat_root/.tools/pnpm/node_modules/.bin:$PATH"
export PATH="$_habitat_root/node_modules/.bin:$PATH"
unset _habitat_root
