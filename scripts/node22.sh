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
echo "node22: $("$dir/bin/node" --version)"
