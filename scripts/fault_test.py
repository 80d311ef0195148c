#!/usr/bin/env python3
"""Redis fault test for quotad (loopback only, bounded).

Starts a private redis-server (AOF, appendfsync always) and quotad against it, streams usage events over
HTTP, kill -9's Redis in the middle, restarts it on the same port and directory, and checks:
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

        accepted, failed = set(), set()
        outage_latencies, killed_at, restarted_at, first_ok_after = [], None, None, None
        for i in range(EVENTS):
            if i == KILL_AT:
                redis.send_signal(signal.SIGKILL)
                redis.wait()
                killed_at = time.monotonic()
            if killed_at and restarted_at is None and time.monotonic() - killed_at > 1.5:
                redis = start_redis(redis_port, work)
                restarted_at = time.monotonic()
            status, _, latency = request(http_port, "POST", "/v1/tenants/acme/usage", event(i), key)
            if 200 <= status < 300:
                accepted.add(i)
                if restarted_at and first_ok_after is None:
                    first_ok_after = time.monotonic() - restarted_at
            else:
                failed.add(i)
                if killed_at and restarted_at is None:
                    outage_latencies.append((status, latency))
        # Lost = accepted events missing from the totals (requests counter and token sum).
        status, data, _ = request(http_port, "GET", "/v1/tenants/acme/users/streamer/usage", key=key)
        totals = json.loads(data)["totals"]
        expected_min = sum(10 + i % 7 for i in accepted)
        recorded_extra = totals["requests"] - len(accepted)
        check("quotad answered during the outage", len(outage_latencies) > 0, f"{len(outage_latencies)} requests")
        check("every outage answer is a 503", all(s == 503 for s, _ in outage_latencies), str({s for s, _ in outage_latencies}))
        max_latency = max((l for _, l in outage_latencies), default=0)
        check("outage answers arrive within the Redis timeout (+0.5 s)", max_latency <= TIMEOUT_MS / 1000 + 0.5, f"max {max_latency*1000:.0f} ms")
        check("recovered within 2 s of Redis coming back", first_ok_after is not None and first_ok_after <= 2.0,
              f"{(first_ok_after or -1)*1000:.0f} ms")
        lost = max(0, len(accepted) - totals["requests"]) if totals["input_tokens"] >= expected_min else len(accepted)
        check("lost = 0 (every 2xx event is in the totals after kill -9 and restart)", totals["requests"] >= len(accepted) and totals["input_tokens"] >= expected_min,
              f"accepted {len(accepted)}, stored {totals['requests']}")
        # Retry every event (same ids): the totals must equal the distinct events exactly.
        for i in range(EVENTS):
            request(http_port, "POST", "/v1/tenants/acme/usage", event(i), key)
        status, data, _ = request(http_port, "GET", "/v1/tenants/acme/users/streamer/usage", key=key)
        totals = json.loads(data)["totals"]
        double = totals["requests"] - EVENTS
        check("after retrying every event, totals equal the distinct events exactly", totals["requests"] == EVENTS and totals["input_tokens"] == sum(10 + i % 7 for i in range(EVENTS)),
              f"requests {totals['requests']} of {EVENTS}")
        print(f"figure: events {EVENTS}, accepted during the run {len(accepted)}, failed {len(failed)} (during the outage or before recovery), "
              f"recorded-but-answered-503 {max(0, recorded_extra)}, lost {lost}, double counts after retries {double}")
        print(f"figure: outage answers {len(outage_latencies)}, max latency {max_latency*1000:.0f} ms (Redis timeout {TIMEOUT_MS} ms), "
              f"recovery {(first_ok_after or -1)*1000:.0f} ms after restart")
        # SCRIPT FLUSH mid-load: quotad reloads its scripts (NOSCRIPT proves they did not run); no client sees an error.
        base = EVENTS * 10
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
        for n in range(200):
            if request(http_port, "POST", "/v1/tenants/acme/usage", event(base + 2000 + n), key)[0] == 200:
                recovered = time.monotonic() - started
                break
        check("after the pause, requests succeed again", recovered is not None, f"{(recovered or -1)*1000:.0f} ms")

        # Graceful restart on the same port: the pool reconnects.
        redis.send_signal(signal.SIGTERM)
        redis.wait()
        restart = time.monotonic()
        redis = start_redis(redis_port, work)
        back = None
        for n in range(400):
            if request(http_port, "POST", "/v1/tenants/acme/usage", event(base + 3000 + n), key)[0] == 200:
                back = time.monotonic() - restart
                break
        check("restart on the same port: the pool reconnects within 2 s", back is not None and back <= 2.0, f"{(back or -1)*1000:.0f} ms")
        print(f"figure: paused Redis worst latency {worst*1000:.0f} ms; graceful restart back after {(back or -1)*1000:.0f} ms")
    finally:
        stop(quotad)
        stop(redis)
        shutil.rmtree(work, ignore_errors=True)
    return summary()

if __name__ == "__main__":
    sys.exit(main())
