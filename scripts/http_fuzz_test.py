#!/usr/bin/env python3
"""HTTP-level fuzzing of the release binary: mutated JSON bodies and query strings on every route.

Complements tests/live/test_security_fuzz.py (bad credentials, mutated provider `response` values inside one usage body):
here every operation of /openapi.yaml gets structurally mutated request bodies with a valid key (tenant key
with every scope; the admin key for admin-only routes): 19+-digit and extreme integers, deep nesting, UTF-8
BOMs, duplicate and unknown keys, wrong types, unicode and invalid UTF-8, truncation, byte flips, trailing
bytes. Bounded by HTTP_FUZZ_REQUESTS (default 3000) and HTTP_FUZZ_SECONDS (default 90), each request by a
10 s timeout. Passes with 0 5xx, 0 timed-out requests, and quotad still alive and ready at the end.
"""
import hashlib, http.client, json, os, random, re, shutil, socket, sys, tempfile, time
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, free_port, start_quotad, start_redis, stop, summary, wait_ready

ADMIN = "http-fuzz-admin-key-" + hashlib.sha256(os.urandom(16)).hexdigest()[:20]
REQUESTS = int(os.environ.get("HTTP_FUZZ_REQUESTS", "3000"))
SECONDS = float(os.environ.get("HTTP_FUZZ_SECONDS", "90"))
REQUEST_TIMEOUT = 10
SCOPES = ["usage:write", "reservations:write", "usage:read", "reports:read", "quota:read", "quota:write"]

# A valid body per route (by the path's last fixed segment), the starting point of every mutation.
SEEDS = {
    "usage": {"user": "u1", "event_id": "e1", "provider": "openai", "model": "gpt-4o",
              "usage": {"input_tokens": 10, "output_tokens": 5}, "metadata": {"team": "a"}, "latency_ms": 12},
    "batch": {"events": [{"user": "u1", "event_id": "b1", "model": "gpt-4o", "usage": {"input_tokens": 1}}]},
    "reservations": {"user": "u1", "model": "gpt-4o", "input_tokens": 100, "max_output_tokens": 50, "ttl_seconds": 60},
    "commit": {"usage": {"input_tokens": 10, "output_tokens": 5}},
    "quota": {"limits": {"tokens": 1000000, "cost_usd": "12.50", "requests": 100}, "rate": {"tokens_per_minute": 1000}},
    "tenant": {"limits": {"tokens": 1000000, "cost_usd": "12.50"}},
    "default": {"limits": {"tokens": 1000000}},
    "metrics": {"enabled": True, "token_statistics": False},
    "keys": {"scopes": ["usage:write"]},
    "dimensions": {"dimensions": ["team"]},
    "webhooks": {"url": "http://127.0.0.1:9/hook", "events": ["threshold"], "secret": "s"},
}
NASTY = [
    12345678901234567890, 99999999999999999999999999, -9223372036854775809, 9223372036854775807, -1, 0,
    1.5, 1e308, -0.0, "", "x" * 5000, "\u00e9\U0001F600\u202e", "\ud800", None, True, [], {}, [1, [2, [3]]],
    {"a": {"b": {"c": {}}}}, "estimate", "2026-13-45T25:61:61Z",
]
RAW_VALUES = [b"1e400", b"-", b"01", b"1.", b"NaN", b"Infinity", b"\"\\u0000\"", b"\"\\ud83d\"", b"\"\xff\xfe\"",
              b"123456789012345678901234567890", b"[" * 200 + b"]" * 200, b"{\"a\":" * 100 + b"1" + b"}" * 100]
QUERIES = ["since=0-0", "since=18446744073709551616-0", "since=-1", "since=%FF", "limit=0", "limit=100000000000000000000",
           "limit=-1", "from=2026-01-01", "from=9999-99-99", "to=x", "group_by=user", "group_by=%00", "format=csv",
           "cursor=" + "9" * 40, "limit=1&limit=2", "dimension=" + "a" * 3000]


def mutate(seed, rng):
    """One mutated body (bytes) and a label saying what was done."""
    text = json.dumps(seed)
    kind = rng.randrange(12)
    if kind == 0:  # a value replaced by a nasty one, somewhere in the tree
        body = json.loads(text)
        node, key = pick(body, rng)
        if node is None:
            return "whole body nasty", json.dumps(rng.choice(NASTY)).encode()
        node[key] = rng.choice(NASTY)
        return f"value {key!r} nasty", json.dumps(body, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    if kind == 1:  # a number or string literal replaced by raw bytes JSON can't or barely can hold
        matches = list(re.finditer(rb'-?\d+(\.\d+)?|"[^"]*"', text.encode()))
        raw = text.encode()
        if matches:
            m = rng.choice(matches)
            return "raw literal", raw[:m.start()] + rng.choice(RAW_VALUES) + raw[m.end():]
        return "raw", rng.choice(RAW_VALUES)
    if kind == 2:  # a duplicate key
        m = rng.choice(list(re.finditer(r'"(\w+)": ', text)) or [None])
        if m:
            return "duplicate key", (text[:m.start()] + m.group(0) + "1, " + text[m.start():]).encode()
    if kind == 3:
        return "BOM", b"\xef\xbb\xbf" + text.encode()
    if kind == 4:
        raw = text.encode()
        return "truncated", raw[:rng.randrange(0, len(raw))]
    if kind == 5:  # byte flips
        raw = bytearray(text.encode())
        for _ in range(rng.randrange(1, 6)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        return "byte flips", bytes(raw)
    if kind == 6:
        return "trailing bytes", text.encode() + rng.choice([b" x", b"}", b",{}", b"\x00", b"\n\n{}"])
    if kind == 7:  # an unknown key somewhere
        body = json.loads(text)
        node, _ = pick(body, rng, objects_only=True)
        (node if node is not None else body)["unknown_" + str(rng.randrange(100))] = 1
        return "unknown key", json.dumps(body).encode()
    if kind == 8:  # deep nesting as a value
        depth = rng.choice([63, 64, 65, 200, 10000])
        body = json.loads(text)
        node, key = pick(body, rng)
        nested = ("[" * depth + "]" * depth) if rng.random() < 0.5 else ('{"a":' * depth + "1" + "}" * depth)
        if node is None:
            return f"nesting {depth}", nested.encode()
        node[key] = "@@NESTED@@"
        return f"nesting {depth} at {key!r}", json.dumps(body).replace('"@@NESTED@@"', nested).encode()
    if kind == 9:  # wrong top-level type
        return "top-level type", rng.choice([b"[]", b"null", b"\"x\"", b"42", b"", b" ", b"[" + text.encode() + b"]"])
    if kind == 10:  # unicode escapes in keys and values
        return "escaped", re.sub(r'"(\w)', lambda m: '"\\u%04x' % ord(m.group(1)), text).encode()
    return "valid seed", text.encode()


def pick(body, rng, objects_only=False):
    """A random (container, key) inside body, or (None, None)."""
    spots = []
    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                spots.append((node, k))
                walk(v)
        elif isinstance(node, list) and not objects_only:
            for i, v in enumerate(node):
                spots.append((node, i))
                walk(v)
    walk(body)
    if objects_only:
        spots = [(n, k) for n, k in spots if isinstance(n, dict)]
    return rng.choice(spots) if spots else (None, None)


def call(port, method, path, key, raw):
    """(status, body); status None when the request timed out, "reset" when the connection broke."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + key}
    try:
        conn.request(method, path, body=raw, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    except socket.timeout:
        return None, b""
    except (ConnectionError, http.client.HTTPException) as error:
        return "reset", str(error).encode()
    finally:
        conn.close()


def main():
    work = tempfile.mkdtemp(prefix="quotad-http-fuzz-")
    redis_port, http_port = free_port(), free_port()
    redis = quotad = None
    try:
        redis = start_redis(redis_port, work)
        log = open(os.path.join(work, "quotad.log"), "wb")
        quotad = start_quotad(http_port, redis_port, ADMIN, output=log, QUOTAD_KEY_CACHE_MS=0)
        status, data = call(http_port, "POST", "/v1/tenants/acme/keys", ADMIN, json.dumps({"scopes": SCOPES}).encode())
        check("tenant key with every scope", status == 201, str(status))
        tenant_key = json.loads(data)["key"]
        spec = yaml.safe_load(call(http_port, "GET", "/openapi.yaml", tenant_key, None)[1])
        operations = []
        samples = {"tenant": "acme", "user": "u1", "group": "g1", "id": "x1", "delivery": "d1"}
        for path, item in spec["paths"].items():
            for method in ("get", "post", "put", "patch", "delete"):
                if method not in item:
                    continue
                concrete = re.sub(r"\{(\w+)\}", lambda m: samples.get(m.group(1), "x"), path)
                admin = path.startswith("/v1/settings") or "/keys" in path
                fixed = [part for part in path.split("/") if part and not part.startswith("{")]
                seed = SEEDS.get(fixed[-1] if fixed else "", SEEDS["usage"])
                operations.append((method.upper(), concrete, ADMIN if admin else tenant_key, seed))
        rng = random.Random(int(os.environ.get("HTTP_FUZZ_SEED", "24")))
        started = time.monotonic()
        sent, statuses, server_errors, hangs, resets = 0, {}, [], [], []
        while sent < REQUESTS and time.monotonic() - started < SECONDS:
            method, path, key, seed = operations[sent % len(operations)]
            if method in ("GET", "DELETE"):
                label, raw = "query", None
                path = path + "?" + "&".join(rng.sample(QUERIES, rng.randrange(1, 3)))
            else:
                label, raw = mutate(seed, rng)
            sent += 1
            status, data = call(http_port, method, path, key, raw)
            statuses[status] = statuses.get(status, 0) + 1
            sample = f"{method} {path} [{label}] {raw[:120] if raw else b''!r}"
            if status is None:
                hangs.append(sample)
            elif status == "reset":
                resets.append(sample)
            elif status >= 500:
                server_errors.append(f"{status} {sample}: {data[:200]!r}")
        elapsed = time.monotonic() - started
        check("HTTP fuzz: 0 5xx", not server_errors, f"{sent} requests in {elapsed:.0f} s; " + " | ".join(server_errors[:5]))
        check("HTTP fuzz: 0 requests without an answer within 10 s", not hangs, " | ".join(hangs[:5]))
        check("HTTP fuzz: 0 broken connections", not resets, " | ".join(resets[:5]))
        check("quotad alive at the end", quotad.poll() is None, f"exit code {quotad.poll()}")
        check("quotad still ready at the end", wait_ready(quotad, http_port, within=10))
        check("the fuzz ran on every operation", sent >= len(operations), f"{sent} requests, {len(operations)} operations")
        print(f"figure: HTTP fuzz: {sent} requests on {len(operations)} operations in {elapsed:.0f} s, statuses {statuses}")
    finally:
        stop(quotad)
        stop(redis)
        shutil.rmtree(work, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
