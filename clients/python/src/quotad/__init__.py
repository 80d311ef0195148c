"""quotad — Python client for the quotad LLM token quota service.

>>> import quotad
>>> client = quotad.Client("http://127.0.0.1:8080", api_key="qk_…", tenant="acme")
>>> with client.reservation(user="alice", model="gpt-4o", input_tokens=1200, max_output_tokens=800) as r:
...     response = call_the_llm()
...     r.commit(response)
"""

from ._client import AsyncClient, AsyncReservationContext, Client, ReservationContext, RetryPolicy
from ._convert import nano_to_usd, usd_to_nano
from ._version import __version__
from .errors import (
    APIError, Conflict, Forbidden, InsufficientStorage, InvalidRequest, NotFound, QuotadConnectionError,
    QuotadError, QuotaExceeded, ServiceUnavailable, TooManyReservations, Unauthorized, Unprocessable,
)
from .models import (
    Amounts, CreatedKey, CreatedWebhook, Cycle, DailyRow, DailyUsage, Delivery, DimensionReport, Event,
    EventPage, Forecast, ItemError, Key, LevelUsage, MetricsSettings, Quota, QuotaLimits, RateLimitHeaders,
    RateLimits, Report, ReportRow, Reservation, TokenUsage, Totals, UsageEvent, UsageReset, UsageResult,
    UserUsage, Webhook, Window,
)

__all__ = [
    "__version__", "Client", "AsyncClient", "ReservationContext", "AsyncReservationContext", "RetryPolicy",
    "nano_to_usd", "usd_to_nano",
    "QuotadError", "QuotadConnectionError", "APIError", "InvalidRequest", "Unprocessable", "Unauthorized",
    "Forbidden", "NotFound", "Conflict", "QuotaExceeded", "TooManyReservations", "ServiceUnavailable",
    "InsufficientStorage",
    "Amounts", "CreatedKey", "CreatedWebhook", "Cycle", "DailyRow", "DailyUsage", "Delivery",
    "DimensionReport", "Event", "EventPage", "Forecast", "ItemError", "Key", "LevelUsage", "MetricsSettings",
    "Quota", "QuotaLimits", "RateLimitHeaders", "RateLimits", "Report", "ReportRow", "Reservation",
    "TokenUsage", "Totals", "UsageEvent", "UsageReset", "UsageResult", "UserUsage", "Webhook", "Window",
]
