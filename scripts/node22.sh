#!/usr/bin/env bash
# The outside suites (MCP conformance, the MCP Inspector) need Node 22. The `node` devDependency
# brings it, but npm here skips install scripts, and that package fetches its binary in one: run
# it by hand (it installs node-linux-<arch> from the npm registry) when the binary is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=node_modules/node
[ -d "$dir" ] || { echo "node22: $dir missing; run npm ci first" >&2; exit 1; }
if ! "$dir/bin/node" --version >/dev/null 2>&1; then
  (cd "$dir" && node installArchSpecificPackage)
fi
# npm links the package's `node` into node_modules/.bin, which every `npm run` puts first on
# PATH: the tests, the bench and `npm start` would run on Node 22 instead of the machine's own
# Node. Only the outside suites want it, and they call it by its path.
rm -f node_modules/.bin/node
echo "node22: $("$dir/bin/node" --version); npm scripts run on $(node --version)"
