"""Usage recording from LangChain callbacks (``langchain-core``).

>>> import quotad
>>> from quotad.integrations.langchain import QuotadCallbackHandler
>>> handler = QuotadCallbackHandler(quotad.Client(...), user="alice")
>>> chat.invoke("Hi", config={"callbacks": [handler], "metadata": {"quotad_user": "bob"}})

:class:`QuotadCallbackHandler` (with a :class:`quotad.Client`) and :class:`AsyncQuotadCallbackHandler`
(with a :class:`quotad.AsyncClient`) record each LLM run's usage at quotad when it ends: the
generations' ``usage_metadata`` (summed over the generations), else ``llm_output["token_usage"]``
(sent as the provider's usage, which quotad reads). The user is the run's ``metadata["quotad_user"]``
(the metadata key is ``user_key=``), else ``user=``; the model is the run's invocation parameters'
``model`` / ``model_name``, else the response's. The event id is the run id, so a callback delivered
twice counts once. A failure to reach quotad is logged at warning and counted in ``failures``; it
is raised into the LLM call only with ``raise_on_error=True``.

Importing this module needs ``langchain-core`` (``pip install "quotad[langchain]"``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping
from uuid import UUID

from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult

from .._client import AsyncClient, Client
from ..errors import QuotadError

__all__ = ["QuotadCallbackHandler", "AsyncQuotadCallbackHandler"]

logger = logging.getLogger("quotad.integrations.langchain")


@dataclass(frozen=True)
class _Run:
    user: str | None
    model: str | None


def _model(kwargs: Mapping[str, Any]) -> str | None:
    params = kwargs.get("invocation_params")
    if isinstance(params, Mapping):
        for key in ("model", "model_name"):
            if isinstance(params.get(key), str):
                return str(params[key])
    return None


def _sum_usage_metadata(response: LLMResult) -> dict[str, int] | None:
    """The canonical counts of the generations' ``usage_metadata`` (LangChain's ``input_tokens`` include
    cache reads and writes, its ``output_tokens`` the reasoning tokens, as quotad's do)."""
    totals: dict[str, int] = {}
    for generations in response.generations:
        for generation in generations:
            meta = getattr(getattr(generation, "message", None), "usage_metadata", None)
            if not isinstance(meta, Mapping):
                continue
            ins = meta.get("input_token_details") or {}
            outs = meta.get("output_token_details") or {}
            for name, value in (("input_tokens", meta.get("input_tokens")),
                                ("output_tokens", meta.get("output_tokens")),
                                ("cached_input_tokens", ins.get("cache_read")),
                                ("cache_write_tokens", ins.get("cache_creation")),
                                ("reasoning_tokens", outs.get("reasoning"))):
                if isinstance(value, int):
                    totals[name] = totals.get(name, 0) + value
    return totals or None


def _response_model(response: LLMResult) -> str | None:
    output = response.llm_output or {}
    for key in ("model_name", "model"):
        if isinstance(output.get(key), str):
            return str(output[key])
    for generations in response.generations:
        for generation in generations:
            meta = getattr(getattr(generation, "message", None), "response_metadata", None) or {}
            for key in ("model_name", "model"):
                if isinstance(meta.get(key), str):
                    return str(meta[key])
    return None


class _Recorder:
    """What both handlers share: the runs started, the record call of a finished run, the error policy."""

    def __init__(self, user: str | None, user_key: str, provider: str | None, raise_on_error: bool) -> None:
        self.user, self.user_key, self.provider = user, user_key, provider
        self.raise_on_error = raise_on_error
        self.failures = 0
        self.runs: dict[UUID, _Run] = {}

    def start(self, run_id: UUID, metadata: Mapping[str, Any] | None, kwargs: Mapping[str, Any]) -> None:
        who = (metadata or {}).get(self.user_key)
        self.runs[run_id] = _Run(who if isinstance(who, str) and who else self.user, _model(kwargs))

    def record_args(self, response: LLMResult, run_id: UUID) -> dict[str, Any] | None:
        """The arguments of ``client.record(...)`` for a finished run; None when there is nothing to record."""
        run = self.runs.pop(run_id, None) or _Run(self.user, None)
        usage = _sum_usage_metadata(response)
        token_usage: Any = (response.llm_output or {}).get("token_usage")
        if usage is None and not isinstance(token_usage, Mapping):
            logger.warning("quotad: LangChain run %s reported no usage; nothing recorded", run_id)
            return None
        if not run.user:
            self.failed(ValueError(f"no quotad user for LangChain run {run_id}: pass user= or "
                                   f"metadata={{'{self.user_key}': ...}}"))
            return None
        args: dict[str, Any] = {"user": run.user, "event_id": str(run_id), "provider": self.provider,
                                "model": run.model or _response_model(response)}
        if usage is not None:
            args["usage"] = usage
        else:
            args["response"] = {"usage": dict(token_usage)}
        return args

    def failed(self, error: Exception) -> None:
        self.failures += 1
        logger.warning("quotad: recording LangChain usage failed: %s", error)
        if self.raise_on_error:
            raise error


class QuotadCallbackHandler(BaseCallbackHandler):
    """Records each LLM run's usage at quotad through a :class:`quotad.Client` (see the module)."""

    def __init__(self, client: Client, *, user: str | None = None, user_key: str = "quotad_user",
                 provider: str | None = None, raise_on_error: bool = False) -> None:
        self.client = client
        self._recorder = _Recorder(user, user_key, provider, raise_on_error)
        self.raise_error = raise_on_error        # LangChain re-raises a handler's error only then

    @property
    def failures(self) -> int:
        return self._recorder.failures

    def on_llm_start(self, serialized: dict[str, Any], prompts: list[str], *, run_id: UUID,
                     parent_run_id: UUID | None = None, tags: list[str] | None = None,
                     metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self._recorder.start(run_id, metadata, kwargs)

    def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[BaseMessage]], *,
                            run_id: UUID, parent_run_id: UUID | None = None, tags: list[str] | None = None,
                            metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self._recorder.start(run_id, metadata, kwargs)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, parent_run_id: UUID | None = None,
                   tags: list[str] | None = None, **kwargs: Any) -> None:
        args = self._recorder.record_args(response, run_id)
        if args is None:
            return
        try:
            self.client.record(**args)
        except QuotadError as error:
            self._recorder.failed(error)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None,
                     tags: list[str] | None = None, **kwargs: Any) -> None:
        self._recorder.runs.pop(run_id, None)


class AsyncQuotadCallbackHandler(AsyncCallbackHandler):
    """Records each LLM run's usage at quotad through a :class:`quotad.AsyncClient` (see the module)."""

    def __init__(self, client: AsyncClient, *, user: str | None = None, user_key: str = "quotad_user",
                 provider: str | None = None, raise_on_error: bool = False) -> None:
        self.client = client
        self._recorder = _Recorder(user, user_key, provider, raise_on_error)
        self.raise_error = raise_on_error

    @property
    def failures(self) -> int:
        return self._recorder.failures

    async def on_llm_start(self, serialized: dict[str, Any], prompts: list[str], *, run_id: UUID,
                           parent_run_id: UUID | None = None, tags: list[str] | None = None,
                           metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self._recorder.start(run_id, metadata, kwargs)

    async def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[BaseMessage]], *,
                                  run_id: UUID, parent_run_id: UUID | None = None,
                                  tags: list[str] | None = None, metadata: dict[str, Any] | None = None,
                                  **kwargs: Any) -> None:
        self._recorder.start(run_id, metadata, kwargs)

    async def on_llm_end(self, response: LLMResult, *, run_id: UUID, parent_run_id: UUID | None = None,
                         tags: list[str] | None = None, **kwargs: Any) -> None:
        args = self._recorder.record_args(response, run_id)
        if args is None:
            return
        try:
            await self.client.record(**args)
        except QuotadError as error:
            self._recorder.failed(error)

    async def on_llm_error(self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None,
                           tags: list[str] | None = None, **kwargs: Any) -> None:
        self._recorder.runs.pop(run_id, None)
