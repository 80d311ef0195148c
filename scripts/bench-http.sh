#!/usr/bin/env bash
# HTTP benchmarks of quotad (issue 13), each figure next to its reference measured in the same run.
#
# Builds quotad and quota-bench in release mode, starts a private redis-server, quotad and webdis (a C
# HTTP→Redis gateway) against that same Redis, all on free loopback ports in a temp dir, then:
#   (a) wrk POST /v1/tenants/t1/usage — canonical counts, distinct event ids, users spread over USERS;
#   (b) wrk on webdis doing the identical record work: the very EVALSHA quotad sends for such an event
#       (captured with redis-cli MONITOR), as /EVALSHA/<sha>/<numkeys>/<keys…>/<args…>, event id and user
#       replaced per request;
#   (b') wrk on webdis with the issue's original reference, a SET NX EX + 7 HINCRBY script (one hash tag per
#       user): webdis's HTTP path when Redis's share of the work is small;
#   (c) wrk GET /healthz;
#   (d) quota-bench http-reserve: reserve + commit max rate, then p50…p99.9 at half of it (open loop), and
#       the reference: webdis running the two EVALSHAs quotad sends per pair (captured like (b)) at the same
#       rate, measured the same way;
#   (e) quota-bench http-batch: POST …/usage/batch (1,000 events) events/s vs RedisQuotaRepository.record
#       at concurrency 64, and `quota-bench redis`'s record rate, on the same Redis.
# After (a) and (b) the events recorded in Redis are checked against wrk's 2xx count (within the requests
# still in flight when wrk stopped); quotad's peak RSS during (a) is read from /proc (VmHWM).
# The LAST line is `ratio <quotad usage rate / webdis rate>`, the line before it `healthz ratio <usage /
# healthz>`. Everything it starts is stopped on exit; the whole run is bounded by BENCH_TIMEOUT seconds.
#
# Environment: DURATION (wrk, default 10s), CONNECTIONS (64), THREADS (2), USERS (1000), ROUNDS (2: (a) and (b)
# alternate that many times, each side keeping its best rate), BENCH_TIMEOUT (900),
# SCRATCH_PATH (SwiftPM scratch path, default .build), SKIP_BUILD=1 to reuse an existing build,
# RESERVE=0 / BATCH=0 / SYNTHETIC=0 to skip (d) / (e) / (b').
set -euo pipefail

DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
USERS="${USERS:-1000}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-900}"
SCRATCH_PATH="${SCRATCH_PATH:-.build}"
RESERVE="${RESERVE:-1}"
BATCH="${BATCH:-1}"
SYNTHETIC="${SYNTHETIC:-1}"
ROUNDS="${ROUNDS:-2}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/quotad-bench.XXXXXX")"
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
# Bound the whole run: a watchdog ends this script (and so, via the trap, everything it started). Stopped,
# it stops its sleep too, which would otherwise hold this script's output open (a pipe reading it would wait).
(
    sleep "$BENCH_TIMEOUT" &
    trap 'kill $! 2>/dev/null; exit 0' TERM
    wait $!
    echo "bench-http: timed out after ${BENCH_TIMEOUT}s" >&2
    kill -TERM $$ 2>/dev/null
) &
WATCHDOG=$!
trap 'status=$?; kill $WATCHDOG 2>/dev/null || true; cleanup $status' EXIT

for tool in wrk redis-server redis-cli curl python3 webdis; do
    command -v "$tool" >/dev/null || { echo "bench-http: $tool is required (apt-get install -y wrk redis-server redis-tools curl python3 webdis)" >&2; exit 1; }
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
    echo "building quotad and quota-bench (release)…" >&2
    for product in quotad quota-bench; do  # one --product per invocation (SwiftPM keeps only the last)
        swift build -c release --product "$product" --scratch-path "$SCRATCH_PATH" >&2
    done
fi
BIN_DIR="$(swift build -c release --scratch-path "$SCRATCH_PATH" --show-bin-path)"
for binary in quotad quota-bench; do
    [[ -x "$BIN_DIR/$binary" ]] || { echo "bench-http: $BIN_DIR/$binary not found" >&2; exit 1; }
done

# Redis.
REDIS_PORT="$(free_port)"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK" --save "" --appendonly no \
    --daemonize no --logfile "$WORK/redis.log" &
PIDS+=($!)
for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done

# quotad.
: >"$WORK/quotad.yaml"  # defaults only: the environment below configures the run
HTTP_PORT="$(free_port)"
ADMIN_KEY="bench-admin-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
QUOTAD_HTTP_HOST=127.0.0.1 QUOTAD_HTTP_PORT="$HTTP_PORT" QUOTAD_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" \
    QUOTAD_ADMIN_KEYS="$ADMIN_KEY" QUOTAD_LOG_LEVEL=warning QUOTAD_CONFIG="$WORK/quotad.yaml" \
    "$BIN_DIR/quotad" serve >"$WORK/quotad.log" 2>&1 &
QUOTAD_PID=$!
PIDS+=("$QUOTAD_PID")
wait_for "http://127.0.0.1:$HTTP_PORT/readyz" 30 || { cat "$WORK/quotad.log" >&2; exit 1; }

# webdis, against the same Redis (its config is a JSON file; no daemon, log in the temp dir).
start_webdis() {  # name: starts a webdis on a free port and sets WEBDIS to its base URL
    local port
    port="$(free_port)"
    cat >"$WORK/$1.json" <<JSON
{"redis_host": "127.0.0.1", "redis_port": $REDIS_PORT, "redis_auth": null,
 "http_host": "127.0.0.1", "http_port": $port, "threads": 2, "daemonize": false,
 "database": 0, "verbosity": 3, "logfile": "$WORK/$1.log"}
JSON
    webdis "$WORK/$1.json" 2>"$WORK/$1.stderr" &
    PIDS+=($!)
    wait_for "http://127.0.0.1:$port/PING" 10 || { cat "$WORK/$1.log" >&2; exit 1; }
    WEBDIS="http://127.0.0.1:$port"
}
start_webdis webdis

BASE="http://127.0.0.1:$HTTP_PORT"
TENANT_KEY="$(curl -fsS -X POST -H "Authorization: Bearer $ADMIN_KEY" "$BASE/v1/tenants/t1/keys" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')"

usage_body() {  # user, event id
    printf '{"user":"%s","event_id":"%s","model":"gpt-4o","provider":"openai","usage":{"input_tokens":120,"cached_input_tokens":20,"output_tokens":40}}' "$1" "$2"
}
post_usage() {  # user, event id
    curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TENANT_KEY" -H "Content-Type: application/json" \
        --data "$(usage_body "$1" "$2")" "$BASE/v1/tenants/t1/usage"
}
recorded() {  # the tenant's recorded events in the current cycle (totals.requests)
    curl -fsS -H "Authorization: Bearer $TENANT_KEY" "$BASE/v1/tenants/t1/usage" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["requests"])'
}

# The commands quotad sends for one usage event (and for one reserve + commit pair), captured with MONITOR
# (after a first event or pair that loads the scripts and warms the caches). The user, the event id and the
# reservation id carry markers that the replays replace.
USER_MARK=777777777777
EVENT_MARK=888888888888
RESERVATION_MARK=999999999999
post_reserve() {  # user, reservation id
    curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TENANT_KEY" -H "Content-Type: application/json" \
        --data "{\"user\":\"$1\",\"model\":\"gpt-4o\",\"provider\":\"openai\",\"input_tokens\":1000,\"max_output_tokens\":500,\"ttl_seconds\":600,\"reservation_id\":\"$2\"}" \
        "$BASE/v1/tenants/t1/reservations"
}
post_commit() {  # user, reservation id (as given to post_reserve)
    curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $TENANT_KEY" -H "Content-Type: application/json" \
        --data "{\"user\":\"$1\",\"model\":\"gpt-4o\",\"provider\":\"openai\",\"usage\":{\"input_tokens\":1000,\"cached_input_tokens\":400,\"output_tokens\":200,\"reasoning_tokens\":50}}" \
        "$BASE/v1/tenants/t1/reservations/res:$1:$2/commit"
}
reserve_pair() {  # user, reservation id
    post_reserve "$1" "$2" && post_commit "$1" "$2"
}

# capture <name> <mark> <expected EVALSHAs> <command…>: runs the command under MONITOR and writes to
# $WORK/<name>.paths the EVALSHAs whose arguments carry <mark>, in order, each in webdis's URL form: every
# argument percent-encoded (webdis splits on '/' and reads '.' as a format suffix; it decodes %xx, so ':',
# '{', '}', '|', '/', '.' all arrive intact).
capture() {
    local name=$1 mark=$2 expected=$3 monitor_pid sentinel
    shift 3
    redis-cli -p "$REDIS_PORT" MONITOR >"$WORK/$name.monitor" &
    monitor_pid=$!
    PIDS+=("$monitor_pid")
    for _ in $(seq 1 100); do grep -q '^OK' "$WORK/$name.monitor" 2>/dev/null && break; sleep 0.05; done
    "$@"
    sentinel="bench-http-sentinel-$RANDOM$RANDOM"
    redis-cli -p "$REDIS_PORT" ECHO "$sentinel" >/dev/null
    for _ in $(seq 1 100); do grep -q "$sentinel" "$WORK/$name.monitor" && break; sleep 0.05; done
    kill -TERM "$monitor_pid" 2>/dev/null; wait "$monitor_pid" 2>/dev/null || true
    grep -q "$sentinel" "$WORK/$name.monitor" || { echo "bench-http: MONITOR did not see the sentinel" >&2; exit 1; }
    if ! python3 - "$WORK/$name.monitor" "$sentinel" "$mark" "$expected" >"$WORK/$name.paths" 2>"$WORK/$name.capture" <<'PY'
import sys, urllib.parse

def parse(line):  # the quoted arguments of a MONITOR line (sdscatrepr escapes)
    out, i = [], line.index('"')
    while i < len(line):
        if line[i] != '"':
            i += 1
            continue
        i, value = i + 1, bytearray()
        while line[i] != '"':
            c = line[i]
            if c == '\\':
                e = line[i + 1]
                if e == 'x':
                    value.append(int(line[i + 2:i + 4], 16)); i += 4; continue
                value += {'n': b'\n', 'r': b'\r', 't': b'\t', 'a': b'\a', 'b': b'\b'}.get(e, e.encode())
                i += 2
                continue
            value += c.encode(); i += 1
        out.append(value.decode()); i += 1
    return out

path, sentinel, mark, expected = sys.argv[1:]
commands = []
for line in open(path):
    if sentinel in line:
        break
    head = line.split('"', 1)[0]  # '<time> [<db> <client>] ': skip what scripts run ('[0 lua]')
    if '"' not in line or head.rstrip().endswith('lua]'):
        continue
    commands.append(parse(line))
ours = [c for c in commands if mark in ' '.join(c)]
for c in commands:
    print('  seen: ' + ' '.join(c)[:200] + (' …' if len(' '.join(c)) > 200 else ''), file=sys.stderr)
evalsha = [c for c in ours if c[0].upper() == 'EVALSHA']
if len(evalsha) != int(expected):
    sys.exit('expected %s EVALSHA(s) carrying %s, captured: %r' % (expected, mark, [c[:3] for c in ours]))
for command in evalsha:
    print('/' + '/'.join(urllib.parse.quote(a, safe='').replace('.', '%2E') for a in command))
PY
    then
        cat "$WORK/$name.capture" >&2
        exit 1
    fi
}

post_usage "u$USER_MARK" "ev-warm-0"
echo "one usage event, under MONITOR:" >&2
capture usage "$EVENT_MARK" 1 post_usage "u$USER_MARK" "ev-$EVENT_MARK"
cat "$WORK/usage.capture" >&2
EVALSHA_PATH="$(cat "$WORK/usage.paths")"
reserve_pair "u$USER_MARK" "warm-0"
echo "one reserve + commit pair, under MONITOR:" >&2
capture reservation "$RESERVATION_MARK" 2 reserve_pair "u$USER_MARK" "$RESERVATION_MARK"
cat "$WORK/reservation.capture" >&2
RESERVE_PATH="$(sed -n 1p "$WORK/reservation.paths")"
COMMIT_PATH="$(sed -n 2p "$WORK/reservation.paths")"
echo "webdis replays (${#EVALSHA_PATH} characters): ${EVALSHA_PATH:0:160}…" >&2
# One replay by hand: the script must run (not an error reply) and record the event.
BEFORE="$(recorded)"
SAMPLE_PATH="${EVALSHA_PATH//$USER_MARK/0}"
SAMPLE="$(curl -fsS "$WEBDIS${SAMPLE_PATH//$EVENT_MARK/sample-0}")"
[[ "$(recorded)" == $((BEFORE + 1)) ]] || { echo "bench-http: webdis's replay did not record the event: $SAMPLE" >&2; exit 1; }
echo "webdis replay answered: ${SAMPLE:0:160}" >&2

cat >"$WORK/usage.lua" <<LUA
-- Each request carries a distinct event id "ev-<round>-<thread>-<counter>" (the round is wrk's script
-- argument); users u0 … u$((USERS - 1)).
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("tid", threads)
end
function init(args)
    counter = 0
    round = args[1] or "1"
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Authorization"] = "Bearer $TENANT_KEY"
end
function request()
    counter = counter + 1
    local body = string.format(
        '{"user":"u%d","event_id":"ev-%s-%d-%d","model":"gpt-4o","provider":"openai","usage":{"input_tokens":120,"cached_input_tokens":20,"output_tokens":40}}',
        counter % $USERS, round, tid, counter)
    return wrk.format(nil, "/v1/tenants/t1/usage", nil, body)
end
LUA

cat >"$WORK/webdis.lua" <<LUA
-- The captured EVALSHA with the user number and the event id replaced: the same shape as quotad's
-- (user u<n>, event id ev-wd<round>x<thread>-<counter>, not one quotad's run used; '-' needs no escaping).
local template = "$EVALSHA_PATH"
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("tid", threads)
end
function init(args)
    counter = 0
    round = args[1] or "1"
end
function request()
    counter = counter + 1
    local path = template:gsub("$USER_MARK", tostring(counter % $USERS)):gsub("$EVENT_MARK", "wd" .. round .. "x" .. tid .. "-" .. counter)
    return wrk.format("GET", path)
end
LUA

run_wrk() {  # name, output file, wrk arguments…
    local name=$1 out=$2
    shift 2
    echo "$name: wrk -c$CONNECTIONS -t$THREADS -d$DURATION" >&2
    wrk -c "$CONNECTIONS" -t "$THREADS" -d "$DURATION" --latency "$@" >"$out"
    cat "$out" >&2
}
rate() { awk '/Requests\/sec/ { print $2 }' "$1"; }
ok_count() {  # requests wrk completed minus those not 2xx/3xx
    awk '/requests in/ { n = $1 } /Non-2xx/ { bad = $NF } END { print n - bad }' "$1"
}
script_cost() {  # Redis's own time per EVALSHA since the last CONFIG RESETSTAT, in µs (INFO commandstats)
    redis-cli -p "$REDIS_PORT" INFO commandstats | tr -d '\r' \
        | awk -F'[,=]' '/^cmdstat_evalsha:/ { for (i = 1; i < NF; i++) if ($i == "usec_per_call") print $(i + 1) }'
}
check_recorded() {  # name, recorded before, wrk output
    local after ok
    after="$(recorded)"
    ok="$(ok_count "$3")"
    local delta=$((after - $2))
    echo "$1: $ok requests answered 2xx, $delta events recorded" >&2
    # wrk stops with up to CONNECTIONS requests in flight: the server may have recorded those too.
    if (( delta < ok || delta > ok + CONNECTIONS )); then
        echo "bench-http: $1 recorded $delta events for $ok 2xx answers (in flight at most $CONNECTIONS)" >&2
        exit 1
    fi
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
# (a) and (b) alternate for ROUNDS rounds, and each side keeps its best rate, so that a slow moment of the
# machine does not decide the ratio (as `quota-bench redis` does). quotad's peak RSS covers all its runs
# (VmHWM reset before the first; 5 = clear the peak).
echo 5 >"/proc/$QUOTAD_PID/clear_refs" 2>/dev/null || echo "bench-http: cannot reset VmHWM: the peak covers the whole process life" >&2
USAGE_RATE=0
WEBDIS_RATE=0
ROUND_LINES=()
best() { python3 -c "import sys; print(max(float(sys.argv[1]), float(sys.argv[2])))" "$1" "$2"; }
for round in $(seq 1 "$ROUNDS"); do
    # (a) quotad POST …/usage.
    BEFORE="$(recorded)"
    redis-cli -p "$REDIS_PORT" CONFIG RESETSTAT >/dev/null
    run_wrk "POST /v1/tenants/t1/usage (round $round)" "$WORK/usage-$round.txt" -s "$WORK/usage.lua" "$BASE" -- "$round"
    check_recorded "quotad usage" "$BEFORE" "$WORK/usage-$round.txt"
    USAGE_SCRIPT_US="$(script_cost)"
    # (b) webdis: the identical EVALSHA.
    BEFORE="$(recorded)"
    redis-cli -p "$REDIS_PORT" CONFIG RESETSTAT >/dev/null
    run_wrk "webdis EVALSHA, quotad's record call (round $round)" "$WORK/webdis-$round.txt" -s "$WORK/webdis.lua" "$WEBDIS" -- "$round"
    check_recorded "webdis EVALSHA" "$BEFORE" "$WORK/webdis-$round.txt"
    WEBDIS_SCRIPT_US="$(script_cost)"
    USAGE_RATE="$(best "$USAGE_RATE" "$(rate "$WORK/usage-$round.txt")")"
    WEBDIS_RATE="$(best "$WEBDIS_RATE" "$(rate "$WORK/webdis-$round.txt")")"
    ROUND_LINES+=("round $round: usage $(rate "$WORK/usage-$round.txt") req/s, webdis $(rate "$WORK/webdis-$round.txt") req/s; Redis time per record EVALSHA ${USAGE_SCRIPT_US} µs under quotad's run, ${WEBDIS_SCRIPT_US} µs under webdis's (INFO commandstats)")
done
RSS_PEAK="$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$QUOTAD_PID/status")"
WARNINGS="$(wc -l <"$WORK/webdis.stderr")"
(( WARNINGS == 0 )) || echo "webdis wrote $WARNINGS lines to stderr, e.g.: $(head -1 "$WORK/webdis.stderr")" >&2

# (b') webdis with the issue's original reference script (SET NX EX + 7 HINCRBY, one hash tag per user, as
# `quota-bench redis` runs it): what webdis's HTTP path does when Redis's share is small.
if [[ "$SYNTHETIC" == 1 ]]; then
    SYNTHETIC_SHA="$(redis-cli -p "$REDIS_PORT" SCRIPT LOAD "if redis.call('SET', KEYS[1], '1', 'NX', 'EX', 86400) then local h = KEYS[2] redis.call('HINCRBY', h, 'in', ARGV[1]) redis.call('HINCRBY', h, 'cin', ARGV[2]) redis.call('HINCRBY', h, 'cw', ARGV[3]) redis.call('HINCRBY', h, 'out', ARGV[4]) redis.call('HINCRBY', h, 'rsn', ARGV[5]) redis.call('HINCRBY', h, 'req', ARGV[6]) redis.call('HINCRBY', h, 'cost', ARGV[7]) return 1 end return 0")"
    cat >"$WORK/synthetic.lua" <<LUA
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("tid", threads)
end
function init(args)
    counter = 0
end
function request()
    counter = counter + 1
    local user = counter % $USERS
    return wrk.format("GET", string.format("/EVALSHA/$SYNTHETIC_SHA/2/bench%%3A%%7Bu%d%%7D%%3Ae%%3Aev-%d-%d/bench%%3A%%7Bu%d%%7D%%3Ac/120/20/0/40/0/1/675000", user, tid, counter, user))
end
LUA
    synthetic_recorded() {
        redis-cli -p "$REDIS_PORT" EVAL "local n = 0 for _, k in ipairs(redis.call('KEYS', 'bench:{u*}:c')) do n = n + tonumber(redis.call('HGET', k, 'req') or '0') end return n" 0
    }
    BEFORE="$(synthetic_recorded)"
    run_wrk "webdis EVALSHA (the issue's synthetic record script)" "$WORK/synthetic.txt" -s "$WORK/synthetic.lua" "$WEBDIS"
    SYNTH_AFTER="$(synthetic_recorded)"
    SYNTH_OK="$(ok_count "$WORK/synthetic.txt")"
    echo "webdis synthetic: $SYNTH_OK requests answered 2xx, $((SYNTH_AFTER - BEFORE)) events recorded" >&2
    if (( SYNTH_AFTER - BEFORE < SYNTH_OK || SYNTH_AFTER - BEFORE > SYNTH_OK + CONNECTIONS )); then
        echo "bench-http: webdis synthetic recorded $((SYNTH_AFTER - BEFORE)) events for $SYNTH_OK 2xx answers" >&2
        exit 1
    fi
    redis-cli -p "$REDIS_PORT" EVAL "for _, k in ipairs(redis.call('KEYS', 'bench:{u*}')) do redis.call('UNLINK', k) end return 0" 0 >/dev/null
fi

# (c) GET /healthz.
run_wrk "GET /healthz" "$WORK/healthz.txt" "$BASE/healthz"

HEALTH_RATE="$(rate "$WORK/healthz.txt")"
SUMMARY=()

# (d) Reservation round trip.
if [[ "$RESERVE" == 1 ]]; then
    echo "reserve + commit: quota-bench http-reserve" >&2
    # A webdis of its own: after wrk's runs end with requests in flight, webdis has been seen to answer a
    # dropped request on a new connection that reuses its descriptor.
    start_webdis webdis-reserve
    # A failure here (a wrong answer, a lost connection) is reported; the HTTP ratios below still print.
    if QUOTA_BENCH_KEY="$TENANT_KEY" "$BIN_DIR/quota-bench" http-reserve --url "$BASE" --concurrency "$CONNECTIONS" \
        --users "$USERS" --webdis-url "$WEBDIS" --reserve-path "$RESERVE_PATH" --commit-path "$COMMIT_PATH" \
        --user-mark "$USER_MARK" --id-mark "$RESERVATION_MARK" >"$WORK/reserve.txt" 2>&1; then
        cat "$WORK/reserve.txt" >&2
        while IFS= read -r line; do SUMMARY+=("$line"); done < <(grep -E '^(closed loop|open loop|reserve\+commit|p99|webdis reference)' "$WORK/reserve.txt")
    else
        cat "$WORK/reserve.txt" >&2
        SUMMARY+=("reserve + commit: FAILED: $(tail -1 "$WORK/reserve.txt")")
    fi
fi

# (e) Batch ingestion against the library path, same Redis.
if [[ "$BATCH" == 1 ]]; then
    echo "batch: quota-bench http-batch" >&2
    if QUOTA_BENCH_KEY="$TENANT_KEY" "$BIN_DIR/quota-bench" http-batch --url "$BASE" --redis-url "redis://127.0.0.1:$REDIS_PORT" \
        --users "$USERS" >"$WORK/batch.txt" 2>&1; then
        cat "$WORK/batch.txt" >&2
        while IFS= read -r line; do SUMMARY+=("$line"); done < <(grep -E '^(http batch|library|batch ratio)' "$WORK/batch.txt")
        echo "library reference: quota-bench redis" >&2
        if "$BIN_DIR/quota-bench" redis --redis-url "redis://127.0.0.1:$REDIS_PORT" --requests 100000 >"$WORK/redis.txt" 2>&1; then
            cat "$WORK/redis.txt" >&2
            while IFS= read -r line; do SUMMARY+=("quota-bench redis: $line"); done < <(grep -E '^(incr|record) +-P' "$WORK/redis.txt")
            BATCH_RATE="$(awk '/^http batch/ { print $3 }' "$WORK/batch.txt")"
            RECORD_RATE="$(awk '/^record -P 16 / { print $5 }' "$WORK/redis.txt")"
            SUMMARY+=("$(python3 -c "import sys; b, r = map(float, sys.argv[1:]); print('quota-bench redis record %9.0f ops/s (its synthetic script); batch / it %.2f (target >= 0.5)' % (r, b / r))" "$BATCH_RATE" "$RECORD_RATE")")
        else
            cat "$WORK/redis.txt" >&2
            SUMMARY+=("quota-bench redis: FAILED: $(tail -1 "$WORK/redis.txt")")
        fi
    else
        cat "$WORK/batch.txt" >&2
        SUMMARY+=("batch: FAILED: $(tail -1 "$WORK/batch.txt")")
    fi
fi

echo
for line in "${ROUND_LINES[@]}"; do echo "$line"; done
echo "usage   $USAGE_RATE req/s (quotad POST /v1/tenants/t1/usage, best of $ROUNDS rounds)"
echo "webdis  $WEBDIS_RATE req/s (the same EVALSHA over HTTP, best of $ROUNDS rounds)"
[[ "$SYNTHETIC" == 1 ]] && echo "webdis  $(rate "$WORK/synthetic.txt") req/s with the issue's synthetic SET NX EX + 7 HINCRBY script"
echo "healthz $HEALTH_RATE req/s"
echo "load average before the runs: $LOAD_BEFORE (2 cores; other work on the machine lowers every rate)"
echo "quotad peak RSS during the usage runs: ${RSS_PEAK} MiB (target <= 64 MiB)"
for line in "${SUMMARY[@]}"; do echo "$line"; done
python3 -c "import sys; print('healthz ratio %.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$USAGE_RATE" "$HEALTH_RATE"
python3 -c "import sys; print('ratio %.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$USAGE_RATE" "$WEBDIS_RATE"
