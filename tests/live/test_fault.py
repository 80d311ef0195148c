"""Redis faults under quotad (loopback only, bounded).

A private redis-server (AOF, appendfsync always) and quotad against it (Redis timeouts 500 ms). The
kill -9 experiment (a module fixture, run once): usage events stream over HTTP, Redis is kill -9'd in the
middle, events keep coming until quotad has answered at least OUTAGE_ANSWERS requests and OUTAGE_SECONDS
have passed (a condition, not a sleep: the test does not depend on the machine's speed), Redis restarts on
the same port and directory. The tests then check:
  - lost = 0: every event that got a 2xx is in the totals after the restart;
  - during the outage quotad answers 503 within its timeout, never hangs;
  - recovery: the first 2xx after Redis is back arrives within 2 s, without restarting quotad;
  - exactly once: resubmitting every event (same event ids) afterwards leaves totals equal to the distinct events;
and, on the same quotad and Redis: SCRIPT FLUSH mid-load, a paused Redis, a graceful Redis restart.
"""
import os, signal, time

import pytest

from support import create_tenant_key

TIMEOUT_MS = 500
EVENTS = int(os.environ.get("FAULT_EVENTS", "1500"))
KILL_AT = EVENTS // 3
# The outage lasts until quotad answered at least this many requests and this much time passed.
OUTAGE_ANSWERS = 50
OUTAGE_SECONDS = 1.5
OUTAGE_MAX_REQUESTS = 100_000
# No phase waits longer than this for its condition.
PHASE_LIMIT_SECONDS = 30.0
REDIS_OPTIONS = ("--appendonly", "yes", "--appendfsync", "always")


class Env:
    pass


def event(i, user="streamer"):
    return {"user": user, "event_id": f"evt-{i}", "model": "gpt-4o", "usage": {"input_tokens": 10 + i % 7, "output_tokens": 3}}


@pytest.fixture(scope="module")
def env(module_launcher):
    e = Env()
    e.launcher = module_launcher
    e.redis = module_launcher.redis(*REDIS_OPTIONS)
    e.quotad = module_launcher.quotad(e.redis, QUOTAD_REDIS_TIMEOUT_MS=TIMEOUT_MS, QUOTAD_REDIS_CONNECT_TIMEOUT_MS=TIMEOUT_MS)
    e.http = e.quotad.client(create_tenant_key(e.quotad, "acme"), timeout=10)   # one connection per request
    return e


def post(env, body):
    """(status, seconds) of one usage event on its own connection."""
    answer = env.http.request("POST", "/v1/tenants/acme/usage", body)
    return answer.status, answer.seconds


def read_totals(env, user, within=10.0):
    """The user's totals, retried until a 200 within `within` seconds."""
    started, last = time.monotonic(), None
    while time.monotonic() - started < within:
        try:
            answer = env.http.request("GET", f"/v1/tenants/acme/users/{user}/usage")
        except OSError as error:
            last = repr(error)
            continue
        if answer.status == 200 and isinstance(answer.json().get("totals"), dict):
            return answer.json()["totals"]
        last = repr(answer)
    pytest.fail(f"usage of {user} readable within {within:.0f} s; last answer: {last}")


@pytest.fixture(scope="module")
def outage(env):
    """The kill -9 experiment."""
    r = Env()
    r.accepted, r.failed, r.sent = set(), set(), []
    r.outage_latencies, r.first_ok_after = [], None

    def send(i):
        r.sent.append(i)
        status, latency = post(env, event(i))
        (r.accepted if 200 <= status < 300 else r.failed).add(i)
        return status, latency

    # Phase 1: events against a healthy Redis.
    for i in range(KILL_AT):
        send(i)
    # Phase 2: kill -9 Redis and keep sending until quotad has answered at least OUTAGE_ANSWERS requests
    # AND the outage has lasted OUTAGE_SECONDS, whatever the machine's speed (bounded by count and time).
    env.redis.proc.send_signal(signal.SIGKILL)
    env.redis.proc.wait()
    killed_at = time.monotonic()
    i = KILL_AT
    while (len(r.outage_latencies) < OUTAGE_ANSWERS or time.monotonic() - killed_at < OUTAGE_SECONDS) \
            and len(r.outage_latencies) < OUTAGE_MAX_REQUESTS and time.monotonic() - killed_at < PHASE_LIMIT_SECONDS:
        r.outage_latencies.append(send(i))
        i += 1
    # Phase 3: restart Redis on the same port and directory; send until the first 2xx (bounded), then the rest.
    env.launcher.restart_redis(env.redis)
    restarted_at = time.monotonic()
    while time.monotonic() - restarted_at < PHASE_LIMIT_SECONDS:
        status, _ = send(i)
        i += 1
        if 200 <= status < 300:
            r.first_ok_after = time.monotonic() - restarted_at
            break
    for _ in range(EVENTS - KILL_AT):
        send(i)
        i += 1
    r.outage_seconds = restarted_at - killed_at
    r.max_latency = max((l for _, l in r.outage_latencies), default=0)
    r.totals = read_totals(env, "streamer")
    return r


def test_outage_quotad_keeps_answering(outage):
    assert len(outage.outage_latencies) >= OUTAGE_ANSWERS, \
        f"quotad answered during the outage: {len(outage.outage_latencies)} requests in {OUTAGE_SECONDS:.1f}+ s"


def test_outage_every_answer_is_a_503(outage):
    assert all(s == 503 for s, _ in outage.outage_latencies), str({s for s, _ in outage.outage_latencies})


def test_outage_answers_arrive_within_the_redis_timeout(outage, figure):
    text = (f"outage answers {len(outage.outage_latencies)} over {outage.outage_seconds:.2f} s, max latency "
              f"{outage.max_latency*1000:.0f} ms (Redis timeout {TIMEOUT_MS} ms), recovery {(outage.first_ok_after or -1)*1000:.0f} ms after restart")
    figure(text)
    assert outage.max_latency <= TIMEOUT_MS / 1000 + 0.5, f"within the Redis timeout (+0.5 s): max {outage.max_latency*1000:.0f} ms"


def test_recovery_within_2_s_of_redis_coming_back(outage):
    assert outage.first_ok_after is not None and outage.first_ok_after <= 2.0, f"{(outage.first_ok_after or -1)*1000:.0f} ms"


def test_lost_0_every_2xx_event_is_in_the_totals(outage, figure):
    totals, accepted = outage.totals, outage.accepted
    expected_min = sum(10 + n % 7 for n in accepted)
    lost = max(0, len(accepted) - totals["requests"]) if totals["input_tokens"] >= expected_min else len(accepted)
    text = (f"events {len(outage.sent)}, accepted during the run {len(accepted)}, failed {len(outage.failed)} (during the outage or "
              f"before recovery), recorded-but-answered-503 {max(0, totals['requests'] - len(accepted))}, lost {lost}")
    figure(text)
    assert totals["requests"] >= len(accepted) and totals["input_tokens"] >= expected_min, \
        f"lost = 0 (every 2xx event is in the totals after kill -9 and restart): accepted {len(accepted)}, stored {totals['requests']}"


def test_retrying_every_event_leaves_totals_equal_to_the_distinct_events(env, outage, figure):
    for n in outage.sent:
        env.http.request("POST", "/v1/tenants/acme/usage", event(n))
    totals = read_totals(env, "streamer")
    total_events = len(outage.sent)
    figure(f"double counts after retries {totals['requests'] - total_events}")
    assert totals["requests"] == total_events and totals["input_tokens"] == sum(10 + n % 7 for n in outage.sent), \
        f"requests {totals['requests']} of {total_events}"


# The tests below use their own users and event ids (they never meet the kill -9 experiment's).

def test_script_flush_mid_load_every_request_succeeds(env):
    # quotad reloads its scripts (NOSCRIPT proves they did not run); no client sees an error.
    statuses = []
    for n in range(300):
        if n % 50 == 25:
            assert env.redis.cli("SCRIPT", "FLUSH") == "OK"
        statuses.append(post(env, event(n, "flush"))[0])
    assert all(s == 200 for s in statuses), str(sorted(set(statuses)))


def test_paused_redis_answers_bounded_then_recovers(env, figure):
    assert env.redis.cli("CLIENT", "PAUSE", str(TIMEOUT_MS * 3), "ALL") == "OK"
    paused = [post(env, event(1000 + n, "paused")) for n in range(5)]
    worst = max(latency for _, latency in paused)
    figure(f"paused Redis worst latency {worst*1000:.0f} ms")
    assert worst <= TIMEOUT_MS / 1000 + 0.5, f"answers bounded by the timeout: max {worst*1000:.0f} ms, statuses {[s for s, _ in paused]}"
    recovered, started, n = None, time.monotonic(), 0
    while time.monotonic() - started < PHASE_LIMIT_SECONDS:
        if post(env, event(2000 + n, "paused"))[0] == 200:
            recovered = time.monotonic() - started
            break
        n += 1
    assert recovered is not None, f"after the pause, requests succeed again: {(recovered or -1)*1000:.0f} ms"


def test_graceful_redis_restart_pool_reconnects_within_2_s(env, figure):
    env.redis.proc.send_signal(signal.SIGTERM)
    env.redis.proc.wait(timeout=30)
    restart = time.monotonic()
    env.launcher.restart_redis(env.redis)
    back, n = None, 0
    while time.monotonic() - restart < PHASE_LIMIT_SECONDS:
        if post(env, event(10_000_000 + n, "restarted"))[0] == 200:
            back = time.monotonic() - restart
            break
        n += 1
    figure(f"graceful restart back after {(back or -1)*1000:.0f} ms")
    assert back is not None and back <= 2.0, f"{(back or -1)*1000:.0f} ms"
