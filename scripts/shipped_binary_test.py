#!/usr/bin/env python3
"""The promises of the shipped (release) binary, checked over real sockets (loopback only, bounded).

Runs QUOTAD_BIN (scripts/test.sh passes .build/release/quotad) against a private redis-server with a
pricing file of absurdly expensive models, read timeout 1 s and idle timeout 1.5 s, and checks:
  openapi   /openapi.yaml is served from the resource bundle, equals the file and is valid OpenAPI 3.1;
  a  40 concurrent batches (8 at a time) with in-batch duplicates and invalid items: no internal_error,
     no 5xx, totals equal the distinct valid events;
  b  unknown fields and duplicate keys are 400s naming the field, and change nothing;
  c  a percent-encoded user in the path;
  d  a stored total of any level never passes 2^53 (422 overflow, totals unchanged, retry refused again),
     also when 1,100 users of one tenant each spend 9e15 nano-USD; reports stay exact;
  e  a lying Content-Length and an idle keep-alive connection are closed in time, others are served;
  f  invalid UTF-8 in the path, a 100 KB header, Content-Length + Transfer-Encoding: 4xx or closed, never 5xx;
  g  Redis out of memory → 507, read-only → 503, both with Retry-After and no Redis text; recovery;
     fail-open reservations when configured;
  h  unpriced models under a cost limit → 422 unpriced_model (or recorded with unpriced_models=allow);
  i  429 with Retry-After (reservation expiry or cycle end) and resets_at;
  j  the CSV report's columns and exact dollar sums;
  k  /metrics: HELP lines, bounded model label, process metrics, no negative counters;
  l  committing a reservation with an estimate.
Each check prints PASS/FAIL; ends with `N passed, M failed`.
"""
import concurrent.futures, csv, datetime, decimal, http.client, io, json, os, re, shutil, socket, subprocess
import sys, tempfile, threading, time

import harness
from harness import ROOT, check, free_port, redis_cli, start_quotad, stop, summary

ADMIN = "shipped-binary-admin-key-0123456789"
READ_TIMEOUT_S, IDLE_TIMEOUT_S = 1.0, 1.5
PRICING = """models:
  huge-model:
    input: "1"
    output: "5000"
  giant-model:
    input: "1"
    output: "9000"
"""
FORBIDDEN_TEXT = re.compile(r"OOM|READONLY|NOSCRIPT|ERR|\b[0-9a-f]{40}\b")


def call(port, method, path, body=None, key=None, raw=None, timeout=30):
    """One request on its own connection: (status, lower-case headers, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = "Bearer " + key
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def jbody(data):
    try:
        return json.loads(data)
    except ValueError:
        return {}


def error_code(data):
    error = jbody(data).get("error")
    return error.get("code") if isinstance(error, dict) else None


def raw_exchange(port, payload, limit):
    """Sends raw bytes and reads until the server closes or `limit` seconds pass.

    Returns (bytes received, seconds until close or None when still open)."""
    started = time.monotonic()
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as sock:
        try:
            sock.sendall(payload)
        except OSError:
            return received, time.monotonic() - started
        while time.monotonic() - started < limit:
            sock.settimeout(max(0.05, limit - (time.monotonic() - started)))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except OSError:
                return received, time.monotonic() - started
            if not chunk:
                return received, time.monotonic() - started
            received += chunk
    return received, None


def parse_raw(received):
    """(status or None, lower-case headers, body) of the first response in raw bytes."""
    head, _, rest = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    match = re.match(r"HTTP/1\.[01] (\d{3})", lines[0]) if lines and lines[0] else None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return (int(match.group(1)) if match else None), headers, rest



def section(name, function, *args):
    """Runs one group of checks; an exception is a FAIL of the group, not the end of the run."""
    try:
        function(*args)
    except Exception as error:  # noqa: BLE001 - reported as a failure
        check(f"{name}: ran to the end", False, repr(error)[:300])


class Env:
    pass


def test_openapi(env):
    status, headers, data = call(env.port, "GET", "/openapi.yaml")
    bundle = os.path.join(os.path.dirname(os.path.abspath(harness.QUOTAD)), "quotad_QuotaHTTP.resources")
    check("openapi: the resource bundle sits beside the binary", os.path.isdir(bundle), bundle)
    source = open(os.path.join(ROOT, "Sources", "QuotaHTTP", "OpenAPI", "openapi.yaml"), "rb").read()
    check("openapi: GET /openapi.yaml serves the resource file byte for byte", status == 200 and data == source,
          f"status {status}, {len(data)} bytes vs {len(source)}")
    path = os.path.join(env.work, "served-openapi.yaml")
    open(path, "wb").write(data)
    result = subprocess.run(["openapi-spec-validator", path], capture_output=True, text=True, timeout=120)
    check("openapi: the served document is valid OpenAPI 3.1 (openapi-spec-validator)", result.returncode == 0,
          (result.stdout + result.stderr).strip()[-300:])


def test_batches(env):
    valid, lock, problems = {}, threading.Lock(), []

    def batch(b):
        events = []
        for k in range(16):
            event_id = f"shared-{b // 2}-{k}" if k < 4 else f"b{b}-e{k}"   # ids shared with the neighbour batch
            event = {"user": "batcher", "event_id": event_id, "model": "gpt-4o", "usage": {"input_tokens": 1 + len(event_id), "output_tokens": 2}}
            with lock:
                valid[event_id] = event["usage"]["input_tokens"]
            events.append(event)
        events.insert(5, dict(events[6]))                   # in-batch duplicates
        events.append(dict(events[0]))
        events.append({"user": "batcher", "event_id": f"b{b}-neg", "model": "gpt-4o", "usage": {"input_tokens": -1}})
        events.append({"user": "batcher", "event_id": f"b{b}-none", "model": "gpt-4o"})
        events.append({"user": 5, "event_id": f"b{b}-type", "usage": {"input_tokens": 1}})
        events.append({"user": "batcher", "event_id": f"b{b}-unknown", "model": "gpt-4o", "usage": {"input_tokens": 1}, "colour": "red"})
        status, _, data = call(env.port, "POST", "/v1/tenants/acme/usage/batch", {"events": events}, env.key)
        results = jbody(data).get("results")
        if status != 200 or not isinstance(results, list) or len(results) != len(events):
            return f"batch {b}: status {status} {data[:200]!r}"
        for item in results:
            error = item.get("error")
            if isinstance(error, dict):
                if error.get("code") == "internal_error" or not (400 <= int(error.get("status", 500)) < 500):
                    return f"batch {b}: item error {error}"
            elif not (item.get("recorded") is True or item.get("reason") == "duplicate"):
                return f"batch {b}: item {item}"
        return None

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        problems = [p for p in pool.map(batch, range(40)) if p]
    check("a: 40 concurrent batches: every item recorded, duplicate or a 4xx item error (never internal_error, never 5xx)",
          not problems, "; ".join(problems[:3]))
    check("a: quotad is still running after the batches", env.quotad.poll() is None)
    totals = jbody(call(env.port, "GET", "/v1/tenants/acme/users/batcher/usage", key=env.key)[2]).get("totals", {})
    check("a: totals equal exactly the distinct valid events",
          totals.get("requests") == len(valid) and totals.get("input_tokens") == sum(valid.values()),
          f"requests {totals.get('requests')} of {len(valid)}, input_tokens {totals.get('input_tokens')} of {sum(valid.values())}")


def test_strict_bodies(env):
    path = "/v1/tenants/acme/users/strict/quota"
    call(env.port, "PUT", path, {"limits": {"tokens": 500}}, env.key)
    status, _, data = call(env.port, "PUT", path, {"limits": {"tokenz": 100}}, env.key)
    message = (jbody(data).get("error") or {}).get("message", "")
    check("b: unknown field limits.tokenz → 400 naming it", status == 400 and "tokenz" in message, f"{status} {message[:120]}")
    limits = jbody(call(env.port, "GET", path, key=env.key)[2]).get("limits", {})
    check("b: the stored quota is unchanged", limits.get("tokens") == 500, str(limits))
    status, _, data = call(env.port, "POST", "/v1/tenants/acme/usage",
                           {"user": "strict", "event_id": "s1", "model": "gpt-4o", "usage": {"input_tokens": 5}, "colour": "red"}, env.key)
    message = (jbody(data).get("error") or {}).get("message", "")
    check("b: unknown top-level field on POST usage → 400 naming it", status == 400 and "colour" in message, f"{status} {message[:120]}")
    raw = b'{"user":"dup-a","user":"dup-b","event_id":"d1","model":"gpt-4o","usage":{"input_tokens":5}}'
    status, _, data = call(env.port, "POST", "/v1/tenants/acme/usage", key=env.key, raw=raw)
    message = (jbody(data).get("error") or {}).get("message", "")
    check("b: duplicate key 'user' → 400 naming it", status == 400 and "user" in message, f"{status} {message[:120]}")
    recorded = [jbody(call(env.port, "GET", f"/v1/tenants/acme/users/{u}/usage", key=env.key)[2]).get("totals", {}).get("requests")
                for u in ("strict", "dup-a", "dup-b")]
    check("b: nothing recorded for strict, dup-a or dup-b", recorded == [0, 0, 0], str(recorded))


def test_percent_encoded(env):
    status, _, _ = call(env.port, "POST", "/v1/tenants/acme/usage",
                        {"user": "john@example.com", "event_id": "pe1", "model": "gpt-4o", "usage": {"input_tokens": 7}}, env.key)
    status, _, data = call(env.port, "GET", "/v1/tenants/acme/users/john%40example.com/usage", key=env.key)
    totals = jbody(data).get("totals", {})
    check("c: /users/john%40example.com/usage → 200 with the totals", status == 200 and totals.get("input_tokens") == 7,
          f"{status} {data[:160]!r}")


def test_overflow(env):
    event = lambda n: {"user": "whale", "event_id": f"ov-{n}", "model": "huge-model", "usage": {"output_tokens": 1_000_000_000}}
    status, _, data = call(env.port, "POST", "/v1/tenants/acme/usage", event(1), env.key)
    check("d: one event of 5e15 nano-USD is recorded", status == 200 and jbody(data).get("recorded") is True, f"{status} {data[:160]!r}")
    before = jbody(call(env.port, "GET", "/v1/tenants/acme/users/whale/usage", key=env.key)[2]).get("totals")
    status, _, data = call(env.port, "POST", "/v1/tenants/acme/usage", event(2), env.key)
    check("d: the event that would pass 2^53 → 422 overflow", status == 422 and error_code(data) == "overflow", f"{status} {data[:160]!r}")
    after = jbody(call(env.port, "GET", "/v1/tenants/acme/users/whale/usage", key=env.key)[2]).get("totals")
    check("d: totals unchanged by the refused event", before is not None and before == after,
          f"cost {before and before.get('cost_nano_usd')} → {after and after.get('cost_nano_usd')}")
    status, _, data = call(env.port, "POST", "/v1/tenants/acme/usage", event(2), env.key)
    check("d: retrying it → 422 overflow again (not duplicate)", status == 422 and error_code(data) == "overflow", f"{status} {data[:160]!r}")
    # 1,100 users of 9e15 nano-USD each: the tenant's total is bounded like a user's, so exactly one is
    # recorded, the others are refused per item (422 overflow), and the report never overflows.
    statuses, recorded, overflowed = set(), 0, 0
    for start in (0, 550):
        events = [{"user": f"giant-{n}", "event_id": "g", "model": "giant-model", "usage": {"output_tokens": 1_000_000_000}}
                  for n in range(start, start + 550)]
        status, _, data = call(env.port, "POST", "/v1/tenants/big/usage/batch", {"events": events}, ADMIN, timeout=120)
        statuses.add(status)
        results = jbody(data).get("results", [])
        recorded += sum(1 for item in results if item.get("recorded") is True)
        overflowed += sum(1 for item in results if (item.get("error") or {}).get("code") == "overflow")
    check("d: 1,100 events of 9e15 nano-USD for one tenant: one recorded, 1,099 refused as overflow (the tenant total stays ≤ 2^53)",
          recorded == 1 and overflowed == 1099, f"batches {statuses}, recorded {recorded}, overflow {overflowed}")
    status, _, data = call(env.port, "GET", "/v1/tenants/big/reports/usage", key=ADMIN, timeout=120)
    report = jbody(data)
    cost = (report.get("totals") or {}).get("cost_nano_usd")
    rows = sum((row.get("totals") or {}).get("cost_nano_usd", 0) for row in report.get("users", []))
    check("d: the report's total is the bounded tenant total and equals the sum of its rows",
          status == 200 and isinstance(cost, int) and 0 < cost <= 2**53 and cost == rows, f"report {status}, cost {cost}, rows {rows}")
    status, _, _ = call(env.port, "GET", "/v1/tenants/big/reports/usage?format=csv", key=ADMIN, timeout=120)
    check("d: the CSV report of it does not fail with a 5xx and quotad is still running",
          status < 500 and env.quotad.poll() is None, f"csv {status}")


def test_slow_clients(env):
    lying = (f"POST /v1/tenants/acme/usage HTTP/1.1\r\nHost: q\r\nAuthorization: Bearer {env.key}\r\n"
             "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n").encode() + b'{"user":"x'
    served = {}
    helper = threading.Thread(target=lambda: served.update(status=call(env.port, "GET", "/healthz", timeout=5)[0]))
    limit = READ_TIMEOUT_S + 2
    result = {}
    waiter = threading.Thread(target=lambda: result.update(r=raw_exchange(env.port, lying, limit + 1)))
    waiter.start()
    helper.start()
    helper.join(10)
    waiter.join(limit + 5)
    received, closed_after = result.get("r", (b"", None))
    status, _, body = parse_raw(received)
    check("e: a body shorter than its Content-Length: connection closed within read timeout + 2 s",
          closed_after is not None and closed_after <= limit,
          f"closed after {closed_after if closed_after is None else round(closed_after, 2)} s, answer {status} {body[:100]!r}")
    check("e: others are served meanwhile", served.get("status") == 200, str(served))
    request = b"GET /healthz HTTP/1.1\r\nHost: q\r\nConnection: keep-alive\r\n\r\n"
    limit = IDLE_TIMEOUT_S + 2
    received, closed_after = raw_exchange(env.port, request, limit + 1)
    status, _, _ = parse_raw(received)
    check("e: an idle keep-alive connection is closed within idle timeout + 2 s",
          status == 200 and closed_after is not None and closed_after <= limit,
          f"answer {status}, closed after {closed_after if closed_after is None else round(closed_after, 2)} s")


def test_server_layer(env):
    cases = [
        ("invalid UTF-8 in the path", b"GET /v1/tenants/\xff\xfe/keys HTTP/1.1\r\nHost: q\r\n\r\n"),
        ("a 100 KB header", b"GET /healthz HTTP/1.1\r\nHost: q\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"),
        ("Content-Length with Transfer-Encoding", b"POST /v1/tenants/acme/usage HTTP/1.1\r\nHost: q\r\nContent-Length: 5\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ]
    for name, payload in cases:
        received, closed_after = raw_exchange(env.port, payload, 5)
        status, headers, body = parse_raw(received)
        answered = status is not None and 400 <= status < 500
        detail = (f"status {status}, JSON error {error_code(body) is not None}, X-Request-Id {'x-request-id' in headers}, "
                  f"closed after {None if closed_after is None else round(closed_after, 2)} s")
        check(f"f: {name}: a 4xx or a closed connection within 5 s, never 5xx",
              (answered or (status is None and closed_after is not None)) and not (status and status >= 500), detail)
    check("f: quotad is still running", env.quotad.poll() is None)


def test_redis_failures(env):
    rp, bodies = env.redis_port, []
    usage = lambda n: {"user": "fs", "event_id": f"fs-{n}", "model": "gpt-4o", "usage": {"input_tokens": 3}}
    reserve = {"user": "fs", "model": "gpt-4o", "input_tokens": 5, "max_output_tokens": 5, "ttl_seconds": 30}
    try:
        redis_cli(rp, "CONFIG", "SET", "maxmemory-policy", "noeviction")
        redis_cli(rp, "CONFIG", "SET", "maxmemory", "1")
        for label, method, path, body in [("usage", "POST", "/v1/tenants/acme/usage", usage(1)),
                                          ("reservation", "POST", "/v1/tenants/acme/reservations", reserve)]:
            status, headers, data = call(env.port, method, path, body, env.key)
            bodies.append(data)
            check(f"g: Redis out of memory, {label} path → 507 insufficient_storage with Retry-After",
                  status == 507 and error_code(data) == "insufficient_storage" and "retry-after" in headers, f"{status} {data[:160]!r}")
        redis_cli(rp, "CONFIG", "SET", "maxmemory", "0")
        redis_cli(rp, "REPLICAOF", "127.0.0.1", str(free_port()))
        for label, method, path, body in [("usage", "POST", "/v1/tenants/acme/usage", usage(2)),
                                          ("reservation", "POST", "/v1/tenants/acme/reservations", reserve)]:
            status, headers, data = call(env.port, method, path, body, env.key)
            bodies.append(data)
            check(f"g: Redis read-only, {label} path → 503 redis_unavailable with Retry-After",
                  status == 503 and error_code(data) == "redis_unavailable" and "retry-after" in headers, f"{status} {data[:160]!r}")
        status, _, data = call(env.failopen_port, "POST", "/v1/tenants/acme/reservations", reserve, env.key)
        check("g: with reservations.fail_open, a reservation during READONLY is granted", 200 <= status < 300, f"{status} {data[:160]!r}")
        leaked = [d[:160] for d in bodies if FORBIDDEN_TEXT.search(d.decode("utf-8", "replace"))]
        check("g: no body contains OOM, READONLY, NOSCRIPT, ERR or a script SHA", not leaked, str(leaked[:2]))
    finally:
        redis_cli(rp, "CONFIG", "SET", "maxmemory", "0")
        redis_cli(rp, "REPLICAOF", "NO", "ONE")
    status, _, data = call(env.port, "POST", "/v1/tenants/acme/usage", usage(3), env.key)
    reserved = call(env.port, "POST", "/v1/tenants/acme/reservations", reserve, env.key)[0]
    check("g: after the reset, usage and reservations work again", status == 200 and reserved == 201, f"usage {status}, reserve {reserved}")


def test_unpriced(env):
    call(env.port, "PUT", "/v1/tenants/acme/users/costly/quota", {"limits": {"cost_usd": "100"}}, env.key)
    event = lambda user, n: {"user": user, "event_id": f"up-{n}", "model": "my-private-model", "usage": {"input_tokens": 10}}
    status, _, data = call(env.port, "POST", "/v1/tenants/acme/usage", event("costly", 1), env.key)
    check("h: unpriced model under a cost limit → 422 unpriced_model naming the model",
          status == 422 and error_code(data) == "unpriced_model" and b"my-private-model" in data, f"{status} {data[:160]!r}")
    status, _, data = call(env.port, "POST", "/v1/tenants/acme/reservations",
                           {"user": "costly", "model": "my-private-model", "input_tokens": 10, "max_output_tokens": 10}, env.key)
    check("h: reservation likewise → 422 unpriced_model", status == 422 and error_code(data) == "unpriced_model" and b"my-private-model" in data,
          f"{status} {data[:160]!r}")
    status, _, data = call(env.port, "POST", "/v1/tenants/acme/usage", event("nolimit", 2), env.key)
    check("h: a user without a cost limit → 200 recorded", status == 200 and jbody(data).get("recorded") is True, f"{status} {data[:160]!r}")
    allow_port = free_port()
    env.extra.append(start_quotad(allow_port, env.redis_port, ADMIN, QUOTAD_PRICING_UNPRICED_MODELS="allow", QUOTAD_QUOTA_CACHE_MS=0))
    status, _, data = call(allow_port, "POST", "/v1/tenants/acme/usage", event("costly", 3), env.key)
    check("h: with pricing.unpriced_models=allow → 200", status == 200, f"{status} {data[:160]!r}")


def resets_at(body):
    for holder in (body, body.get("limit") or {}, body.get("error") or {}):
        if isinstance(holder, dict) and isinstance(holder.get("resets_at"), str):
            return holder["resets_at"]
    return None


def test_429(env):
    for user in ("lim-r", "lim-u"):
        call(env.port, "PUT", f"/v1/tenants/acme/users/{user}/quota", {"limits": {"tokens": 1000}}, env.key)
    reserve = lambda user, tokens: call(env.port, "POST", "/v1/tenants/acme/reservations",
                                        {"user": user, "model": "gpt-4o", "input_tokens": tokens, "max_output_tokens": 0, "ttl_seconds": 60}, env.key)
    first = reserve("lim-r", 900)[0]
    status, headers, data = reserve("lim-r", 200)
    retry = int(headers.get("retry-after", "-1"))
    stamp = resets_at(jbody(data))
    check("i: held reservations in the way → 429 with Retry-After ≤ 60", first == 201 and status == 429 and 0 < retry <= 60,
          f"reserve {first}, then {status}, Retry-After {retry}")
    valid = False
    if stamp:
        try:
            datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            valid = True
        except ValueError:
            pass
    check("i: the 429 body has resets_at (ISO 8601)", valid, f"resets_at {stamp!r}")
    call(env.port, "POST", "/v1/tenants/acme/usage", {"user": "lim-u", "event_id": "u1", "model": "gpt-4o", "usage": {"input_tokens": 1000}}, env.key)
    status, headers, data = reserve("lim-u", 1)
    retry = int(headers.get("retry-after", "-1"))
    stamp = resets_at(jbody(data))
    to_end = None
    if stamp:
        try:
            to_end = (datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        except ValueError:
            pass
    check("i: limit used up → 429 with Retry-After = seconds to the cycle's end (> 60)",
          status == 429 and retry > 60 and (to_end is None or abs(to_end - retry) <= 5), f"{status}, Retry-After {retry}, resets in {to_end}")


def test_csv(env):
    for n, (user, model, tokens) in enumerate([("ann", "gpt-4o", 1234), ("ann", "claude-sonnet-4-5", 999), ("bob", "gpt-4o-mini", 77777)]):
        call(env.port, "POST", "/v1/tenants/csvt/usage",
             {"user": user, "event_id": f"c{n}", "model": model, "usage": {"input_tokens": tokens, "output_tokens": tokens // 3}}, ADMIN)
    status, headers, data = call(env.port, "GET", "/v1/tenants/csvt/reports/usage?format=csv", key=ADMIN)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8", "replace"))))
    columns = set(rows[0].keys()) if rows else set()
    wanted = {"row_type", "tenant", "cycle", "cost_usd", "cache_write_1h_tokens", "estimated_requests", "total_tokens"}
    check("j: CSV has the columns row_type, tenant, cycle, cost_usd, cache_write_1h_tokens, estimated_requests, total_tokens",
          status == 200 and wanted <= columns, f"{status}, missing {sorted(wanted - columns)}")
    if not wanted <= columns:
        return
    users = [r for r in rows if r["row_type"] == "user"]
    totals = [r for r in rows if r["row_type"] == "total"]
    try:
        summed = sum(decimal.Decimal(r["cost_usd"]) for r in users)
        check("j: cost_usd of the user rows adds up exactly to the total row",
              len(users) == 2 and len(totals) == 1 and summed == decimal.Decimal(totals[0]["cost_usd"]) and summed > 0,
              f"{len(users)} user rows, sum {summed}, total {totals[0]['cost_usd'] if totals else None}")
    except decimal.InvalidOperation as error:
        check("j: cost_usd is an exact decimal", False, repr(error))
    report = jbody(call(env.port, "GET", "/v1/tenants/csvt/reports/usage", key=ADMIN)[2])
    nano = (report.get("totals") or {}).get("cost_nano_usd")
    check("j: the total row's cost_usd equals the JSON report's cost_nano_usd exactly",
          bool(totals) and nano is not None and decimal.Decimal(totals[0]["cost_usd"]) * 1_000_000_000 == nano,
          f"{totals[0]['cost_usd'] if totals else None} vs {nano}")


def test_metrics(env):
    call(env.port, "POST", "/v1/tenants/acme/usage", {"user": "m", "event_id": "m1", "model": "zz-unknown-model-123", "usage": {"input_tokens": 1}}, env.key)
    status, _, data = call(env.port, "GET", "/metrics")
    text = data.decode("utf-8", "replace")
    helps = set(re.findall(r"^# HELP (\S+)", text, re.M))
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)", text, re.M))
    samples = re.findall(r"^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)", text, re.M)

    def family(name):
        for suffix in ("", "_total", "_bucket", "_sum", "_count", "_created"):
            if name.endswith(suffix) and name[: len(name) - len(suffix)] in types:
                return name[: len(name) - len(suffix)]
        return name
    missing = sorted({family(n) for n, _, _ in samples} - helps)
    check("k: every metric family has a # HELP line", status == 200 and samples and not missing, f"without HELP: {missing[:5]}")
    check("k: an unknown model is not a label value", 'model="zz-unknown-model-123"' not in text)
    names = {n for n, _, _ in samples}
    check("k: process_resident_memory_bytes and process_cpu_seconds_total present",
          {"process_resident_memory_bytes", "process_cpu_seconds_total"} <= names)
    negative = [f"{n}{l} {v}" for n, l, v in samples if types.get(family(n)) == "counter" and v.lstrip().startswith("-")]
    check("k: no negative counter value", not negative, str(negative[:3]))


def test_estimate_commit(env):
    status, _, data = call(env.port, "POST", "/v1/tenants/acme/reservations",
                           {"user": "est", "model": "gpt-4o", "input_tokens": 10, "max_output_tokens": 10}, env.key)
    rid = jbody(data).get("reservation_id")
    status, _, data = call(env.port, "POST", f"/v1/tenants/acme/reservations/{rid}/commit",
                           {"usage": "estimate", "messages": [{"role": "user", "content": "hello world"}], "output_text": "hi"}, env.key)
    body = jbody(data)
    check("l: commit with usage estimate → recorded, source estimated",
          status == 200 and body.get("recorded") is True and body.get("source") == "estimated", f"{status} model {body.get('model')}, priced {body.get('priced')}, usage {body.get('usage')}")
    totals = jbody(call(env.port, "GET", "/v1/tenants/acme/users/est/usage", key=env.key)[2]).get("totals", {})
    check("l: totals estimated_requests = 1", totals.get("estimated_requests") == 1, str(totals.get("estimated_requests")))
    reserved = jbody(call(env.port, "GET", "/v1/tenants/acme/users/est/usage", key=env.key)[2]).get("reserved", {})
    check("l: the commit settled the reservation", reserved.get("tokens") == 0, str(reserved))


def main():
    env = Env()
    env.work = tempfile.mkdtemp(prefix="quotad-shipped-")
    env.extra, env.quotad, redis = [], None, None
    pricing = os.path.join(env.work, "pricing.yaml")
    open(pricing, "w").write(PRICING)
    env.redis_port, env.port = free_port(), free_port()
    try:
        redis = harness.start_redis(env.redis_port, env.work)
        common = dict(QUOTAD_PRICING_FILE=pricing, QUOTAD_QUOTA_CACHE_MS=0, QUOTAD_REDIS_TIMEOUT_MS=2000)
        env.quotad = start_quotad(env.port, env.redis_port, ADMIN, QUOTAD_HTTP_READ_TIMEOUT_MS=int(READ_TIMEOUT_S * 1000),
                                  QUOTAD_HTTP_IDLE_TIMEOUT_MS=int(IDLE_TIMEOUT_S * 1000), **common)
        env.failopen_port = free_port()
        env.extra.append(start_quotad(env.failopen_port, env.redis_port, ADMIN, QUOTAD_RESERVATIONS_FAIL_OPEN="true", **common))
        # A key with every scope (quota:write included): these checks exercise the routes, not the scopes.
        every_scope = {"scopes": ["usage:write", "reservations:write", "usage:read", "reports:read", "quota:read", "quota:write"]}
        env.key = jbody(call(env.port, "POST", "/v1/tenants/acme/keys", every_scope, ADMIN)[2])["key"]
        for name, test in [("openapi", test_openapi), ("a", test_batches), ("b", test_strict_bodies), ("c", test_percent_encoded),
                           ("d", test_overflow), ("e", test_slow_clients), ("f", test_server_layer), ("g", test_redis_failures),
                           ("h", test_unpriced), ("i", test_429), ("j", test_csv), ("k", test_metrics), ("l", test_estimate_commit)]:
            section(name, test, env)
        check("quotad is still running at the end", env.quotad.poll() is None)
    finally:
        for proc in [env.quotad, *env.extra]:
            stop(proc)
        stop(redis)
        shutil.rmtree(env.work, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
