"""Conversions shared by the models and errors: times, money, optional scalars."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

NANO = Decimal(1).scaleb(-9)


def nano_to_usd(nano: int) -> Decimal:
    """Exact dollars of an integer nano-USD amount (``1_500_000_000`` → ``Decimal('1.500000000')``)."""
    return Decimal(nano).scaleb(-9)


def usd_to_nano(usd: Decimal | str | int) -> int:
    """Integer nano-USD of an exact dollar amount; refuses amounts finer than a nano-USD."""
    value = Decimal(str(usd)) if not isinstance(usd, Decimal) else usd
    nano = value.scaleb(9)
    if nano != nano.to_integral_value():
        raise ValueError(f"{usd} USD is finer than one nano-USD")
    return int(nano)


def usd_string(usd: Decimal | str | int) -> str:
    """The server's decimal-dollar form (``^[0-9]+(\\.[0-9]{1,9})?$``) of an amount."""
    nano = usd_to_nano(usd)
    if nano < 0:
        raise ValueError("amounts are never negative")
    whole, frac = divmod(nano, 1_000_000_000)
    return f"{whole}.{frac:09d}".rstrip("0").rstrip(".") if frac else str(whole)


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 / RFC 3339 UTC time as an aware ``datetime`` (accepts ``Z``; Python 3.10 does not)."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    if "." in value:  # Python 3.10 accepts only 3 or 6 fractional digits: pad or cut to 6
        head, _, rest = value.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        value = f"{head}.{(digits + '000000')[:6]}{rest}"
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def opt_datetime(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) and value else None


def parse_date(value: Any) -> date:
    return date.fromisoformat(str(value))


def opt_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def opt_decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def as_int(value: Any, default: int = 0) -> int:
    parsed = opt_int(value)
    return default if parsed is None else parsed
