"""Typed errors raised by the quotad client.

Every error the client raises is a :class:`QuotadError`. Errors answered by the server carry its HTTP
status, its error ``code`` and ``message`` (``{"error":{"code":…,"message":…}}``) and the response's
``X-Request-Id``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Mapping

from ._convert import opt_datetime, opt_decimal, opt_int, opt_str

__all__ = [
    "QuotadError",
    "QuotadConnectionError",
    "APIError",
    "InvalidRequest",
    "Unprocessable",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "QuotaExceeded",
    "TooManyReservations",
    "ServiceUnavailable",
    "InsufficientStorage",
    "error_from_response",
]


class QuotadError(Exception):
    """Base class of every error raised by this package."""


class QuotadConnectionError(QuotadError):
    """quotad could not be reached (connection refused, reset, timed out) after every retry."""


class APIError(QuotadError):
    """An error answered by quotad.

    Attributes:
        status: the HTTP status code.
        code: the server's error code (``invalid_request``, ``not_found``, ``quota_exceeded``, …).
        message: the server's message.
        request_id: the response's ``X-Request-Id`` (quote it when reporting a problem).
        body: the decoded JSON body (``{}`` when it was not JSON).
    """

    def __init__(self, status: int, code: str, message: str, *, request_id: str | None = None,
                 body: Mapping[str, Any] | None = None, retry_after: int | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.body: Mapping[str, Any] = body or {}
        self.retry_after = retry_after


class InvalidRequest(APIError):
    """400 (and 405, 408, 413, 431): the request was malformed; ``message`` names the field."""


class Unprocessable(InvalidRequest):
    """422: well-formed but not accountable — ``unparsable_usage``, ``unpriced_model`` or ``overflow``."""


class Unauthorized(APIError):
    """401: missing, unknown or revoked key."""


class Forbidden(APIError):
    """403: the key may not act on this tenant, or lacks the scope the route needs."""


class NotFound(APIError):
    """404: unknown object (reservation, key, webhook, delivery) or route."""


class Conflict(APIError):
    """409: conflicts with stored state (a settled reservation id, another user's reservation, …)."""


class QuotaExceeded(APIError):
    """429: a reservation would exceed a limit.

    Attributes:
        level: ``tenant``, ``group`` or ``user`` (None for ``too_many_reservations``).
        limit: the limit's name: ``tokens``, ``cost``, ``requests`` or a rolling window such as
            ``tokens_per_minute`` (None for ``too_many_reservations``).
        limit_value, used, reserved, requested, remaining: the limit's amounts (tokens, requests, or
            nano-USD for ``cost``).
        limit_usd, used_usd, reserved_usd, requested_usd, remaining_usd: cost limits only, exact dollars.
        window_seconds: rolling windows only (60, 3600 or 86400).
        cycle_id: the cycle of the limit's level.
        retry_after: whole seconds until the same request fits again (``Retry-After``); None when the
            request alone is larger than the limit and can never fit.
        retry_at: that moment; None when it never fits.
        resets_at: when the limit's room comes back.
        rate_limit_policy, rate_limit: the ``RateLimit-Policy`` and ``RateLimit`` headers, verbatim.
    """

    def __init__(self, status: int, code: str, message: str, *, request_id: str | None = None,
                 body: Mapping[str, Any] | None = None, retry_after: int | None = None,
                 rate_limit_policy: str | None = None, rate_limit: str | None = None) -> None:
        super().__init__(status, code, message, request_id=request_id, body=body, retry_after=retry_after)
        error: Mapping[str, Any] = (body or {}).get("error") or {}
        limit: Mapping[str, Any] = (body or {}).get("limit") or {}
        self.level: str | None = opt_str(limit.get("level", error.get("level")))
        self.limit: str | None = opt_str(limit.get("name"))
        self.limit_value: int | None = opt_int(limit.get("limit"))
        self.used: int | None = opt_int(limit.get("used"))
        self.reserved: int | None = opt_int(limit.get("reserved"))
        self.requested: int | None = opt_int(limit.get("requested"))
        self.remaining: int | None = opt_int(limit.get("remaining"))
        self.limit_usd: Decimal | None = opt_decimal(limit.get("limit_usd"))
        self.used_usd: Decimal | None = opt_decimal(limit.get("used_usd"))
        self.reserved_usd: Decimal | None = opt_decimal(limit.get("reserved_usd"))
        self.requested_usd: Decimal | None = opt_decimal(limit.get("requested_usd"))
        self.remaining_usd: Decimal | None = opt_decimal(limit.get("remaining_usd"))
        self.window_seconds: int | None = opt_int(limit.get("window_seconds"))
        self.cycle_id: str | None = opt_str(limit.get("cycle_id"))
        if self.retry_after is None:
            self.retry_after = opt_int(error.get("retry_after_seconds"))
        self.retry_at: datetime | None = opt_datetime(limit.get("retry_at", error.get("retry_at")))
        self.resets_at: datetime | None = opt_datetime(limit.get("resets_at", error.get("resets_at")))
        self.rate_limit_policy = rate_limit_policy
        self.rate_limit = rate_limit

    @property
    def can_ever_fit(self) -> bool:
        """False when the request alone is larger than the limit (no ``Retry-After``)."""
        return self.retry_after is not None


class TooManyReservations(QuotaExceeded):
    """429 ``too_many_reservations``: the user already holds the most active reservations allowed."""


class ServiceUnavailable(APIError):
    """503 ``redis_unavailable`` / ``outcome_unknown`` (retried by the client; raised once retries ran out)."""


class InsufficientStorage(ServiceUnavailable):
    """507: Redis is out of memory and refuses writes; nothing was recorded (not retried)."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: InvalidRequest, 405: InvalidRequest, 408: InvalidRequest, 413: InvalidRequest, 431: InvalidRequest,
    401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict, 422: Unprocessable,
    503: ServiceUnavailable, 507: InsufficientStorage,
}


def error_from_response(status: int, headers: Mapping[str, str], body: Any) -> APIError:
    """The typed error for one non-2xx answer (``headers`` case-insensitive, ``body`` decoded JSON or None)."""
    decoded: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
    error = decoded.get("error")
    error = error if isinstance(error, Mapping) else {}
    code = str(error.get("code") or f"http_{status}")
    message = str(error.get("message") or "")
    request_id = headers.get("x-request-id")
    retry_after = opt_int(headers.get("retry-after"))
    if status == 429:
        cls: type[QuotaExceeded] = TooManyReservations if code == "too_many_reservations" else QuotaExceeded
        return cls(status, code, message, request_id=request_id, body=decoded, retry_after=retry_after,
                   rate_limit_policy=headers.get("ratelimit-policy"), rate_limit=headers.get("ratelimit"))
    kind = _BY_STATUS.get(status) or (ServiceUnavailable if status >= 500 else InvalidRequest)
    return kind(status, code, message, request_id=request_id, body=decoded, retry_after=retry_after)

