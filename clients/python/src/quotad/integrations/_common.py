"""Pieces every provider wrapper shares: the request → reservation mapping, the SDK-sentinel filter,
attribute forwarding, and the stream iterators that commit what a stream produced when it ends (the
sync and async ones differ only in how they iterate and exit the reservation)."""

from __future__ import annotations

from typing import Any, AsyncIterator, Iterator, Mapping, Protocol, Sequence

from .._client import AsyncReservationContext, ReservationContext


class StreamUsage(Protocol):
    """Collects a stream's items; at its end, the arguments of ``r.commit(...)``."""

    def add(self, item: Any) -> None: ...

    def commit_args(self) -> dict[str, Any]: ...


def given(value: Any) -> bool:
    """False for the SDKs' ``NOT_GIVEN`` / ``omit`` sentinels and None."""
    return value is not None and type(value).__name__ not in ("NotGiven", "Omit")


def plain(value: Any) -> Any:
    """A request argument as JSON (SDK pydantic objects dumped, sentinels dropped)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items() if given(v)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    dump = getattr(value, "model_dump", None)
    return dump(mode="json", exclude_none=True) if callable(dump) else value


def reserve_args(kwargs: dict[str, Any], user: str | None, provider: str, keys: Sequence[str]) -> dict[str, Any]:
    """Pops ``quotad_user`` from the call's arguments; the arguments of ``client.reservation(...)``, with
    the request members quotad reads for its estimate (``keys``; the rest are the SDK's own)."""
    who = kwargs.pop("quotad_user", None) or user
    if not who:
        raise ValueError("no quotad user: pass user= to wrap() or quotad_user= to the call")
    model = kwargs.get("model")
    if not isinstance(model, str):
        raise ValueError("the call needs model=")
    request = {key: plain(kwargs[key]) for key in keys if key in kwargs and given(kwargs[key])}
    return {"user": who, "model": model, "request": request, "provider": provider}


class Namespace:
    """An SDK namespace object with some members replaced; every other attribute is the inner one's."""

    def __init__(self, inner: Any, **members: Any) -> None:
        self._inner = inner
        self.__dict__.update(members)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def sync_items(r: ReservationContext, stream: Any, usage: StreamUsage) -> Iterator[Any]:
    """Yields the stream's items; when it ends, is closed or fails, commits what it produced."""
    try:
        for item in stream:
            usage.add(item)
            yield item
    finally:
        r.commit(**usage.commit_args())
        r.__exit__(None, None, None)


async def async_items(r: AsyncReservationContext, stream: Any, usage: StreamUsage) -> AsyncIterator[Any]:
    try:
        async for item in stream:
            usage.add(item)
            yield item
    finally:
        r.commit(**usage.commit_args())
        await r.__aexit__(None, None, None)


def open_sync(r: ReservationContext, call: Any) -> Any:
    """Enters the reservation, then makes the call; when the call raises, the reservation is released."""
    r.__enter__()
    try:
        return call()
    except BaseException as error:
        r.__exit__(type(error), error, error.__traceback__)
        raise


async def open_async(r: AsyncReservationContext, call: Any) -> Any:
    await r.__aenter__()
    try:
        return await call()
    except BaseException as error:
        await r.__aexit__(type(error), error, error.__traceback__)
        raise
