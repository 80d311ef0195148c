"""Usage recording and quota enforcement for LiteLLM (the ``litellm`` package and its proxy).

>>> import litellm, quotad
>>> from quotad.integrations.litellm import QuotadLogger
>>> litellm.callbacks = [QuotadLogger(quotad.Client(...), user="alice")]

**Recording** — :class:`QuotadLogger` is a LiteLLM ``CustomLogger``. It records every finished call at
quotad: ``log_success_event`` (``completion``), ``async_log_success_event`` (``acompletion``, the proxy),
streams included (LiteLLM calls them once, with the assembled response, when a stream ends). Where
LiteLLM keeps the provider's own response body (``kwargs["original_response"]``, every non-stream
call) that body is what quotad reads and prices — not LiteLLM's normalised ``model_dump()``, which an
OpenAI-shaped reader prices without Anthropic's cache writes. A stream has no such body: its assembled
usage is converted to quotad's canonical counts, cache reads, cache writes (5 min / 1 h) and reasoning
tokens included. A failed call records an error event (no tokens: ``totals.errors`` counts it).

The user is ``metadata["quotad_user"]`` (the key is ``user_key=``), else LiteLLM's ``user=``, else the
proxy's end user (``user_api_key_end_user_id``), else ``user=`` of the logger. The event id is LiteLLM's
``litellm_call_id``, so a callback delivered twice (or a retried record) counts once.

**Enforcement** — :func:`completion` / :func:`acompletion` wrap ``litellm.completion`` /
``litellm.acompletion``: they reserve at quotad from the request (raising :class:`quotad.QuotaExceeded`
before any request reaches the provider), call LiteLLM, then commit the response's usage, or release
the reservation when the call raised. For the LiteLLM proxy, :meth:`QuotadLogger.async_pre_call_hook`
reserves before the proxy calls the model (over a limit it raises ``litellm.RateLimitError``, which the
proxy answers with 429); the logger's success / failure callbacks then commit / release it.

**quotad unreachable** (or answering an error other than 429) is logged at warning on
``quotad.integrations.litellm`` and counted (``QuotadLogger.failures``, ``enforcer.failures``), never
silent. Recording fails open by default (the LLM call goes on: ``fail_open=True``); enforcement fails
closed by default (the error is raised: ``fail_open=False``).

Importing this module needs ``litellm`` (``pip install "quotad[litellm]"``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from typing import Any, AsyncIterator, Iterator, Mapping

import litellm
from litellm.exceptions import RateLimitError
from litellm.integrations.custom_logger import CustomLogger

from .._client import AsyncClient, AsyncReservationContext, Client, ReservationContext
from ..errors import NotFound, QuotadError, QuotaExceeded
from ._common import given, plain

__all__ = ["QuotadLogger", "QuotadEnforcer", "enforcer", "completion", "acompletion", "canonical_usage"]

logger = logging.getLogger("quotad.integrations.litellm")

# LiteLLM's provider names that quotad reads a body of (others: quotad detects the body's shape).
_PROVIDERS = {"openai": "openai", "text-completion-openai": "openai", "azure": "azure_openai",
              "anthropic": "anthropic", "mistral": "mistral", "bedrock": "bedrock", "gemini": "gemini",
              "vertex_ai": "vertex_ai", "vertex_ai_beta": "vertex_ai_beta"}
# The request members quotad reads for its estimate.
_REQUEST_KEYS = ("messages", "max_tokens", "max_completion_tokens", "tools", "functions")
_RESERVATION_KEY = "quotad_reservation_id"


# --- reading LiteLLM's call details ------------------------------------------------------------------

def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _metadata(kwargs: Mapping[str, Any]) -> Mapping[str, Any]:
    """The call's metadata: ``litellm_params.metadata`` (the SDK, the proxy), else the call's own."""
    params = _mapping(kwargs.get("litellm_params"))
    for value in (params.get("metadata"), params.get("litellm_metadata"), kwargs.get("metadata"),
                  kwargs.get("litellm_metadata")):
        if isinstance(value, Mapping) and value:
            return value
    return {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def resolve_user(kwargs: Mapping[str, Any], default: str | None, user_key: str = "quotad_user") -> str | None:
    """The quotad user of a LiteLLM call: ``metadata[user_key]``, LiteLLM's ``user=``, the proxy's end
    user, else ``default``."""
    metadata = _metadata(kwargs)
    optional = _mapping(kwargs.get("optional_params"))
    return (_text(metadata.get(user_key)) or _text(kwargs.get("user")) or _text(optional.get("user"))
            or _text(metadata.get("user_api_key_end_user_id")) or default)


def canonical_usage(usage: Any) -> dict[str, int] | None:
    """quotad's canonical counts from LiteLLM's normalised ``Usage`` (object or dict): LiteLLM's
    ``prompt_tokens`` include cache reads and writes, as quotad's ``input_tokens`` do; the cache writes
    are ``cache_creation_input_tokens`` (split 5 min / 1 h in ``prompt_tokens_details``)."""
    data = plain(usage) if usage is not None else None
    if not isinstance(data, Mapping) or not ("prompt_tokens" in data or "completion_tokens" in data):
        return None
    prompt = _mapping(data.get("prompt_tokens_details"))
    completion_details = _mapping(data.get("completion_tokens_details"))
    writes = _mapping(prompt.get("cache_creation_token_details"))
    counts = {
        "input_tokens": _int(data.get("prompt_tokens")),
        "cached_input_tokens": _int(prompt.get("cached_tokens")) or _int(data.get("cache_read_input_tokens")),
        "cache_write_tokens": (_int(data.get("cache_creation_input_tokens"))
                               or _int(prompt.get("cache_creation_tokens")) or _int(prompt.get("cache_write_tokens"))),
        "cache_write_1h_tokens": _int(writes.get("ephemeral_1h_input_tokens")),
        "output_tokens": _int(data.get("completion_tokens")),
        "reasoning_tokens": _int(completion_details.get("reasoning_tokens")),
    }
    return {name: value for name, value in counts.items() if value}


def _original_body(kwargs: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The provider's own response body, where LiteLLM kept it (non-stream calls): a JSON object with
    a ``usage`` member (or Gemini's ``usageMetadata``)."""
    if kwargs.get("stream"):
        return None
    original = kwargs.get("original_response")
    if isinstance(original, (str, bytes)):
        try:
            original = json.loads(original)
        except ValueError:
            return None
    if isinstance(original, Mapping) and ("usage" in original or "usageMetadata" in original):
        return original
    return None


def _provider(kwargs: Mapping[str, Any]) -> str | None:
    name = kwargs.get("custom_llm_provider")
    return _PROVIDERS.get(name) if isinstance(name, str) else None


def _usage_of(kwargs: Mapping[str, Any], response_obj: Any) -> dict[str, int] | None:
    """A stream's (or a body-less call's) usage: the assembled response's, else the response object's."""
    for candidate in (kwargs.get("complete_streaming_response"), response_obj):
        usage = canonical_usage(getattr(candidate, "usage", None) if candidate is not None else None)
        if usage is None and isinstance(candidate, Mapping):
            usage = canonical_usage(candidate.get("usage"))
        if usage is not None:
            return usage
    return None


def settlement_args(kwargs: Mapping[str, Any], response_obj: Any) -> dict[str, Any]:
    """``response=`` (the provider's body) or ``usage=`` (canonical counts) of a finished call, with its
    model and provider; ``usage`` is None when the call reported nothing."""
    body = _original_body(kwargs)
    model = _text(kwargs.get("model"))
    if body is not None:
        return {"response": dict(body), "provider": _provider(kwargs), "model": model}
    return {"usage": _usage_of(kwargs, response_obj), "provider": _provider(kwargs), "model": model}


# --- the logger ----------------------------------------------------------------------------------------

class QuotadLogger(CustomLogger):
    """Records every LiteLLM call at quotad (see the module); also the proxy's pre-call reservation hook.

    ``client`` is a :class:`quotad.Client` (sync callbacks; async ones run it in a thread) or a
    :class:`quotad.AsyncClient` (async callbacks only; give both with ``async_client=``).
    ``user`` is the default user; ``fail_open`` (default True) keeps a call going when recording at
    quotad fails, ``fail_open=False`` raises the error into the call (LiteLLM may swallow callback
    errors; the proxy hook's errors refuse the request). ``enforce_fail_open`` (default False) is the
    proxy hook's policy when quotad cannot be reached to reserve.
    """

    def __init__(self, client: Client | AsyncClient | None = None, *, async_client: AsyncClient | None = None,
                 user: str | None = None, user_key: str = "quotad_user", fail_open: bool = True,
                 enforce_fail_open: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client if isinstance(client, Client) else None
        self.async_client = async_client or (client if isinstance(client, AsyncClient) else None)
        if self.client is None and self.async_client is None:
            raise ValueError("QuotadLogger needs a quotad.Client or a quotad.AsyncClient")
        self.user, self.user_key = user, user_key
        self.fail_open, self.enforce_fail_open = fail_open, enforce_fail_open
        self.failures = 0          # quotad unreachable or refusing: each one logged at warning
        self.unrecorded = 0        # calls with no user or no usage: logged, nothing recorded
        self.answered = 0          # sends quotad answered (recorded, duplicate or already settled)
        self._lock = threading.Lock()

    # what each callback sends ------------------------------------------------------------------------

    def _plan(self, kwargs: Mapping[str, Any], response_obj: Any, failed: bool) -> tuple[str, dict[str, Any]] | None:
        """(``"record"`` | ``"commit"`` | ``"release"``, arguments) for a finished call, or None."""
        call_id = _text(kwargs.get("litellm_call_id"))
        reservation = _text(_metadata(kwargs).get(_RESERVATION_KEY))
        user = resolve_user(kwargs, self.user, self.user_key)
        if failed:
            if reservation is not None:
                return "release", {"reservation_id": reservation}
            if user is None:
                self._unrecorded("a failed call", call_id, "no quotad user")
                return None
            return "record", {"user": user, "usage": {}, "error": True, "event_id": call_id,
                              "model": _text(kwargs.get("model")), "provider": _provider(kwargs)}
        args = settlement_args(kwargs, response_obj)
        if "usage" in args and args["usage"] is None:
            self._unrecorded("a call", call_id, "no usage reported")
            if reservation is not None:
                return "release", {"reservation_id": reservation}
            return None
        if reservation is not None:
            return "commit", {"reservation_id": reservation, "user": user, "event_id": call_id, **args}
        if user is None:
            self._unrecorded("a call", call_id, f"no quotad user (pass user= or metadata={{'{self.user_key}': ...}})")
            return None
        return "record", {"user": user, "event_id": call_id, **args}

    def _unrecorded(self, what: str, call_id: str | None, why: str) -> None:
        self.unrecorded += 1
        logger.warning("quotad: %s (litellm_call_id %s) not recorded: %s", what, call_id, why)

    def _failed(self, action: str, error: QuotadError) -> None:
        self.failures += 1
        logger.warning("quotad: %s of a LiteLLM call failed: %s", action, error)
        if not self.fail_open:
            raise error

    def _send_sync(self, client: Client, plan: tuple[str, dict[str, Any]]) -> None:
        action, args = plan
        try:
            if action == "record":
                client.record(**args)
            elif action == "commit":
                client.commit(**args)
            else:
                client.release(**args)
        except NotFound:
            pass                   # a release whose reservation is already gone (expired, settled)
        except QuotadError as error:
            self._failed(action, error)
            return
        self._answered()

    def _answered(self) -> None:
        with self._lock:           # sync callbacks run on LiteLLM's threads
            self.answered += 1

    async def _send(self, plan: tuple[str, dict[str, Any]]) -> None:
        if self.async_client is None:
            assert self.client is not None
            await asyncio.to_thread(self._send_sync, self.client, plan)
            return
        action, args = plan
        try:
            if action == "record":
                await self.async_client.record(**args)
            elif action == "commit":
                await self.async_client.commit(**args)
            else:
                await self.async_client.release(**args)
        except NotFound:
            pass
        except QuotadError as error:
            self._failed(action, error)
            return
        self._answered()

    def _sync(self, kwargs: Any, response_obj: Any, failed: bool) -> None:
        plan = self._plan(_mapping(kwargs), response_obj, failed)
        if plan is None:
            return
        if self.client is None:
            self._failed(plan[0], QuotadError("QuotadLogger has no quotad.Client for LiteLLM's sync callbacks"))
            return
        self._send_sync(self.client, plan)

    # LiteLLM's callbacks -----------------------------------------------------------------------------

    def log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self._sync(kwargs, response_obj, failed=False)

    def log_failure_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self._sync(kwargs, response_obj, failed=True)

    async def async_log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        plan = self._plan(_mapping(kwargs), response_obj, failed=False)
        if plan is not None:
            await self._send(plan)

    async def async_log_failure_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        plan = self._plan(_mapping(kwargs), response_obj, failed=True)
        if plan is not None:
            await self._send(plan)

    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict[str, Any],
                                  call_type: Any) -> dict[str, Any]:
        """The LiteLLM proxy's hook: reserves for the request before the proxy calls the model and keeps
        the reservation id in the request's metadata (the success / failure callback settles it). Over a
        limit raises ``litellm.RateLimitError`` (the proxy answers 429; ``__cause__`` is the
        :class:`quotad.QuotaExceeded`)."""
        metadata = data.get("metadata")
        if not isinstance(metadata, dict):
            metadata = data["metadata"] = {}
        user = (resolve_user(data, None, self.user_key)
                or _text(getattr(user_api_key_dict, "end_user_id", None))
                or _text(getattr(user_api_key_dict, "user_id", None)) or self.user)
        model = _text(data.get("model"))
        if user is None or model is None:
            self._unrecorded("a proxy request", _text(data.get("litellm_call_id")), "no quotad user or model")
            return data
        metadata.setdefault(self.user_key, user)      # the callbacks charge the same user
        request = {key: plain(data[key]) for key in _REQUEST_KEYS if given(data.get(key))}
        try:
            if self.async_client is not None:
                held = await self.async_client.reserve(user, model, request=request)
            else:
                assert self.client is not None
                held = await asyncio.to_thread(self.client.reserve, user, model, request=request)
        except QuotaExceeded as refused:
            raise RateLimitError(message=f"quotad: {refused.message}", llm_provider="quotad",
                                         model=model) from refused
        except QuotadError as error:
            self.failures += 1
            logger.warning("quotad: reserving for a LiteLLM proxy request failed: %s", error)
            if not self.enforce_fail_open:
                raise
            return data
        metadata[_RESERVATION_KEY] = held.reservation_id
        return data


# --- the completion wrappers -------------------------------------------------------------------------

def _reserve_args(kwargs: dict[str, Any], user: str | None) -> dict[str, Any]:
    who = user or resolve_user(kwargs, None)
    if not who:
        raise ValueError("no quotad user: pass user= (or metadata={'quotad_user': ...}) to the call")
    model = kwargs.get("model")
    if not isinstance(model, str):
        raise ValueError("the call needs model=")
    request = {key: plain(kwargs[key]) for key in _REQUEST_KEYS if given(kwargs.get(key))}
    return {"user": who, "model": model, "request": request}


def _commit_args(response: Any, model: str, call_id: str) -> dict[str, Any]:
    """The usage of a wrapped call's response; the event id is the call's ``litellm_call_id`` (so a
    :class:`QuotadLogger` on the same call is a duplicate, not a second count)."""
    usage = canonical_usage(getattr(response, "usage", None))
    if usage is None:
        return {"usage": "estimate", "output_text": _reply_text(response), "model": model, "event_id": call_id}
    return {"usage": usage, "model": model, "event_id": call_id}


def _reply_text(response: Any) -> str:
    data = plain(response)
    parts = []
    for choice in _mapping(data).get("choices") or ():
        content = _mapping(_mapping(choice).get("message")).get("content")
        if isinstance(content, str):
            parts.append(content)
    return "".join(parts)


class _StreamUsage:
    """A wrapped stream's chunks; at its end, the usage of the chunk that carried it (LiteLLM's
    assembled usage, cache writes included), else an estimate from the messages and the text."""

    def __init__(self, request: Mapping[str, Any], model: str, call_id: str) -> None:
        self.messages = request.get("messages")
        self.model, self.call_id = model, call_id
        self.usage: dict[str, int] | None = None
        self.text: list[str] = []

    def add(self, chunk: Any) -> None:
        usage = canonical_usage(getattr(chunk, "usage", None))
        if usage is not None:
            self.usage = usage
        for choice in getattr(chunk, "choices", None) or ():
            content = getattr(getattr(choice, "delta", None), "content", None)
            if isinstance(content, str):
                self.text.append(content)

    def commit_args(self) -> dict[str, Any]:
        if self.usage is not None:
            return {"usage": self.usage, "model": self.model, "event_id": self.call_id}
        return {"usage": "estimate", "messages": self.messages, "output_text": "".join(self.text),
                "model": self.model, "event_id": self.call_id}


def _sync_stream(r: ReservationContext, stream: Any, usage: _StreamUsage) -> Iterator[Any]:
    try:
        for chunk in stream:
            usage.add(chunk)
            yield chunk
    finally:
        r.commit(**usage.commit_args())
        r.__exit__(None, None, None)


async def _async_stream(r: AsyncReservationContext, stream: Any, usage: _StreamUsage) -> AsyncIterator[Any]:
    try:
        async for chunk in stream:
            usage.add(chunk)
            yield chunk
    finally:
        r.commit(**usage.commit_args())
        await r.__aexit__(None, None, None)


class QuotadEnforcer:
    """:func:`completion` / :func:`acompletion` with their failure policy and counter.

    ``fail_open=False`` (the default) raises when quotad cannot be reached to reserve (or answers an
    error other than 429); ``fail_open=True`` logs it, counts it in ``failures`` and makes the call
    unreserved (its usage is then recorded best-effort). Each call may override it with ``fail_open=``.
    """

    def __init__(self, *, fail_open: bool = False) -> None:
        self.fail_open = fail_open
        self.failures = 0

    def _failed(self, what: str, error: QuotadError, fail_open: bool | None) -> None:
        self.failures += 1
        logger.warning("quotad: %s for a LiteLLM call failed: %s", what, error)
        if not (self.fail_open if fail_open is None else fail_open):
            raise error

    def _prepare(self, kwargs: dict[str, Any], user: str | None) -> tuple[dict[str, Any], str]:
        args = _reserve_args(kwargs, user)
        call_id = kwargs.setdefault("litellm_call_id", str(uuid.uuid4()))
        # a QuotadLogger on the same call charges the same user (its record is then a duplicate)
        metadata = kwargs.get("metadata")
        kwargs["metadata"] = {**(metadata if isinstance(metadata, Mapping) else {})}
        kwargs["metadata"].setdefault("quotad_user", args["user"])
        if kwargs.get("stream"):
            options = kwargs.get("stream_options")
            kwargs["stream_options"] = {**(options if isinstance(options, Mapping) else {}), "include_usage": True}
        return args, str(call_id)

    def completion(self, *, quotad: Client, user: str | None = None, fail_open: bool | None = None,
                   **kwargs: Any) -> Any:
        """``litellm.completion(**kwargs)`` held against quotad (see the module)."""
        args, call_id = self._prepare(kwargs, user)
        r = quotad.reservation(**args, reservation_id=call_id)
        try:
            r.__enter__()
        except QuotaExceeded:
            raise
        except QuotadError as error:
            self._failed("reserving", error, fail_open)
            return self._unreserved(quotad, args, kwargs, fail_open)
        try:
            response = litellm.completion(**kwargs)
        except BaseException as error:
            r.__exit__(type(error), error, error.__traceback__)
            raise
        if kwargs.get("stream"):
            return _sync_stream(r, response, _StreamUsage(args["request"], args["model"], call_id))
        r.commit(**_commit_args(response, args["model"], call_id))
        try:
            r.__exit__(None, None, None)
        except QuotadError as error:
            self._failed("committing", error, True)     # the call happened: never lose its answer
        return response

    def _unreserved(self, quotad: Client, args: dict[str, Any], kwargs: dict[str, Any],
                    fail_open: bool | None) -> Any:
        response = litellm.completion(**kwargs)
        if kwargs.get("stream"):
            return response
        try:
            quotad.record(args["user"], **_commit_args(response, args["model"], str(kwargs["litellm_call_id"])))
        except QuotadError as error:
            self._failed("recording", error, True)
        return response

    async def acompletion(self, *, quotad: AsyncClient, user: str | None = None, fail_open: bool | None = None,
                          **kwargs: Any) -> Any:
        """``litellm.acompletion(**kwargs)`` held against quotad (see the module)."""
        args, call_id = self._prepare(kwargs, user)
        r = quotad.reservation(**args, reservation_id=call_id)
        try:
            await r.__aenter__()
        except QuotaExceeded:
            raise
        except QuotadError as error:
            self._failed("reserving", error, fail_open)
            response = await litellm.acompletion(**kwargs)
            if not kwargs.get("stream"):
                try:
                    await quotad.record(args["user"], **_commit_args(response, args["model"], call_id))
                except QuotadError as record_error:
                    self._failed("recording", record_error, True)
            return response
        try:
            response = await litellm.acompletion(**kwargs)
        except BaseException as error:
            await r.__aexit__(type(error), error, error.__traceback__)
            raise
        if kwargs.get("stream"):
            return _async_stream(r, response, _StreamUsage(args["request"], args["model"], call_id))
        r.commit(**_commit_args(response, args["model"], call_id))
        try:
            await r.__aexit__(None, None, None)
        except QuotadError as error:
            self._failed("committing", error, True)
        return response


enforcer = QuotadEnforcer()
"""The enforcer behind :func:`completion` / :func:`acompletion`: ``enforcer.failures`` counts quotad
failures, ``enforcer.fail_open`` is their default policy."""


def completion(*, quotad: Client, user: str | None = None, fail_open: bool | None = None, **kwargs: Any) -> Any:
    """``litellm.completion(...)`` that reserves at quotad first (raising :class:`quotad.QuotaExceeded`
    before the provider sees any request), commits the response's usage, releases on an error. With
    ``stream=True`` returns an iterator of the chunks that commits when exhausted or closed."""
    return enforcer.completion(quotad=quotad, user=user, fail_open=fail_open, **kwargs)


async def acompletion(*, quotad: AsyncClient, user: str | None = None, fail_open: bool | None = None,
                      **kwargs: Any) -> Any:
    """``litellm.acompletion(...)`` held against quotad, as :func:`completion` (an async iterator with
    ``stream=True``)."""
    return await enforcer.acompletion(quotad=quotad, user=user, fail_open=fail_open, **kwargs)
