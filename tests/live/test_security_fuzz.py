"""Security and bad-input tests of a live quotad (loopback only, bounded; one quotad at debug level shared by the module).

1. Every protected route (from GET /openapi.yaml) tried without a key, with a garbage key, with a revoked
   key and with another tenant's key: 401/403 with a JSON error, and nothing in Redis changes (every key
   and value is dumped before and after).
2. Fuzz through the HTTP endpoint: every provider fixture is mutated (truncation, wrong types, huge and
   negative numbers, invalid UTF-8, deep nesting) and posted as `response`: no 5xx, every rejection is a
   4xx with a JSON error body; oversized bodies get 413.
3. Secrets never appear in the logs: quotad's whole debug-level output is scanned for the admin key and
   every tenant key used (after the tests above, with quotad stopped so that its output is complete).
"""
import hashlib, json, os, random, re, subprocess

import pytest
import yaml

from support import ROOT, stop

FIXTURES = os.path.join(ROOT, "..", "shared", "fixtures", "provider_payloads.json")


class Env:
    pass


@pytest.fixture(scope="module")
def env(module_launcher, admin_key):
    e = Env()
    e.admin_key = admin_key
    e.redis = module_launcher.redis()
    e.quotad = module_launcher.quotad(e.redis, log="quotad", QUOTAD_LOG_LEVEL="debug", QUOTAD_KEY_CACHE_MS=0)
    e.http = e.quotad.client()
    e.key_a = e.http.request("POST", "/v1/tenants/acme/keys").json()["key"]
    e.key_b = e.http.request("POST", "/v1/tenants/other/keys").json()
    e.revoked = e.http.request("POST", "/v1/tenants/acme/keys").json()
    e.revocation = e.http.request("DELETE", f"/v1/tenants/acme/keys/{e.revoked['id']}").status
    e.http.request("POST", "/v1/tenants/acme/usage", {"user": "u1", "event_id": "seed", "model": "gpt-4o", "usage": {"input_tokens": 5}}, key=e.key_a)
    return e


def redis_snapshot(port):
    keys = subprocess.run(["redis-cli", "-p", str(port), "--scan"], capture_output=True, text=True, check=True, timeout=30).stdout.split()
    digest = {}
    for key in sorted(keys):
        dump = subprocess.run(["redis-cli", "-p", str(port), "--no-raw", "DUMP", key], capture_output=True, check=True, timeout=10).stdout
        digest[key] = hashlib.sha256(dump).hexdigest()
    return digest


def is_json_error(data):
    try:
        body = json.loads(data)
        return isinstance(body.get("error"), dict) and "code" in body["error"] and "message" in body["error"]
    except Exception:  # noqa: BLE001
        return False


def mutations(body, rng):
    text = json.dumps(body)
    raw = text.encode()
    out = []
    for cut in sorted({rng.randrange(1, len(raw)) for _ in range(6)}):
        out.append(("truncated", raw[:cut].decode("utf-8", "replace")))
    for value in ["\"12\"", "true", "1.5", "[1]", "{}", "-5", "99999999999999999999999", "1e400", "null"]:
        out.append(("count=" + value, re.sub(r'("(?:prompt_tokens|input_tokens|output_tokens|completion_tokens|inputTokens|promptTokenCount)"\s*:\s*)\d+', r"\g<1>" + value, text, count=1)))
    out.append(("deep nesting", "[" * 5000 + "]" * 5000))
    out.append(("not an object", "42"))
    return out


def test_revocation(env):
    assert env.revocation == 204, str(env.revocation)


@pytest.fixture(scope="module")
def auth_sweep(env):
    """Every protected operation of the served OpenAPI document with missing, garbage, revoked and foreign keys."""
    s = Env()
    spec = yaml.safe_load(env.http.request("GET", "/openapi.yaml", key="").body)
    s.before = redis_snapshot(env.redis.port)
    s.bad, s.tried = [], 0
    samples = {"tenant": "acme", "user": "u1", "id": "k_0000", "reservation_id": "res:u1:x"}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete") or op.get("security") == []:
                continue
            concrete = re.sub(r"\{(\w+)\}", lambda m: samples.get(m.group(1), "x"), path)
            body = {"user": "u1", "event_id": "attack", "model": "gpt-4o", "usage": {"input_tokens": 1}, "limits": {"tokens": 1}, "enabled": False}
            admin_only = path.startswith("/v1/settings") or (path.endswith("/keys") and method == "post") or "/keys/" in path
            for label, key, expected in [("no key", "", {401}), ("garbage key", "qk_garbage", {401}), ("revoked key", env.revoked["key"], {401}),
                                         ("foreign key", env.key_b["key"], {403})]:
                if admin_only and label == "foreign key":
                    expected = {403}
                answer = env.http.request(method.upper(), concrete, body=body, key=key)
                s.tried += 1
                if answer.status not in expected or not is_json_error(answer.body):
                    s.bad.append(f"{method.upper()} {concrete} {label}: {answer.status}")
    s.after = redis_snapshot(env.redis.port)
    return s


def test_every_protected_route_rejects_missing_garbage_revoked_and_foreign_keys(auth_sweep, figure):
    figure(f"security: {auth_sweep.tried} unauthorized tries on {auth_sweep.tried // 4} operations")
    assert not auth_sweep.bad, f"{auth_sweep.tried} tries; " + "; ".join(auth_sweep.bad[:5])


def test_bad_keys_change_nothing_in_redis(auth_sweep):
    assert auth_sweep.before == auth_sweep.after, f"{len(auth_sweep.before)} keys before, {len(auth_sweep.after)} after"


@pytest.fixture(scope="module")
def fuzz(env):
    """Every provider fixture mutated and posted as `response`, then invalid UTF-8 and garbage bytes as the whole body."""
    f = Env()
    rng = random.Random(7)
    with open(FIXTURES) as file:
        fixtures = json.load(file)
    f.statuses, f.server_errors, f.non_json, f.count = {}, [], [], 0
    for fixture in fixtures:
        for label, mutated in mutations(fixture["body"], rng):
            f.count += 1
            answer = env.http.request("POST", "/v1/tenants/acme/usage",
                                      {"user": "fuzz", "event_id": f"f-{f.count}", "provider": fixture["provider"], "response": mutated}, key=env.key_a)
            f.statuses[answer.status] = f.statuses.get(answer.status, 0) + 1
            if answer.status >= 500:
                f.server_errors.append(f"{fixture['id']} {label}: {answer.status}")
            elif answer.status >= 400 and not is_json_error(answer.body):
                f.non_json.append(f"{fixture['id']} {label}: {answer.status}")
    for raw in [b"\xff\xfe\xfd", b'{"user":"fuzz","event_id":"x","usage":{"input_tokens":\xff}}', b"[" * 100_000]:
        answer = env.http.request("POST", "/v1/tenants/acme/usage", key=env.key_a, raw=raw)
        f.count += 1
        f.statuses[answer.status] = f.statuses.get(answer.status, 0) + 1
        if answer.status >= 500 or not (400 <= answer.status < 500 and is_json_error(answer.body)):
            f.server_errors.append(f"raw body: {answer.status}")
    return f


def test_fuzzed_provider_bodies_no_5xx(fuzz, figure):
    figure(f"fuzz: {fuzz.count} mutated bodies, statuses {fuzz.statuses}")
    assert not fuzz.server_errors, f"{fuzz.count} requests, statuses {fuzz.statuses}; " + "; ".join(fuzz.server_errors[:5])


def test_fuzzed_provider_bodies_every_rejection_is_a_4xx_json_error(fuzz):
    assert not fuzz.non_json, "; ".join(fuzz.non_json[:5])


def test_oversized_body_is_413_with_a_json_error(env):
    answer = env.http.request("POST", "/v1/tenants/acme/usage", key=env.key_a, raw=b'{"pad":"' + b"x" * (2 * 1024 * 1024) + b'"}')
    assert answer.status == 413 and is_json_error(answer.body), str(answer.status)


def test_no_key_appears_in_the_logs(env, auth_sweep, fuzz):
    # Last in the module: quotad is stopped so that its whole output is in the log (every key above was used).
    stop(env.quotad.proc)
    with open(env.quotad.log_path, "rb") as f:
        logged = f.read()
    leaked = [name for name, secret in [("admin key", env.admin_key), ("tenant key", env.key_a), ("other tenant key", env.key_b["key"]),
                                        ("revoked key", env.revoked["key"])] if secret.encode() in logged]
    assert not leaked and len(logged) > 0, f"{len(logged)} bytes of debug logs scanned; leaked: {leaked}"
