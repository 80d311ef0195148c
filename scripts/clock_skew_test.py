#!/usr/bin/env python3
"""One clock: quotad instances whose clocks disagree still never overspend or leak (loopback only, bounded).

Starts a private redis-server (true clock) and three release quotad instances against it under `faketime`
(Debian package): AHEAD (+6 minutes), BEHIND (-6 minutes) and LATER (+40 days, another billing month).
Every decision against "now" must use Redis's clock, so:
  - a reservation held through BEHIND is not purged by AHEAD (v1: limit 1000, 900 + 900 both granted);
  - a reservation made through BEHIND does not set the reservations' expiry in the past (v1: the whole
    reservations hash was deleted, freeing quota that was still held);
  - a reservation expires when Redis's clock passes its TTL, whichever instance asks (leaks 0);
  - 400 racing reservations of 10 tokens over both instances on a 1,000-token limit: exactly 100 granted;
  - usage recorded through LATER lands in Redis's current cycle, not in next month's.
A sanity check first proves faketime is in effect (each instance's `Date` header is off by its skew).
Prints PASS/FAIL lines and ends with `N passed, M failed`.
"""
import concurrent.futures, email.utils, glob, http.client, json, os, shutil, subprocess, sys, tempfile, time

import harness
from harness import check, free_port, start_redis, stop, summary, wait_ready

ADMIN = "clock-skew-admin-key-0123456789"
SKEWS = {"ahead": "+6m", "behind": "-6m", "later": "+40d"}


def libfaketime():
    """The libfaketime library of Debian's `faketime` package (its path depends on the architecture)."""
    found = glob.glob("/usr/lib/*/faketime/libfaketime.so.1") + glob.glob("/usr/lib/faketime/libfaketime.so.1")
    if not found:
        raise RuntimeError("libfaketime.so.1 not found: install the Debian package faketime")
    return found[0]


def start_skewed(skew, http_port, redis_port):
    """quotad with libfaketime preloaded (wall clock only: monotonic timers stay true).

    The library is preloaded into quotad itself rather than run through the `faketime` wrapper, so the
    process started here is quotad and `stop` stops it (the wrapper would leave quotad running)."""
    environment = dict(os.environ, QUOTAD_ADMIN_KEYS=ADMIN, QUOTAD_HTTP_PORT=str(http_port),
                       QUOTAD_REDIS_URL=f"redis://127.0.0.1:{redis_port}", QUOTAD_LOG_LEVEL="error",
                       QUOTAD_QUOTA_CACHE_MS="0", LD_PRELOAD=libfaketime(), FAKETIME=skew,
                       FAKETIME_DONT_FAKE_MONOTONIC="1")
    proc = subprocess.Popen([harness.QUOTAD, "serve"], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    if not wait_ready(proc, http_port):
        stop(proc)
        raise RuntimeError(f"quotad with FAKETIME={skew} did not become ready")
    return proc


def call(port, method, path, body=None, key=ADMIN):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data else None), dict(response.getheaders())
    finally:
        conn.close()


def reserve(port, user, tokens, ttl=60):
    return call(port, "POST", "/v1/tenants/acme/reservations",
                {"user": user, "model": "gpt-4o", "input_tokens": tokens, "max_output_tokens": 0, "ttl_seconds": ttl})


def reserved_tokens(port, user):
    status, body, _ = call(port, "GET", f"/v1/tenants/acme/users/{user}/usage")
    return body["reserved"]["tokens"] if status == 200 else None


def set_limit(port, user, tokens):
    status, _, _ = call(port, "PUT", f"/v1/tenants/acme/users/{user}/quota", {"limits": {"tokens": tokens}})
    assert status == 200, status


def main():
    work = tempfile.mkdtemp(prefix="quotad-clock-")
    redis_port = free_port()
    ports = {name: free_port() for name in SKEWS}
    procs, redis = [], None
    try:
        redis = start_redis(redis_port, work)
        for name, skew in SKEWS.items():
            procs.append(start_skewed(skew, ports[name], redis_port))
        ahead, behind, later = ports["ahead"], ports["behind"], ports["later"]

        # Sanity: faketime is in effect, so a pass below is not a pass by default.
        for name, expected in (("ahead", 360), ("behind", -360), ("later", 40 * 86400)):
            _, _, headers = call(ports[name], "GET", "/healthz")
            offset = email.utils.parsedate_to_datetime(headers["Date"]).timestamp() - time.time()
            check(f"faketime in effect for {name} ({SKEWS[name]})", abs(offset - expected) < 30, f"Date header off by {offset:.0f} s")

        # AHEAD must not purge a live reservation held through BEHIND (and the other way round).
        for first, second, user in ((behind, ahead, "u1"), (ahead, behind, "u2")):
            set_limit(first, user, 1000)
            granted_first = reserve(first, user, 900)[0]
            granted_second = reserve(second, user, 900)[0]
            check(f"{user}: 900 held through one instance, 900 more through the other is refused (overspend 0)",
                  granted_first == 201 and granted_second == 429, f"{granted_first}, {granted_second}")

        # BEHIND reserving must not expire the reservations hash in the past (which would free held quota).
        set_limit(ahead, "u3", 1000)
        first = reserve(ahead, "u3", 500)[0]
        second = reserve(behind, "u3", 100)[0]
        held = reserved_tokens(ahead, "u3")
        check("a reservation through BEHIND keeps the others (reserved 600)", (first, second, held) == (201, 201, 600),
              f"{first}, {second}, reserved {held}")
        overspend = reserve(ahead, "u3", 900)[0]
        check("and the quota they hold stays held (900 more refused)", overspend == 429, str(overspend))

        # Expiry by Redis's clock: a 2 s reservation frees its quota for everyone after 2 s — not 6 minutes.
        set_limit(ahead, "u4", 1000)
        status = reserve(ahead, "u4", 1000, ttl=2)[0]
        blocked = reserve(behind, "u4", 1)[0]
        started, freed = time.monotonic(), None
        while freed is None and time.monotonic() - started < 20:
            if reserve(behind, "u4", 1000, ttl=60)[0] == 201:
                freed = time.monotonic() - started
            else:
                time.sleep(0.1)
        check("an expired reservation frees its quota by Redis's clock (leaks 0)",
              status == 201 and blocked == 429 and freed is not None and freed < 10,
              f"freed after {freed if freed is None else round(freed, 1)} s")

        # 400 racing reservations of 10 tokens over both instances on a 1,000-token limit: exactly 100 fit.
        set_limit(ahead, "race", 1000)
        def one(n):
            return reserve(ahead if n % 2 else behind, "race", 10)[0]
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(one, range(400)))
        granted = statuses.count(201)
        held = reserved_tokens(behind, "race")
        check("400 racing reservations over two skewed instances: 100 granted, 1,000 held (overspend 0)",
              granted == 100 and held == 1000 and statuses.count(429) == 300,
              f"granted {granted}, held {held}, other statuses {sorted(set(statuses) - {201, 429})}")

        # Cycle selection by Redis's clock: LATER (+40 days) records into the current cycle.
        status, body, _ = call(later, "POST", "/v1/tenants/acme/usage",
                               {"user": "u5", "event_id": "e1", "model": "gpt-4o", "usage": {"input_tokens": 7}})
        _, usage, _ = call(behind, "GET", "/v1/tenants/acme/users/u5/usage")
        _, view, _ = call(later, "GET", "/v1/tenants/acme/users/u5/usage")
        check("usage recorded through an instance 40 days ahead lands in Redis's current cycle",
              status == 200 and usage["totals"]["input_tokens"] == 7 and usage["cycle"]["id"] == body["cycle"]["id"]
              and view["cycle"]["id"] == usage["cycle"]["id"],
              f"recorded in {body['cycle']['id'] if body else None}, current {usage['cycle']['id']}, view on LATER {view['cycle']['id']}")
    finally:
        for proc in procs:
            stop(proc)
        stop(redis)
        shutil.rmtree(work, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
