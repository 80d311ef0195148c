#!/usr/bin/env bash
# Quota engine benchmark: reserve + commit through RedisQuotaRepository vs redis-benchmark running the
# repository's own scripts (captured with MONITOR: same SHA, keys and arguments; users and ids drawn with
# __rand_int__ in one tenant hash tag {t1}) at the same concurrency; then Redis memory per user-cycle.
#
# Builds quota-bench in release mode and runs `quota-bench engine` (private redis-server on a free loopback
# port, stopped on exit) and `quota-bench footprint`. The LAST line is `ratio <ours / redis-benchmark>`
# (pairs per second; target >= 0.8). The whole run is bounded by BENCH_TIMEOUT seconds.
#
# Environment: CONCURRENCY (default 64), REQUESTS (pairs per run, 100000), USERS (1000), POOL_SIZE (1),
# PIPELINE (redis-benchmark -P, 16), MAX_SECONDS (per measurement, 120), BENCH_TIMEOUT (900),
# SCRATCH_PATH (SwiftPM scratch path, default .build), SKIP_BUILD=1 to reuse an existing build.
set -euo pipefail

CONCURRENCY="${CONCURRENCY:-64}"
REQUESTS="${REQUESTS:-100000}"
USERS="${USERS:-1000}"
POOL_SIZE="${POOL_SIZE:-1}"
PIPELINE="${PIPELINE:-16}"
MAX_SECONDS="${MAX_SECONDS:-120}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-900}"
SCRATCH_PATH="${SCRATCH_PATH:-.build}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
for tool in redis-server redis-cli redis-benchmark; do
    command -v "$tool" >/dev/null || { echo "bench-engine: $tool is required (apt-get install -y redis-server redis-tools)" >&2; exit 1; }
done
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    echo "building quota-bench (release)…" >&2
    swift build -c release --product quota-bench --scratch-path "$SCRATCH_PATH" >&2
fi
BIN="$(swift build -c release --product quota-bench --scratch-path "$SCRATCH_PATH" --show-bin-path)/quota-bench"
[[ -x "$BIN" ]] || { echo "bench-engine: $BIN not found" >&2; exit 1; }

# quota-bench starts its redis-server as a child that dies with it; `timeout` bounds the whole run.
# stdbuf: print progress lines as they come (stdout is a pipe under CI).
timeout --kill-after=10 "$BENCH_TIMEOUT" stdbuf -oL "$BIN" footprint --models 5
timeout --kill-after=10 "$BENCH_TIMEOUT" stdbuf -oL "$BIN" engine --concurrency "$CONCURRENCY" --requests "$REQUESTS" \
    --users "$USERS" --pool-size "$POOL_SIZE" --pipeline "$PIPELINE" --max-seconds "$MAX_SECONDS"
