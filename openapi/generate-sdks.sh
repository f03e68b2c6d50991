#!/usr/bin/env bash
# Regenerates the OpenAPI documents from the code, then both SDKs from openapi/openapi.yaml:
# the TypeScript types under sdk/typescript/src and the Go client under sdk/go. This is the
# one place that knows how; CI runs it and fails when the committed files differ.
#   --no-spec  keep the committed documents (generate the SDKs only)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--no-spec" ]; then
  go run ./cmd/naptracker openapi --out openapi
fi

# Go: oapi-codegen run at a pinned version, so it never enters go.mod as a tool; the client
# needs only github.com/oapi-codegen/runtime, which is in the main module's go.mod.
(cd sdk/go && go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 \
  -config oapi-codegen.yaml ../../openapi/openapi.yaml)

# TypeScript: the generator and tsc come from the committed lock file.
cd sdk/typescript
./ensure-deps.sh
# Run from this folder: openapi-typescript would otherwise read the repository's redocly.yaml.
node_modules/.bin/openapi-typescript ../../openapi/openapi.yaml -o src/schema.d.ts \
  --root-types --root-types-no-schema-prefix
node_modules/.bin/tsc --noEmit -p .
