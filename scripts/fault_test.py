#!/usr/bin/env python3
"""Redis fault test for quotad (loopback only, bounded).

Starts a private redis-server (AOF, appendfsync always) and quotad against it, streams usage events over
HTTP, kill -9's Redis in the middle, keeps sending until quotad has answered at least OUTAGE_ANSWERS requests
and OUTAGE_SECONDS have passed (a condition, not a sleep: the test does not depend on the machine's speed),
restarts Redis on the same port and directory, and checks:
  - lost = 0: every event that got a 2xx is in the totals after the restart;
  - during the outage quotad answers 503 within its timeout (max latency reported), never hangs;
  - recovery: the first 2xx after Redis is back arrives within 2 s, without restarting quotad;
  - exactly once: resubmitting every event (same event ids) afterwards changes nothing beyond the
    events that had failed, and totals equal the number of distinct events exactly.
Prints `figure:` lines and ends with `N passed, M failed`.
"""
import http.client, json, os, shutil, signal, subprocess, sys, tempfile, time

from harness import check, free_port, start_quotad, stop, summary
import harness
ADMIN = "fault-test-admin-key-0123456789"
TIMEOUT_MS = 500
EVENTS = int(os.environ.get("FAULT_EVENTS", "1500"))
KILL_AT = EVENTS // 3
# The outage lasts until quotad answered at least this many requests and this much time passed.
OUTAGE_ANSWERS = 50
OUTAGE_SECONDS = 1.5
OUTAGE_MAX_REQUESTS = 100_000
# No phase waits longer than this for its condition.
PHASE_LIMIT_SECONDS = 30.0

def start_redis(port, directory):
    return harness.start_redis(port, directory, "--appendonly", "yes", "--appendfsync", "always")

def request(port, method, path, body=None, key=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = "Bearer " + key
    started = time.monotonic()
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, data, time.monotonic() - started
    finally:
        conn.close()

def read_totals(port, key, user, within=10.0):
    """The user's totals, retried until a 200 within `within` seconds; on failure records a FAIL and returns None."""
    started, last = time.monotonic(), None
    while time.monotonic() - started < within:
        try:
            status, data, _ = request(port, "GET", f"/v1/tenants/acme/users/{user}/usage", key=key)
        except OSError as error:
            last = repr(error)
            continue
        if status == 200:
            body = json.loads(data)
            if isinstance(body.get("totals"), dict):
                return body["totals"]
        last = f"{status} {data[:200]!r}"
    check(f"usage of {user} readable within {within:.0f} s", False, f"last answer: {last}")
    return None

def main():
    work = tempfile.mkdtemp(prefix="quotad-fault-")
    redis_port, http_port = free_port(), free_port()
    redis = start_redis(redis_port, work)
    quotad = start_quotad(http_port, redis_port, ADMIN, QUOTAD_REDIS_TIMEOUT_MS=TIMEOUT_MS, QUOTAD_REDIS_CONNECT_TIMEOUT_MS=TIMEOUT_MS)
    try:
        status, data, _ = request(http_port, "POST", "/v1/tenants/acme/keys", key=ADMIN)
        key = json.loads(data)["key"]

        def event(i):
            return {"user": "streamer", "event_id": f"evt-{i}", "model": "gpt-4o",
                    "usage": {"input_tokens": 10 + i % 7, "output_tokens": 3}}

        accepted, failed, sent = set(), set(), []
        outage_latencies, first_ok_after = [], None

        def send(i):
            sent.append(i)
            status, _, latency = request(http_port, "POST", "/v1/tenants/acme/usage", event(i), key)
            (accepted if 200 <= status < 300 else failed).add(i)
            return status, latency

        # Phase 1: events against a healthy Redis.
        for i in range(KILL_AT):
            send(i)
        # Phase 2: kill -9 Redis and keep sending until quotad has answered at least OUTAGE_ANSWERS requests
        # AND the outage has lasted OUTAGE_SECONDS, whatever the machine's speed (bounded by count and time).
        redis.send_signal(signal.SIGKILL)
        redis.wait()
        killed_at = time.monotonic()
        i = KILL_AT
        while (len(outage_latencies) < OUTAGE_ANSWERS or time.monotonic() - killed_at < OUTAGE_SECONDS) \
                and len(outage_latencies) < OUTAGE_MAX_REQUESTS and time.monotonic() - killed_at < PHASE_LIMIT_SECONDS:
            outage_latencies.append(send(i))
            i += 1
        # Phase 3: restart Redis on the same port and directory; send until the first 2xx (bounded), then
        # the rest of the events.
        redis = start_redis(redis_port, work)
        restarted_at = time.monotonic()
        while time.monotonic() - restarted_at < PHASE_LIMIT_SECONDS:
            status, _ = send(i)
            i += 1
            if 200 <= status < 300:
                first_ok_after = time.monotonic() - restarted_at
                break
        for _ in range(EVENTS - KILL_AT):
            send(i)
            i += 1
        total_events = len(sent)
        # Lost = accepted events missing from the totals (requests counter and token sum).
        totals = read_totals(http_port, key, "streamer")
        if totals is None:
            return summary()
        expected_min = sum(10 + n % 7 for n in accepted)
        recorded_extra = totals["requests"] - len(accepted)
        check("quotad answered during the outage", len(outage_latencies) >= OUTAGE_ANSWERS,
              f"{len(outage_latencies)} requests in {OUTAGE_SECONDS:.1f}+ s")
        check("every outage answer is a 503", all(s == 503 for s, _ in outage_latencies), str({s for s, _ in outage_latencies}))
        max_latency = max((l for _, l in outage_latencies), default=0)
        check("outage answers arrive within the Redis timeout (+0.5 s)", max_latency <= TIMEOUT_MS / 1000 + 0.5, f"max {max_latency*1000:.0f} ms")
        check("recovered within 2 s of Redis coming back", first_ok_after is not None and first_ok_after <= 2.0,
              f"{(first_ok_after or -1)*1000:.0f} ms")
        lost = max(0, len(accepted) - totals["requests"]) if totals["input_tokens"] >= expected_min else len(accepted)
        check("lost = 0 (every 2xx event is in the totals after kill -9 and restart)", totals["requests"] >= len(accepted) and totals["input_tokens"] >= expected_min,
              f"accepted {len(accepted)}, stored {totals['requests']}")
        # Retry every event (same ids): the totals must equal the distinct events exactly.
        for n in sent:
            request(http_port, "POST", "/v1/tenants/acme/usage", event(n), key)
        totals = read_totals(http_port, key, "streamer")
        if totals is None:
            return summary()
        double = totals["requests"] - total_events
        check("after retrying every event, totals equal the distinct events exactly",
              totals["requests"] == total_events and totals["input_tokens"] == sum(10 + n % 7 for n in sent),
              f"requests {totals['requests']} of {total_events}")
        print(f"figure: events {total_events}, accepted during the run {len(accepted)}, failed {len(failed)} (during the outage or before recovery), "
              f"recorded-but-answered-503 {max(0, recorded_extra)}, lost {lost}, double counts after retries {double}")
        print(f"figure: outage answers {len(outage_latencies)} over {restarted_at - killed_at:.2f} s, max latency {max_latency*1000:.0f} ms "
              f"(Redis timeout {TIMEOUT_MS} ms), recovery {(first_ok_after or -1)*1000:.0f} ms after restart")
        # SCRIPT FLUSH mid-load: quotad reloads its scripts (NOSCRIPT proves they did not run); no client sees an error.
        base = max(sent) + 1_000_000   # ids of the later phases never meet the main run's
        statuses = []
        for n in range(300):
            if n % 50 == 25:
                subprocess.run(["redis-cli", "-p", str(redis_port), "SCRIPT", "FLUSH"], check=True, stdout=subprocess.DEVNULL)
            statuses.append(request(http_port, "POST", "/v1/tenants/acme/usage", event(base + n), key)[0])
        check("SCRIPT FLUSH mid-load: every request succeeds", all(s == 200 for s in statuses), str(sorted(set(statuses))))

        # Redis paused past the command timeout: answers stay bounded, then everything recovers by itself.
        subprocess.run(["redis-cli", "-p", str(redis_port), "CLIENT", "PAUSE", str(TIMEOUT_MS * 3), "ALL"], check=True, stdout=subprocess.DEVNULL)
        paused = [request(http_port, "POST", "/v1/tenants/acme/usage", event(base + 1000 + n), key) for n in range(5)]
        worst = max(latency for _, _, latency in paused)
        check("paused Redis: answers bounded by the timeout", worst <= TIMEOUT_MS / 1000 + 0.5, f"max {worst*1000:.0f} ms, statuses {[s for s, _, _ in paused]}")
        recovered = None
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < PHASE_LIMIT_SECONDS:
            if request(http_port, "POST", "/v1/tenants/acme/usage", event(base + 2000 + n), key)[0] == 200:
                recovered = time.monotonic() - started
                break
            n += 1
        check("after the pause, requests succeed again", recovered is not None, f"{(recovered or -1)*1000:.0f} ms")

        # Graceful restart on the same port: the pool reconnects.
        redis.send_signal(signal.SIGTERM)
        redis.wait()
        restart = time.monotonic()
        redis = start_redis(redis_port, work)
        back = None
        n = 0
        while time.monotonic() - restart < PHASE_LIMIT_SECONDS:
            if request(http_port, "POST", "/v1/tenants/acme/usage", event(base + 10_000_000 + n), key)[0] == 200:
                back = time.monotonic() - restart
                break
            n += 1
        check("restart on the same port: the pool reconnects within 2 s", back is not None and back <= 2.0, f"{(back or -1)*1000:.0f} ms")
        print(f"figure: paused Redis worst latency {worst*1000:.0f} ms; graceful restart back after {(back or -1)*1000:.0f} ms")
    finally:
        stop(quotad)
        stop(redis)
        shutil.rmtree(work, ignore_errors=True)
    return summary()

if __name__ == "__main__":
    sys.exit(main())
