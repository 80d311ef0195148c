#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs the Redis fault test and every test suite.
# Tests that need Redis start their own private redis-server on a free loopback port and stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Python tools of the live-service tests (PyPI): schemathesis, which also brings PyYAML.
command -v schemathesis >/dev/null 2>&1 && python3 -c "import yaml" 2>/dev/null \
  || python3 -m pip install --quiet --disable-pip-version-check "schemathesis==4.32.5" pyyaml
swift build --build-tests
# kill -9 Redis under a stream of usage events; quotad must lose nothing and recover (about 10 s).
QUOTAD_BIN="$(swift build --show-bin-path)/quotad" python3 scripts/fault_test.py
# 50,000 events with 25% retried (exactly once), 1,000 racing reservations over 64 connections (hard cap).
QUOTAD_BIN="$(swift build --show-bin-path)/quotad" python3 scripts/guarantees_test.py
# every route with missing/garbage/revoked/foreign keys (Redis unchanged), HTTP fuzz of provider bodies, no key in logs.
QUOTAD_BIN="$(swift build --show-bin-path)/quotad" python3 scripts/security_fuzz_test.py
# schemathesis against /openapi.yaml of a live quotad: 0 server errors, 0 schema violations.
QUOTAD_BIN="$(swift build --show-bin-path)/quotad" scripts/schemathesis_test.sh
swift test --skip-build "$@"
