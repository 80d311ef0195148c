#!/usr/bin/env python3
"""Security and bad-input test of a live quotad (loopback only, bounded).

1. Every protected route (from GET /openapi.yaml) tried without a key, with a garbage key, with a revoked
   key and with another tenant's key: 401/403 with a JSON error, and nothing in Redis changes (every key
   and value is dumped before and after).
2. Fuzz through the HTTP endpoint: every provider fixture is mutated (truncation, wrong types, huge and
   negative numbers, invalid UTF-8, deep nesting) and posted as `response`: no 5xx, every rejection is a
   4xx with a JSON error body; oversized bodies get 413.
3. Secrets never appear in the logs: quotad runs at debug level and its whole output is scanned for the
   admin key and every tenant key used.
Ends with `N passed, M failed`.
"""
import hashlib, http.client, json, os, random, re, shutil, subprocess, sys, tempfile
import yaml

from harness import ROOT, check, free_port, start_quotad, start_redis, stop, summary
FIXTURES = os.path.join(ROOT, "..", "shared", "fixtures", "provider_payloads.json")
ADMIN = "security-admin-key-" + hashlib.sha256(os.urandom(16)).hexdigest()[:20]



def call(port, method, path, body=None, key=None, raw=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = "Bearer " + key
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()

def redis_snapshot(port):
    keys = subprocess.run(["redis-cli", "-p", str(port), "--scan"], capture_output=True, text=True, check=True).stdout.split()
    digest = {}
    for key in sorted(keys):
        dump = subprocess.run(["redis-cli", "-p", str(port), "--no-raw", "DUMP", key], capture_output=True, check=True).stdout
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

def main():
    work = tempfile.mkdtemp(prefix="quotad-security-")
    redis_port, http_port = free_port(), free_port()
    redis = start_redis(redis_port, work)
    log_path = os.path.join(work, "quotad.log")
    log = open(log_path, "wb")
    quotad = start_quotad(http_port, redis_port, ADMIN, output=log, QUOTAD_LOG_LEVEL="debug", QUOTAD_KEY_CACHE_MS=0)
    try:
        key_a = json.loads(call(http_port, "POST", "/v1/tenants/acme/keys", key=ADMIN)[1])["key"]
        key_b = json.loads(call(http_port, "POST", "/v1/tenants/other/keys", key=ADMIN)[1])
        revoked = json.loads(call(http_port, "POST", "/v1/tenants/acme/keys", key=ADMIN)[1])
        status, _ = call(http_port, "DELETE", f"/v1/tenants/acme/keys/{revoked['id']}", key=ADMIN)
        check("revocation", status == 204, str(status))
        call(http_port, "POST", "/v1/tenants/acme/usage", {"user": "u1", "event_id": "seed", "model": "gpt-4o", "usage": {"input_tokens": 5}}, key=key_a)

        # ---- 1. every protected route, bad credentials, nothing changes in Redis
        spec = yaml.safe_load(call(http_port, "GET", "/openapi.yaml")[1])
        before = redis_snapshot(redis_port)
        bad = []
        tried = 0
        samples = {"tenant": "acme", "user": "u1", "id": "k_0000", "reservation_id": "res:u1:x"}
        for path, item in spec["paths"].items():
            for method, op in item.items():
                if method not in ("get", "post", "put", "patch", "delete") or op.get("security") == []:
                    continue
                concrete = re.sub(r"\{(\w+)\}", lambda m: samples.get(m.group(1), "x"), path)
                body = {"user": "u1", "event_id": "attack", "model": "gpt-4o", "usage": {"input_tokens": 1}, "limits": {"tokens": 1}, "enabled": False}
                admin_only = path.startswith("/v1/settings") or (path.endswith("/keys") and method == "post") or "/keys/" in path
                for label, key, expected in [("no key", None, {401}), ("garbage key", "qk_garbage", {401}), ("revoked key", revoked["key"], {401}),
                                             ("foreign key", key_b["key"], {403})]:
                    if admin_only and label == "foreign key":
                        expected = {403}
                    status, data = call(http_port, method.upper(), concrete, body=body, key=key)
                    tried += 1
                    if status not in expected or not is_json_error(data):
                        bad.append(f"{method.upper()} {concrete} {label}: {status}")
        after = redis_snapshot(redis_port)
        check("every protected route answers 401/403 with a JSON error to missing, garbage, revoked and foreign keys", not bad, f"{tried} tries; " + "; ".join(bad[:5]))
        check("nothing in Redis changed", before == after, f"{len(before)} keys before, {len(after)} after")

        # ---- 2. fuzz through the HTTP endpoint
        rng = random.Random(7)
        fixtures = json.load(open(FIXTURES))
        statuses, server_errors, non_json = {}, [], []
        count = 0
        for fixture in fixtures:
            for label, mutated in mutations(fixture["body"], rng):
                count += 1
                status, data = call(http_port, "POST", "/v1/tenants/acme/usage",
                                    {"user": "fuzz", "event_id": f"f-{count}", "provider": fixture["provider"], "response": mutated}, key=key_a)
                statuses[status] = statuses.get(status, 0) + 1
                if status >= 500:
                    server_errors.append(f"{fixture['id']} {label}: {status}")
                elif status >= 400 and not is_json_error(data):
                    non_json.append(f"{fixture['id']} {label}: {status}")
        # invalid UTF-8 and garbage bytes as the whole request body
        for raw in [b"\xff\xfe\xfd", b'{"user":"fuzz","event_id":"x","usage":{"input_tokens":\xff}}', b"[" * 100_000]:
            status, data = call(http_port, "POST", "/v1/tenants/acme/usage", key=key_a, raw=raw)
            count += 1
            statuses[status] = statuses.get(status, 0) + 1
            if status >= 500 or not (400 <= status < 500 and is_json_error(data)):
                server_errors.append(f"raw body: {status}")
        check("fuzzed provider bodies: no 5xx", not server_errors, f"{count} requests, statuses {statuses}; " + "; ".join(server_errors[:5]))
        check("every rejection is a 4xx with a JSON error", not non_json, "; ".join(non_json[:5]))
        status, data = call(http_port, "POST", "/v1/tenants/acme/usage", key=key_a, raw=b'{"pad":"' + b"x" * (2 * 1024 * 1024) + b'"}')
        check("oversized body gets 413 with a JSON error", status == 413 and is_json_error(data), str(status))
        print(f"figure: security: {tried} unauthorized tries on {tried // 4} operations, Redis unchanged; fuzz: {count} mutated bodies, statuses {statuses}")
    finally:
        stop(quotad)
        log.close()
        stop(redis)
    # ---- 3. secrets never logged
    logged = open(log_path, "rb").read()
    leaked = [name for name, secret in [("admin key", ADMIN), ("tenant key", key_a), ("other tenant key", key_b["key"]), ("revoked key", revoked["key"])]
              if secret.encode() in logged]
    check("no key appears in the logs", not leaked and len(logged) > 0, f"{len(logged)} bytes of debug logs scanned; leaked: {leaked}")
    shutil.rmtree(work, ignore_errors=True)
    return summary()

if __name__ == "__main__":
    sys.exit(main())
