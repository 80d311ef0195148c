"""Every quotad operation, once: how its request is built and how its answer is read.

Nothing here does I/O. Each function returns a :class:`Call`: the method, path, query, headers and body
of one HTTP request, whether it may be retried, and the function that turns the answer into a typed
result. :class:`quotad.Client` and :class:`quotad.AsyncClient` only send calls (see ``_client.py``), so
the two share all request building and response parsing.

Ids that make a retry safe (``event_id``, ``reservation_id``) are made here, when the call is built,
that is before its first attempt; every retry of the call sends the same id.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Generic, Literal, Mapping, Sequence, TypeVar
from urllib.parse import quote

import httpx

from ._convert import usd_string
from .models import (
    CreatedKey, CreatedWebhook, DailyUsage, Delivery, DimensionReport, Event, EventPage, ItemError, Key,
    LevelUsage, MetricsSettings, Quota, QuotaLevel, RateLimitHeaders, RateLimits, Report, Reservation,
    TokenUsage, UsageEvent, UsageReset, UsageResult, UserUsage, Webhook,
)

T = TypeVar("T")

Retry = Literal["always", "connect"]
"""``always``: the call is idempotent (a retry cannot count twice). ``connect``: retried only when the
request certainly never reached the server (connection refused, or 503 ``redis_unavailable``)."""


@dataclass(frozen=True)
class Call(Generic[T]):
    """One HTTP request to quotad and how to read its answer.

    ``path`` is relative to the base URL, its segments already percent-encoded; ``{tenant}`` in it is
    replaced by the call's tenant (``tenant``, else the client's).
    """

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    body: Any = None
    params: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    retry: Retry = "always"
    tenant: str | None = None

    def url_path(self, default_tenant: str | None) -> str:
        if "{tenant}" not in self.path:
            return self.path
        tenant = self.tenant or default_tenant
        if not tenant:
            raise ValueError("no tenant: pass tenant= to the client (or QUOTAD_TENANT) or to the call")
        return self.path.replace("{tenant}", seg(tenant))

    def encoded_body(self) -> bytes | None:
        if self.body is None:
            return None
        return json.dumps(self.body, separators=(",", ":"), default=_json_default).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def seg(value: str) -> str:
    """One path segment, percent-encoded (``john@example.com`` → ``john%40example.com``)."""
    if not isinstance(value, str) or not value:
        raise ValueError("path parameters must be non-empty strings")
    return quote(value, safe="")


def new_id() -> str:
    """A fresh event or reservation id (uuid4)."""
    return str(uuid.uuid4())


# --- reading answers -------------------------------------------------------------------------------

def _json(response: httpx.Response) -> Any:
    return response.json() if response.content else {}


def _rate_limit(response: httpx.Response) -> RateLimitHeaders:
    return RateLimitHeaders(response.headers.get("ratelimit-policy"), response.headers.get("ratelimit"))


def _parse_with(parse: Callable[[Any], T]) -> Callable[[httpx.Response], T]:
    return lambda response: parse(_json(response))


def _nothing(response: httpx.Response) -> None:
    return None


def _usage_result(response: httpx.Response) -> UsageResult:
    return UsageResult.from_json(_json(response), _rate_limit(response))


def provider_json(response: Any) -> Any:
    """A provider response as JSON: dicts, lists and strings (SSE text) as they are; SDK objects (the
    ``openai`` and ``anthropic`` packages' pydantic models) through ``to_dict()`` / ``model_dump()``."""
    if response is None or isinstance(response, (str, Mapping, list)):
        return response
    for name in ("to_dict", "model_dump"):
        method = getattr(response, name, None)
        if callable(method):
            try:
                return method(mode="json")   # JSON-safe values (pydantic / openai's to_dict)
            except TypeError:
                return method()
    raise TypeError(f"cannot send a {type(response).__name__} as a provider response")


def _usage_json(usage: TokenUsage | Mapping[str, int] | str | None) -> Any:
    if isinstance(usage, TokenUsage):
        return usage.to_json()
    if isinstance(usage, Mapping):
        return dict(usage)
    return usage


def usage_body(*, user: str | None, event_id: str | None, response: Any = None,
               usage: TokenUsage | Mapping[str, int] | str | None = None, model: str | None = None,
               provider: str | None = None, reservation_id: str | None = None, latency_ms: int | None = None,
               metadata: Mapping[str, str] | None = None, error: bool | None = None,
               messages: Sequence[Mapping[str, Any]] | None = None, output_text: str | None = None
               ) -> dict[str, Any]:
    """The body of a usage event or commit; exactly one of ``response`` or ``usage`` must be given."""
    if (response is None) == (usage is None):
        raise ValueError("give exactly one of response= (the provider's response) or usage= (counts or 'estimate')")
    body: dict[str, Any] = {}
    fields: dict[str, Any] = {
        "user": user, "event_id": event_id, "provider": provider, "model": model,
        "response": provider_json(response), "usage": _usage_json(usage), "reservation_id": reservation_id,
        "latency_ms": latency_ms, "metadata": dict(metadata) if metadata is not None else None, "error": error,
        "messages": list(messages) if messages is not None else None, "output_text": output_text,
    }
    for key, value in fields.items():
        if value is not None:
            body[key] = value
    return body


def _prefer(minimal: bool) -> tuple[tuple[str, str], ...]:
    return (("Prefer", "return=minimal"),) if minimal else ()


def _params(**values: Any) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for key, value in values.items():
        if value is None:
            continue
        out.append((key.rstrip("_"), value.isoformat() if isinstance(value, date) else str(value)))
    return tuple(out)


# --- usage -----------------------------------------------------------------------------------------

def record(user: str, *, response: Any = None, usage: TokenUsage | Mapping[str, int] | None = None,
           model: str | None = None, provider: str | None = None, event_id: str | None = None,
           reservation_id: str | None = None, latency_ms: int | None = None,
           metadata: Mapping[str, str] | None = None, error: bool | None = None, minimal: bool = False,
           tenant: str | None = None) -> Call[UsageResult]:
    """Record one LLM call's usage exactly once.

    Give the provider's raw ``response`` (a dict, SSE text, or an ``openai``/``anthropic`` response
    object) and quotad reads and prices its usage, or the canonical ``usage`` counts. ``event_id``
    defaults to a fresh uuid4 made before the first attempt, so a retried call counts once; a repeated
    id answers ``recorded=False, reason='duplicate'``. ``minimal=True`` asks for the small answer
    (no totals). Usage is never refused for being over a limit: ``over_limit`` lists the levels it left
    over one.
    """
    body = usage_body(user=user, event_id=event_id or new_id(), response=response, usage=usage, model=model,
                      provider=provider, reservation_id=reservation_id, latency_ms=latency_ms,
                      metadata=metadata, error=error)
    return Call("POST", "/v1/tenants/{tenant}/usage", _usage_result, body=body, headers=_prefer(minimal),
                tenant=tenant)


def record_batch(events: Sequence[UsageEvent], *, tenant: str | None = None
                 ) -> Call[list[UsageResult | ItemError]]:
    """Record 1–1000 events in one request; the results come in the same order, an item that failed
    is an :class:`ItemError` (the batch itself does not fail)."""
    if not 1 <= len(events) <= 1000:
        raise ValueError("a batch holds 1 to 1000 events")
    bodies = [usage_body(user=e.user, event_id=e.event_id, response=e.response, usage=e.usage, model=e.model,
                         provider=e.provider, reservation_id=e.reservation_id, latency_ms=e.latency_ms,
                         metadata=e.metadata, error=e.error) for e in events]
    ids = [e.event_id for e in events]

    def parse(response: httpx.Response) -> list[UsageResult | ItemError]:
        results = _json(response).get("results") or []
        out: list[UsageResult | ItemError] = []
        for index, item in enumerate(results):
            event_id = ids[index] if index < len(ids) else None
            if isinstance(item, Mapping) and "error" in item and "recorded" not in item:
                out.append(ItemError.from_json(item, event_id))
            else:
                out.append(UsageResult.from_json(item))
        return out

    return Call("POST", "/v1/tenants/{tenant}/usage/batch", parse, body={"events": bodies}, tenant=tenant)


def get_user_usage(user: str, *, cycle: str | None = None, tenant: str | None = None) -> Call[UserUsage]:
    """A user's cycle (``cycle``: ``current`` or a cycle id ``yyyy-MM-dd``): totals, per model, reserved,
    limits, remaining, windows, group and the group's and tenant's state (``levels``)."""
    return Call("GET", f"/v1/tenants/{{tenant}}/users/{seg(user)}/usage", _parse_with(UserUsage.from_json),
                params=_params(cycle=cycle), tenant=tenant)


def get_group_usage(group: str, *, cycle: str | None = None, tenant: str | None = None) -> Call[LevelUsage]:
    """A group's totals, reserved, limits, remaining and windows in a cycle (zeros when nothing was recorded)."""
    return Call("GET", f"/v1/tenants/{{tenant}}/groups/{seg(group)}/usage", _parse_with(LevelUsage.from_json),
                params=_params(cycle=cycle), tenant=tenant)


def get_tenant_usage(*, cycle: str | None = None, tenant: str | None = None) -> Call[LevelUsage]:
    """The tenant level's totals, per model, reserved, limits, remaining and windows in a cycle."""
    return Call("GET", "/v1/tenants/{tenant}/usage", _parse_with(LevelUsage.from_json),
                params=_params(cycle=cycle), tenant=tenant)


def daily_usage(*, start: date | str | None = None, end: date | str | None = None, user: str | None = None,
                group: str | None = None, model: str | None = None, tenant: str | None = None
                ) -> Call[DailyUsage]:
    """Usage per local day of the tenant, a ``user`` or a ``group`` (not both), optionally of one model;
    ``start``/``end`` are local dates, both included (default: the 30 days up to today)."""
    if user is not None and group is not None:
        raise ValueError("give user= or group=, not both")
    return Call("GET", "/v1/tenants/{tenant}/usage/daily", _parse_with(DailyUsage.from_json),
                params=_params(from_=start, to=end, user=user, group=group, model=model), tenant=tenant)


def reset_user_usage(user: str, *, tenant: str | None = None) -> Call[UsageReset]:
    """Start the user's running cycle (and windows) from zero; needs ``quota:write``. Not retried once
    the request may have arrived (a second reset would also erase what was recorded in between)."""
    return Call("POST", f"/v1/tenants/{{tenant}}/users/{seg(user)}/usage/reset",
                _parse_with(UsageReset.from_json), retry="connect", tenant=tenant)


# --- reservations ----------------------------------------------------------------------------------

def reserve(user: str, model: str, *, input_tokens: int | None = None,
            messages: Sequence[Mapping[str, Any]] | None = None, system: Any = None,
            request: Mapping[str, Any] | None = None, max_output_tokens: int | None = None,
            max_tokens: int | None = None, max_completion_tokens: int | None = None,
            provider: str | None = None, ttl_seconds: int | None = None, reservation_id: str | None = None,
            tenant: str | None = None) -> Call[Reservation]:
    """Hold quota for a call about to start, at every level, in one atomic step.

    The input estimate is ``input_tokens``, or ``messages`` (plus an Anthropic ``system``), or the whole
    provider ``request`` body; the output is ``max_output_tokens`` / ``max_tokens`` /
    ``max_completion_tokens`` (else the model's maximum). Raises :class:`QuotaExceeded` naming the level
    and limit when it does not fit. ``reservation_id`` defaults to a fresh uuid4 made before the first
    attempt, so a retried reserve answers the same hold instead of holding twice.
    """
    fields: dict[str, Any] = {
        "user": user, "model": model, "provider": provider, "input_tokens": input_tokens,
        "messages": list(messages) if messages is not None else None, "system": system,
        "request": dict(request) if request is not None else None, "max_output_tokens": max_output_tokens,
        "max_tokens": max_tokens, "max_completion_tokens": max_completion_tokens, "ttl_seconds": ttl_seconds,
        "reservation_id": reservation_id or new_id(),
    }
    body = {k: v for k, v in fields.items() if v is not None}
    return Call("POST", "/v1/tenants/{tenant}/reservations",
                lambda r: Reservation.from_json(_json(r), _rate_limit(r)), body=body, tenant=tenant)


def commit(reservation_id: str, *, response: Any = None, usage: TokenUsage | Mapping[str, int] | str | None = None,
           user: str | None = None, event_id: str | None = None, model: str | None = None,
           provider: str | None = None, latency_ms: int | None = None, metadata: Mapping[str, str] | None = None,
           error: bool | None = None, messages: Sequence[Mapping[str, Any]] | None = None,
           output_text: str | None = None, minimal: bool = False, tenant: str | None = None
           ) -> Call[UsageResult]:
    """Record the call's usage and settle the reservation (the held estimate is replaced by the actual use).

    ``reservation_id`` is the granted id (``res:<user>:<id>``), or your own id with ``user=``. Give the
    provider's ``response``, or ``usage`` counts, or ``usage='estimate'`` with ``messages`` and/or
    ``output_text`` when the provider reported none. ``event_id`` defaults to the reservation id, so a
    retried commit is a duplicate and counts once.
    """
    body = usage_body(user=user, event_id=event_id, response=response, usage=usage, model=model,
                      provider=provider, latency_ms=latency_ms, metadata=metadata, error=error,
                      messages=messages, output_text=output_text)
    return Call("POST", f"/v1/tenants/{{tenant}}/reservations/{seg(reservation_id)}/commit", _usage_result,
                body=body, headers=_prefer(minimal), tenant=tenant)


def release(reservation_id: str, *, tenant: str | None = None) -> Call[None]:
    """Give a reservation's holds back at every level, windows included (204)."""
    return Call("DELETE", f"/v1/tenants/{{tenant}}/reservations/{seg(reservation_id)}", _nothing, tenant=tenant)


# --- quotas ----------------------------------------------------------------------------------------

def _quota_path(level: QuotaLevel, name: str | None) -> str:
    if level in ("user", "group"):
        if not name:
            raise ValueError(f"a {level} quota needs the {level}'s name")
        return f"/v1/tenants/{{tenant}}/{level}s/{seg(name)}/quota"
    if level in ("tenant", "default"):
        if name is not None:
            raise ValueError(f"the {level} quota takes no name")
        return f"/v1/tenants/{{tenant}}/quota/{level}"
    raise ValueError(f"unknown quota level {level!r}: user, group, tenant or default")


def get_quota(level: QuotaLevel, name: str | None = None, *, tenant: str | None = None) -> Call[Quota]:
    """The quota of a ``user`` (its effective one: own or the tenant default), a ``group``, the
    ``tenant`` aggregate or the per-user ``default``; ``name`` is the user or group."""
    return Call("GET", _quota_path(level, name), _parse_with(Quota.from_json), tenant=tenant)


def put_quota(level: QuotaLevel, name: str | None = None, *, tokens: int | None = None,
              cost_usd: Decimal | str | int | None = None, cost_nano_usd: int | None = None,
              requests: int | None = None, rate: RateLimits | Mapping[str, int | None] | None = None,
              anchor_day: int | None = None, timezone: str | None = None, group: str | None = None,
              alert_thresholds: Sequence[int] | None = None, tenant: str | None = None) -> Call[Quota]:
    """Replace a quota. Limits left None mean none; ``rate`` holds rolling-window limits
    (``tokens_per_minute``, ``requests_per_hour``, …); ``anchor_day``/``timezone`` set the cycle policy
    (left out: kept); ``group`` (user quotas only) puts the user in a group. Never resets usage."""
    if cost_usd is not None and cost_nano_usd is not None:
        raise ValueError("give cost_usd or cost_nano_usd, not both")
    limits: dict[str, Any] = {"tokens": tokens, "requests": requests}
    if cost_usd is not None:
        limits["cost_usd"] = usd_string(cost_usd)
    if cost_nano_usd is not None:
        limits["cost_nano_usd"] = cost_nano_usd
    body: dict[str, Any] = {"limits": {k: v for k, v in limits.items() if v is not None}}
    if rate is not None:
        body["rate"] = rate.to_json() if isinstance(rate, RateLimits) else {k: v for k, v in rate.items()}
    cycle = {k: v for k, v in (("anchor_day", anchor_day), ("timezone", timezone)) if v is not None}
    if cycle:
        body["cycle"] = cycle
    if group is not None:
        body["group"] = group
    if alert_thresholds is not None:
        body["alerts"] = {"thresholds_percent": list(alert_thresholds)}
    return Call("PUT", _quota_path(level, name), _parse_with(Quota.from_json), body=body, tenant=tenant)


def delete_quota(level: QuotaLevel, name: str | None = None, *, tenant: str | None = None) -> Call[None]:
    """Remove a quota (usage is kept). A user falls back to the tenant default and leaves their group."""
    return Call("DELETE", _quota_path(level, name), _nothing, tenant=tenant)


# --- reports, events, dimensions -------------------------------------------------------------------

def _report(response: httpx.Response) -> Report | DimensionReport:
    data = _json(response)
    return DimensionReport.from_json(data) if "dimension" in data else Report.from_json(data)


def report(*, cycle: str | None = None, by: str | None = None, tenant: str | None = None
           ) -> Call[Report | DimensionReport]:
    """Every user and group with usage in the tenant's cycle, per-model rows and the tenant's totals;
    with ``by=<dimension>`` a :class:`DimensionReport` with one row per value of that dimension."""
    return Call("GET", "/v1/tenants/{tenant}/reports/usage", _report, params=_params(cycle=cycle, by=by),
                tenant=tenant)


def report_csv(*, cycle: str | None = None, by: str | None = None, tenant: str | None = None) -> Call[str]:
    """The same report as RFC 4180 CSV text (CRLF line ends, one header row)."""
    return Call("GET", "/v1/tenants/{tenant}/reports/usage", lambda r: r.text,
                params=_params(cycle=cycle, format="csv", by=by), tenant=tenant)


def events_page(*, since: str | None = None, limit: int | None = None, tenant: str | None = None
                ) -> Call[EventPage]:
    """One page of recorded events, oldest first, after the cursor ``since`` (exclusive)."""

    def parse(response: httpx.Response) -> EventPage:
        events = tuple(Event.from_json(json.loads(line)) for line in response.text.splitlines() if line.strip())
        return EventPage(events, response.headers.get("next-cursor") or since or "0-0")

    return Call("GET", "/v1/tenants/{tenant}/events", parse, params=_params(since=since, limit=limit),
                tenant=tenant)


def next_since(page: EventPage, since: str | None) -> str | None:
    """The cursor of the page after ``page``, or None when the stream holds nothing newer."""
    if not page.events or page.next_cursor == since:
        return None
    return page.next_cursor


def get_dimensions(*, tenant: str | None = None) -> Call[list[str]]:
    """The metadata keys the tenant declares as dimensions, sorted."""
    return Call("GET", "/v1/tenants/{tenant}/dimensions", _parse_with(_dimension_list), tenant=tenant)


def put_dimensions(names: Sequence[str], *, tenant: str | None = None) -> Call[list[str]]:
    """Replace the declared dimensions (at most 20); answers them sorted."""
    return Call("PUT", "/v1/tenants/{tenant}/dimensions", _parse_with(_dimension_list),
                body={"dimensions": list(names)}, tenant=tenant)


def _dimension_list(data: Any) -> list[str]:
    return [str(x) for x in data.get("dimensions") or []]


# --- keys, webhooks, settings ----------------------------------------------------------------------

def create_key(*, scopes: Sequence[str] | None = None, tenant: str | None = None) -> Call[CreatedKey]:
    """Create a tenant key (admin). Without ``scopes`` it gets every scope but ``quota:write``.
    The secret (``.key``) is returned only this once. Not retried once the request may have arrived."""
    body = {"scopes": list(scopes)} if scopes is not None else None
    return Call("POST", "/v1/tenants/{tenant}/keys", _parse_with(CreatedKey.from_json), body=body,
                retry="connect", tenant=tenant)


def list_keys(*, tenant: str | None = None) -> Call[list[Key]]:
    """The tenant's key ids, creation times and scopes (never secrets)."""
    return Call("GET", "/v1/tenants/{tenant}/keys",
                _parse_with(lambda d: [Key.from_json(k) for k in d.get("keys") or []]), tenant=tenant)


def revoke_key(key_id: str, *, tenant: str | None = None) -> Call[None]:
    """Revoke a tenant key (admin); effective everywhere within a second."""
    return Call("DELETE", f"/v1/tenants/{{tenant}}/keys/{seg(key_id)}", _nothing, tenant=tenant)


def create_webhook(url: str, events: Sequence[str], *, secret: str | None = None, tenant: str | None = None
                   ) -> Call[CreatedWebhook]:
    """Register a webhook for ``quota.threshold`` / ``quota.exceeded`` alerts; the signing secret
    (``.secret``) is returned only this once. Not retried once the request may have arrived."""
    body: dict[str, Any] = {"url": url, "events": list(events)}
    if secret is not None:
        body["secret"] = secret
    return Call("POST", "/v1/tenants/{tenant}/webhooks", _parse_with(CreatedWebhook.from_json), body=body,
                retry="connect", tenant=tenant)


def list_webhooks(*, tenant: str | None = None) -> Call[list[Webhook]]:
    """The tenant's webhooks, oldest first (never secrets)."""
    return Call("GET", "/v1/tenants/{tenant}/webhooks",
                _parse_with(lambda d: [Webhook.from_json(w) for w in d.get("webhooks") or []]), tenant=tenant)


def delete_webhook(webhook_id: str, *, tenant: str | None = None) -> Call[None]:
    """Delete a webhook; its pending deliveries are dead-lettered."""
    return Call("DELETE", f"/v1/tenants/{{tenant}}/webhooks/{seg(webhook_id)}", _nothing, tenant=tenant)


def list_deliveries(webhook_id: str, *, tenant: str | None = None) -> Call[list[Delivery]]:
    """The webhook's 100 most recent deliveries, newest first."""
    return Call("GET", f"/v1/tenants/{{tenant}}/webhooks/{seg(webhook_id)}/deliveries",
                _parse_with(lambda d: [Delivery.from_json(x) for x in d.get("deliveries") or []]), tenant=tenant)


def retry_delivery(webhook_id: str, delivery_id: str, *, tenant: str | None = None) -> Call[Delivery]:
    """Re-queue a dead or pending delivery for an attempt now."""
    return Call("POST", f"/v1/tenants/{{tenant}}/webhooks/{seg(webhook_id)}/deliveries/{seg(delivery_id)}/retry",
                _parse_with(Delivery.from_json), tenant=tenant)


def get_metrics_settings() -> Call[MetricsSettings]:
    """The statistics switches (admin)."""
    return Call("GET", "/v1/settings/metrics", _parse_with(MetricsSettings.from_json))


def update_metrics_settings(*, enabled: bool | None = None, token_statistics: bool | None = None
                            ) -> Call[MetricsSettings]:
    """Change the statistics switches (admin); they never disable enforcement."""
    body = {k: v for k, v in (("enabled", enabled), ("token_statistics", token_statistics)) if v is not None}
    return Call("PATCH", "/v1/settings/metrics", _parse_with(MetricsSettings.from_json), body=body)


def ready() -> Call[bool]:
    """True when quotad is ready (Redis answers); a 503 raises :class:`ServiceUnavailable` after retries."""
    return Call("GET", "/readyz", lambda r: r.status_code == 200)
