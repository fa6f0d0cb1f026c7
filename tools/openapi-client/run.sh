#!/usr/bin/env bash
# Generates a TypeScript client from a running gateway's OpenAPI document (openapi-typescript
# for the types, openapi-fetch for the calls), type-checks a small program against it, and
# runs it: GetClient and GetClient360 (by name and by e-mail) against the demo portfolio.
#
#   cargo run --release -p crm -- up --demo            # in one terminal
#   TOKEN=$(cargo run --release -q -p crm -- token --role ADMIN --subject demo-admin) \
#     tools/openapi-client/run.sh [http://127.0.0.1:8080]
#
# Needs Node.js 20+ and npm (packages from the npm registry, pinned in package-lock.json).
set -euo pipefail
cd "$(dirname "$0")"
export GATEWAY=${1:-${GATEWAY:-http://127.0.0.1:8080}}
: "${TOKEN:?set TOKEN to a token of the running suite (see the comment at the top)}"
[ -d node_modules ] || npm ci --no-audit --no-fund
node -e 'fetch(process.env.GATEWAY + "/openapi.json").then(async (r) => {
  if (!r.ok) throw new Error("GET /openapi.json: " + r.status);
  require("fs").writeFileSync("openapi.json", await r.text());
})'
npx openapi-typescript openapi.json -o generated/schema.d.ts
npx tsc -p .
node dist/src/check.js
