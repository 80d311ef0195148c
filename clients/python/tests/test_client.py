"""The synchronous client against a real quotad: one test per promise of the SDK."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest

import quotad
from conftest import Fixture, Server, Tenant

COUNTS = ("input_tokens", "output_tokens", "cached_input_tokens", "cache_write_tokens", "reasoning_tokens")


def _usage_counts(usage: quotad.TokenUsage | quotad.Totals) -> dict[str, int]:
    return {name: getattr(usage, name) for name in COUNTS}


# --- recording --------------------------------------------------------------------------------------

def test_record_fixture_bodies_counts_exactly(client: quotad.Client, fixtures: list[Fixture]) -> None:
    assert len(fixtures) >= 8
    sums = dict.fromkeys(COUNTS, 0)
    cost = 0
    for index, fixture in enumerate(fixtures):
        result = client.record("alice@example.com", response=fixture.body, provider=fixture.provider,
                               latency_ms=100 + index)
        assert result.recorded, fixture.id
        assert result.usage is not None
        assert _usage_counts(result.usage) == fixture.expected, fixture.id
        if "cache_write_1h_tokens" in fixture.expected_extra:
            assert result.usage.cache_write_1h_tokens == fixture.expected_extra["cache_write_1h_tokens"]
        assert uuid.UUID(result.event_id).version == 4
        assert result.cost_usd == Decimal(result.cost_nano_usd).scaleb(-9)
        for name in COUNTS:
            sums[name] += fixture.expected[name]
        cost += result.cost_nano_usd
    usage = client.get_user_usage("alice@example.com")
    assert usage.user == "alice@example.com"
    assert _usage_counts(usage.totals) == sums
    assert usage.totals.requests == len(fixtures)
    assert usage.totals.total_tokens == sums["input_tokens"] + sums["output_tokens"]
    assert usage.totals.cost_nano_usd == cost
    assert isinstance(usage.cycle.start if usage.cycle else None, datetime)
    tenant_level = usage.level("tenant")
    assert tenant_level is not None and tenant_level.totals == usage.totals
    report = client.report()
    assert isinstance(report, quotad.Report)
    assert report.user("alice@example.com") == usage.totals
    assert report.totals == usage.totals


def test_record_cost_matches_reference_price(client: quotad.Client, fixture_by_id: dict[str, Fixture],
                                             pricing: dict[str, Any]) -> None:
    fixture = fixture_by_id["openai_chat_nonstream_no_prompt_details"]
    price = pricing["gpt-4o"]
    expected = (Decimal(fixture.expected["input_tokens"]) * Decimal(str(price["input"]))
                + Decimal(fixture.expected["output_tokens"]) * Decimal(str(price["output"]))) / 1_000_000
    result = client.record("bob", response=fixture.body, provider="openai")
    assert result.cost_usd == expected
    assert result.cost_nano_usd == 405_000
    totals = client.get_user_usage("bob").totals
    assert totals.cost_usd == expected and totals.cost_nano_usd == 405_000


def test_record_canonical_usage_and_minimal(client: quotad.Client) -> None:
    usage = quotad.TokenUsage(input_tokens=1000, cached_input_tokens=200, output_tokens=50, reasoning_tokens=10)
    full = client.record("carol", usage=usage, model="gpt-4o")
    assert full.usage == usage and full.totals is not None and full.totals.total_tokens == 1050
    minimal = client.record("carol", usage={"input_tokens": 1, "output_tokens": 1}, model="gpt-4o", minimal=True)
    assert minimal.recorded and minimal.totals is None and minimal.cost_nano_usd > 0


def test_duplicate_event_id_counts_once(client: quotad.Client, fixture_by_id: dict[str, Fixture]) -> None:
    fixture = fixture_by_id["anthropic_messages_nonstream_cache_creation_object"]
    first = client.record("dave", response=fixture.body, provider="anthropic", event_id="call-1")
    again = client.record("dave", response=fixture.body, provider="anthropic", event_id="call-1")
    assert first.recorded and not again.recorded and again.reason == "duplicate" and again.duplicate
    totals = client.get_user_usage("dave").totals
    assert totals.requests == 1 and totals.input_tokens == fixture.expected["input_tokens"]


class LoseFirstResponse(httpx.BaseTransport):
    """Sends every request to quotad, but drops the answer of the first one (as a reset connection would)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.bodies: list[bytes] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(request.read())
        response = self.inner.handle_request(request)
        if len(self.bodies) == 1:
            response.read()
            response.close()
            raise httpx.ReadError("connection reset after the request was sent", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_retry_after_lost_answer_counts_once(server: Server, tenant: Tenant,
                                             fixture_by_id: dict[str, Fixture]) -> None:
    fixture = fixture_by_id["openai_chat_nonstream_no_prompt_details"]
    transport = LoseFirstResponse()
    with quotad.Client(server.url, tenant.key, tenant.name, retries=3, backoff=0.01, transport=transport) as c:
        result = c.record("erin", response=fixture.body, provider="openai")
        assert len(transport.bodies) == 2
        sent = [json.loads(body)["event_id"] for body in transport.bodies]
        assert sent[0] == sent[1] == result.event_id   # the id was made before the first attempt
        assert not result.recorded and result.reason == "duplicate"   # the first attempt had counted
        totals = c.get_user_usage("erin").totals
    assert totals.requests == 1
    assert totals.input_tokens == 14 and totals.output_tokens == 37


class Fail503First(httpx.BaseTransport):
    """Answers the first request with 503 redis_unavailable (not forwarded), forwards the rest."""

    def __init__(self, status: int = 503, code: str = "redis_unavailable") -> None:
        self.inner = httpx.HTTPTransport()
        self.status, self.code, self.calls = status, code, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls == 1:
            return httpx.Response(self.status, headers={"Retry-After": "0"},
                                  json={"error": {"code": self.code, "message": "simulated"}})
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_503_is_retried_other_errors_are_not(server: Server, tenant: Tenant) -> None:
    transport = Fail503First()
    with quotad.Client(server.url, tenant.key, tenant.name, retries=2, backoff=0.01, transport=transport) as c:
        assert c.record("frank", usage={"input_tokens": 5}, model="gpt-4o").recorded
        assert transport.calls == 2
    storage = Fail503First(507, "insufficient_storage")
    with quotad.Client(server.url, tenant.key, tenant.name, retries=2, backoff=0.01, transport=storage) as c:
        with pytest.raises(quotad.InsufficientStorage) as caught:
            c.record("frank", usage={"input_tokens": 5}, model="gpt-4o")
        assert storage.calls == 1 and caught.value.retry_after == 0
        assert isinstance(caught.value, quotad.QuotadError)


def test_connection_refused_is_retried_then_raised() -> None:
    from conftest import free_port

    port = free_port()   # nothing listens there
    attempts: list[httpx.Request] = []
    with quotad.Client(f"http://127.0.0.1:{port}", "k", "t", retries=2, backoff=0.01, timeout=2) as c:
        c._http.event_hooks["request"] = [attempts.append]
        with pytest.raises(quotad.QuotadConnectionError):
            c.record("gina", usage={"input_tokens": 1})
    assert len(attempts) == 3


def test_batch_results_in_order_with_item_errors(client: quotad.Client, fixtures: list[Fixture]) -> None:
    events = [quotad.UsageEvent(user="hank", response=f.body, provider=f.provider) for f in fixtures[:3]]
    events.append(quotad.UsageEvent(user="hank", usage={"input_tokens": -1}, model="gpt-4o"))
    events.append(quotad.UsageEvent(user="hank", response=fixtures[0].body, event_id=events[0].event_id))
    results = client.record_batch(events)
    assert len(results) == 5
    for fixture, result in zip(fixtures[:3], results[:3]):
        assert isinstance(result, quotad.UsageResult) and result.usage is not None
        assert _usage_counts(result.usage) == fixture.expected
    assert isinstance(results[3], quotad.ItemError) and results[3].status == 400
    assert results[3].event_id == events[3].event_id
    assert isinstance(results[4], quotad.UsageResult) and results[4].duplicate
    assert client.get_user_usage("hank").totals.requests == 3


# --- reservations -----------------------------------------------------------------------------------

def test_reserve_over_limit_raises_quota_exceeded(client: quotad.Client, tenant_admin: quotad.Client) -> None:
    tenant_admin.put_quota("user", "ivy", tokens=1000, cost_usd="1.50")
    with pytest.raises(quotad.QuotaExceeded) as caught:
        client.reserve("ivy", "gpt-4o", input_tokens=900, max_output_tokens=800)
    error = caught.value
    assert error.status == 429 and error.code == "quota_exceeded"
    assert error.level == "user" and error.limit == "tokens"
    assert (error.limit_value, error.used, error.reserved, error.requested, error.remaining) == (1000, 0, 0, 1700, 1000)
    assert error.retry_after is None and error.retry_at is None and not error.can_ever_fit
    assert isinstance(error.resets_at, datetime) and error.resets_at > datetime.now(timezone.utc)
    assert error.rate_limit_policy and "user-tokens" in error.rate_limit_policy


def test_reserve_over_window_has_retry_after(client: quotad.Client, tenant_admin: quotad.Client) -> None:
    tenant_admin.put_quota("user", "jack", rate={"requests_per_minute": 1})
    held = client.reserve("jack", "gpt-4o", input_tokens=10, max_output_tokens=10)
    assert held.reservation_id.startswith("res:jack:") and held.tokens == 20 and held.cost_nano_usd > 0
    assert held.expires_at is not None and held.expires_at > datetime.now(timezone.utc)
    with pytest.raises(quotad.QuotaExceeded) as caught:
        client.reserve("jack", "gpt-4o", input_tokens=10, max_output_tokens=10)
    error = caught.value
    assert error.level == "user" and error.limit == "requests_per_minute" and error.window_seconds == 60
    assert error.retry_after is not None and 1 <= error.retry_after <= 61   # whole seconds, rounded up
    assert isinstance(error.retry_at, datetime) and isinstance(error.resets_at, datetime)
    client.release(held.reservation_id)


def test_reserve_commit_release_by_hand(client: quotad.Client, tenant_admin: quotad.Client,
                                        fixture_by_id: dict[str, Fixture]) -> None:
    tenant_admin.put_quota("user", "kate", tokens=100_000)
    fixture = fixture_by_id["gemini_generate_content_thoughts_doc"]
    held = client.reserve("kate", "gemini-3-flash-preview", input_tokens=100, max_output_tokens=1000)
    assert client.get_user_usage("kate").reserved.tokens == held.tokens == 1100
    result = client.commit(held.reservation_id, response=fixture.body, provider="google_gemini")
    assert result.recorded and result.event_id == held.reservation_id
    assert result.usage is not None and _usage_counts(result.usage) == fixture.expected
    retried = client.commit(held.reservation_id, response=fixture.body, provider="google_gemini")
    assert retried.duplicate
    after = client.get_user_usage("kate")
    assert after.reserved.tokens == 0 and after.totals.requests == 1
    assert after.remaining.tokens == 100_000 - fixture.expected["input_tokens"] - fixture.expected["output_tokens"]
    second = client.reserve("kate", "gpt-4o", input_tokens=10, max_output_tokens=10)
    client.release(second.reservation_id)
    assert client.get_user_usage("kate").reserved.tokens == 0


def test_reservation_context_commits_on_success(client: quotad.Client, tenant_admin: quotad.Client,
                                                fixture_by_id: dict[str, Fixture]) -> None:
    tenant_admin.put_quota("user", "liam", tokens=10_000)
    fixture = fixture_by_id["openai_chat_nonstream_no_prompt_details"]
    with client.reservation("liam", "gpt-4o", messages=[{"role": "user", "content": "weather in SF?"}],
                            max_output_tokens=500) as r:
        assert r.reservation is not None and r.reservation.tokens > 500
        assert client.get_user_usage("liam").reserved.tokens == r.reservation.tokens
        r.commit(fixture.body)
    assert r.result is not None and r.result.recorded
    usage = client.get_user_usage("liam")
    assert usage.reserved.tokens == 0
    assert _usage_counts(usage.totals) == fixture.expected
    assert usage.remaining.tokens == 10_000 - 51


def test_reservation_context_releases_on_exception(client: quotad.Client, tenant_admin: quotad.Client) -> None:
    tenant_admin.put_quota("user", "mia", tokens=10_000, cost_usd="2")
    before = client.get_user_usage("mia")

    class ProviderDown(Exception):
        pass

    with pytest.raises(ProviderDown):
        with client.reservation("mia", "gpt-4o", input_tokens=2000, max_output_tokens=1000) as r:
            assert client.get_user_usage("mia").remaining.tokens == 7000
            raise ProviderDown()
    after = client.get_user_usage("mia")
    assert after.reserved.tokens == 0 and after.reserved.cost_nano_usd == 0
    assert after.remaining == before.remaining and after.totals.requests == 0
    with client.reservation("mia", "gpt-4o", input_tokens=2000, max_output_tokens=1000):
        pass   # committed nothing: released
    assert client.get_user_usage("mia").remaining == before.remaining
    with pytest.raises(quotad.NotFound):   # the released reservation is gone
        client.commit(r.reservation_id, usage={"input_tokens": 1})


def test_reservation_context_refuses_before_the_call(client: quotad.Client, tenant_admin: quotad.Client) -> None:
    tenant_admin.put_quota("user", "noah", tokens=100)
    called = []
    with pytest.raises(quotad.QuotaExceeded) as caught:
        with client.reservation("noah", "gpt-4o", input_tokens=50, max_output_tokens=100):
            called.append(True)
    assert not called and caught.value.level == "user" and caught.value.limit == "tokens"


# --- quotas, usage reads, reports -------------------------------------------------------------------

def test_quota_levels_roundtrip(tenant_admin: quotad.Client, tenant: Tenant) -> None:
    user = tenant_admin.put_quota("user", "olga@example.com", tokens=5000, cost_usd=Decimal("12.5"),
                                  rate=quotad.RateLimits(tokens_per_minute=900), anchor_day=15,
                                  timezone="Europe/Berlin", group="research", alert_thresholds=[80, 100])
    assert user.level == "user" and user.source == "user" and user.user == "olga@example.com"
    assert user.limits.tokens == 5000 and user.limits.cost_usd == Decimal("12.5")
    assert user.limits.cost_nano_usd == 12_500_000_000 and user.rate.tokens_per_minute == 900
    assert user.group == "research" and user.anchor_day == 15 and user.timezone == "Europe/Berlin"
    assert user.alert_thresholds == (80, 100) and user.current_cycle is not None
    assert tenant_admin.get_quota("user", "olga@example.com") == user
    group = tenant_admin.put_quota("group", "research", requests=100)
    assert group.level == "group" and group.limits.requests == 100
    whole = tenant_admin.put_quota("tenant", cost_nano_usd=500_000_000_000)
    assert whole.level == "tenant" and whole.limits.cost_usd == Decimal(500)
    default = tenant_admin.put_quota("default", tokens=1000)
    assert default.level == "default" and tenant_admin.get_quota("user", "nobody").source == "tenant_default"
    with pytest.raises(quotad.Conflict):   # her own cycle differs from the default's
        tenant_admin.delete_quota("user", "olga@example.com")
    tenant_admin.put_quota("user", "pia", tokens=10)
    tenant_admin.delete_quota("user", "pia")
    assert tenant_admin.get_quota("user", "pia").source == "tenant_default"
    for level in ("group", "tenant"):
        tenant_admin.delete_quota(level, "research" if level == "group" else None)
        assert tenant_admin.get_quota(level, "research" if level == "group" else None).source == "none"
    tenant_admin.delete_quota("default")
    assert tenant_admin.get_quota("default").limits.tokens is None


def test_group_tenant_daily_usage_and_reset(client: quotad.Client, tenant_admin: quotad.Client) -> None:
    tenant_admin.put_quota("user", "pat", tokens=10_000, group="ops")
    client.record("pat", usage={"input_tokens": 300, "output_tokens": 20}, model="gpt-4o")
    group = client.get_group_usage("ops")
    assert group.level == "group" and group.id == "ops" and group.totals.total_tokens == 320
    whole = client.get_tenant_usage()
    assert whole.level == "tenant" and whole.totals.total_tokens == 320 and "gpt-4o" in whole.models
    daily = client.daily_usage(user="pat")
    assert daily.user == "pat" and len(daily.days) == 30 and daily.days[-1].date == daily.end
    assert sum(day.totals.total_tokens for day in daily.days) == 320
    reset = tenant_admin.reset_user_usage("pat")
    assert reset.user == "pat" and reset.tokens == 320 and reset.by == "admin" and reset.at is not None
    assert client.get_user_usage("pat").totals.total_tokens == 0
    assert client.get_group_usage("ops").totals.total_tokens == 320


def test_report_json_csv_and_dimensions(client: quotad.Client, tenant_admin: quotad.Client) -> None:
    assert tenant_admin.put_dimensions(["team", "feature"]) == ["feature", "team"]
    assert client.get_dimensions() == ["feature", "team"]
    client.record("quinn", usage={"input_tokens": 100, "output_tokens": 10}, model="gpt-4o",
                  metadata={"team": "search", "other": "x"})
    client.record("rita", usage={"input_tokens": 50, "output_tokens": 5}, model="gpt-4o",
                  metadata={"team": "ads"})
    report = client.report()
    assert isinstance(report, quotad.Report)
    assert [row.name for row in report.users] == ["quinn", "rita"]
    assert report.totals.total_tokens == 165 and report.models["gpt-4o"].total_tokens == 165
    by_team = client.report(by="team")
    assert isinstance(by_team, quotad.DimensionReport) and by_team.dimension == "team"
    assert {row.name: row.totals.total_tokens for row in by_team.rows} == {"ads": 55, "search": 110}
    csv_text = client.report_csv()
    lines = csv_text.split("\r\n")
    assert lines[0].startswith("row_type,tenant,cycle,user,group,model,input_tokens")
    assert any(line.startswith("total,") for line in lines)
    events = list(client.events())
    assert events[0].dimensions == {"team": "search"}


def test_events_iterator_follows_cursors(server: Server, tenant: Tenant) -> None:
    pages: list[httpx.Request] = []
    with quotad.Client(server.url, tenant.key, tenant.name) as c:
        ids = [c.record("sam", usage={"input_tokens": i + 1}, model="gpt-4o").event_id for i in range(7)]
        c._http.event_hooks["request"] = [pages.append]
        events = list(c.events(page_size=3))
        assert [e.event_id for e in events] == ids
        assert [e.sequence for e in events] == list(range(1, 8))
        assert [e.usage.input_tokens for e in events] == list(range(1, 8))
        assert len(pages) == 3 + 1 and all(e.recorded_at is not None for e in events)
        assert len({e.cursor for e in events}) == 7
        rest = list(c.events(since=events[4].cursor, page_size=3))
        assert [e.event_id for e in rest] == ids[5:]
        page = c.events_page(since=events[-1].cursor)
        assert page.events == () and page.next_cursor == events[-1].cursor


# --- errors -----------------------------------------------------------------------------------------

def test_typed_errors(server: Server, client: quotad.Client, tenant: Tenant, admin: quotad.Client) -> None:
    with pytest.raises(quotad.InvalidRequest) as bad:
        client.record("a:b@example.com", usage={"input_tokens": 1})   # ":" is a key separator
    assert bad.value.status == 400 and bad.value.code == "invalid_request" and "user" in bad.value.message
    assert bad.value.request_id
    with pytest.raises(quotad.InvalidRequest):
        client.reserve("u", "gpt-4o")   # no input estimate
    with quotad.Client(server.url, "qk_not_a_key", tenant.name, retries=0) as stranger:
        with pytest.raises(quotad.Unauthorized) as unauthorized:
            stranger.get_user_usage("u")
    assert unauthorized.value.status == 401
    with pytest.raises(quotad.Forbidden):
        client.get_user_usage("u", tenant="someone-else")
    with pytest.raises(quotad.Forbidden):
        client.put_quota("user", "u", tokens=1)   # default keys lack quota:write
    with pytest.raises(quotad.NotFound) as missing:
        client.release("res:u:never-reserved")
    assert missing.value.code and missing.value.status == 404
    held = client.reserve("u", "gpt-4o", input_tokens=5, max_output_tokens=5, reservation_id="fixed-1")
    with pytest.raises(quotad.Conflict):
        client.commit(held.reservation_id, usage={"input_tokens": 5}, user="someone-else")
    client.commit(held.reservation_id, usage={"input_tokens": 5})
    with pytest.raises(quotad.Conflict):
        client.reserve("u", "gpt-4o", input_tokens=5, max_output_tokens=5, reservation_id="fixed-1")
    for error in (quotad.InvalidRequest, quotad.Unauthorized, quotad.Forbidden, quotad.NotFound,
                  quotad.Conflict, quotad.QuotaExceeded, quotad.ServiceUnavailable):
        assert issubclass(error, quotad.QuotadError)


def test_reserve_retry_answers_the_same_hold(server: Server, tenant: Tenant) -> None:
    transport = LoseFirstResponse()
    with quotad.Client(server.url, tenant.key, tenant.name, retries=2, backoff=0.01, transport=transport) as c:
        held = c.reserve("tom", "gpt-4o", input_tokens=100, max_output_tokens=100)
        assert len(transport.bodies) == 2
        assert c.get_user_usage("tom").reserved.requests == 1   # held once, not twice
        c.release(held.reservation_id)


# --- keys, webhooks, settings, configuration --------------------------------------------------------

def test_keys_webhooks_and_settings(server: Server, admin: quotad.Client, tenant: Tenant) -> None:
    keys = admin.list_keys(tenant=tenant.name)
    assert [k.id for k in keys] == [tenant.key_id] and "quota:write" not in keys[0].scopes
    extra = admin.create_key(scopes=["usage:read"], tenant=tenant.name)
    assert extra.key.startswith("qk_") and extra.scopes == ("usage:read",) and extra.tenant == tenant.name
    with quotad.Client(server.url, extra.key, tenant.name) as reader:
        assert reader.get_user_usage("u").totals.requests == 0
        with pytest.raises(quotad.Forbidden):
            reader.record("u", usage={"input_tokens": 1})
    admin.revoke_key(extra.id, tenant=tenant.name)
    with pytest.raises(quotad.NotFound):
        admin.revoke_key("k_0000000000000000", tenant=tenant.name)
    hook = admin.create_webhook("http://127.0.0.1:9/hook", ["quota.exceeded"], tenant=tenant.name)
    assert hook.id.startswith("wh_") and hook.secret.startswith("whsec_") and hook.created_at is not None
    assert [w.id for w in admin.list_webhooks(tenant=tenant.name)] == [hook.id]
    assert admin.list_deliveries(hook.id, tenant=tenant.name) == []
    admin.delete_webhook(hook.id, tenant=tenant.name)
    assert admin.list_webhooks(tenant=tenant.name) == []
    settings = admin.get_metrics_settings()
    assert settings == quotad.MetricsSettings(enabled=True, token_statistics=True)
    assert admin.update_metrics_settings(enabled=True) == settings
    assert admin.ready() is True


def test_configuration_from_environment(server: Server, tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUOTAD_URL", server.url)
    monkeypatch.setenv("QUOTAD_API_KEY", tenant.key)
    monkeypatch.setenv("QUOTAD_TENANT", tenant.name)
    with quotad.Client() as c:
        assert c.tenant == tenant.name
        assert c.record("uma", usage={"input_tokens": 3}).recorded
    monkeypatch.delenv("QUOTAD_URL")
    with pytest.raises(ValueError):
        quotad.Client()


def test_money_helpers() -> None:
    assert quotad.nano_to_usd(1_500_000_000) == Decimal("1.5")
    assert quotad.usd_to_nano("0.000000001") == 1
    with pytest.raises(ValueError):
        quotad.usd_to_nano("0.0000000001")


def test_unprocessable_and_empty_stream(client: quotad.Client, tenant_admin: quotad.Client) -> None:
    with pytest.raises(quotad.Unprocessable) as caught:
        client.record("vic", response={"id": "x", "object": "chat.completion", "choices": []}, provider="openai")
    assert caught.value.status == 422 and isinstance(caught.value, quotad.InvalidRequest)
    tenant_admin.put_quota("user", "vic", cost_usd="1")
    with pytest.raises(quotad.Unprocessable) as unpriced:
        client.reserve("vic", "no-such-model-xyz", input_tokens=10, max_output_tokens=10)
    assert unpriced.value.code == "unpriced_model"
    assert list(client.events()) == []   # an empty stream ends at once


def test_too_many_reservations(client: quotad.Client) -> None:
    from conftest import MAX_ACTIVE_RESERVATIONS

    held = [client.reserve("walt", "gpt-4o", input_tokens=1, max_output_tokens=1)
            for _ in range(MAX_ACTIVE_RESERVATIONS)]
    with pytest.raises(quotad.TooManyReservations) as caught:
        client.reserve("walt", "gpt-4o", input_tokens=1, max_output_tokens=1)
    assert isinstance(caught.value, quotad.QuotaExceeded) and caught.value.code == "too_many_reservations"
    assert caught.value.retry_after == 1 and caught.value.limit is None
    for reservation in held:
        client.release(reservation.reservation_id)
    client.release(client.reserve("walt", "gpt-4o", input_tokens=1, max_output_tokens=1).reservation_id)


def test_webhook_deliveries_and_retry(admin: quotad.Client, tenant_admin: quotad.Client, client: quotad.Client,
                                      tenant: Tenant) -> None:
    from conftest import free_port, wait_until

    hook = tenant_admin.create_webhook(f"http://127.0.0.1:{free_port()}/nobody-listens", ["quota.threshold"])
    tenant_admin.put_quota("user", "xena", tokens=100, alert_thresholds=[50])
    client.record("xena", usage={"input_tokens": 60}, model="gpt-4o")
    deliveries: list[quotad.Delivery] = []

    def delivered_once() -> bool:
        deliveries[:] = tenant_admin.list_deliveries(hook.id)
        return bool(deliveries) and deliveries[0].attempts >= 1

    wait_until(delivered_once, 15, "a first delivery attempt")
    delivery = deliveries[0]
    assert delivery.webhook_id == hook.id and delivery.type == "quota.threshold"
    assert delivery.status in ("pending", "dead") and delivery.created_at is not None
    assert delivery.message_id.startswith("msg_")
    queued = tenant_admin.retry_delivery(hook.id, delivery.id)
    assert queued.id == delivery.id and queued.status == "pending"
    with pytest.raises(quotad.NotFound):
        tenant_admin.retry_delivery(hook.id, "1-0." + hook.id)
    tenant_admin.delete_webhook(hook.id)


def test_reservation_context_refused_commit_releases(client: quotad.Client, tenant_admin: quotad.Client) -> None:
    tenant_admin.put_quota("user", "yuri", tokens=10_000)
    with pytest.raises(quotad.Unprocessable):
        with client.reservation("yuri", "gpt-4o", input_tokens=100, max_output_tokens=100) as r:
            r.commit({"id": "x", "object": "chat.completion", "choices": []})   # no usage in it
            with pytest.raises(RuntimeError):
                r.commit({"id": "y"})   # at most once
    usage = client.get_user_usage("yuri")
    assert usage.reserved.tokens == 0 and usage.remaining.tokens == 10_000 and r.result is None


def test_user_ids_with_plus_at_space_and_slash_round_trip(client: quotad.Client,
                                                          fixture_by_id: dict[str, Fixture]) -> None:
    user = "ann+test@example.com team/a b"
    body = fixture_by_id["openai_chat_nonstream_no_prompt_details"]
    with client.reservation(user=user, model="gpt-4o", input_tokens=20, max_output_tokens=40) as r:
        assert r.reservation_id.startswith(f"res:{user}:")
        r.commit(body.body)
    usage = client.get_user_usage(user)
    assert usage.user == user and usage.totals.input_tokens == body.expected["input_tokens"]
    assert usage.reserved.tokens == 0
    report = client.report()
    assert isinstance(report, quotad.Report) and report.user(user) == usage.totals
    assert user in client.report_csv()
    assert any(event.user == user for event in client.events())
