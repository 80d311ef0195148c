#!/usr/bin/env bash
# Benchmark of quotad's gateway mode (issue 27): the added latency and the throughput cost of the proxy.
# A benchmark, not a test: it prints figures and fails only when something does not run.
#
# A fast upstream: nginx (Debian nginx-light, installed through scripts/install-deps.sh when absent) on
# loopback serving the fixture chat body (../shared/fixtures openai_chat_nonstream_no_prompt_details) and an
# SSE file (openai_chat_stream_include_usage, as the API sends it with the usage chunk) for
# POST /v1/chat/completions. A private redis-server and quotad (QUOTAD_BIN, default: swift build -c release)
# with the gateway pointed at nginx. Then, for the JSON body and the SSE stream, the same wrk load
# (POST, the same body; users spread over USERS, no limit, so every call reserves and commits):
#   latency     1 connection (closed loop): p50 and p99 of one call, direct vs through the gateway;
#   throughput  CONNECTIONS connections: requests per second, direct vs through the gateway;
# direct and gateway interleaved, ROUNDS rounds, the median of each figure over the rounds.
# Prints, per body: added latency p50 and p99 (gateway − direct, ms) and the throughput ratio (gateway /
# direct); the issue's goal is added p50 ≤ 1 ms and ratio ≥ 0.5. Every non-2xx answer is counted and reported.
# Everything it starts is stopped on exit; the whole run is bounded by BENCH_TIMEOUT seconds.
#
# Environment: QUOTAD_BIN, DURATION (wrk, default 5s), CONNECTIONS (16), THREADS (2), ROUNDS (3), USERS (1000),
# BENCH_TIMEOUT (900), FIXTURES (default ../shared/fixtures beside the repository).
set -euo pipefail

DURATION="${DURATION:-5s}"
CONNECTIONS="${CONNECTIONS:-16}"
THREADS="${THREADS:-2}"
ROUNDS="${ROUNDS:-3}"
USERS="${USERS:-1000}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-900}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIXTURES="${FIXTURES:-${QUOTAD_FIXTURES:-$ROOT/../shared/fixtures}}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/quotad-bench-gateway.XXXXXX")"
PIDS=()  # everything started, stopped in reverse order on exit

cleanup() {
    local status=${1:-$?} index
    for (( index=${#PIDS[@]}-1; index>=0; index-- )); do
        kill -TERM "${PIDS[index]}" 2>/dev/null && wait "${PIDS[index]}" 2>/dev/null || true
    done
    rm -rf "$WORK"
    exit "$status"
}
trap 'exit 130' INT TERM
(
    sleep "$BENCH_TIMEOUT" &
    trap 'kill $! 2>/dev/null; exit 0' TERM
    wait $!
    echo "bench-gateway: timed out after ${BENCH_TIMEOUT}s" >&2
    kill -TERM $$ 2>/dev/null
) &
WATCHDOG=$!
trap 'status=$?; kill $WATCHDOG 2>/dev/null || true; cleanup $status' EXIT

command -v nginx >/dev/null || PATH="$PATH:/usr/sbin"
command -v nginx >/dev/null || "$ROOT/scripts/install-deps.sh" nginx-light
for tool in nginx wrk redis-server curl python3; do
    command -v "$tool" >/dev/null || { echo "bench-gateway: $tool is required (apt-get install -y nginx-light wrk redis-server curl python3)" >&2; exit 1; }
done
[ -f "$FIXTURES/provider_payloads.json" ] || { echo "bench-gateway: no $FIXTURES/provider_payloads.json (set FIXTURES)" >&2; exit 1; }

if [ -z "${QUOTAD_BIN:-}" ]; then
    (cd "$ROOT" && swift build -c release --product quotad >&2)
    QUOTAD_BIN="$(cd "$ROOT" && swift build -c release --show-bin-path)/quotad"
fi

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_for() {  # url, seconds
    local deadline=$((SECONDS + $2))
    until curl -fsS -o /dev/null "$1" 2>/dev/null; do
        (( SECONDS < deadline )) || { echo "bench-gateway: $1 did not come up" >&2; return 1; }
        sleep 0.1
    done
}

# ---- the upstream's files, from the fixtures
mkdir -p "$WORK/files" "$WORK/nginx"
chmod 711 "$WORK"              # nginx's worker (nobody, when started as root) reads the files
python3 - "$FIXTURES/provider_payloads.json" "$WORK/files" <<'EOF'
import json, sys
fixtures = {f["id"]: f for f in json.load(open(sys.argv[1]))}
with open(sys.argv[2] + "/chat.json", "w") as f:
    json.dump(fixtures["openai_chat_nonstream_no_prompt_details"]["body"], f)
stream = fixtures["openai_chat_stream_include_usage"]["body"]
with open(sys.argv[2] + "/chat.sse", "w") as f:
    for event in stream["sse_data_events"]:
        f.write("data: " + json.dumps(event, separators=(",", ":")) + "\n\n")
    f.write(stream["terminator"] + "\n\n")
EOF
chmod 755 "$WORK/files" && chmod 644 "$WORK/files/"*

NGINX_PORT=$(free_port)
cat > "$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
error_log $WORK/nginx/error.log warn;
pid $WORK/nginx/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    keepalive_requests 1000000;
    types { application/json json; text/event-stream sse; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        # the stream when the request asks for one (the header x-bench-stream; the gateway forwards it)
        location = /v1/chat/completions {
            if (\$http_x_bench_stream) { rewrite ^ /files/chat.sse last; }
            rewrite ^ /files/chat.json last;
        }
        location /files/ {
            alias $WORK/files/;
            error_page 405 =200 \$uri;   # the static files answer POST too
        }
    }
}
EOF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
PIDS+=($!)

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
PIDS+=($!)

HTTP_PORT=$(free_port)
ADMIN_KEY="bench-admin-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
QUOTAD_ADMIN_KEYS="$ADMIN_KEY" QUOTAD_HTTP_PORT="$HTTP_PORT" QUOTAD_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" QUOTAD_LOG_LEVEL=error \
QUOTAD_GATEWAY_ENABLED=true QUOTAD_GATEWAY_OPENAI_BASE_URL="http://127.0.0.1:$NGINX_PORT/v1" QUOTAD_GATEWAY_OPENAI_API_KEY=sk-bench-upstream \
    "$QUOTAD_BIN" serve >"$WORK/quotad.log" 2>&1 &
PIDS+=($!)

wait_for "http://127.0.0.1:$HTTP_PORT/readyz" 30
for _ in $(seq 100); do curl -fsS -o /dev/null -X POST -d '{}' "http://127.0.0.1:$NGINX_PORT/v1/chat/completions" 2>/dev/null && break; sleep 0.1; done
KEY=$(curl -fsS -X POST -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' -d '{"scopes":["gateway"]}' \
    "http://127.0.0.1:$HTTP_PORT/v1/tenants/bench/keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')

# one check of each path before the load: the gateway answers the fixture
check=$(curl -fsS -X POST -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -H 'X-Quotad-User: check' \
    -d '{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],"max_tokens":64}' "http://127.0.0.1:$HTTP_PORT/gateway/openai/v1/chat/completions")
case "$check" in *chatcmpl-ABfvaueLEMLNYbT8YzpJxsmiQ6HSY*) ;; *) echo "bench-gateway: the gateway did not answer the fixture: ${check:0:300}" >&2; exit 1 ;; esac

# wrk: the same POST for both targets; `done` prints one JSON line (microseconds, counts)
cat > "$WORK/load.lua" <<EOF
local users = $USERS
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if os.getenv("BENCH_KEY") ~= "" then wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY") end
if os.getenv("BENCH_STREAM") == "1" then
    wrk.headers["x-bench-stream"] = "1"
    wrk.body = '{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],"max_tokens":64,"stream":true}'
else
    wrk.body = '{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],"max_tokens":64}'
end
request = function()
    n = n + 1
    wrk.headers["X-Quotad-User"] = "u" .. (n % users)
    return wrk.format()
end
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format('{"requests":%d,"seconds":%f,"p50":%d,"p99":%d,"non2xx":%d,"errors":%d}\n',
        summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
        e.status, e.connect + e.read + e.write + e.timeout))
end
EOF

run() {  # target(direct|gateway) stream(0|1) connections → JSON line
    local url key=""
    if [ "$1" = direct ]; then url="http://127.0.0.1:$NGINX_PORT/v1/chat/completions"
    else url="http://127.0.0.1:$HTTP_PORT/gateway/openai/v1/chat/completions"; key="$KEY"; fi
    local threads=$THREADS
    (( $3 < threads )) && threads=$3
    BENCH_KEY="$key" BENCH_STREAM="$2" wrk -t "$threads" -c "$3" -d "$DURATION" -s "$WORK/load.lua" "$url" | tail -n 1
}

RESULTS="$WORK/results.ndjson"
: > "$RESULTS"
for round in $(seq "$ROUNDS"); do
    for stream in 0 1; do
        for load in latency throughput; do
            connections=1
            [ "$load" = throughput ] && connections=$CONNECTIONS
            for target in direct gateway; do
                line=$(run "$target" "$stream" "$connections")
                echo "{\"round\":$round,\"stream\":$stream,\"load\":\"$load\",\"target\":\"$target\",\"result\":$line}" >> "$RESULTS"
                echo "round $round $( [ "$stream" = 1 ] && echo sse || echo json ) $load $target: $line" >&2
            done
        done
    done
done

python3 - "$RESULTS" "$ROUNDS" "$CONNECTIONS" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def median(stream, load, target, field):
    values = []
    for r in rows:
        if r["stream"] == stream and r["load"] == load and r["target"] == target:
            res = r["result"]
            values.append(res["requests"] / res["seconds"] if field == "rps" else res[field] / 1000.0)
    return statistics.median(values)
bad = sum(r["result"]["non2xx"] + r["result"]["errors"] for r in rows)
print(f"gateway benchmark: median of {sys.argv[2]} interleaved rounds; latency at 1 connection, throughput at {sys.argv[3]}")
for stream, name in ((0, "json"), (1, "sse")):
    d50, g50 = median(stream, "latency", "direct", "p50"), median(stream, "latency", "gateway", "p50")
    d99, g99 = median(stream, "latency", "direct", "p99"), median(stream, "latency", "gateway", "p99")
    drps, grps = median(stream, "throughput", "direct", "rps"), median(stream, "throughput", "gateway", "rps")
    print(f"{name:4} direct p50 {d50:.3f} ms p99 {d99:.3f} ms, {drps:,.0f} req/s | gateway p50 {g50:.3f} ms p99 {g99:.3f} ms, {grps:,.0f} req/s")
    print(f"{name:4} added latency p50 {g50 - d50:.3f} ms, p99 {g99 - d99:.3f} ms; throughput ratio {grps / drps:.3f}")
print(f"non-2xx answers or socket errors: {bad}")
EOF
