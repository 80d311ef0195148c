"""quotad.integrations.litellm inside a running LiteLLM proxy (the real ``litellm`` CLI, its FastAPI
server and its callback loading), called by the real OpenAI SDK; the model behind the proxy is a loopback
stub replaying the Anthropic fixture. The proxy's ``async_pre_call_hook`` reserves before the model is
called (over the limit the proxy answers 429 and the stub sees nothing); its success callback records the
provider's original response, settling the reservation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import secrets
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import httpx
import pytest

import quotad
from conftest import Server, Stub, Tenant, _die_with_parent, _stop, free_port, wait_until

pytest.importorskip("litellm")
pytest.importorskip("fastapi", reason="the LiteLLM proxy's server dependencies (scripts/python_sdk_test.sh installs them)")
openai = pytest.importorskip("openai")

from test_litellm_integration import MESSAGES, TRUE_COST, anthropic_stub  # noqa: E402,F401 - the stub fixture

CALLBACKS = """\
import quotad
from quotad.integrations.litellm import QuotadLogger

# QUOTAD_URL, QUOTAD_API_KEY and QUOTAD_TENANT come from the proxy's environment
proxy_handler = QuotadLogger(quotad.AsyncClient(timeout=10, retries=2))
"""


def _config(stub: Stub) -> str:
    return textwrap.dedent(f"""\
        model_list:
          - model_name: claude-sonnet
            litellm_params:
              model: anthropic/claude-sonnet-4-5-20250929
              api_base: {stub.url}
              api_key: sk-ant-test
              max_retries: 0
        litellm_settings:
          callbacks: quotad_callbacks.proxy_handler
          num_retries: 0
        """)


def _proxy_ready(url: str, proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        raise RuntimeError(f"the LiteLLM proxy exited with {proc.returncode}")
    try:
        return httpx.get(url + "/health/liveliness", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def proxy(server: Server, tenant: Tenant, anthropic_stub: Stub, tmp_path: Path) -> Iterator[tuple[str, str]]:  # noqa: F811
    """The proxy's URL and its master key (the app's API key)."""
    master_key = "sk-" + secrets.token_urlsafe(32)
    (tmp_path / "quotad_callbacks.py").write_text(CALLBACKS)
    (tmp_path / "config.yaml").write_text(_config(anthropic_stub))
    port = free_port()
    cli = shutil.which("litellm", path=str(Path(sys.executable).parent)) or "litellm"
    env = dict(os.environ, QUOTAD_URL=server.url, QUOTAD_API_KEY=tenant.key, QUOTAD_TENANT=tenant.name,
               LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_OFFLINE_MODE="true", LITELLM_TELEMETRY="False",
               LITELLM_MASTER_KEY=master_key, PYTHONPATH=str(tmp_path))
    proc: subprocess.Popen[bytes] | None = None
    try:
        with open(tmp_path / "proxy.log", "ab") as log:
            proc = started = subprocess.Popen([cli, "--config", str(tmp_path / "config.yaml"), "--host", "127.0.0.1",
                                     "--port", str(port), "--num_workers", "1"],
                                    cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    preexec_fn=_die_with_parent)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: _proxy_ready(url, started), 120, "the LiteLLM proxy answering /health/liveliness")
        except Exception:
            print((tmp_path / "proxy.log").read_text()[-4000:])
            raise
        yield url, master_key
    finally:
        _stop(proc)


def test_the_proxy_reserves_records_and_refuses(proxy: tuple[str, str], anthropic_stub: Stub,  # noqa: F811
                                                client: quotad.Client, tenant_admin: quotad.Client) -> None:
    url, master_key = proxy
    app = openai.OpenAI(base_url=url + "/v1", api_key=master_key, max_retries=0, timeout=60)

    reply = app.chat.completions.create(model="claude-sonnet", messages=MESSAGES, user="tia", max_tokens=600)
    assert reply.usage is not None and reply.usage.completion_tokens == 503
    # the success callback runs after the answer: wait for it to settle the proxy's reservation
    tia = client.get_user_usage("tia")
    def settled() -> bool:
        nonlocal tia
        tia = client.get_user_usage("tia")
        return tia.totals.requests == 1 and tia.reserved.tokens == 0
    wait_until(settled, 30, "the proxy's success callback recording tia's call")
    t = tia.totals
    # the original Anthropic body, cache writes with their 1 h split included: the true cost
    assert (t.input_tokens, t.output_tokens, t.cached_input_tokens, t.cache_write_tokens) == (4096, 503, 1800, 248)
    assert t.cost_usd == TRUE_COST
    assert len(anthropic_stub.requests) == 1

    # over the limit: the pre-call hook refuses, the proxy answers 429 and the model is never called
    tenant_admin.put_quota("user", "rex", tokens=100)
    with pytest.raises(openai.RateLimitError) as refused:
        app.chat.completions.create(model="claude-sonnet", messages=MESSAGES, user="rex", max_tokens=600)
    assert "quotad" in str(refused.value)
    assert len(anthropic_stub.requests) == 1
    rex = client.get_user_usage("rex")
    assert rex.totals.requests == 0 and rex.reserved.tokens == 0 and rex.totals.cost_usd == Decimal(0)
