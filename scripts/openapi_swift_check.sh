#!/usr/bin/env bash
# swift-openapi-generator (1.14.3, from the package mirror) accepts quotad's OpenAPI document: the package in
# scripts/openapi-swift-check generates types and a client from Sources/QuotaHTTP/OpenAPI/openapi.yaml with its
# build plugin and compiles code that drives typed operations (reserve, commitReservation, recordUsage).
# Fails on any generator warning except the one this generator gives for every `{type: "null"}` branch of a
# nullable reference (OpenAPI 3.1's way to write it; the property becomes an optional, which is what it means).
set -euo pipefail
cd "$(dirname "$0")/openapi-swift-check"
log="$(mktemp "${TMPDIR:-/tmp}/quotad-openapi-swift.XXXXXX")"
trap 'rm -f "$log"' EXIT
status=0
swift build >"$log" 2>&1 || status=$?
if ((status != 0)); then
  grep -E "error" "$log" | head -40 >&2
  echo "swift-openapi-generator check: build failed (status $status)" >&2
  exit 1
fi
unexpected=$(grep -E "^warning: .*\[context: " "$log" | grep -v 'Schema "null" is not supported' || true)
if [[ -n "$unexpected" ]]; then
  echo "$unexpected" | head -40 >&2
  echo "swift-openapi-generator check: the generator warned about the document" >&2
  exit 1
fi
"$(swift build --show-bin-path)/QuotadClientCheck"
