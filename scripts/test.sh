#!/usr/bin/env bash
# The test command: installs what is missing, checks the OpenAPI document, builds the debug tests and the
# release binary, runs every live-service test against the release binary (what ships), then the Swift tests.
# Tests that need Redis start their own private redis-server on a free loopback port and stop it.
# Each step is announced; the first failing step stops the run with a `FAILED:` line naming it.
set -euo pipefail
cd "$(dirname "$0")/.."

step_number=0
step() {
  local name="$1"
  shift
  step_number=$((step_number + 1))
  echo "==> [$step_number] $name" >&2
  local started=$SECONDS status=0
  "$@" || status=$?
  if ((status != 0)); then
    echo "FAILED: step $step_number '$name' exited with status $status" >&2
    exit "$status"
  fi
  echo "==> [$step_number] $name: ok ($((SECONDS - started)) s)" >&2
}

# Python tools of the live-service tests (PyPI, pinned).
python_tools() {
  if command -v schemathesis >/dev/null 2>&1 && command -v openapi-spec-validator >/dev/null 2>&1 \
    && command -v openapi-python-client >/dev/null 2>&1 && python3 -c "import yaml, selenium, requests" 2>/dev/null \
    && python3 -c "import pytest, sys; sys.exit(pytest.__version__ != '9.0.3')" 2>/dev/null \
    && python3 -c "import openai, anthropic, sys; sys.exit((openai.__version__, anthropic.__version__) != ('3.63.0', '2.17.0'))" 2>/dev/null; then
    return 0
  fi
  python3 -m pip install --quiet --disable-pip-version-check \
    "schemathesis==4.32.5" "openapi-spec-validator==0.9.0" "openapi-python-client==0.29.1" "pyyaml==6.0.3" \
    "selenium==4.27.1" "requests==2.34.2" "pytest==9.0.3"
  # the gateway's live tests (tests/live/test_gateway*.py) drive the real SDKs; their dependencies pinned by the
  # Python SDK's constraints (a call of its own: those pin PyYAML differently from the line above)
  python3 -m pip install --quiet --disable-pip-version-check -c clients/python/constraints.txt \
    "openai==3.63.0" "anthropic==2.17.0"
}

# A live-service script (Python or shell) against the release binary.
live() {
  local script="$1"
  case "$script" in
    *.py) QUOTAD_BIN="$release_bin" python3 "$script" ;;
    *) QUOTAD_BIN="$release_bin" "$script" ;;
  esac
}

step "system packages (redis-server, redis-tools, libhiredis-dev, pkg-config, curl, faketime, influxdb, chromium, promtool)" scripts/install-deps.sh faketime influxdb chromium chromium-driver fonts-dejavu-core prometheus
step "Python tools (schemathesis, openapi-spec-validator, openapi-python-client, pyyaml, selenium, requests, pytest, openai, anthropic)" python_tools
# Each target imports only the layers below it (QuotaHTTP: no Redis client, no configuration).
step "layers: every target imports only what Package.swift's picture allows" python3 scripts/check_layers.py
step "OpenAPI document is valid OpenAPI 3.1 (openapi-spec-validator)" openapi-spec-validator Sources/QuotaHTTP/OpenAPI/openapi.yaml
step "OpenAPI document generates a compiling Swift client (swift-openapi-generator)" scripts/openapi_swift_check.sh
step "debug build with tests (swift build --build-tests)" swift build --build-tests
step "release build (swift build -c release --product quotad)" swift build -c release --product quotad
release_bin="$(swift build -c release --show-bin-path)/quotad"
echo "    release binary: $release_bin" >&2
# The pytest suite of live-service tests (tests/live, one test per promise; JUnit XML in .build/live-tests.xml):
# the shipped binary (strict bodies, overflow, timeouts, Redis failure states, 429, CSV, metrics), the command
# line, the embedded redis-server mode; kill -9 of Redis under a stream of usage events (nothing lost,
# recovery); three instances under faketime (6 minutes ahead and behind, one 40 days ahead) against one Redis
# (overspend 0, leaks 0, usage in Redis's current cycle); 50,000 events with 25% retried (exactly once) and
# 1,000 racing reservations over 64 connections (hard cap); every route with missing/garbage/revoked/foreign
# keys (Redis unchanged), HTTP fuzz of provider bodies, no key in logs; gateway mode with the real openai and
# anthropic SDKs against a loopback upstream stub (test_gateway*.py).
step "live-service tests (pytest tests/live)" env QUOTAD_BIN="$release_bin" \
  python3 -m pytest tests/live -p no:cacheprovider --junitxml=.build/live-tests.xml -q
# two instances, 1,000 racing reservations per level (tenant, group, user) and limit kind (cycle, every window):
# exactly the limit granted, no leaks; a sliding tokens_per_minute window checked from the recorded events.
step "levels and windows race test (two instances)" live scripts/levels_race_test.py
# alerts: a 1,000-event race over two instances raises each threshold exactly once; webhook deliveries survive a
# receiver that is down, slow or answering 500, and a quotad killed mid-delivery (at least once, stable ids).
step "webhook alerts test (two instances, receiver faults)" live scripts/webhook_test.py
# 20,000 events (10% retried) exported to a real InfluxDB 1.x restarted mid-stream: sums equal quotad's totals.
step "InfluxDB export test" live scripts/influx_export_test.py
# the dashboard in headless Chromium: sign-in, numbers equal the API's, quota form, settings, CSV, CSRF, XSS,
# accessibility basics, 390 px and 1280 px screenshots, render times for 10,000 users.
step "dashboard browser test (headless Chromium)" live scripts/dashboard_browser_test.py
# promtool accepts /metrics; the Grafana board parses and queries only metrics quotad exposes.
step "metrics and Grafana board test (promtool)" live scripts/grafana_dashboard_test.py
# two instances on a 6-node Redis Cluster with min_replicas_ack=1: kill -9 of a primary mid-stream loses no
# acknowledged event, 503s stay within the failover window, retries count once; every quota operation on every shard.
step "Redis Cluster failover test (two instances)" live scripts/cluster_failover_test.py
# the same with 1 primary + 1 replica + 3 sentinels.
step "Redis Sentinel failover test (two instances)" live scripts/sentinel_failover_test.py
# schemathesis against /openapi.yaml of a live quotad: 0 server errors, 0 schema violations.
step "schemathesis" live scripts/schemathesis_test.sh
# a client generated by openapi-python-client from the live /openapi.yaml (no warning) drives a smoke flow.
step "generated OpenAPI client test (openapi-python-client)" live scripts/generated_client_test.py
# HTTP-level fuzz of the release binary: mutated bodies and queries on every operation, 0 5xx, 0 hangs, alive.
step "HTTP fuzz test" live scripts/http_fuzz_test.py
# the Python SDK (clients/python): mypy --strict, and its pytest suite against the release binary and a real
# redis-server (the OpenAI integration with the real openai package and a local provider stub).
step "Python SDK (mypy --strict, pytest)" env QUOTAD_BIN="$release_bin" scripts/python_sdk_test.sh
# libFuzzer + AddressSanitizer on the parsers of outside bytes (FUZZ_SECONDS each, on a copy of Fuzz/Corpus,
# replaying Fuzz/Regressions).
step "coverage-guided fuzzing (libFuzzer, scripts/fuzz.sh)" scripts/fuzz.sh usage reservation strict provider cursor resp gateway
step "Swift tests (swift test)" swift test --skip-build "$@"
