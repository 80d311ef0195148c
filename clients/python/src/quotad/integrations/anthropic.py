"""Quota enforcement around the ``anthropic`` package's Messages API.

>>> import anthropic, quotad
>>> from quotad.integrations.anthropic import wrap
>>> llm = wrap(anthropic.Anthropic(), quotad=quotad.Client(...), user="alice")
>>> message = llm.messages.create(model="claude-sonnet-4-5", max_tokens=500, messages=[...])

``wrap`` returns an object that behaves like the Anthropic client it wraps, except that
``messages.create(...)`` and ``messages.stream(...)`` first reserve quota for the request at quotad
(from ``model``, ``messages``, ``system``, ``tools``, ``max_tokens``; over a limit
:class:`quotad.QuotaExceeded` is raised before any request reaches Anthropic), then call Anthropic, then
commit the message's usage (quotad reads cache reads, cache writes and thinking tokens from the body);
when the Anthropic call raises, the reservation is released. Wrap an ``anthropic.Anthropic`` with a
:class:`quotad.Client`, an ``anthropic.AsyncAnthropic`` with a :class:`quotad.AsyncClient`.

- ``messages.create(..., stream=True)`` returns an iterator (async iterator) of the stream's events;
  when it is exhausted, closed or fails, the events received are committed as SSE text (or, when none
  carried usage, an estimate from the messages and the text received).
- ``messages.stream(...)`` returns a (async) context manager like the SDK's: the reservation is made
  when it is entered; when it is left, the final message is committed (the rest of the stream is read
  first), or — when the block raised — the message received so far, or the reservation is released
  when nothing was received.

The ``anthropic`` package is not a dependency of ``quotad``: this module never imports it.
"""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any, Generic, Mapping, TypeVar

from .._client import AsyncClient, AsyncReservationContext, Client, ReservationContext
from .._ops import provider_json
from ._common import Namespace, async_items, open_async, open_sync, reserve_args, sync_items

__all__ = ["wrap", "QuotaAnthropic", "AsyncQuotaAnthropic"]

Q = TypeVar("Q", Client, AsyncClient)

_REQUEST_KEYS = ("model", "messages", "system", "tools", "max_tokens")
_USAGE_EVENTS = ("message_start", "message_delta")


def _reserve_args(kwargs: dict[str, Any], user: str | None, provider: str) -> dict[str, Any]:
    return reserve_args(kwargs, user, provider, _REQUEST_KEYS)


class _StreamUsage:
    """Collects a ``stream=True`` call's events; at its end, the events as the SSE text quotad reads
    (when one carried usage), else an estimate from the request's messages and the text produced."""

    def __init__(self, request: Mapping[str, Any]) -> None:
        self.messages = request.get("messages")
        self.sse: list[str] = []
        self.text: list[str] = []
        self.reported = False

    def add(self, event: Any) -> None:
        data = provider_json(event)
        if not isinstance(data, Mapping):
            return
        kind = str(data.get("type") or "")
        self.sse.append(f"event: {kind}\ndata: {json.dumps(data)}\n\n")
        usage = data.get("usage") or (data.get("message") or {}).get("usage")
        self.reported = self.reported or (kind in _USAGE_EVENTS and bool(usage))
        delta = data.get("delta")
        if kind == "content_block_delta" and isinstance(delta, Mapping) and isinstance(delta.get("text"), str):
            self.text.append(delta["text"])

    def commit_args(self) -> dict[str, Any]:
        if self.reported:
            return {"response": "".join(self.sse)}
        return {"usage": "estimate", "messages": self.messages, "output_text": "".join(self.text)}


def _snapshot(stream: Any) -> Any:
    """The message a helper stream has accumulated so far, or None before its first event."""
    try:
        return stream.current_message_snapshot
    except (AssertionError, AttributeError):
        return None


class _StreamManager:
    """``messages.stream(...)``: reserves when entered, commits (or releases) when left."""

    def __init__(self, r: ReservationContext, manager: Any) -> None:
        self._r, self._manager = r, manager
        self._stream: Any = None

    def __enter__(self) -> Any:
        self._stream = open_sync(self._r, self._manager.__enter__)
        return self._stream

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            message = self._stream.get_final_message() if kind is None else _snapshot(self._stream)
            if message is not None:
                self._r.commit(message)
        finally:
            try:
                self._manager.__exit__(kind, error, tb)
            finally:
                self._r.__exit__(kind, error, tb)


class _AsyncStreamManager:
    def __init__(self, r: AsyncReservationContext, manager: Any) -> None:
        self._r, self._manager = r, manager
        self._stream: Any = None

    async def __aenter__(self) -> Any:
        self._stream = await open_async(self._r, self._manager.__aenter__)
        return self._stream

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        try:
            message = await self._stream.get_final_message() if kind is None else _snapshot(self._stream)
            if message is not None:
                self._r.commit(message)
        finally:
            try:
                await self._manager.__aexit__(kind, error, tb)
            finally:
                await self._r.__aexit__(kind, error, tb)


class _Wrapped(Generic[Q]):
    """The Anthropic client, with ``messages.create`` / ``messages.stream`` replaced by the subclass's."""

    def __init__(self, client: Any, quotad: Q, user: str | None = None, provider: str = "anthropic") -> None:
        self._client, self._user, self._provider = client, user, provider
        self._quotad: Q = quotad
        self.messages = Namespace(client.messages, create=getattr(self, "_create"),
                                  stream=getattr(self, "_stream"))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class QuotaAnthropic(_Wrapped[Client]):
    """An ``anthropic.Anthropic`` whose ``messages.create`` / ``messages.stream`` are held against quotad."""

    def _create(self, **kwargs: Any) -> Any:
        args = _reserve_args(kwargs, self._user, self._provider)
        if kwargs.get("stream"):
            r = self._quotad.reservation(**args)
            stream = open_sync(r, lambda: self._client.messages.create(**kwargs))
            return sync_items(r, stream, _StreamUsage(args["request"]))
        with self._quotad.reservation(**args) as r:
            message = self._client.messages.create(**kwargs)
            r.commit(message)
        return message

    def _stream(self, **kwargs: Any) -> _StreamManager:
        args = _reserve_args(kwargs, self._user, self._provider)
        return _StreamManager(self._quotad.reservation(**args), self._client.messages.stream(**kwargs))


class AsyncQuotaAnthropic(_Wrapped[AsyncClient]):
    """An ``anthropic.AsyncAnthropic`` whose ``messages.create`` / ``messages.stream`` are held against quotad."""

    async def _create(self, **kwargs: Any) -> Any:
        args = _reserve_args(kwargs, self._user, self._provider)
        if kwargs.get("stream"):
            r = self._quotad.reservation(**args)
            stream = await open_async(r, lambda: self._client.messages.create(**kwargs))
            return async_items(r, stream, _StreamUsage(args["request"]))
        async with self._quotad.reservation(**args) as r:
            message = await self._client.messages.create(**kwargs)
            r.commit(message)
        return message

    def _stream(self, **kwargs: Any) -> _AsyncStreamManager:
        args = _reserve_args(kwargs, self._user, self._provider)
        return _AsyncStreamManager(self._quotad.reservation(**args), self._client.messages.stream(**kwargs))


def wrap(client: Any, *, quotad: Client | AsyncClient, user: str | None = None, provider: str = "anthropic"
         ) -> Any:
    """Wrap an ``anthropic.Anthropic`` (with a :class:`quotad.Client`) or an ``anthropic.AsyncAnthropic``
    (with a :class:`quotad.AsyncClient`). ``user`` is the quotad user every call is charged to (a call
    may name another with ``quotad_user=``)."""
    if isinstance(quotad, AsyncClient):
        return AsyncQuotaAnthropic(client, quotad, user, provider)
    return QuotaAnthropic(client, quotad, user, provider)
