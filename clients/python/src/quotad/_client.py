"""The synchronous and asynchronous clients.

Both are thin: every operation is declared once on :class:`_Base` as an :class:`_Operation` wrapping a
builder from ``_ops`` (which builds the request and knows how to read the answer). Bound to a
:class:`Client` it returns the result; bound to an :class:`AsyncClient` it returns an awaitable of the
result. What differs between the two is only how one :class:`~quotad._ops.Call` is sent (with blocking
or asynchronous I/O and sleeps); when to retry and how long to wait is decided once, in
:class:`RetryPolicy`.
"""

from __future__ import annotations

import asyncio
import functools
import os
import random
import time
from dataclasses import dataclass
from types import TracebackType
from typing import (
    Any, AsyncIterator, Awaitable, Callable, Generic, Iterator, Mapping, ParamSpec, Sequence, TypeVar, final,
    overload,
)

import httpx

from . import _ops
from ._ops import Call
from ._version import __version__
from .errors import APIError, NotFound, QuotadConnectionError, error_from_response
from .models import Event, Reservation, TokenUsage, UsageResult

P = ParamSpec("P")
T = TypeVar("T")
TR = TypeVar("TR")

_CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    """When a failed attempt is tried again, and after how long.

    Retried: connection errors (refused, reset, timed out) and ``503`` answers, at most ``retries`` times,
    with exponential backoff and full jitter (``backoff × 2^attempt``, capped at ``max_backoff``), or the
    server's ``Retry-After`` when it gives one (capped at ``max_retry_after``). Never retried: every other
    status (4xx, 429, 507, other 5xx). Calls that are not idempotent (creating a key or a webhook) are
    retried only when the request surely did not arrive (connection refused, ``503 redis_unavailable``).
    """

    retries: int = 3
    backoff: float = 0.25
    max_backoff: float = 8.0
    max_retry_after: float = 30.0

    def _wait(self, attempt: int, retry_after: int | None) -> float:
        if retry_after is not None:
            return float(min(max(retry_after, 0), self.max_retry_after))
        return random.uniform(0, min(self.max_backoff, self.backoff * (2 ** attempt)))

    def after_error(self, call: Call[Any], attempt: int, error: httpx.TransportError) -> float | None:
        """Seconds to wait before the next attempt after a transport error, or None to give up."""
        if attempt >= self.retries:
            return None
        if call.retry == "connect" and not isinstance(error, _CONNECT_ERRORS):
            return None
        return self._wait(attempt, None)

    def after_response(self, call: Call[Any], attempt: int, response: httpx.Response) -> float | None:
        """Seconds to wait before the next attempt after this answer, or None to keep the answer."""
        if response.status_code != 503 or attempt >= self.retries:
            return None
        if call.retry == "connect" and _error_code(response) != "redis_unavailable":
            return None
        retry_after = response.headers.get("retry-after")
        return self._wait(attempt, int(retry_after) if retry_after and retry_after.isdigit() else None)


def _error_code(response: httpx.Response) -> str | None:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


class _Attempts:
    """The retry state of one call: after each failed attempt it says how long to wait, or gives up."""

    def __init__(self, policy: RetryPolicy, call: Call[Any]) -> None:
        self.policy, self.call, self.count = policy, call, 0

    def wait_after_error(self, error: httpx.TransportError) -> float:
        """Seconds to wait before trying again; raises :class:`QuotadConnectionError` when out of retries."""
        delay = self.policy.after_error(self.call, self.count, error)
        if delay is None:
            raise QuotadConnectionError(f"{self.call.method} {self.call.path}: {error!r}") from error
        self.count += 1
        return delay

    def wait_after(self, response: httpx.Response) -> float | None:
        """Seconds to wait before trying again, or None when this answer is final."""
        delay = self.policy.after_response(self.call, self.count, response)
        if delay is not None:
            self.count += 1
        return delay


def _finish(call: Call[T], response: httpx.Response) -> T:
    """The call's result for a 2xx answer; the typed error otherwise."""
    if 200 <= response.status_code < 300:
        return call.parse(response)
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    raise error_from_response(response.status_code, response.headers, body)


def _env(value: str | None, name: str) -> str | None:
    return value if value is not None else (os.environ.get(name) or None)


class _Operation(Generic[P, T]):
    """One API operation: bound to a :class:`Client` it returns ``T``, to an :class:`AsyncClient` an
    awaitable of ``T``. Its parameters and documentation are the builder's."""

    def __init__(self, build: Callable[P, Call[T]]) -> None:
        self._build = build
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _Operation[P, T]: ...
    @overload
    def __get__(self, obj: Client, owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(self, obj: AsyncClient, owner: type[Any]) -> Callable[P, Awaitable[T]]: ...

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        build, send = self._build, obj._send

        @functools.wraps(build)
        def bound(*args: Any, **kwargs: Any) -> Any:
            return send(build(*args, **kwargs))

        return bound


class _ReservationFactory(Generic[P]):
    """``client.reservation(...)``: takes :func:`quotad._ops.reserve`'s parameters and returns a
    :class:`ReservationContext` (``with``) or an :class:`AsyncReservationContext` (``async with``)."""

    def __init__(self, build: Callable[P, Call[Reservation]]) -> None:
        self._build = build
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _ReservationFactory[P]: ...
    @overload
    def __get__(self, obj: Client, owner: type[Any]) -> Callable[P, ReservationContext]: ...
    @overload
    def __get__(self, obj: AsyncClient, owner: type[Any]) -> Callable[P, AsyncReservationContext]: ...

    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        build = self._build
        kind = AsyncReservationContext if isinstance(obj, AsyncClient) else ReservationContext

        @functools.wraps(build)
        def bound(*args: Any, **kwargs: Any) -> Any:
            return kind(obj, build(*args, **kwargs))

        return bound


class _Base(Generic[TR]):
    """What both clients share: configuration, headers and every operation."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, tenant: str | None = None, *,
                 timeout: float = 10.0, retries: int = 3, backoff: float = 0.25, max_backoff: float = 8.0,
                 headers: Mapping[str, str] | None = None, transport: TR | None = None) -> None:
        url = _env(base_url, "QUOTAD_URL")
        if not url:
            raise ValueError("no quotad URL: pass base_url= or set QUOTAD_URL")
        self.base_url = url.rstrip("/")
        self.api_key = _env(api_key, "QUOTAD_API_KEY")
        self.tenant = _env(tenant, "QUOTAD_TENANT")
        self.timeout = timeout
        self.retry_policy = RetryPolicy(retries=retries, backoff=backoff, max_backoff=max_backoff)
        self._headers = {"Accept": "application/json", "User-Agent": f"quotad-python/{__version__}"}
        if self.api_key:
            self._headers["Authorization"] = f"Bearer {self.api_key}"
        self._headers.update(headers or {})
        self._open(transport)

    def _open(self, transport: TR | None) -> None:
        """Creates the client's httpx client (``self._http``)."""
        raise NotImplementedError

    def _request_args(self, call: Call[Any]) -> dict[str, Any]:
        headers = dict(call.headers)
        content = call.encoded_body()
        if content is not None:
            headers["Content-Type"] = "application/json"
        return {"method": call.method, "url": call.url_path(self.tenant), "params": list(call.params),
                "headers": headers, "content": content}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, tenant={self.tenant!r})"

    # usage
    record = _Operation(_ops.record)
    record_batch = _Operation(_ops.record_batch)
    get_user_usage = _Operation(_ops.get_user_usage)
    get_group_usage = _Operation(_ops.get_group_usage)
    get_tenant_usage = _Operation(_ops.get_tenant_usage)
    daily_usage = _Operation(_ops.daily_usage)
    reset_user_usage = _Operation(_ops.reset_user_usage)
    # reservations
    reserve = _Operation(_ops.reserve)
    commit = _Operation(_ops.commit)
    release = _Operation(_ops.release)
    reservation = _ReservationFactory(_ops.reserve)
    # quotas
    get_quota = _Operation(_ops.get_quota)
    put_quota = _Operation(_ops.put_quota)
    delete_quota = _Operation(_ops.delete_quota)
    # reports, events, dimensions
    report = _Operation(_ops.report)
    report_csv = _Operation(_ops.report_csv)
    events_page = _Operation(_ops.events_page)
    get_dimensions = _Operation(_ops.get_dimensions)
    put_dimensions = _Operation(_ops.put_dimensions)
    # keys, webhooks, settings, health
    create_key = _Operation(_ops.create_key)
    list_keys = _Operation(_ops.list_keys)
    revoke_key = _Operation(_ops.revoke_key)
    create_webhook = _Operation(_ops.create_webhook)
    list_webhooks = _Operation(_ops.list_webhooks)
    delete_webhook = _Operation(_ops.delete_webhook)
    list_deliveries = _Operation(_ops.list_deliveries)
    retry_delivery = _Operation(_ops.retry_delivery)
    get_metrics_settings = _Operation(_ops.get_metrics_settings)
    update_metrics_settings = _Operation(_ops.update_metrics_settings)
    ready = _Operation(_ops.ready)


@final
class Client(_Base[httpx.BaseTransport]):
    """A blocking quotad client (thread-safe: one connection pool shared by every call).

    ``Client(base_url, api_key, tenant)``; omitted arguments are read from ``QUOTAD_URL``,
    ``QUOTAD_API_KEY`` and ``QUOTAD_TENANT``. ``transport`` replaces httpx's (for tests and proxies).
    Use it as a context manager, or call :meth:`close`.
    """

    def _open(self, transport: httpx.BaseTransport | None) -> None:
        self._http = httpx.Client(base_url=self.base_url, headers=self._headers, timeout=self.timeout,
                                  transport=transport)

    def _send(self, call: Call[T]) -> T:
        attempts = _Attempts(self.retry_policy, call)
        while True:
            try:
                response = self._http.request(**self._request_args(call))
            except httpx.TransportError as error:
                time.sleep(attempts.wait_after_error(error))
                continue
            delay = attempts.wait_after(response)
            if delay is None:
                return _finish(call, response)
            time.sleep(delay)

    def events(self, *, since: str | None = None, page_size: int = 100, tenant: str | None = None
               ) -> Iterator[Event]:
        """Every recorded event after ``since`` (a cursor; default: the oldest retained), oldest first,
        following ``Next-Cursor`` page by page until the stream holds nothing newer. Each event's
        ``cursor`` resumes after it."""
        while True:
            page = self._send(_ops.events_page(since=since, limit=page_size, tenant=tenant))
            yield from page.events
            since = _ops.next_since(page, since)
            if since is None:
                return

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@final
class AsyncClient(_Base[httpx.AsyncBaseTransport]):
    """The asyncio quotad client: the same operations as :class:`Client`, each awaited.

    Omitted arguments are read from ``QUOTAD_URL``, ``QUOTAD_API_KEY`` and ``QUOTAD_TENANT``. Use it as
    an async context manager, or await :meth:`aclose`.
    """

    def _open(self, transport: httpx.AsyncBaseTransport | None) -> None:
        self._http = httpx.AsyncClient(base_url=self.base_url, headers=self._headers, timeout=self.timeout,
                                       transport=transport)

    async def _send(self, call: Call[T]) -> T:
        attempts = _Attempts(self.retry_policy, call)
        while True:
            try:
                response = await self._http.request(**self._request_args(call))
            except httpx.TransportError as error:
                await asyncio.sleep(attempts.wait_after_error(error))
                continue
            delay = attempts.wait_after(response)
            if delay is None:
                return _finish(call, response)
            await asyncio.sleep(delay)

    async def events(self, *, since: str | None = None, page_size: int = 100, tenant: str | None = None
                     ) -> AsyncIterator[Event]:
        """``async for event in client.events()``: as :meth:`Client.events`."""
        while True:
            page = await self._send(_ops.events_page(since=since, limit=page_size, tenant=tenant))
            for event in page.events:
                yield event
            since = _ops.next_since(page, since)
            if since is None:
                return

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class _ReservationState:
    """What both reservation context managers share: the reserve call, the grant and the settlement."""

    def __init__(self, reserve_call: Call[Reservation]) -> None:
        self._reserve_call = reserve_call
        self._tenant = reserve_call.tenant
        self.reservation: Reservation | None = None
        self.result: UsageResult | None = None
        self._commit_call: Call[UsageResult] | None = None
        self._refused: APIError | None = None

    @property
    def reservation_id(self) -> str:
        if self.reservation is None:
            raise RuntimeError("the reservation is made when the with block is entered")
        return self.reservation.reservation_id

    def commit(self, response: Any = None, *, usage: TokenUsage | Mapping[str, int] | str | None = None,
               event_id: str | None = None, model: str | None = None, provider: str | None = None,
               latency_ms: int | None = None, metadata: Mapping[str, str] | None = None,
               error: bool | None = None, messages: Sequence[Mapping[str, Any]] | None = None,
               output_text: str | None = None) -> None:
        """Mark the call's usage to commit when the block ends: the provider's ``response`` (or ``usage``
        counts, or ``usage='estimate'`` with ``messages``/``output_text``). At most once per reservation."""
        if self._commit_call is not None:
            raise RuntimeError("commit() was already called for this reservation")
        self._commit_call = _ops.commit(self.reservation_id, response=response, usage=usage, event_id=event_id,
                                        model=model, provider=provider, latency_ms=latency_ms,
                                        metadata=metadata, error=error, messages=messages,
                                        output_text=output_text, tenant=self._tenant)

    def _release_call(self) -> Call[None]:
        return _ops.release(self.reservation_id, tenant=self._tenant)

    def _first_settlement(self) -> Call[Any]:
        """The commit if ``commit()`` was called, else the release."""
        return self._commit_call if self._commit_call is not None else self._release_call()

    def _settled(self, call: Call[Any], outcome: Any, block_raised: bool) -> Call[Any] | None:
        """Takes one settlement call's outcome (its result, or the :class:`APIError` it raised) and
        returns the next call to send, or None when done; raises what the ``with`` must raise.

        A refused commit is followed by a release, then its error is raised. A failed release is raised
        only when the block did not raise (its own error must not be hidden) and the reservation still
        existed (``NotFound``: it expired or was settled already)."""
        if call is self._commit_call:
            if isinstance(outcome, APIError):
                self._refused = outcome
                return self._release_call()
            self.result = outcome
            return None
        if self._refused is not None:
            raise self._refused
        if isinstance(outcome, APIError) and not block_raised and not isinstance(outcome, NotFound):
            raise outcome
        return None


class ReservationContext(_ReservationState):
    """``with client.reservation(user=…, model=…, input_tokens=… or messages=…, max_output_tokens=…) as r:``

    Entering reserves (raising :class:`QuotaExceeded` before the LLM is called). Inside the block call
    ``r.commit(provider_response)`` once the provider answered. Leaving commits that response if
    ``commit`` was called (also when the block raised afterwards: the call happened), else releases
    the reservation, so the quota it held is restored at once. ``r.result`` holds the commit's
    :class:`UsageResult`. A commit refused by the server releases the reservation and raises.
    """

    def __init__(self, client: Client, reserve_call: Call[Reservation]) -> None:
        super().__init__(reserve_call)
        self._client = client

    def __enter__(self) -> ReservationContext:
        self.reservation = self._client._send(self._reserve_call)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        call: Call[Any] | None = self._first_settlement()
        while call is not None:
            try:
                outcome: Any = self._client._send(call)
            except APIError as error:
                outcome = error
            call = self._settled(call, outcome, exc is not None)


class AsyncReservationContext(_ReservationState):
    """``async with client.reservation(...) as r:`` — as :class:`ReservationContext`; ``r.commit(...)``
    is a plain (not awaited) call that marks the response to commit when the block ends."""

    def __init__(self, client: AsyncClient, reserve_call: Call[Reservation]) -> None:
        super().__init__(reserve_call)
        self._client = client

    async def __aenter__(self) -> AsyncReservationContext:
        self.reservation = await self._client._send(self._reserve_call)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        call: Call[Any] | None = self._first_settlement()
        while call is not None:
            try:
                outcome: Any = await self._client._send(call)
            except APIError as error:
                outcome = error
            call = self._settled(call, outcome, exc is not None)
