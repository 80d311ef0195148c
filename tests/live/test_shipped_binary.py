"""The promises of the shipped (release) binary, checked over real sockets (loopback only, bounded).

QUOTAD_BIN (scripts/test.sh passes .build/release/quotad) runs against a private redis-server with a pricing
file of absurdly expensive models, read timeout 1 s and idle timeout 1.5 s (one quotad and Redis shared by
the module; every test uses its own users or tenants, so each runs alone with -k too):
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
"""
import concurrent.futures, csv, datetime, decimal, io, json, os, re, socket, subprocess, threading, time

import pytest

from support import ROOT, Client, create_tenant_key, free_port

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
COMMON = dict(QUOTAD_QUOTA_CACHE_MS=0, QUOTAD_REDIS_TIMEOUT_MS=2000)


class Env:
    pass


@pytest.fixture(scope="module")
def env(module_launcher):
    """One redis-server, the quotad under test (read and idle timeouts), a fail-open quotad, and a key of
    tenant acme with every scope (quota:write included: these tests exercise the routes, not the scopes)."""
    e = Env()
    e.launcher = module_launcher
    e.pricing = os.path.join(module_launcher.directory, "pricing.yaml")
    with open(e.pricing, "w") as f:
        f.write(PRICING)
    e.redis = module_launcher.redis()
    e.quotad = module_launcher.quotad(e.redis, QUOTAD_PRICING_FILE=e.pricing, QUOTAD_HTTP_READ_TIMEOUT_MS=int(READ_TIMEOUT_S * 1000),
                                      QUOTAD_HTTP_IDLE_TIMEOUT_MS=int(IDLE_TIMEOUT_S * 1000), **COMMON)
    e.failopen = module_launcher.quotad(e.redis, QUOTAD_PRICING_FILE=e.pricing, QUOTAD_RESERVATIONS_FAIL_OPEN="true", **COMMON)
    e.port = e.quotad.port
    every_scope = ["usage:write", "reservations:write", "usage:read", "reports:read", "quota:read", "quota:write"]
    e.key = create_tenant_key(e.quotad, "acme", every_scope)
    e.http = Client(e.port, e.key, keep_alive=False)          # tenant acme
    e.admin = e.quotad.client()                                # admin key, one connection per request
    return e


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


def body_error_code(data):
    try:
        error = json.loads(data).get("error")
    except (ValueError, AttributeError):
        return None
    return error.get("code") if isinstance(error, dict) else None


def message(answer):
    return (answer.json().get("error") or {}).get("message", "")


def totals_of(env, user, tenant="acme"):
    return env.http.request("GET", f"/v1/tenants/{tenant}/users/{user}/usage").json().get("totals", {})


# ---- openapi

def test_openapi_resource_bundle_beside_the_binary(quotad_bin):
    bundle = os.path.join(os.path.dirname(quotad_bin), "quotad_QuotaHTTP.resources")
    assert os.path.isdir(bundle), bundle


def test_openapi_served_byte_for_byte_and_valid(env):
    answer = env.http.request("GET", "/openapi.yaml", key="")
    with open(os.path.join(ROOT, "Sources", "QuotaHTTP", "OpenAPI", "openapi.yaml"), "rb") as f:
        source = f.read()
    assert answer.status == 200 and answer.body == source, f"status {answer.status}, {len(answer.body)} bytes vs {len(source)}"
    path = os.path.join(env.launcher.directory, "served-openapi.yaml")
    with open(path, "wb") as f:
        f.write(answer.body)
    result = subprocess.run(["openapi-spec-validator", path], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, (result.stdout + result.stderr).strip()[-300:]


# ---- a

def test_a_concurrent_batches_never_5xx_and_totals_exact(env):
    valid, lock = {}, threading.Lock()

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
        answer = env.http.request("POST", "/v1/tenants/acme/usage/batch", {"events": events})
        results = answer.json().get("results")
        if answer.status != 200 or not isinstance(results, list) or len(results) != len(events):
            return f"batch {b}: status {answer.status} {answer.body[:200]!r}"
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
    assert not problems, ("40 concurrent batches: every item recorded, duplicate or a 4xx item error "
                          "(never internal_error, never 5xx): " + "; ".join(problems[:3]))
    assert env.quotad.running(), "quotad is still running after the batches"
    totals = totals_of(env, "batcher")
    assert totals.get("requests") == len(valid) and totals.get("input_tokens") == sum(valid.values()), \
        f"requests {totals.get('requests')} of {len(valid)}, input_tokens {totals.get('input_tokens')} of {sum(valid.values())}"


# ---- b

def test_b_unknown_quota_field_is_400_naming_it_and_changes_nothing(env):
    path = "/v1/tenants/acme/users/strict/quota"
    env.http.request("PUT", path, {"limits": {"tokens": 500}})
    answer = env.http.request("PUT", path, {"limits": {"tokenz": 100}})
    assert answer.status == 400 and "tokenz" in message(answer), f"{answer.status} {message(answer)[:120]}"
    limits = env.http.request("GET", path).json().get("limits", {})
    assert limits.get("tokens") == 500, f"the stored quota is unchanged: {limits}"


def test_b_unknown_usage_field_is_400_naming_it(env):
    answer = env.http.request("POST", "/v1/tenants/acme/usage",
                              {"user": "strict-usage", "event_id": "s1", "model": "gpt-4o", "usage": {"input_tokens": 5}, "colour": "red"})
    assert answer.status == 400 and "colour" in message(answer), f"{answer.status} {message(answer)[:120]}"


def test_b_duplicate_key_is_400_naming_it(env):
    raw = b'{"user":"dup-a","user":"dup-b","event_id":"d1","model":"gpt-4o","usage":{"input_tokens":5}}'
    answer = env.http.request("POST", "/v1/tenants/acme/usage", raw=raw)
    assert answer.status == 400 and "user" in message(answer), f"{answer.status} {message(answer)[:120]}"


def test_b_refused_bodies_record_nothing(env):
    # The refused bodies of the three tests above; sent again here so that this test also runs alone.
    env.http.request("POST", "/v1/tenants/acme/usage",
                     {"user": "strict", "event_id": "s1", "model": "gpt-4o", "usage": {"input_tokens": 5}, "colour": "red"})
    env.http.request("POST", "/v1/tenants/acme/usage", raw=b'{"user":"dup-a","user":"dup-b","event_id":"d1","model":"gpt-4o","usage":{"input_tokens":5}}')
    recorded = [totals_of(env, u).get("requests") for u in ("strict", "strict-usage", "dup-a", "dup-b")]
    assert recorded == [0, 0, 0, 0], f"nothing recorded for strict, strict-usage, dup-a or dup-b: {recorded}"


# ---- c

def test_c_percent_encoded_user_in_the_path(env):
    env.http.request("POST", "/v1/tenants/acme/usage",
                     {"user": "john@example.com", "event_id": "pe1", "model": "gpt-4o", "usage": {"input_tokens": 7}})
    answer = env.http.request("GET", "/v1/tenants/acme/users/john%40example.com/usage")
    assert answer.status == 200 and answer.json().get("totals", {}).get("input_tokens") == 7, repr(answer)


# ---- d

def test_d_user_total_never_passes_2_53(env):
    event = lambda n: {"user": "whale", "event_id": f"ov-{n}", "model": "huge-model", "usage": {"output_tokens": 1_000_000_000}}
    answer = env.http.request("POST", "/v1/tenants/acme/usage", event(1))
    assert answer.status == 200 and answer.json().get("recorded") is True, f"one event of 5e15 nano-USD is recorded: {answer}"
    before = env.http.request("GET", "/v1/tenants/acme/users/whale/usage").json().get("totals")
    answer = env.http.request("POST", "/v1/tenants/acme/usage", event(2))
    assert answer.status == 422 and answer.error_code() == "overflow", f"the event that would pass 2^53 → 422 overflow: {answer}"
    after = env.http.request("GET", "/v1/tenants/acme/users/whale/usage").json().get("totals")
    assert before is not None and before == after, \
        f"totals unchanged by the refused event: cost {before and before.get('cost_nano_usd')} → {after and after.get('cost_nano_usd')}"
    answer = env.http.request("POST", "/v1/tenants/acme/usage", event(2))
    assert answer.status == 422 and answer.error_code() == "overflow", f"retrying it → 422 overflow again (not duplicate): {answer}"


def test_d_tenant_total_of_1100_giant_users_stays_bounded_and_reports_exact(env):
    # 1,100 users of 9e15 nano-USD each: the tenant's total is bounded like a user's, so exactly one is
    # recorded, the others are refused per item (422 overflow), and the report never overflows.
    statuses, recorded, overflowed = set(), 0, 0
    for start in (0, 550):
        events = [{"user": f"giant-{n}", "event_id": "g", "model": "giant-model", "usage": {"output_tokens": 1_000_000_000}}
                  for n in range(start, start + 550)]
        answer = env.admin.request("POST", "/v1/tenants/big/usage/batch", {"events": events}, timeout=120)
        statuses.add(answer.status)
        results = answer.json().get("results", [])
        recorded += sum(1 for item in results if item.get("recorded") is True)
        overflowed += sum(1 for item in results if (item.get("error") or {}).get("code") == "overflow")
    assert recorded == 1 and overflowed == 1099, \
        f"one recorded, 1,099 refused as overflow: batches {statuses}, recorded {recorded}, overflow {overflowed}"
    answer = env.admin.request("GET", "/v1/tenants/big/reports/usage", timeout=120)
    report = answer.json()
    cost = (report.get("totals") or {}).get("cost_nano_usd")
    rows = sum((row.get("totals") or {}).get("cost_nano_usd", 0) for row in report.get("users", []))
    assert answer.status == 200 and isinstance(cost, int) and 0 < cost <= 2**53 and cost == rows, \
        f"the report's total is the bounded tenant total and the sum of its rows: report {answer.status}, cost {cost}, rows {rows}"
    status = env.admin.request("GET", "/v1/tenants/big/reports/usage?format=csv", timeout=120).status
    assert status < 500 and env.quotad.running(), f"the CSV report does not fail with a 5xx and quotad is still running: csv {status}"


# ---- e

def test_e_short_body_closed_within_read_timeout_others_served(env):
    lying = (f"POST /v1/tenants/acme/usage HTTP/1.1\r\nHost: q\r\nAuthorization: Bearer {env.key}\r\n"
             "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n").encode() + b'{"user":"x'
    served = {}
    helper = threading.Thread(target=lambda: served.update(status=env.http.request("GET", "/healthz", key="", timeout=5).status))
    limit = READ_TIMEOUT_S + 2
    result = {}
    waiter = threading.Thread(target=lambda: result.update(r=raw_exchange(env.port, lying, limit + 1)))
    waiter.start()
    helper.start()
    helper.join(10)
    waiter.join(limit + 5)
    received, closed_after = result.get("r", (b"", None))
    status, _, body = parse_raw(received)
    assert closed_after is not None and closed_after <= limit, \
        f"a body shorter than its Content-Length: closed after {closed_after if closed_after is None else round(closed_after, 2)} s " \
        f"(limit read timeout + 2 s), answer {status} {body[:100]!r}"
    assert served.get("status") == 200, f"others are served meanwhile: {served}"


def test_e_idle_keep_alive_closed_within_idle_timeout(env):
    request = b"GET /healthz HTTP/1.1\r\nHost: q\r\nConnection: keep-alive\r\n\r\n"
    limit = IDLE_TIMEOUT_S + 2
    received, closed_after = raw_exchange(env.port, request, limit + 1)
    status, _, _ = parse_raw(received)
    assert status == 200 and closed_after is not None and closed_after <= limit, \
        f"answer {status}, closed after {closed_after if closed_after is None else round(closed_after, 2)} s (limit idle timeout + 2 s)"


# ---- f

@pytest.mark.parametrize("payload", [
    pytest.param(b"GET /v1/tenants/\xff\xfe/keys HTTP/1.1\r\nHost: q\r\n\r\n", id="invalid-utf8-path"),
    pytest.param(b"GET /healthz HTTP/1.1\r\nHost: q\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n", id="100KB-header"),
    pytest.param(b"POST /v1/tenants/acme/usage HTTP/1.1\r\nHost: q\r\nContent-Length: 5\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", id="content-length-and-transfer-encoding"),
])
def test_f_protocol_errors_are_4xx_or_closed_never_5xx(env, payload):
    received, closed_after = raw_exchange(env.port, payload, 5)
    status, headers, body = parse_raw(received)
    answered = status is not None and 400 <= status < 500
    detail = (f"status {status}, JSON error {body_error_code(body) is not None}, X-Request-Id {'x-request-id' in headers}, "
              f"closed after {None if closed_after is None else round(closed_after, 2)} s")
    assert (answered or (status is None and closed_after is not None)) and not (status and status >= 500), \
        "a 4xx or a closed connection within 5 s, never 5xx: " + detail
    assert env.quotad.running(), "quotad is still running"


# ---- g

def usage_event(n):
    return {"user": "fs", "event_id": f"fs-{n}", "model": "gpt-4o", "usage": {"input_tokens": 3}}


RESERVE = {"user": "fs", "model": "gpt-4o", "input_tokens": 5, "max_output_tokens": 5, "ttl_seconds": 30}
PATHS = [("usage", "/v1/tenants/acme/usage", usage_event), ("reservation", "/v1/tenants/acme/reservations", lambda n: RESERVE)]


def assert_recovered(env, n):
    status = env.http.request("POST", "/v1/tenants/acme/usage", usage_event(n)).status
    reserved = env.http.request("POST", "/v1/tenants/acme/reservations", RESERVE).status
    assert status == 200 and reserved == 201, f"after the reset, usage and reservations work again: usage {status}, reserve {reserved}"


def assert_no_redis_text(bodies):
    leaked = [d[:160] for d in bodies if FORBIDDEN_TEXT.search(d.decode("utf-8", "replace"))]
    assert not leaked, f"no body contains OOM, READONLY, NOSCRIPT, ERR or a script SHA: {leaked[:2]}"


def test_g_redis_out_of_memory_is_507_with_retry_after(env):
    rp, answers = env.redis, []
    try:
        rp.cli("CONFIG", "SET", "maxmemory-policy", "noeviction")
        rp.cli("CONFIG", "SET", "maxmemory", "1")
        answers = [(label, env.http.request("POST", path, body(1))) for label, path, body in PATHS]
    finally:
        rp.cli("CONFIG", "SET", "maxmemory", "0")
    for label, answer in answers:
        assert answer.status == 507 and answer.error_code() == "insufficient_storage" and "retry-after" in answer.headers, \
            f"Redis out of memory, {label} path → 507 insufficient_storage with Retry-After: {answer}"
    assert_no_redis_text([answer.body for _, answer in answers])
    assert_recovered(env, 3)


def test_g_redis_read_only_is_503_with_retry_after_and_fail_open_grants(env):
    rp, answers = env.redis, []
    try:
        rp.cli("REPLICAOF", "127.0.0.1", str(free_port()))
        answers = [(label, env.http.request("POST", path, body(2))) for label, path, body in PATHS]
        fail_open = Client(env.failopen.port, env.key, keep_alive=False).request("POST", "/v1/tenants/acme/reservations", RESERVE)
    finally:
        rp.cli("REPLICAOF", "NO", "ONE")
    for label, answer in answers:
        assert answer.status == 503 and answer.error_code() == "redis_unavailable" and "retry-after" in answer.headers, \
            f"Redis read-only, {label} path → 503 redis_unavailable with Retry-After: {answer}"
    assert 200 <= fail_open.status < 300, f"with reservations.fail_open, a reservation during READONLY is granted: {fail_open}"
    assert_no_redis_text([answer.body for _, answer in answers])
    assert_recovered(env, 4)


# ---- h

def unpriced_event(user, n):
    return {"user": user, "event_id": f"up-{n}", "model": "my-private-model", "usage": {"input_tokens": 10}}


def test_h_unpriced_model_under_a_cost_limit_is_422(env):
    env.http.request("PUT", "/v1/tenants/acme/users/costly/quota", {"limits": {"cost_usd": "100"}})
    answer = env.http.request("POST", "/v1/tenants/acme/usage", unpriced_event("costly", 1))
    assert answer.status == 422 and answer.error_code() == "unpriced_model" and b"my-private-model" in answer.body, \
        f"usage → 422 unpriced_model naming the model: {answer}"
    answer = env.http.request("POST", "/v1/tenants/acme/reservations",
                              {"user": "costly", "model": "my-private-model", "input_tokens": 10, "max_output_tokens": 10})
    assert answer.status == 422 and answer.error_code() == "unpriced_model" and b"my-private-model" in answer.body, \
        f"reservation likewise → 422 unpriced_model: {answer}"


def test_h_unpriced_model_without_a_cost_limit_is_recorded(env):
    answer = env.http.request("POST", "/v1/tenants/acme/usage", unpriced_event("nolimit", 2))
    assert answer.status == 200 and answer.json().get("recorded") is True, repr(answer)


def test_h_unpriced_models_allow_records(env):
    env.http.request("PUT", "/v1/tenants/acme/users/costly/quota", {"limits": {"cost_usd": "100"}})
    allow = env.launcher.quotad(env.redis, QUOTAD_PRICING_UNPRICED_MODELS="allow", QUOTAD_QUOTA_CACHE_MS=0)
    answer = Client(allow.port, env.key, keep_alive=False).request("POST", "/v1/tenants/acme/usage", unpriced_event("costly", 3))
    assert answer.status == 200, f"with pricing.unpriced_models=allow → 200: {answer}"


# ---- i

def resets_at(body):
    for holder in (body, body.get("limit") or {}, body.get("error") or {}):
        if isinstance(holder, dict) and isinstance(holder.get("resets_at"), str):
            return holder["resets_at"]
    return None


def reserve_tokens(env, user, tokens):
    return env.http.request("POST", "/v1/tenants/acme/reservations",
                            {"user": user, "model": "gpt-4o", "input_tokens": tokens, "max_output_tokens": 0, "ttl_seconds": 60})


def test_i_held_reservations_429_with_retry_after_and_resets_at(env):
    env.http.request("PUT", "/v1/tenants/acme/users/lim-r/quota", {"limits": {"tokens": 1000}})
    first = reserve_tokens(env, "lim-r", 900).status
    answer = reserve_tokens(env, "lim-r", 200)
    retry = int(answer.headers.get("retry-after", "-1"))
    assert first == 201 and answer.status == 429 and 0 < retry <= 60, \
        f"held reservations in the way → 429 with Retry-After ≤ 60: reserve {first}, then {answer.status}, Retry-After {retry}"
    stamp = resets_at(answer.json())
    valid = False
    if stamp:
        try:
            datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            valid = True
        except ValueError:
            pass
    assert valid, f"the 429 body has resets_at (ISO 8601): {stamp!r}"


def test_i_used_up_limit_429_retry_after_is_the_cycle_end(env):
    env.http.request("PUT", "/v1/tenants/acme/users/lim-u/quota", {"limits": {"tokens": 1000}})
    env.http.request("POST", "/v1/tenants/acme/usage", {"user": "lim-u", "event_id": "u1", "model": "gpt-4o", "usage": {"input_tokens": 1000}})
    answer = reserve_tokens(env, "lim-u", 1)
    retry = int(answer.headers.get("retry-after", "-1"))
    stamp = resets_at(answer.json())
    to_end = None
    if stamp:
        try:
            to_end = (datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        except ValueError:
            pass
    assert answer.status == 429 and retry > 60 and (to_end is None or abs(to_end - retry) <= 5), \
        f"limit used up → 429 with Retry-After = seconds to the cycle's end (> 60): {answer.status}, Retry-After {retry}, resets in {to_end}"


# ---- j

def test_j_csv_report_columns_and_exact_dollar_sums(env):
    for n, (user, model, tokens) in enumerate([("ann", "gpt-4o", 1234), ("ann", "claude-sonnet-4-5", 999), ("bob", "gpt-4o-mini", 77777)]):
        env.admin.request("POST", "/v1/tenants/csvt/usage",
                          {"user": user, "event_id": f"c{n}", "model": model, "usage": {"input_tokens": tokens, "output_tokens": tokens // 3}})
    answer = env.admin.request("GET", "/v1/tenants/csvt/reports/usage?format=csv")
    rows = list(csv.DictReader(io.StringIO(answer.body.decode("utf-8", "replace"))))
    columns = set(rows[0].keys()) if rows else set()
    wanted = {"row_type", "tenant", "cycle", "cost_usd", "cache_write_1h_tokens", "estimated_requests", "total_tokens"}
    assert answer.status == 200 and wanted <= columns, f"CSV columns: {answer.status}, missing {sorted(wanted - columns)}"
    users = [r for r in rows if r["row_type"] == "user"]
    totals = [r for r in rows if r["row_type"] == "total"]
    try:
        summed = sum(decimal.Decimal(r["cost_usd"]) for r in users)
    except decimal.InvalidOperation as error:
        pytest.fail(f"cost_usd is an exact decimal: {error!r}")
    assert len(users) == 2 and len(totals) == 1 and summed == decimal.Decimal(totals[0]["cost_usd"]) and summed > 0, \
        f"cost_usd of the user rows adds up exactly to the total row: {len(users)} user rows, sum {summed}, " \
        f"total {totals[0]['cost_usd'] if totals else None}"
    nano = (env.admin.request("GET", "/v1/tenants/csvt/reports/usage").json().get("totals") or {}).get("cost_nano_usd")
    assert nano is not None and decimal.Decimal(totals[0]["cost_usd"]) * 1_000_000_000 == nano, \
        f"the total row's cost_usd equals the JSON report's cost_nano_usd exactly: {totals[0]['cost_usd']} vs {nano}"


# ---- k

@pytest.fixture
def metrics(env):
    env.http.request("POST", "/v1/tenants/acme/usage", {"user": "m", "event_id": "m1", "model": "zz-unknown-model-123", "usage": {"input_tokens": 1}})
    answer = env.http.request("GET", "/metrics", key="")
    text = answer.body.decode("utf-8", "replace")
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)", text, re.M))

    def family(name):
        for suffix in ("", "_total", "_bucket", "_sum", "_count", "_created"):
            if name.endswith(suffix) and name[: len(name) - len(suffix)] in types:
                return name[: len(name) - len(suffix)]
        return name
    return dict(status=answer.status, text=text, helps=set(re.findall(r"^# HELP (\S+)", text, re.M)), types=types,
                samples=re.findall(r"^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)", text, re.M), family=family)


def test_k_every_metric_family_has_help(metrics):
    missing = sorted({metrics["family"](n) for n, _, _ in metrics["samples"]} - metrics["helps"])
    assert metrics["status"] == 200 and metrics["samples"] and not missing, f"without HELP: {missing[:5]}"


def test_k_unknown_model_is_not_a_label_value(metrics):
    assert 'model="zz-unknown-model-123"' not in metrics["text"]


def test_k_process_metrics_present(metrics):
    names = {n for n, _, _ in metrics["samples"]}
    assert {"process_resident_memory_bytes", "process_cpu_seconds_total"} <= names


def test_k_no_negative_counter(metrics):
    negative = [f"{n}{l} {v}" for n, l, v in metrics["samples"]
                if metrics["types"].get(metrics["family"](n)) == "counter" and v.lstrip().startswith("-")]
    assert not negative, str(negative[:3])


# ---- l

def test_l_commit_with_usage_estimate(env):
    answer = env.http.request("POST", "/v1/tenants/acme/reservations",
                              {"user": "est", "model": "gpt-4o", "input_tokens": 10, "max_output_tokens": 10})
    rid = answer.json().get("reservation_id")
    answer = env.http.request("POST", f"/v1/tenants/acme/reservations/{rid}/commit",
                              {"usage": "estimate", "messages": [{"role": "user", "content": "hello world"}], "output_text": "hi"})
    body = answer.json()
    assert answer.status == 200 and body.get("recorded") is True and body.get("source") == "estimated", \
        f"commit with usage estimate → recorded, source estimated: {answer.status} model {body.get('model')}, priced {body.get('priced')}, usage {body.get('usage')}"
    usage = env.http.request("GET", "/v1/tenants/acme/users/est/usage").json()
    assert usage.get("totals", {}).get("estimated_requests") == 1, f"totals estimated_requests = 1: {usage.get('totals')}"
    assert usage.get("reserved", {}).get("tokens") == 0, f"the commit settled the reservation: {usage.get('reserved')}"


def test_quotad_still_running_at_the_end(env):
    assert env.quotad.running()
