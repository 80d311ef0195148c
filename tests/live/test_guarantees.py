"""Exactly-once and hard-cap guarantees of quotad over HTTP (loopback only, bounded).

1. Exactly once under retries: 50,000 usage events (GUARANTEE_EVENTS) over HTTP from 16 keep-alive
   connections, 25% of them submitted again with the same event_id (half of those right next to the
   original, so both are in flight together). Stored totals must equal the sum of the distinct events exactly.
2. Hard caps: 1,000 concurrent reservations over 64 connections against a user with a small token limit;
   each granted reservation is committed with its actual usage (at most what was reserved). The committed
   total must never exceed the limit; after the remaining reservations are released, the whole unused
   quota can be reserved again (leaked reservations = 0).
The figures (double counts, overspend, leaks) are printed and recorded as JUnit XML properties.
"""
import json, os, random, threading, time

import pytest

from support import Client, create_tenant_key, run_workers

EVENTS = int(os.environ.get("GUARANTEE_EVENTS", "50000"))
LIMIT = 20_000


class Run:
    pass


@pytest.fixture(scope="module")
def server(module_launcher):
    """One redis-server and one quotad shared by both experiments, a key of tenant acme, a keep-alive Client per thread."""
    s = Run()
    s.quotad = module_launcher.quotad(module_launcher.redis())
    s.admin = s.quotad.client(keep_alive=True)
    key = create_tenant_key(s.quotad, "acme")
    local = threading.local()

    def client():
        if not hasattr(local, "client"):
            local.client = Client(s.quotad.port, key)
        return local.client
    s.client = client
    return s


@pytest.fixture(scope="module")
def exactly_once(server):
    """The exactly-once experiment, run once for the tests below."""
    client, r = server.client, Run()
    rng = random.Random(50_000)
    r.users = [f"user-{n}" for n in range(50)]
    events = []
    for i in range(EVENTS):
        inp = rng.randint(1, 4000)
        events.append({"user": rng.choice(r.users), "event_id": f"evt-{i}", "model": rng.choice(["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"]),
                       "usage": {"input_tokens": inp, "cached_input_tokens": rng.randint(0, inp), "output_tokens": rng.randint(0, 1500)}})
    submissions = []
    retried = rng.sample(range(EVENTS), EVENTS // 4)
    adjacent = set(retried[: len(retried) // 2])
    for i, event in enumerate(events):
        submissions.append(event)
        if i in adjacent:
            submissions.append(event)   # right behind the original: both in flight together
    for event in [events[i] for i in retried[len(retried) // 2:]]:
        submissions.insert(rng.randrange(len(submissions) + 1), event)
    r.recorded = {"true": 0, "false": 0}
    lock = threading.Lock()

    def submit(event):
        for attempt in range(10):
            status, data = client().call("POST", "/v1/tenants/acme/usage", event)
            if status == 200:
                flag = "true" if json.loads(data)["recorded"] else "false"
                with lock:
                    r.recorded[flag] += 1
                return
            if status != 503:
                raise RuntimeError(f"status {status}: {data[:200]!r}")
        raise RuntimeError("gave up after 10 attempts")
    started = time.monotonic()
    r.errors = run_workers(16, submissions, submit)
    elapsed = time.monotonic() - started
    expected = {u: {"requests": 0, "input_tokens": 0, "cached_input_tokens": 0, "output_tokens": 0} for u in r.users}
    for event in events:
        e = expected[event["user"]]
        e["requests"] += 1
        for field in ("input_tokens", "cached_input_tokens", "output_tokens"):
            e[field] += event["usage"][field]
    double, r.mismatched = 0, []
    for user in r.users:
        totals = json.loads(client().call("GET", f"/v1/tenants/acme/users/{user}/usage")[1])["totals"]
        double += totals["requests"] - expected[user]["requests"]
        if any(totals[f] != expected[user][f] for f in expected[user]):
            r.mismatched.append(user)
    r.figure = (f"exactly-once: {EVENTS} events, {len(submissions) - EVENTS} retries ({len(adjacent)} concurrent with the original), "
                f"double counts = {double}, {len(submissions) / elapsed:.0f} submissions/s over 16 connections")
    return r


def test_exactly_once_every_submission_answered(exactly_once, figure):
    figure(exactly_once.figure)
    assert not exactly_once.errors, "; ".join(exactly_once.errors[:3])


def test_exactly_once_stored_totals_equal_the_distinct_events(exactly_once):
    assert not exactly_once.mismatched, f"mismatched users: {exactly_once.mismatched[:5]}"


def test_exactly_once_recorded_true_once_per_event(exactly_once):
    assert exactly_once.recorded["true"] == EVENTS, str(exactly_once.recorded)


@pytest.fixture(scope="module")
def hard_cap(server):
    """The hard-cap experiment (1,000 concurrent reservations over 64 connections), run once for the tests below."""
    client, r = server.client, Run()
    lock = threading.Lock()
    r.limit_status, _ = server.admin.call("PUT", "/v1/tenants/acme/users/capped/quota",
                                          {"limits": {"tokens": LIMIT, "cost_usd": None, "requests": None}, "cycle": {"anchor_day": 1, "timezone": "UTC"}})
    r.granted, r.rejected, r.held, r.bad_rejections = [], [], [], []

    def reserve(index):
        tokens = 40 + (index * 37) % 160
        status, data = client().call("POST", "/v1/tenants/acme/reservations",
                                     {"user": "capped", "model": "gpt-4o", "input_tokens": tokens // 2, "max_output_tokens": tokens - tokens // 2, "ttl_seconds": 120})
        body = json.loads(data)
        if status == 201:
            rid = body["reservation_id"]
            if index % 3 == 0:
                with lock:
                    r.held.append(rid)          # left open: released below
                return
            actual = tokens - index % 5         # actual usage, at most what was reserved
            status, data = client().call("POST", f"/v1/tenants/acme/reservations/{rid}/commit",
                                         {"user": "capped", "event_id": f"cap-{index}", "usage": {"input_tokens": actual // 2, "output_tokens": actual - actual // 2}})
            if status != 200:
                raise RuntimeError(f"commit {status}: {data[:200]!r}")
            with lock:
                r.granted.append(actual)
        elif status == 429:
            lim = body["limit"]
            with lock:
                r.rejected.append(index)
                if not (lim["used"] + lim["reserved"] + lim["requested"] > lim["limit"]):
                    r.bad_rejections.append(lim)
        else:
            raise RuntimeError(f"reserve {status}: {data[:200]!r}")
    r.errors = run_workers(64, list(range(1000)), reserve)
    usage = json.loads(client().call("GET", "/v1/tenants/acme/users/capped/usage")[1])
    r.committed = usage["totals"]["total_tokens"]
    r.held_tokens = usage["reserved"]["tokens"]
    r.overspend = max(0, r.committed + r.held_tokens - LIMIT)
    return r


def test_hard_cap_limit_set_and_every_reservation_answered(hard_cap):
    assert hard_cap.limit_status == 200, f"limit set: {hard_cap.limit_status}"
    assert not hard_cap.errors, "; ".join(hard_cap.errors[:3])


def test_hard_cap_committed_and_held_never_exceed_the_limit(hard_cap):
    assert hard_cap.overspend == 0, f"committed {hard_cap.committed}, held {hard_cap.held_tokens}, limit {LIMIT}"


def test_hard_cap_committed_equals_the_sum_of_commits(hard_cap):
    assert hard_cap.committed == sum(hard_cap.granted), f"{hard_cap.committed} vs {sum(hard_cap.granted)}"


def test_hard_cap_every_rejection_was_correct_when_made(hard_cap):
    assert not hard_cap.bad_rejections, str(hard_cap.bad_rejections[:3])


def test_hard_cap_no_leak_and_the_whole_unused_quota_reservable_again(hard_cap, server, figure):
    client = server.client
    for rid in hard_cap.held:
        client().call("DELETE", f"/v1/tenants/acme/reservations/{rid}")
    usage = json.loads(client().call("GET", "/v1/tenants/acme/users/capped/usage")[1])
    leaked = usage["reserved"]["tokens"]
    remaining = usage["remaining"]["tokens"]
    text = (f"hard cap: 1000 concurrent reservations over 64 connections, limit {LIMIT} tokens: granted "
              f"{len(hard_cap.granted) + len(hard_cap.held)}, rejected {len(hard_cap.rejected)}, "
              f"committed {hard_cap.committed}, overspend = {hard_cap.overspend}, leaked reservations = {leaked}")
    figure(text)
    assert leaked == 0, f"no reservation leaked after releases: reserved {leaked}"
    status, _ = client().call("POST", "/v1/tenants/acme/reservations",
                              {"user": "capped", "model": "gpt-4o", "input_tokens": remaining, "max_output_tokens": 0})
    assert status == 201 and remaining == LIMIT - hard_cap.committed, \
        f"the whole unused quota can be reserved again: status {status}, remaining {remaining}"
