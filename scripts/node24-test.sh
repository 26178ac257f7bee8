#!/usr/bin/env bash
# Runs the unit suite on the Node release the container image ships (pinned in scripts/image/versions.json),
# fetched from the npm registry. Vitest starts its workers with process.execPath, so they run on it too.
# Arguments go to `vitest run` (e.g. a directory, or --reporter=json --outputFile.json=...).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(node -p "require('./scripts/image/versions.json').node")
exec npx -y -p "node@${version}" node ./node_modules/vitest/vitest.mjs run "$@"
