#!/usr/bin/env bash
# HTTP benchmark of quotad: POST /v1/tenants/t1/usage (distinct event ids) vs GET /healthz.
#
# Builds quotad in release mode, starts a private redis-server (free port, temp dir) and quotad against it
# (free port, random admin key), creates a tenant key, then runs wrk (64 connections, 2 threads, ~10 s
# each) on 127.0.0.1. Prints both rates; the LAST line is `ratio <usage rate / healthz rate>`.
# Everything it starts is stopped on exit; the whole run is bounded by BENCH_TIMEOUT seconds.
#
# Environment: DURATION (default 10s), CONNECTIONS (64), THREADS (2), BENCH_TIMEOUT (300),
# SCRATCH_PATH (SwiftPM scratch path, default .build), SKIP_BUILD=1 to reuse an existing build.
set -euo pipefail

DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-300}"
SCRATCH_PATH="${SCRATCH_PATH:-.build}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/quotad-bench.XXXXXX")"
REDIS_PID=""
QUOTAD_PID=""

cleanup() {
    local status=${1:-$?}
    [[ -n "$QUOTAD_PID" ]] && kill -TERM "$QUOTAD_PID" 2>/dev/null && wait "$QUOTAD_PID" 2>/dev/null || true
    [[ -n "$REDIS_PID" ]] && kill -TERM "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null || true
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Bound the whole run: a watchdog ends this script (and so, via the trap, everything it started).
( sleep "$BENCH_TIMEOUT"; echo "bench-http: timed out after ${BENCH_TIMEOUT}s" >&2; kill -TERM $$ 2>/dev/null ) &
WATCHDOG=$!
trap 'status=$?; kill $WATCHDOG 2>/dev/null || true; cleanup $status' EXIT

for tool in wrk redis-server curl python3; do
    command -v "$tool" >/dev/null || { echo "bench-http: $tool is required (apt-get install -y wrk redis-server curl python3)" >&2; exit 1; }
done

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for() {  # url, seconds
    local deadline=$((SECONDS + $2))
    until curl -fsS -o /dev/null "$1" 2>/dev/null; do
        (( SECONDS < deadline )) || { echo "bench-http: $1 did not come up" >&2; return 1; }
        sleep 0.1
    done
}

cd "$ROOT"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    echo "building quotad (release)…" >&2
    swift build -c release --product quotad --scratch-path "$SCRATCH_PATH" >&2
fi
BIN="$(swift build -c release --product quotad --scratch-path "$SCRATCH_PATH" --show-bin-path)/quotad"
[[ -x "$BIN" ]] || { echo "bench-http: $BIN not found" >&2; exit 1; }

REDIS_PORT="$(free_port)"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK" --save "" --appendonly no \
    --daemonize no --logfile "$WORK/redis.log" &
REDIS_PID=$!
for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done

: >"$WORK/quotad.yaml"  # defaults only: the environment below configures the run
HTTP_PORT="$(free_port)"
ADMIN_KEY="bench-admin-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
QUOTAD_HTTP_HOST=127.0.0.1 QUOTAD_HTTP_PORT="$HTTP_PORT" QUOTAD_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" \
    QUOTAD_ADMIN_KEYS="$ADMIN_KEY" QUOTAD_LOG_LEVEL=warning QUOTAD_CONFIG="$WORK/quotad.yaml" \
    "$BIN" serve >"$WORK/quotad.log" 2>&1 &
QUOTAD_PID=$!
wait_for "http://127.0.0.1:$HTTP_PORT/readyz" 30 || { cat "$WORK/quotad.log" >&2; exit 1; }

BASE="http://127.0.0.1:$HTTP_PORT"
TENANT_KEY="$(curl -fsS -X POST -H "Authorization: Bearer $ADMIN_KEY" "$BASE/v1/tenants/t1/keys" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')"

cat >"$WORK/usage.lua" <<LUA
-- Each request carries a distinct event id: "<thread id>-<counter>".
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("tid", threads)
end
function init(args)
    counter = 0
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Authorization"] = "Bearer $TENANT_KEY"
end
function request()
    counter = counter + 1
    local body = string.format(
        '{"user":"u%d","event_id":"ev-%d-%d","model":"gpt-4o","provider":"openai","usage":{"input_tokens":120,"cached_input_tokens":20,"output_tokens":40}}',
        counter % 100, tid, counter)
    return wrk.format(nil, "/v1/tenants/t1/usage", nil, body)
end
LUA

rate() { awk '/Requests\/sec/ { print $2 }' "$1"; }
non2xx() { awk '/Non-2xx/ { print $NF }' "$1"; }

rss_mib() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$QUOTAD_PID/status"; }
RSS_IDLE="$(rss_mib)"
echo "POST /v1/tenants/t1/usage: wrk -c$CONNECTIONS -t$THREADS -d$DURATION" >&2
wrk -c "$CONNECTIONS" -t "$THREADS" -d "$DURATION" --latency -s "$WORK/usage.lua" "$BASE" >"$WORK/usage.txt" &
WRK_PID=$!
# quotad's resident memory halfway through the usage load.
sleep "$(( ${DURATION%s} / 2 ))"
RSS_LOAD="$(rss_mib)"
wait "$WRK_PID"
cat "$WORK/usage.txt" >&2
echo "GET /healthz: wrk -c$CONNECTIONS -t$THREADS -d$DURATION" >&2
wrk -c "$CONNECTIONS" -t "$THREADS" -d "$DURATION" --latency "$BASE/healthz" >"$WORK/healthz.txt"
cat "$WORK/healthz.txt" >&2

USAGE_RATE="$(rate "$WORK/usage.txt")"
HEALTH_RATE="$(rate "$WORK/healthz.txt")"
FAILED="$(non2xx "$WORK/usage.txt")"
if [[ -n "$FAILED" ]]; then
    echo "warning: $FAILED usage requests were not 2xx" >&2
fi
RECORDED="$(redis-cli -p "$REDIS_PORT" dbsize 2>/dev/null || echo '?')"
echo "redis keys after run: $RECORDED" >&2
echo "quotad RSS idle ${RSS_IDLE} MiB, under usage load ${RSS_LOAD} MiB"
echo "usage   $USAGE_RATE req/s"
echo "healthz $HEALTH_RATE req/s"
python3 -c "import sys; print('ratio %.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$USAGE_RATE" "$HEALTH_RATE"
