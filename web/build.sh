#!/usr/bin/env bash
# Builds the pages that web/embed.go puts in the binary, from the pinned packages in
# package-lock.json: the Swagger UI bundle that /docs serves (docs/assets), and the partner
# dashboard (dashboard/app.js, from dashboard/src and the TypeScript SDK's source). The output
# is committed; CI runs this and fails when it differs.
set -euo pipefail
cd "$(dirname "$0")"
. ../scripts/node.sh
use_node
../sdk/typescript/ensure-deps.sh
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

ui=node_modules/swagger-ui-dist
mkdir -p docs/assets
cp "$ui/swagger-ui-bundle.js" "$ui/LICENSE" "$ui/NOTICE" docs/assets/
# The source map is not shipped, so the reference to it goes.
sed 's#/\*\# sourceMappingURL=[^*]*\*/##' "$ui/swagger-ui.css" > docs/assets/swagger-ui.css

node_modules/.bin/tsc --noEmit -p .
node_modules/.bin/esbuild dashboard/src/main.ts --bundle --format=esm --target=es2022 --minify \
  --charset=utf8 --legal-comments=none --alias:@naptracker/sdk=../sdk/typescript/src/index.ts \
  --outfile=dashboard/app.js --log-level=warning
