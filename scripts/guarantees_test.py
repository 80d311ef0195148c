#!/usr/bin/env python3
"""Exactly-once and hard-cap guarantees of quotad over HTTP (loopback only, bounded).

1. Exactly once under retries: 50,000 usage events over HTTP from 16 keep-alive connections, 25% of them
   submitted again with the same event_id (half of those right next to the original, so both are in
   flight together). Stored totals must equal the sum of the distinct events exactly.
2. Hard caps: 1,000 concurrent reservations over 64 connections against a user with a small token limit;
   each granted reservation is committed with its actual usage (at most what was reserved). The committed
   total must never exceed the limit; after the remaining reservations are released, the whole unused
   quota can be reserved again (leaked reservations = 0).
Prints `figure:` lines and ends with `N passed, M failed`.
"""
import http.client, json, os, queue, random, shutil, sys, tempfile, threading, time

from harness import Client, check, free_port, run_workers, start_quotad, start_redis, stop, summary
ADMIN = "guarantees-admin-key-0123456789"
EVENTS = int(os.environ.get("GUARANTEE_EVENTS", "50000"))



def main():
    work_dir = tempfile.mkdtemp(prefix="quotad-guarantees-")
    redis_port, http_port = free_port(), free_port()
    redis = start_redis(redis_port, work_dir)
    quotad = start_quotad(http_port, redis_port, ADMIN)
    try:
        admin = Client(http_port, ADMIN)
        key = json.loads(admin.call("POST", "/v1/tenants/acme/keys")[1])["key"]
        local = threading.local()
        def client():
            if not hasattr(local, "client"):
                local.client = Client(http_port, key)
            return local.client

        # ---- 1. exactly once under retries
        rng = random.Random(50_000)
        users = [f"user-{n}" for n in range(50)]
        events = []
        for i in range(EVENTS):
            inp = rng.randint(1, 4000)
            events.append({"user": rng.choice(users), "event_id": f"evt-{i}", "model": rng.choice(["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"]),
                           "usage": {"input_tokens": inp, "cached_input_tokens": rng.randint(0, inp), "output_tokens": rng.randint(0, 1500)}})
        submissions = []
        retried = rng.sample(range(EVENTS), EVENTS // 4)
        adjacent = set(retried[: len(retried) // 2])
        for i, event in enumerate(events):
            submissions.append(event)
            if i in adjacent:
                submissions.append(event)   # right behind the original: both in flight together
        rest = [events[i] for i in retried[len(retried) // 2:]]
        for event in rest:
            submissions.insert(rng.randrange(len(submissions) + 1), event)
        recorded = {"true": 0, "false": 0}
        lock = threading.Lock()
        def submit(event):
            for attempt in range(10):
                status, data = client().call("POST", "/v1/tenants/acme/usage", event)
                if status == 200:
                    flag = "true" if json.loads(data)["recorded"] else "false"
                    with lock:
                        recorded[flag] += 1
                    return
                if status != 503:
                    raise RuntimeError(f"status {status}: {data[:200]!r}")
            raise RuntimeError("gave up after 10 attempts")
        started = time.monotonic()
        errors = run_workers(16, submissions, submit)
        elapsed = time.monotonic() - started
        check("every submission answered", not errors, "; ".join(errors[:3]))
        expected = {u: {"requests": 0, "input_tokens": 0, "cached_input_tokens": 0, "output_tokens": 0} for u in users}
        for event in events:
            e = expected[event["user"]]
            e["requests"] += 1
            for field in ("input_tokens", "cached_input_tokens", "output_tokens"):
                e[field] += event["usage"][field]
        double, mismatched = 0, []
        for user in users:
            totals = json.loads(client().call("GET", f"/v1/tenants/acme/users/{user}/usage")[1])["totals"]
            double += totals["requests"] - expected[user]["requests"]
            if any(totals[f] != expected[user][f] for f in expected[user]):
                mismatched.append(user)
        check("stored totals equal the sum of the distinct events exactly", not mismatched, f"mismatched users: {mismatched[:5]}")
        check("recorded:true exactly once per event", recorded["true"] == EVENTS, f"{recorded}")
        print(f"figure: exactly-once: {EVENTS} events, {len(submissions) - EVENTS} retries ({len(adjacent)} concurrent with the original), "
              f"double counts = {double}, {len(submissions) / elapsed:.0f} submissions/s over 16 connections")

        # ---- 2. hard caps under concurrency
        limit = 20_000
        status, _ = admin.call("PUT", "/v1/tenants/acme/users/capped/quota",
                               {"limits": {"tokens": limit, "cost_usd": None, "requests": None}, "cycle": {"anchor_day": 1, "timezone": "UTC"}})
        check("limit set", status == 200, str(status))
        granted, rejected, held, bad_rejections = [], [], [], []
        def reserve(index):
            tokens = 40 + (index * 37) % 160
            status, data = client().call("POST", "/v1/tenants/acme/reservations",
                                         {"user": "capped", "model": "gpt-4o", "input_tokens": tokens // 2, "max_output_tokens": tokens - tokens // 2, "ttl_seconds": 120})
            body = json.loads(data)
            if status == 201:
                rid = body["reservation_id"]
                if index % 3 == 0:
                    with lock:
                        held.append(rid)          # left open: released below
                    return
                actual = tokens - index % 5       # actual usage, at most what was reserved
                status, data = client().call("POST", f"/v1/tenants/acme/reservations/{rid}/commit",
                                             {"user": "capped", "event_id": f"cap-{index}", "usage": {"input_tokens": actual // 2, "output_tokens": actual - actual // 2}})
                if status != 200:
                    raise RuntimeError(f"commit {status}: {data[:200]!r}")
                with lock:
                    granted.append(actual)
            elif status == 429:
                lim = body["limit"]
                with lock:
                    rejected.append(index)
                    if not (lim["used"] + lim["reserved"] + lim["requested"] > lim["limit"]):
                        bad_rejections.append(lim)
            else:
                raise RuntimeError(f"reserve {status}: {data[:200]!r}")
        errors = run_workers(64, list(range(1000)), reserve)
        check("every reservation answered", not errors, "; ".join(errors[:3]))
        usage = json.loads(client().call("GET", "/v1/tenants/acme/users/capped/usage")[1])
        committed = usage["totals"]["total_tokens"]
        overspend = max(0, committed + usage["reserved"]["tokens"] - limit)
        check("committed + held never exceed the limit", overspend == 0, f"committed {committed}, held {usage['reserved']['tokens']}, limit {limit}")
        check("committed equals the sum of commits", committed == sum(granted), f"{committed} vs {sum(granted)}")
        check("every rejection was correct when made", not bad_rejections, str(bad_rejections[:3]))
        for rid in held:
            client().call("DELETE", f"/v1/tenants/acme/reservations/{rid}")
        usage = json.loads(client().call("GET", "/v1/tenants/acme/users/capped/usage")[1])
        leaked = usage["reserved"]["tokens"]
        remaining = usage["remaining"]["tokens"]
        check("no reservation leaked after releases", leaked == 0, f"reserved {leaked}")
        status, data = client().call("POST", "/v1/tenants/acme/reservations",
                                     {"user": "capped", "model": "gpt-4o", "input_tokens": remaining, "max_output_tokens": 0})
        check("the whole unused quota can be reserved again", status == 201 and remaining == limit - committed, f"status {status}, remaining {remaining}")
        print(f"figure: hard cap: 1000 concurrent reservations over 64 connections, limit {limit} tokens: granted {len(granted) + len(held)}, "
              f"rejected {len(rejected)}, committed {committed}, overspend = {overspend}, leaked reservations = {leaked}")
    finally:
        stop(quotad)
        stop(redis)
        shutil.rmtree(work_dir, ignore_errors=True)
    return summary()

if __name__ == "__main__":
    sys.exit(main())
