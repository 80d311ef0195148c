"""The release binary against redis-servers that listen for TLS only (`port 0`, `tls-port`), with
openssl-made certificates (redis_support.Certificates) and the ACL user of deploy/redis/quotad.acl:

1. The whole API over `rediss://` + `redis.tls.ca_file`, as the ACL user, no 5xx, `ACL LOG` empty.
2. Mutual TLS (`tls-auth-clients yes`) with `redis.tls.cert_file`/`key_file`; without them, a named refusal.
3. Each misconfiguration stops quotad at startup (exit 78) with its own message, never a hang: a wrong CA, a
   certificate for another name, an expired certificate, `redis://` to the TLS port, `rediss://` to a plain port.
4. The guarantees of test_guarantees.py, smaller, over plain TCP and over TLS: an event retried many times
   counts once; concurrent reservations against a hard cap never exceed it and leak nothing.
"""
import json, os, random, threading, time

import pytest

from full_flow import Receiver, check_full_flow, quotad_env, run_full_flow
from redis_support import Certificates, acl_rule, failed_start, start_redis
from support import Client, create_tenant_key, run_workers

EVENTS = int(os.environ.get("TLS_GUARANTEE_EVENTS", "3000"))
RESERVATIONS = 400
LIMIT = 8_000


@pytest.fixture(scope="module")
def certificates(module_launcher):
    return Certificates(module_launcher.directory)


class Run:
    pass


@pytest.fixture(scope="module")
def tls_production(module_launcher, certificates):
    """A TLS-only redis-server, `default` off, the quotad ACL user; one quotad over rediss:// as that user."""
    r = Run()
    r.redis = start_redis(module_launcher, certificates=certificates)
    r.redis.lock_down()
    r.redis.add_user("quotad", "tls-secret", acl_rule())
    r.redis.cli("ACL", "LOG", "RESET")
    r.receiver = Receiver()
    r.quotad = module_launcher.quotad(r.redis.port, log="quotad-tls", QUOTAD_REDIS_URL=r.redis.url("quotad", "tls-secret"),
                                      **certificates.quotad_env(), **quotad_env(r.receiver))
    yield r
    r.receiver.close()


def test_full_api_over_tls_as_the_acl_user(tls_production):
    check_full_flow(run_full_flow(tls_production.quotad, tls_production.receiver))
    assert tls_production.redis.acl_log() == "", f"ACL LOG: {tls_production.redis.acl_log()[:600]}"


def test_mutual_tls(launcher, certificates):
    redis = start_redis(launcher, certificates=certificates, client_auth=True)
    server = launcher.quotad(redis.port, QUOTAD_REDIS_URL=redis.url(), **certificates.quotad_env(client_certificate=True))
    key = create_tenant_key(server, "mtls")
    answer = Client(server.port, key, keep_alive=False).request("POST", "/v1/tenants/mtls/usage", {
        "user": "u", "event_id": "m-1", "model": "gpt-4o", "usage": {"input_tokens": 7}})
    assert answer.status == 200 and answer.json()["recorded"], answer
    assert redis.cli("EXISTS", "quotad:schema") == "1"


# (case, how the server listens, quotad's URL scheme and TLS settings, what the startup message must say)
FAILURES = [
    ("wrong CA", dict(certificates=True), "rediss", dict(ca="other-ca.crt"), ["over TLS", "certificate"]),
    ("wrong name", dict(certificates=True, certificate="wrongname.crt"), "rediss", {}, ["over TLS", "name"]),
    ("expired", dict(certificates=True, certificate="expired.crt"), "rediss", {}, ["over TLS", "expired"]),
    ("no client certificate", dict(certificates=True, client_auth=True), "rediss", {}, ["certificate"]),
    ("plain to the TLS port", dict(certificates=True), "redis", {}, ["TLS"]),
    ("TLS to a plain port", {}, "rediss", {}, ["TLS"]),
]


@pytest.mark.parametrize("case,server,scheme,tls,words", FAILURES, ids=[f[0] for f in FAILURES])
def test_misconfiguration_named_at_startup(launcher, certificates, case, server, scheme, tls, words, figure):
    options = dict(server)
    if options.pop("certificates", False):
        options["certificates"] = certificates
    redis = start_redis(launcher, **options)
    env = certificates.quotad_env(ca=certificates.path(tls["ca"]) if "ca" in tls else None) if scheme == "rediss" else {}
    started = time.monotonic()
    code, output, readyz = failed_start(launcher, redis.url(scheme=scheme), QUOTAD_REDIS_CONNECT_TIMEOUT_MS=1000, **env)
    elapsed = time.monotonic() - started
    message = next((line for line in output.splitlines() if "error" in line.lower()), output.strip()[-300:])
    figure(f"{case}: exit {code} after {elapsed:.1f} s: {message}")
    assert code == 78, f"{case}: exit {code}, readyz {readyz[-1:]}, output {output[-500:]}"
    for word in words:
        assert word.lower() in message.lower(), f"{case}: {message!r} does not say {word!r}"


@pytest.fixture(scope="module", params=["plain", "tls"])
def guarded(request, module_launcher, certificates):
    """One redis-server (plain or TLS-only) with the ACL user, one quotad, a tenant key, a keep-alive Client per thread."""
    g = Run()
    g.transport = request.param
    tls = certificates if request.param == "tls" else None
    redis = start_redis(module_launcher, certificates=tls)
    redis.lock_down()
    redis.add_user("quotad", "g-secret", acl_rule())
    env = certificates.quotad_env() if tls else {}
    g.quotad = module_launcher.quotad(redis.port, QUOTAD_REDIS_URL=redis.url("quotad", "g-secret"), **env)
    g.redis = redis
    key = create_tenant_key(g.quotad, "acme")
    local = threading.local()

    def client():
        if not hasattr(local, "client"):
            local.client = Client(g.quotad.port, key)
        return local.client
    g.client = client
    return g


def test_event_retried_counts_once(guarded, figure):
    """EVENTS usage events over 8 connections, each submitted 1 to 4 times (retries in flight together)."""
    rng = random.Random(7)
    events = [{"user": f"user-{n % 20}", "event_id": f"evt-{n}", "model": "gpt-4o",
               "usage": {"input_tokens": rng.randint(1, 2000), "output_tokens": rng.randint(0, 500)}} for n in range(EVENTS)]
    submissions = [event for event in events for _ in range(rng.randint(1, 4))]
    rng.shuffle(submissions)
    recorded, lock = [0], threading.Lock()

    def submit(event):
        for _ in range(10):
            status, data = guarded.client().call("POST", "/v1/tenants/acme/usage", event)
            if status == 200:
                if json.loads(data)["recorded"]:
                    with lock:
                        recorded[0] += 1
                return
            if status != 503:
                raise RuntimeError(f"status {status}: {data[:200]!r}")
        raise RuntimeError("gave up after 10 attempts")
    started = time.monotonic()
    errors = run_workers(8, submissions, submit)
    elapsed = time.monotonic() - started
    assert not errors, "; ".join(errors[:3])
    expected = {}
    for event in events:
        totals = expected.setdefault(event["user"], [0, 0])
        totals[0] += 1
        totals[1] += event["usage"]["input_tokens"]
    wrong = []
    for user, (requests, tokens) in expected.items():
        totals = json.loads(guarded.client().call("GET", f"/v1/tenants/acme/users/{user}/usage")[1])["totals"]
        if (totals["requests"], totals["input_tokens"]) != (requests, tokens):
            wrong.append((user, totals["requests"], requests))
    figure(f"{guarded.transport}: {EVENTS} events in {len(submissions)} submissions, recorded once: {recorded[0]}, "
           f"{len(submissions) / elapsed:.0f} submissions/s over 8 connections")
    assert recorded[0] == EVENTS and not wrong, f"recorded {recorded[0]} of {EVENTS}; wrong totals {wrong[:3]}"
    assert guarded.redis.acl_log() == ""


def test_hard_cap_never_exceeded(guarded, figure):
    """RESERVATIONS concurrent reservations over 32 connections against a LIMIT-token cap; a third held, then released."""
    admin = guarded.quotad.client()
    status, _ = admin.call("PUT", "/v1/tenants/acme/users/capped/quota", {"limits": {"tokens": LIMIT}})
    assert status == 200
    granted, held, lock = [], [], threading.Lock()

    def reserve(index):
        tokens = 40 + (index * 37) % 160
        status, data = guarded.client().call("POST", "/v1/tenants/acme/reservations", {
            "user": "capped", "model": "gpt-4o", "input_tokens": tokens // 2, "max_output_tokens": tokens - tokens // 2})
        if status == 429:
            return
        if status != 201:
            raise RuntimeError(f"reserve {status}: {data[:200]!r}")
        rid = json.loads(data)["reservation_id"]
        if index % 3 == 0:
            with lock:
                held.append(rid)
            return
        actual = tokens - index % 5
        status, data = guarded.client().call("POST", f"/v1/tenants/acme/reservations/{rid}/commit", {
            "user": "capped", "event_id": f"cap-{index}", "usage": {"input_tokens": actual // 2, "output_tokens": actual - actual // 2}})
        if status != 200:
            raise RuntimeError(f"commit {status}: {data[:200]!r}")
        with lock:
            granted.append(actual)
    errors = run_workers(32, list(range(RESERVATIONS)), reserve)
    assert not errors, "; ".join(errors[:3])
    usage = json.loads(guarded.client().call("GET", "/v1/tenants/acme/users/capped/usage")[1])
    committed, reserved = usage["totals"]["total_tokens"], usage["reserved"]["tokens"]
    for rid in held:
        guarded.client().call("DELETE", f"/v1/tenants/acme/reservations/{rid}")
    leaked = json.loads(guarded.client().call("GET", "/v1/tenants/acme/users/capped/usage")[1])["reserved"]["tokens"]
    figure(f"{guarded.transport}: {RESERVATIONS} concurrent reservations, limit {LIMIT}: granted {len(granted) + len(held)}, "
           f"committed {committed}, overspend {max(0, committed + reserved - LIMIT)}, leaked {leaked}")
    assert committed + reserved <= LIMIT and committed == sum(granted) and leaked == 0
    assert len(granted) + len(held) < RESERVATIONS, "the cap was reached (the test exercised it)"
