#!/usr/bin/env bash
# Regenerates the OpenAPI documents from the code, then both SDKs from openapi/openapi.yaml:
# the TypeScript types in sdk/typescript/src/schema.ts and the Go client in sdk/go (its own
# module). This is the one place that knows how; CI runs it and fails when the committed files
# differ.
#   --no-spec  keep the committed documents (generate the SDKs only)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node.sh
use_node

if [ "${1:-}" != "--no-spec" ]; then
  go run ./cmd/naptracker openapi --out openapi
fi

# Go: oapi-codegen run at a pinned version, so it never enters a go.mod as a tool; the client
# needs only github.com/oapi-codegen/runtime. Then a Page method for each list's response,
# which the iterator napclient.All follows.
(cd sdk/go && go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 \
  -config oapi-codegen.yaml ../../openapi/openapi.yaml && go run ./internal/pagegen)

# TypeScript: the generator and tsc come from the committed lock file.
cd sdk/typescript
./ensure-deps.sh
# Run from this folder: openapi-typescript would otherwise read the repository's redocly.yaml.
node_modules/.bin/openapi-typescript ../../openapi/openapi.yaml -o src/schema.ts \
  --root-types --root-types-no-schema-prefix
# The SDK, its end-to-end script and the README's examples, under strict settings.
npm run --silent check
