#!/usr/bin/env bash
# Property-based API test: schemathesis (PyPI) generates requests from GET /openapi.yaml of a live quotad
# (embedded redis-server in a temporary directory) with a bounded number of examples per operation and
# checks for server errors (5xx) and responses that violate the schema. Loopback only; stops what it starts.
set -euo pipefail
cd "$(dirname "$0")/.."
QUOTAD_BIN="${QUOTAD_BIN:-$(swift build --show-bin-path)/quotad}"
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-25}"
if ! command -v schemathesis >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check "schemathesis==4.32.5"
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/quotad-schemathesis.XXXXXX")"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
admin="schemathesis-admin-$(date +%s%N)"
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
QUOTAD_ADMIN_KEYS="$admin" QUOTAD_HTTP_PORT="$port" QUOTAD_DATA_DIR="$work/data" QUOTAD_LOG_LEVEL=error \
  "$QUOTAD_BIN" serve >"$work/quotad.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
# Run from the temporary directory: schemathesis keeps a cache in its working directory.
cd "$work"
timeout 600 schemathesis run "http://127.0.0.1:$port/openapi.yaml" \
  -H "Authorization: Bearer $admin" \
  --max-examples "$EXAMPLES" --generation-deterministic --request-timeout 10 \
  --checks not_a_server_error,response_schema_conformance
