#!/usr/bin/env python3
"""Engine v2 races over HTTP: two quotad instances on one Redis (loopback only, bounded).

1. For each level (tenant, group, user) and each limit kind — cycle tokens and requests, and every rolling
   window (tokens and requests per minute, hour, day) — 1,000 concurrent reservations of 10 tokens, half
   through each instance, race for the limit. Exactly the limit is granted (overspend 0), every refusal
   names that level and limit, and once every reservation is released nothing is held (leaks 0).
2. A sliding window, checked from the recorded events: for WINDOW_SECONDS (default 70) workers on both
   instances keep reserving against a tenant's tokens_per_minute limit and commit less than they reserved.
   The audit stream gives each event's admission time (Redis's clock); no 60 s span of admissions holds
   more than the limit, and the window refills (more than the limit passes in total).
Prints `figure:` lines and ends with `N passed, M failed`.
"""
import json, os, random, shutil, socket, sys, tempfile, threading, time

from harness import Client, check, free_port, run_workers, start_quotad, start_redis, stop, summary

ADMIN = "levels-race-admin-key-0123456789"
RACERS = 1000
SIZE = 10
WINDOW_SECONDS = float(os.environ.get("WINDOW_SECONDS", "70"))

# (scenario, level, limit name, quota body part, the limit's value, how many reservations fit)
SCENARIOS = [
    ("tenant tokens", "tenant", "tokens", {"limits": {"tokens": 5000}}, 500),
    ("tenant requests", "tenant", "requests", {"limits": {"requests": 321}}, 321),
    ("group tokens", "group", "tokens", {"limits": {"tokens": 3000}}, 300),
    ("user requests", "user", "requests", {"limits": {"requests": 77}}, 77),
    ("user tokens", "user", "tokens", {"limits": {"tokens": 2000}}, 200),
    ("tenant tokens_per_minute", "tenant", "tokens_per_minute", {"limits": {}, "rate": {"tokens_per_minute": 4000}}, 400),
    ("group requests_per_minute", "group", "requests_per_minute", {"limits": {}, "rate": {"requests_per_minute": 150}}, 150),
    ("user tokens_per_hour", "user", "tokens_per_hour", {"limits": {}, "rate": {"tokens_per_hour": 2500}}, 250),
    ("tenant requests_per_hour", "tenant", "requests_per_hour", {"limits": {}, "rate": {"requests_per_hour": 222}}, 222),
    ("group tokens_per_day", "group", "tokens_per_day", {"limits": {}, "rate": {"tokens_per_day": 1230}}, 123),
    ("user requests_per_day", "user", "requests_per_day", {"limits": {}, "rate": {"requests_per_day": 99}}, 99),
]


def race(clients, admin, index, scenario):
    name, level, limit_name, body, fits = scenario
    tenant = f"race{index}"
    # Users: one racer for the user level, twenty otherwise; group members for the group level.
    users = ["solo"] if level == "user" else [f"u{n}" for n in range(20)]
    if level == "group":
        for user in users:
            status, _ = admin.call("PUT", f"/v1/tenants/{tenant}/users/{user}/quota", {"limits": {}, "group": "team"})
            if status != 200:
                raise RuntimeError(f"group membership: {status}")
    path = {"tenant": f"/v1/tenants/{tenant}/quota/tenant", "group": f"/v1/tenants/{tenant}/groups/team/quota",
            "user": f"/v1/tenants/{tenant}/users/solo/quota"}[level]
    status, data = admin.call("PUT", path, body)
    if status != 200:
        raise RuntimeError(f"quota {path}: {status} {data[:200]!r}")
    lock = threading.Lock()
    granted, wrong = [], []
    local = threading.local()

    def attempt(job):
        if not hasattr(local, "clients"):
            local.clients = [Client(c.port, c.key) for c in clients]
        client = local.clients[job % 2]
        status, data = client.call("POST", f"/v1/tenants/{tenant}/reservations",
                                   {"user": users[job % len(users)], "model": "gpt-4o", "input_tokens": SIZE, "max_output_tokens": 0, "ttl_seconds": 600})
        if status == 201:
            with lock:
                granted.append((job % 2, json.loads(data)["reservation_id"]))
        elif status == 429:
            refused = json.loads(data)["limit"]
            if refused["level"] != level or refused["name"] != limit_name:
                with lock:
                    wrong.append(refused)
        else:
            raise RuntimeError(f"reserve {status}: {data[:200]!r}")

    errors = run_workers(64, list(range(RACERS)), attempt)
    overspend = max(0, len(granted) - fits)
    check(f"{name}: every reservation answered", not errors, "; ".join(errors[:3]))
    check(f"{name}: exactly the limit granted over two instances ({fits} of {RACERS})", len(granted) == fits,
          f"granted {len(granted)}")
    check(f"{name}: every refusal names level {level} and limit {limit_name}", not wrong, str(wrong[:2]))
    view = f"/v1/tenants/{tenant}/usage" if level != "group" else f"/v1/tenants/{tenant}/groups/team/usage"
    for instance, rid in granted:
        status, _ = clients[1 - instance].call("DELETE", f"/v1/tenants/{tenant}/reservations/{rid}")
        if status != 204:
            raise RuntimeError(f"release {rid}: {status}")
    state = json.loads(admin.call("GET", view)[1])
    leaks = state["reserved"]["tokens"] + state["reserved"]["requests"]
    check(f"{name}: nothing held after releasing every reservation", leaks == 0, json.dumps(state["reserved"]))
    print(f"figure: {name}: {RACERS} racing reservations over 2 instances, limit fits {fits}: granted {len(granted)}, "
          f"overspend = {overspend}, leaks = {leaks}")


def sliding_window(clients, admin, redis_port):
    limit = 3000
    tenant = "slide"
    status, _ = admin.call("PUT", f"/v1/tenants/{tenant}/quota/tenant", {"limits": {}, "rate": {"tokens_per_minute": limit}})
    check("sliding window: limit set", status == 200, str(status))
    stop_at = time.monotonic() + WINDOW_SECONDS
    lock = threading.Lock()
    counts = {"granted": 0, "refused": 0}
    local = threading.local()
    rng = random.Random(60)

    def worker(job):
        if not hasattr(local, "clients"):
            local.clients = [Client(c.port, c.key) for c in clients]
        client = local.clients[job % 2]
        # Bounded by time and by count.
        for n in range(100_000):
            if time.monotonic() >= stop_at:
                return
            estimate = rng.randint(20, 60)
            status, data = client.call("POST", f"/v1/tenants/{tenant}/reservations",
                                       {"user": f"w{job}", "model": "gpt-4o", "input_tokens": estimate, "max_output_tokens": 0, "ttl_seconds": 120})
            if status == 201:
                rid = json.loads(data)["reservation_id"]
                actual = rng.randint(1, estimate)
                status, data = client.call("POST", f"/v1/tenants/{tenant}/reservations/{rid}/commit",
                                           {"user": f"w{job}", "usage": {"input_tokens": actual, "output_tokens": 0}})
                if status != 200:
                    raise RuntimeError(f"commit {status}: {data[:200]!r}")
                with lock:
                    counts["granted"] += 1
            elif status == 429:
                with lock:
                    counts["refused"] += 1
                answer = json.loads(data)
                retry_after = answer["error"].get("retry_after_seconds")
                if answer["limit"]["retry_at"] is None:
                    raise RuntimeError("a fitting request was told it never fits")
                # Back off until the moment the answer names (at most 0.5 s, and not past the end).
                time.sleep(min(0.5, float(retry_after or 0.5), max(0.01, stop_at - time.monotonic())))
            else:
                raise RuntimeError(f"reserve {status}: {data[:200]!r}")

    errors = run_workers(8, list(range(8)), worker)
    check("sliding window: every call answered", not errors, "; ".join(errors[:3]))
    # The admission times (Redis's clock) and actual tokens of every recorded event, from the event stream.
    events = []
    with socket.create_connection(("127.0.0.1", redis_port), timeout=10) as s:
        f = s.makefile("rwb")
        def command(*args):
            f.write(f"*{len(args)}\r\n".encode() + b"".join(f"${len(str(a).encode())}\r\n{a}\r\n".encode() for a in args))
            f.flush()
            return read(f)
        # The tenant's event stream: `adm` is the admission time (the reservation's), counts of 0 are absent.
        for entry in command("XRANGE", f"q:{{{tenant}}}:x", "-", "+"):
            fields = dict(zip(entry[1][0::2], entry[1][1::2]))
            if fields.get(b"u", b"").startswith(b"w"):
                events.append((int(fields[b"adm"]), int(fields.get(b"in", 0)) + int(fields.get(b"out", 0))))
    events.sort()
    worst, start = 0, 0
    window_sum = 0
    for end in range(len(events)):
        window_sum += events[end][1]
        while events[end][0] - events[start][0] >= 60_000:
            window_sum -= events[start][1]
            start += 1
        worst = max(worst, window_sum)
    total = sum(tokens for _, tokens in events)
    check(f"sliding window: no 60 s span of admissions holds more than {limit} tokens", worst <= limit, f"worst {worst}")
    check("sliding window: the window refills (more than the limit passed in total)", total > limit and counts["refused"] > 0,
          f"total {total}, refused {counts['refused']}")
    check("sliding window: every granted call was recorded", len(events) == counts["granted"], f"{len(events)} vs {counts['granted']}")
    print(f"figure: sliding window over {WINDOW_SECONDS:.0f} s, tokens_per_minute {limit}, 2 instances: {counts['granted']} calls "
          f"granted, {counts['refused']} refused, {total} tokens in total, busiest 60 s span {worst} tokens")


def read(f):
    """One RESP2 reply."""
    line = f.readline()
    kind, rest = line[:1], line[1:-2]
    if kind in (b"+", b"-"):
        return rest
    if kind == b":":
        return int(rest)
    if kind == b"$":
        length = int(rest)
        if length < 0:
            return None
        data = f.read(length + 2)
        return data[:-2]
    if kind == b"*":
        count = int(rest)
        return None if count < 0 else [read(f) for _ in range(count)]
    raise RuntimeError(f"unexpected reply {line!r}")


def main():
    work_dir = tempfile.mkdtemp(prefix="quotad-levels-")
    redis_port = free_port()
    http_ports = [free_port(), free_port()]
    redis = start_redis(redis_port, work_dir)
    instances = []
    try:
        for port in http_ports:
            instances.append(start_quotad(port, redis_port, ADMIN))
        admin = Client(http_ports[0], ADMIN)
        clients = [Client(port, ADMIN) for port in http_ports]
        for index, scenario in enumerate(SCENARIOS):
            race(clients, admin, index, scenario)
        sliding_window(clients, admin, redis_port)
    finally:
        for proc in instances:
            stop(proc)
        stop(redis)
        shutil.rmtree(work_dir, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
