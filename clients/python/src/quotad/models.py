"""Typed results of the quotad API.

Money is given twice: as the server's integer nano-USD (``cost_nano_usd``) and as an exact
``decimal.Decimal`` of dollars (``cost_usd``). Times are timezone-aware ``datetime`` objects (UTC).
Every model keeps the decoded JSON it was built from in ``raw``, so fields added by a newer server are
still reachable.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, Mapping

from ._convert import as_int, nano_to_usd, opt_datetime, opt_int, opt_str, parse_date

__all__ = [
    "TokenUsage", "Totals", "Amounts", "Cycle", "Window", "RateLimits", "Forecast", "UsageResult",
    "ItemError", "UsageEvent", "Reservation", "Quota", "QuotaLimits", "LevelUsage", "UserUsage",
    "UsageReset", "Report", "ReportRow", "DimensionReport", "DailyUsage", "DailyRow", "Event", "EventPage",
    "Key", "CreatedKey", "Webhook", "CreatedWebhook", "Delivery", "MetricsSettings", "Level", "QuotaLevel",
    "RateLimitHeaders",
]

Level = Literal["tenant", "group", "user"]
QuotaLevel = Literal["user", "group", "tenant", "default"]
JSON = Mapping[str, Any]


def _obj(value: Any) -> JSON:
    return value if isinstance(value, Mapping) else {}


def _ints(cls: type[Any], data: JSON) -> dict[str, int]:
    return {f.name: as_int(data.get(f.name)) for f in fields(cls) if f.name != "raw"}


@dataclass(frozen=True)
class TokenUsage:
    """Token counts of one call, in the canonical classes (see the quotad README, *Token classes*).

    ``cached_input_tokens`` and ``cache_write_tokens`` are parts of ``input_tokens``;
    ``reasoning_tokens`` is part of ``output_tokens``.
    """

    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    audio_input_tokens: int = 0
    audio_output_tokens: int = 0
    web_search_requests: int = 0

    @classmethod
    def from_json(cls, data: Any) -> TokenUsage:
        return cls(**_ints(cls, _obj(data)))

    def to_json(self) -> dict[str, int]:
        """Only the non-zero counts (the server treats absent counts as 0)."""
        return {f.name: getattr(self, f.name) for f in fields(TokenUsage) if getattr(self, f.name)}


@dataclass(frozen=True)
class Totals(TokenUsage):
    """Accumulated usage of a user, group, tenant, model, day or dimension value: the token classes
    of :class:`TokenUsage`, plus requests, errors and cost."""

    total_tokens: int = 0
    requests: int = 0
    errors: int = 0
    cost_nano_usd: int = 0
    unpriced_requests: int = 0
    estimated_requests: int = 0

    @classmethod
    def from_json(cls, data: Any) -> Totals:
        return cls(**_ints(cls, _obj(data)))

    @property
    def cost_usd(self) -> Decimal:
        return nano_to_usd(self.cost_nano_usd)


def _models(data: Any) -> dict[str, Totals]:
    return {str(name): Totals.from_json(value) for name, value in _obj(data).items()}


@dataclass(frozen=True)
class Amounts:
    """Tokens, cost and requests; None means unlimited (in limits and remaining)."""

    tokens: int | None = None
    cost_nano_usd: int | None = None
    requests: int | None = None

    @classmethod
    def from_json(cls, data: Any) -> Amounts:
        d = _obj(data)
        return cls(opt_int(d.get("tokens")), opt_int(d.get("cost_nano_usd")), opt_int(d.get("requests")))

    @property
    def cost_usd(self) -> Decimal | None:
        return None if self.cost_nano_usd is None else nano_to_usd(self.cost_nano_usd)


@dataclass(frozen=True)
class Cycle:
    """A billing cycle: its id (``yyyy-MM-dd``) and its [start, end) interval."""

    id: str
    start: datetime | None
    end: datetime | None

    @classmethod
    def from_json(cls, data: Any) -> Cycle | None:
        d = _obj(data)
        if not d:
            return None
        return cls(str(d.get("id", "")), opt_datetime(d.get("start")), opt_datetime(d.get("end")))


@dataclass(frozen=True)
class RateLimits:
    """Rolling-window limits; None means none."""

    tokens_per_minute: int | None = None
    requests_per_minute: int | None = None
    tokens_per_hour: int | None = None
    requests_per_hour: int | None = None
    tokens_per_day: int | None = None
    requests_per_day: int | None = None

    @classmethod
    def from_json(cls, data: Any) -> RateLimits:
        d = _obj(data)
        return cls(**{f.name: opt_int(d.get(f.name)) for f in fields(cls)})

    def to_json(self) -> dict[str, int | None]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class Window:
    """A rolling window that has a limit: what it holds now, its limits and what is left."""

    window: str
    seconds: int
    tokens: int
    requests: int
    tokens_limit: int | None
    requests_limit: int | None
    tokens_remaining: int | None
    requests_remaining: int | None

    @classmethod
    def from_json(cls, data: Any) -> Window:
        d = _obj(data)
        return cls(str(d.get("window", "")), as_int(d.get("seconds")), as_int(d.get("tokens")),
                   as_int(d.get("requests")), opt_int(d.get("tokens_limit")), opt_int(d.get("requests_limit")),
                   opt_int(d.get("tokens_remaining")), opt_int(d.get("requests_remaining")))


@dataclass(frozen=True)
class Forecast:
    """The cycle's totals extrapolated to its end, and when each cycle limit is reached at that rate."""

    projected_tokens: int
    projected_cost_nano_usd: int
    tokens_limit_reached_at: datetime | None
    cost_limit_reached_at: datetime | None

    @classmethod
    def from_json(cls, data: Any) -> Forecast | None:
        d = _obj(data)
        if not d:
            return None
        reached = _obj(d.get("limit_reached_at"))
        return cls(as_int(d.get("projected_tokens")), as_int(d.get("projected_cost_nano_usd")),
                   opt_datetime(reached.get("tokens")), opt_datetime(reached.get("cost")))

    @property
    def projected_cost_usd(self) -> Decimal:
        return nano_to_usd(self.projected_cost_nano_usd)


@dataclass(frozen=True)
class RateLimitHeaders:
    """The ``RateLimit-Policy`` / ``RateLimit`` headers of a response, verbatim (None when absent)."""

    policy: str | None = None
    limit: str | None = None


@dataclass(frozen=True)
class UsageResult:
    """The answer to one recorded event or commit.

    ``recorded`` is False only for a duplicate (the event id was recorded before: nothing changed).
    ``totals``, ``limits``, ``remaining`` and ``reserved`` are the user's, and None under
    ``minimal=True``.
    """

    recorded: bool
    event_id: str
    cost_nano_usd: int
    over_limit: tuple[str, ...]
    reason: str | None = None
    user: str | None = None
    model: str | None = None
    usage: TokenUsage | None = None
    source: str | None = None
    priced: bool | None = None
    cycle: Cycle | None = None
    totals: Totals | None = None
    reserved: Amounts | None = None
    limits: Amounts | None = None
    remaining: Amounts | None = None
    rate_limit: RateLimitHeaders = field(default_factory=RateLimitHeaders)
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, rate_limit: RateLimitHeaders | None = None) -> UsageResult:
        d = _obj(data)

        def opt(key: str, parse: Any) -> Any:
            return parse(d[key]) if d.get(key) is not None else None

        return cls(
            recorded=bool(d.get("recorded")), event_id=str(d.get("event_id", "")),
            cost_nano_usd=as_int(d.get("cost_nano_usd")),
            over_limit=tuple(str(x) for x in (d.get("over_limit") or ())),
            reason=opt_str(d.get("reason")), user=opt_str(d.get("user")), model=opt_str(d.get("model")),
            usage=opt("usage", TokenUsage.from_json), source=opt_str(d.get("source")),
            priced=d.get("priced") if isinstance(d.get("priced"), bool) else None,
            cycle=Cycle.from_json(d.get("cycle")), totals=opt("totals", Totals.from_json),
            reserved=opt("reserved", Amounts.from_json), limits=opt("limits", Amounts.from_json),
            remaining=opt("remaining", Amounts.from_json), rate_limit=rate_limit or RateLimitHeaders(), raw=d)

    @property
    def duplicate(self) -> bool:
        return not self.recorded

    @property
    def cost_usd(self) -> Decimal:
        return nano_to_usd(self.cost_nano_usd)


@dataclass(frozen=True)
class ItemError:
    """One failed item of a batch: the status, code and message that request alone would have had."""

    status: int
    code: str
    message: str
    event_id: str | None = None

    @classmethod
    def from_json(cls, data: Any, event_id: str | None = None) -> ItemError:
        e = _obj(_obj(data).get("error"))
        return cls(as_int(e.get("status")), str(e.get("code", "")), str(e.get("message", "")), event_id)


@dataclass
class UsageEvent:
    """One event of :meth:`Client.record_batch`: the same fields as :meth:`Client.record`.

    ``event_id`` is generated (uuid4) when the event is created, so a retried batch counts it once.
    """

    user: str
    response: Any = None
    usage: TokenUsage | Mapping[str, int] | None = None
    model: str | None = None
    provider: str | None = None
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    reservation_id: str | None = None
    latency_ms: int | None = None
    metadata: Mapping[str, str] | None = None
    error: bool | None = None


@dataclass(frozen=True)
class Reservation:
    """A granted reservation: the id to commit or release, and the amounts it holds until ``expires_at``."""

    reservation_id: str
    user: str
    model: str
    expires_at: datetime | None
    tokens: int
    cost_nano_usd: int
    fail_open: bool
    rate_limit: RateLimitHeaders = field(default_factory=RateLimitHeaders)
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, rate_limit: RateLimitHeaders | None = None) -> Reservation:
        d = _obj(data)
        held = _obj(d.get("reserved"))
        return cls(str(d.get("reservation_id", "")), str(d.get("user", "")), str(d.get("model", "")),
                   opt_datetime(d.get("expires_at")), as_int(held.get("tokens")),
                   as_int(held.get("cost_nano_usd")), bool(d.get("fail_open")),
                   rate_limit or RateLimitHeaders(), d)

    @property
    def cost_usd(self) -> Decimal:
        return nano_to_usd(self.cost_nano_usd)


@dataclass(frozen=True)
class QuotaLimits:
    """Per-cycle limits of a quota; None means none."""

    tokens: int | None
    cost_nano_usd: int | None
    requests: int | None

    @property
    def cost_usd(self) -> Decimal | None:
        return None if self.cost_nano_usd is None else nano_to_usd(self.cost_nano_usd)


@dataclass(frozen=True)
class Quota:
    """A quota as stored or in force at its level (``user``, ``group``, ``tenant`` or ``default``)."""

    tenant: str
    level: str
    limits: QuotaLimits
    rate: RateLimits
    source: str | None
    user: str | None
    group: str | None
    anchor_day: int | None
    timezone: str | None
    current_cycle: Cycle | None
    alert_thresholds: tuple[int, ...]
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Quota:
        d = _obj(data)
        lim = _obj(d.get("limits"))
        cyc = _obj(d.get("cycle"))
        return cls(
            tenant=str(d.get("tenant", "")), level=str(d.get("level", "")),
            limits=QuotaLimits(opt_int(lim.get("tokens")), opt_int(lim.get("cost_nano_usd")),
                               opt_int(lim.get("requests"))),
            rate=RateLimits.from_json(d.get("rate")), source=opt_str(d.get("source")),
            user=opt_str(d.get("user")), group=opt_str(d.get("group")),
            anchor_day=opt_int(cyc.get("anchor_day")), timezone=opt_str(cyc.get("timezone")),
            current_cycle=Cycle.from_json(cyc.get("current")),
            alert_thresholds=tuple(as_int(x) for x in _obj(d.get("alerts")).get("thresholds_percent") or ()),
            raw=d)


@dataclass(frozen=True)
class _CycleState:
    """What every usage view holds for its cycle (the fields common to ``LevelUsage`` and ``UserUsage``)."""

    cycle: Cycle | None
    totals: Totals
    models: dict[str, Totals]
    reserved: Amounts
    limits: Amounts
    rate: RateLimits
    remaining: Amounts
    windows: tuple[Window, ...]
    forecast: Forecast | None

    @staticmethod
    def _state(d: JSON) -> dict[str, Any]:
        return {"cycle": Cycle.from_json(d.get("cycle")), "totals": Totals.from_json(d.get("totals")),
                "models": _models(d.get("models")), "reserved": Amounts.from_json(d.get("reserved")),
                "limits": Amounts.from_json(d.get("limits")), "rate": RateLimits.from_json(d.get("rate")),
                "remaining": Amounts.from_json(d.get("remaining")),
                "windows": tuple(Window.from_json(w) for w in d.get("windows") or ()),
                "forecast": Forecast.from_json(d.get("forecast"))}


@dataclass(frozen=True)
class LevelUsage(_CycleState):
    """One level's state in its cycle: the tenant's or a group's usage, and each of a user's ``levels``:
    totals, per model (tenant only), reserved, limits, remaining, windows, forecast, and how many
    recorded events left the level over a limit."""

    level: str = ""
    id: str = ""
    over_limit_events: int = 0
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> LevelUsage:
        d = _obj(data)
        return cls(level=str(d.get("level", "")), id=str(d.get("id", "")),
                   over_limit_events=as_int(d.get("over_limit_events")), raw=d, **cls._state(d))


@dataclass(frozen=True)
class UserUsage(_CycleState):
    """A user's cycle: totals, per model, reserved, limits, remaining, windows, forecast, their group
    and the state of the levels above them (``levels``: their group, if any, and the tenant)."""

    user: str = ""
    group: str | None = None
    levels: tuple[LevelUsage, ...] = ()
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> UserUsage:
        d = _obj(data)
        return cls(user=str(d.get("user", "")), group=opt_str(d.get("group")),
                   levels=tuple(LevelUsage.from_json(x) for x in d.get("levels") or ()), raw=d, **cls._state(d))

    def level(self, name: Level) -> LevelUsage | None:
        """The state of the ``group`` or ``tenant`` level above the user (None when absent)."""
        return next((x for x in self.levels if x.level == name), None)


@dataclass(frozen=True)
class UsageReset:
    """An explicit reset of a user's running cycle: who, when, and what the cycle held."""

    user: str
    at: datetime | None
    by: str
    tokens: int
    cost_nano_usd: int

    @classmethod
    def from_json(cls, data: Any) -> UsageReset:
        d = _obj(data)
        return cls(str(d.get("user", "")), opt_datetime(d.get("at")), str(d.get("by", "")),
                   as_int(d.get("tokens")), as_int(d.get("cost_nano_usd")))

    @property
    def cost_usd(self) -> Decimal:
        return nano_to_usd(self.cost_nano_usd)


@dataclass(frozen=True)
class ReportRow:
    """One row of a report: a user, a group or a dimension value, with its totals."""

    name: str
    totals: Totals


@dataclass(frozen=True)
class Report:
    """The tenant's usage report for one cycle (``GET …/reports/usage``)."""

    tenant: str
    cycle_id: str
    cycle: Cycle | None
    users: tuple[ReportRow, ...]
    groups: tuple[ReportRow, ...]
    models: dict[str, Totals]
    totals: Totals
    resets: tuple[UsageReset, ...]
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Report:
        d = _obj(data)
        return cls(str(d.get("tenant", "")), str(d.get("cycle_id", "")), Cycle.from_json(d.get("cycle")),
                   tuple(ReportRow(str(_obj(r).get("user", "")), Totals.from_json(_obj(r).get("totals")))
                         for r in d.get("users") or ()),
                   tuple(ReportRow(str(_obj(r).get("group", "")), Totals.from_json(_obj(r).get("totals")))
                         for r in d.get("groups") or ()),
                   _models(d.get("models")), Totals.from_json(d.get("totals")),
                   tuple(UsageReset.from_json(r) for r in d.get("resets") or ()), d)

    def user(self, name: str) -> Totals | None:
        return next((r.totals for r in self.users if r.name == name), None)


@dataclass(frozen=True)
class DimensionReport:
    """A report by one declared dimension (``report(by=…)``): one row per value."""

    tenant: str
    cycle_id: str
    cycle: Cycle | None
    dimension: str
    rows: tuple[ReportRow, ...]
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> DimensionReport:
        d = _obj(data)
        return cls(str(d.get("tenant", "")), str(d.get("cycle_id", "")), Cycle.from_json(d.get("cycle")),
                   str(d.get("dimension", "")),
                   tuple(ReportRow(str(_obj(r).get("value", "")), Totals.from_json(_obj(r).get("totals")))
                         for r in d.get("rows") or ()), d)


@dataclass(frozen=True)
class DailyRow:
    """One local day's totals."""

    date: date
    totals: Totals


@dataclass(frozen=True)
class DailyUsage:
    """Usage per local day (every day of the range, zeros included)."""

    tenant: str
    time_zone: str
    start: date
    end: date
    user: str | None
    group: str | None
    model: str | None
    days: tuple[DailyRow, ...]
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> DailyUsage:
        d = _obj(data)
        return cls(str(d.get("tenant", "")), str(d.get("time_zone", "")), parse_date(d.get("from")),
                   parse_date(d.get("to")), opt_str(d.get("user")), opt_str(d.get("group")),
                   opt_str(d.get("model")),
                   tuple(DailyRow(parse_date(_obj(r).get("date")), Totals.from_json(r))
                         for r in d.get("days") or ()), d)


@dataclass(frozen=True)
class Event:
    """One recorded event of the tenant's event stream."""

    cursor: str
    sequence: int
    event_id: str
    user: str
    group: str | None
    model: str
    provider: str | None
    source: str
    occurred_at: datetime | None
    recorded_at: datetime | None
    latency_ms: int | None
    error: bool
    usage: TokenUsage
    total_tokens: int
    cost_nano_usd: int
    dimensions: dict[str, str]
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Event:
        d = _obj(data)
        return cls(str(d.get("cursor", "")), as_int(d.get("sequence")), str(d.get("event_id", "")),
                   str(d.get("user", "")), opt_str(d.get("group")), str(d.get("model", "")),
                   opt_str(d.get("provider")), str(d.get("source", "")), opt_datetime(d.get("occurred_at")),
                   opt_datetime(d.get("recorded_at")), opt_int(d.get("latency_ms")), bool(d.get("error")),
                   TokenUsage.from_json(d), as_int(d.get("total_tokens")), as_int(d.get("cost_nano_usd")),
                   {str(k): str(v) for k, v in _obj(d.get("dimensions")).items()}, d)

    @property
    def cost_usd(self) -> Decimal:
        return nano_to_usd(self.cost_nano_usd)


@dataclass(frozen=True)
class EventPage:
    """One page of events and the cursor to pass as ``since`` for the next one."""

    events: tuple[Event, ...]
    next_cursor: str


@dataclass(frozen=True)
class Key:
    """A tenant key's id, creation time and scopes (never its secret)."""

    id: str
    created_at: datetime | None
    scopes: tuple[str, ...]

    @classmethod
    def from_json(cls, data: Any) -> Key:
        d = _obj(data)
        return cls(str(d.get("id", "")), opt_datetime(d.get("created_at")),
                   tuple(str(s) for s in d.get("scopes") or ()))


@dataclass(frozen=True)
class CreatedKey(Key):
    """A key just created: ``key`` is the secret, shown only this once."""

    key: str = ""
    tenant: str = ""

    @classmethod
    def from_json(cls, data: Any) -> CreatedKey:
        d = _obj(data)
        base = Key.from_json(d)
        return cls(base.id, base.created_at, base.scopes, str(d.get("key", "")), str(d.get("tenant", "")))


@dataclass(frozen=True)
class Webhook:
    """A registered webhook (never its secret)."""

    id: str
    url: str
    events: tuple[str, ...]
    created_at: datetime | None

    @classmethod
    def from_json(cls, data: Any) -> Webhook:
        d = _obj(data)
        return cls(str(d.get("id", "")), str(d.get("url", "")), tuple(str(e) for e in d.get("events") or ()),
                   opt_datetime(d.get("created_at")))


@dataclass(frozen=True)
class CreatedWebhook(Webhook):
    """A webhook just registered: ``secret`` signs its deliveries and is shown only this once."""

    secret: str = ""

    @classmethod
    def from_json(cls, data: Any) -> CreatedWebhook:
        base = Webhook.from_json(data)
        return cls(base.id, base.url, base.events, base.created_at, str(_obj(data).get("secret", "")))


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery and its state (``pending``, ``delivered`` or ``dead``)."""

    id: str
    webhook_id: str
    message_id: str
    type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    created_at: datetime | None

    @classmethod
    def from_json(cls, data: Any) -> Delivery:
        d = _obj(data)
        return cls(str(d.get("id", "")), str(d.get("webhook_id", "")), str(d.get("message_id", "")),
                   str(d.get("type", "")), str(d.get("status", "")), as_int(d.get("attempts")),
                   opt_int(d.get("last_status_code")), opt_str(d.get("last_error")),
                   opt_datetime(d.get("next_attempt_at")), opt_datetime(d.get("last_attempt_at")),
                   opt_datetime(d.get("created_at")))


@dataclass(frozen=True)
class MetricsSettings:
    """The statistics switches (they never disable enforcement)."""

    enabled: bool
    token_statistics: bool

    @classmethod
    def from_json(cls, data: Any) -> MetricsSettings:
        d = _obj(data)
        return cls(bool(d.get("enabled", True)), bool(d.get("token_statistics", True)))

