#!/usr/bin/env python3
"""A client generated from the live OpenAPI document drives quotad (the release binary).

1. `openapi-python-client` (PyPI, pinned) generates a package from GET /openapi.yaml of a running quotad
   with no warning and no error: every operation is generated, every request body typed.
2. The generated package imports, and its modules compile.
3. A smoke flow through the generated functions, each answer parsed into its generated model: an admin
   creates a tenant key and a user quota; the tenant reserves (typed `ReserveResponse201`), commits an
   OpenAI fixture body, records one event and a batch, is refused with a typed 429 over the limit, releases
   a reservation, reads the user's usage (totals equal the fixture's counts), the tenant report and the
   event stream; a retried event id is a duplicate.
Loopback only; stops what it starts. Ends with `N passed, M failed`.
"""
import importlib, json, os, subprocess, sys, tempfile, urllib.request

from harness import ROOT, check, free_port, start_quotad, start_redis, stop, summary

ADMIN = "generated-client-admin-key-0123456789"
CONFIG = os.path.join(ROOT, "scripts", "openapi-python-client.yaml")
FIXTURES = os.path.join(ROOT, "..", "shared", "fixtures", "provider_payloads.json")


def fixture(name):
    with open(FIXTURES) as f:
        return next(item for item in json.load(f) if item["id"] == name)


def generate(port, directory):
    """Generates the client into `directory` from the live document; returns (ok, output)."""
    spec = os.path.join(directory, "openapi.yaml")
    urllib.request.urlretrieve(f"http://127.0.0.1:{port}/openapi.yaml", spec)
    result = subprocess.run(["openapi-python-client", "generate", "--path", spec, "--config", CONFIG,
                             "--meta", "none", "--output-path", os.path.join(directory, "quotad_generated")],
                            capture_output=True, text=True, timeout=300, cwd=directory)
    output = result.stdout + result.stderr
    return result.returncode == 0 and "Warning" not in output and "Error" not in output, output


def smoke(port, package):
    api = lambda name: importlib.import_module(f"quotad_generated.api.{name}")
    models = importlib.import_module("quotad_generated.models")
    client_module = importlib.import_module("quotad_generated.client")
    base = f"http://127.0.0.1:{port}"
    admin = client_module.AuthenticatedClient(base_url=base, token=ADMIN, raise_on_unexpected_status=True)
    tenant = "gen-acme"

    created = api("keys.create_key").sync_detailed(tenant, client=admin, body=models.CreateKeyBody())
    check("createKey answers 201 with a typed CreateKeyResponse201", created.status_code == 201
          and isinstance(created.parsed, models.CreateKeyResponse201), f"{created.status_code} {created.content[:200]!r}")
    key = created.parsed.key
    quota = api("quota.put_user_quota").sync_detailed(
        tenant, "alice", client=admin,
        body=models.QuotaInput(limits=models.QuotaInputLimits(tokens=1_000, cost_usd="5.00")))
    check("putUserQuota answers 200 with a typed Quota", quota.status_code == 200 and isinstance(quota.parsed, models.Quota),
          f"{quota.status_code} {quota.content[:200]!r}")
    tenant_client = client_module.AuthenticatedClient(base_url=base, token=key, raise_on_unexpected_status=True)

    openai = fixture("openai_chat_nonstream_no_prompt_details")
    reserved = api("reservations.reserve").sync_detailed(
        tenant, client=tenant_client,
        body=models.ReserveBody(user="alice", model="gpt-4o", input_tokens=20, max_output_tokens=40))
    check("reserve answers 201 with a typed ReserveResponse201", reserved.status_code == 201
          and isinstance(reserved.parsed, models.ReserveResponse201), f"{reserved.status_code} {reserved.content[:200]!r}")
    committed = api("reservations.commit_reservation").sync_detailed(
        tenant, reserved.parsed.reservation_id, client=tenant_client,
        body=models.UsageRequest(user="alice", event_id="gen-call-1", response=openai["body"]))
    check("commitReservation answers 200 with a typed UsageResponse", committed.status_code == 200
          and isinstance(committed.parsed, models.UsageResponse) and committed.parsed.recorded,
          f"{committed.status_code} {committed.content[:200]!r}")

    counts = models.TokenUsage(input_tokens=100, output_tokens=50)
    recorded = api("usage.record_usage").sync_detailed(
        tenant, client=tenant_client,
        body=models.UsageEventRequest(user="alice", event_id="gen-call-2", model="gpt-4o-mini", usage=counts))
    check("recordUsage answers 200 with a typed UsageResponse", recorded.status_code == 200
          and isinstance(recorded.parsed, models.UsageResponse) and recorded.parsed.recorded,
          f"{recorded.status_code} {recorded.content[:200]!r}")
    again = api("usage.record_usage").sync_detailed(
        tenant, client=tenant_client,
        body=models.UsageEventRequest(user="alice", event_id="gen-call-2", model="gpt-4o-mini", usage=counts))
    check("a retried event id is answered as a duplicate", again.status_code == 200 and again.parsed.recorded is False,
          f"{again.status_code} {again.content[:200]!r}")
    batch = api("usage.record_usage_batch").sync_detailed(
        tenant, client=tenant_client,
        body=models.RecordUsageBatchBody(events=[
            models.UsageEventRequest(user="bob", event_id=f"gen-batch-{i}", model="gpt-4o-mini",
                                     usage=models.TokenUsage(input_tokens=10, output_tokens=5)) for i in range(3)]))
    check("recordUsageBatch answers 200 with three typed results", batch.status_code == 200
          and len(batch.parsed.results) == 3 and all(isinstance(r, models.UsageResponse) for r in batch.parsed.results),
          f"{batch.status_code} {batch.content[:300]!r}")

    refused = api("reservations.reserve").sync_detailed(
        tenant, client=tenant_client,
        body=models.ReserveBody(user="alice", model="gpt-4o", input_tokens=5_000, max_output_tokens=1))
    check("a reservation over the limit is a typed 429 naming the level", refused.status_code == 429
          and isinstance(refused.parsed, models.ReserveResponse429) and str(refused.parsed.error.level) == "user",
          f"{refused.status_code} {refused.content[:300]!r}")
    held = api("reservations.reserve").sync_detailed(
        tenant, client=tenant_client,
        body=models.ReserveBody(user="alice", model="gpt-4o", input_tokens=10, max_output_tokens=10))
    released = api("reservations.release_reservation").sync_detailed(
        tenant, held.parsed.reservation_id, client=tenant_client)
    check("releaseReservation answers 204", released.status_code == 204, f"{released.status_code}")

    usage = api("usage.get_user_usage").sync_detailed(tenant, "alice", client=tenant_client)
    expected = openai["expected"]
    totals = usage.parsed.totals if isinstance(usage.parsed, models.UserUsage) else None
    check("getUserUsage totals equal the fixture's counts plus the recorded event",
          totals is not None and totals.input_tokens == expected["input_tokens"] + 100
          and totals.output_tokens == expected["output_tokens"] + 50 and totals.requests == 2
          and usage.parsed.reserved.tokens == 0,
          f"{usage.status_code} {usage.content[:300]!r}")
    report = api("reports.usage_report").sync_detailed(tenant, client=tenant_client)
    users = {row.user: row for row in report.parsed.users} if report.status_code == 200 else {}
    check("usageReport lists both users", set(users) == {"alice", "bob"}, f"{report.status_code} {report.content[:300]!r}")
    events = api("usage.list_events").sync_detailed(tenant, client=tenant_client, limit=100)
    lines = [json.loads(line) for line in events.content.decode().splitlines() if line.strip()]
    check("listEvents returns the five recorded events as NDJSON with a Next-Cursor",
          events.status_code == 200 and len(lines) == 5 and "next-cursor" in {k.lower() for k in events.headers},
          f"{events.status_code} {len(lines)} lines")
    health = api("system.health").sync_detailed(client=admin)
    check("health answers 200", health.status_code == 200, f"{health.status_code}")


def main():
    work = tempfile.mkdtemp(prefix="quotad-genclient-")
    redis_port, http_port = free_port(), free_port()
    redis = quotad = None
    try:
        redis = start_redis(redis_port, work)
        quotad = start_quotad(http_port, redis_port, ADMIN)
        ok, output = generate(http_port, work)
        check("openapi-python-client generates the client with no warning", ok, output.strip()[-2000:])
        package = os.path.join(work, "quotad_generated")
        if ok:
            sys.path.insert(0, work)
            compiled = subprocess.run([sys.executable, "-m", "compileall", "-q", package], capture_output=True, text=True)
            check("the generated modules compile", compiled.returncode == 0, compiled.stdout[-500:])
            try:
                importlib.import_module("quotad_generated")
                importlib.import_module("quotad_generated.models")
                check("the generated package imports", True)
                smoke(http_port, package)
            except Exception as error:  # noqa: BLE001 - reported as a failure
                check("the smoke flow runs through the generated client", False, repr(error))
    finally:
        stop(quotad)
        stop(redis)
        subprocess.run(["rm", "-rf", work])
    return summary()


if __name__ == "__main__":
    sys.exit(main())
