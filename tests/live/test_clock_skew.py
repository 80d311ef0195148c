"""One clock: quotad instances whose clocks disagree still never overspend or leak (loopback only, bounded).

A private redis-server (true clock) and three quotad instances against it under libfaketime (Debian package
`faketime`), shared by the module: AHEAD (+6 minutes), BEHIND (-6 minutes) and LATER (+40 days, another
billing month). Every decision against "now" must use Redis's clock, so:
  - a reservation held through BEHIND is not purged by AHEAD (v1: limit 1000, 900 + 900 both granted);
  - a reservation made through BEHIND does not set the reservations' expiry in the past (v1: the whole
    reservations hash was deleted, freeing quota that was still held);
  - a reservation expires when Redis's clock passes its TTL, whichever instance asks (leaks 0);
  - 400 racing reservations of 10 tokens over both instances on a 1,000-token limit: exactly 100 granted;
  - usage recorded through LATER lands in Redis's current cycle, not in next month's.
A sanity test proves faketime is in effect (each instance's `Date` header is off by its skew). Each test uses
its own user.
"""
import concurrent.futures, email.utils, glob, time

import pytest

SKEWS = {"ahead": "+6m", "behind": "-6m", "later": "+40d"}


def libfaketime():
    """The libfaketime library of Debian's `faketime` package (its path depends on the architecture)."""
    found = glob.glob("/usr/lib/*/faketime/libfaketime.so.1") + glob.glob("/usr/lib/faketime/libfaketime.so.1")
    if not found:
        pytest.fail("libfaketime.so.1 not found: install the Debian package faketime", pytrace=False)
    return found[0]


@pytest.fixture(scope="module")
def instances(module_launcher):
    """{name: Client} of the three skewed quotads (admin key). libfaketime is preloaded into quotad itself
    (wall clock only: monotonic timers stay true) rather than run through the `faketime` wrapper, so the
    process started is quotad and the launcher stops it (the wrapper would leave quotad running)."""
    redis = module_launcher.redis()
    clients = {}
    for name, skew in SKEWS.items():
        server = module_launcher.quotad(redis, QUOTAD_QUOTA_CACHE_MS=0, wrapper_env=dict(
            LD_PRELOAD=libfaketime(), FAKETIME=skew, FAKETIME_DONT_FAKE_MONOTONIC="1"))
        clients[name] = server.client(timeout=15)
    return clients


def call(client, method, path, body=None):
    answer = client.request(method, path, body)
    return answer.status, (answer.json() if answer.body else None), answer.headers


def reserve(client, user, tokens, ttl=60):
    return call(client, "POST", "/v1/tenants/acme/reservations",
                {"user": user, "model": "gpt-4o", "input_tokens": tokens, "max_output_tokens": 0, "ttl_seconds": ttl})


def reserved_tokens(client, user):
    status, body, _ = call(client, "GET", f"/v1/tenants/acme/users/{user}/usage")
    return body["reserved"]["tokens"] if status == 200 else None


def set_limit(client, user, tokens):
    status, _, _ = call(client, "PUT", f"/v1/tenants/acme/users/{user}/quota", {"limits": {"tokens": tokens}})
    assert status == 200, f"setting the limit of {user}: {status}"


@pytest.mark.parametrize("name,expected", [("ahead", 360), ("behind", -360), ("later", 40 * 86400)])
def test_faketime_in_effect(instances, name, expected):
    # Sanity: faketime is in effect, so a pass below is not a pass by default.
    _, _, headers = call(instances[name], "GET", "/healthz")
    offset = email.utils.parsedate_to_datetime(headers["date"]).timestamp() - time.time()
    assert abs(offset - expected) < 30, f"{name} ({SKEWS[name]}): Date header off by {offset:.0f} s"


@pytest.mark.parametrize("first,second,user", [("behind", "ahead", "u1"), ("ahead", "behind", "u2")])
def test_a_reservation_held_through_one_instance_is_not_purged_by_the_other(instances, first, second, user):
    set_limit(instances[first], user, 1000)
    granted_first = reserve(instances[first], user, 900)[0]
    granted_second = reserve(instances[second], user, 900)[0]
    assert granted_first == 201 and granted_second == 429, \
        f"{user}: 900 held through {first}, 900 more through {second} is refused (overspend 0): {granted_first}, {granted_second}"


def test_a_reservation_through_behind_keeps_the_others_held(instances):
    # BEHIND reserving must not expire the reservations hash in the past (which would free held quota).
    ahead, behind = instances["ahead"], instances["behind"]
    set_limit(ahead, "u3", 1000)
    first = reserve(ahead, "u3", 500)[0]
    second = reserve(behind, "u3", 100)[0]
    held = reserved_tokens(ahead, "u3")
    assert (first, second, held) == (201, 201, 600), f"reserved 600: {first}, {second}, reserved {held}"
    overspend = reserve(ahead, "u3", 900)[0]
    assert overspend == 429, f"and the quota they hold stays held (900 more refused): {overspend}"


def test_an_expired_reservation_frees_its_quota_by_redis_clock(instances):
    # Expiry by Redis's clock: a 2 s reservation frees its quota for everyone after 2 s — not 6 minutes.
    ahead, behind = instances["ahead"], instances["behind"]
    set_limit(ahead, "u4", 1000)
    status = reserve(ahead, "u4", 1000, ttl=2)[0]
    blocked = reserve(behind, "u4", 1)[0]
    started, freed = time.monotonic(), None
    while freed is None and time.monotonic() - started < 20:
        if reserve(behind, "u4", 1000, ttl=60)[0] == 201:
            freed = time.monotonic() - started
        else:
            time.sleep(0.1)   # polling interval of a condition bounded by 20 s
    assert status == 201 and blocked == 429 and freed is not None and freed < 10, \
        f"leaks 0: reserve {status}, blocked {blocked}, freed after {freed if freed is None else round(freed, 1)} s"


def test_400_racing_reservations_over_two_skewed_instances_grant_exactly_the_limit(instances):
    ahead, behind = instances["ahead"], instances["behind"]
    set_limit(ahead, "race", 1000)

    def one(n):
        return reserve(ahead if n % 2 else behind, "race", 10)[0]
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(one, range(400)))
    granted = statuses.count(201)
    held = reserved_tokens(behind, "race")
    assert granted == 100 and held == 1000 and statuses.count(429) == 300, \
        f"100 granted, 1,000 held (overspend 0): granted {granted}, held {held}, other statuses {sorted(set(statuses) - {201, 429})}"


def test_usage_through_an_instance_40_days_ahead_lands_in_redis_current_cycle(instances):
    later, behind = instances["later"], instances["behind"]
    status, body, _ = call(later, "POST", "/v1/tenants/acme/usage",
                           {"user": "u5", "event_id": "e1", "model": "gpt-4o", "usage": {"input_tokens": 7}})
    _, usage, _ = call(behind, "GET", "/v1/tenants/acme/users/u5/usage")
    _, view, _ = call(later, "GET", "/v1/tenants/acme/users/u5/usage")
    assert status == 200 and usage["totals"]["input_tokens"] == 7 and usage["cycle"]["id"] == body["cycle"]["id"] \
        and view["cycle"]["id"] == usage["cycle"]["id"], \
        f"recorded in {body['cycle']['id'] if body else None}, current {usage['cycle']['id']}, view on LATER {view['cycle']['id']}"
