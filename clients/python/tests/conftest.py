"""A real redis-server and quotad on free loopback ports for the whole session, a fresh tenant per test.

The quotad binary is ``$QUOTAD_BIN`` (default: the repository's release build).
Provider bodies come from the shared fixtures (``$QUOTAD_FIXTURES``, default ``../shared/fixtures``
beside the repository). Every wait is bounded; both processes are stopped in teardown, also on failure.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import shutil
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest

import quotad

REPO = Path(__file__).resolve().parents[3]
ADMIN_KEY = "sdk-test-admin-key-" + uuid.uuid4().hex
MAX_ACTIVE_RESERVATIONS = 4


def _quotad_bin() -> str:
    candidates = [os.environ.get("QUOTAD_BIN"), str(REPO / ".build" / "release" / "quotad")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)   # quotad runs in a temporary directory
    raise RuntimeError("no quotad binary: set QUOTAD_BIN")


def _fixtures_file() -> Path:
    base = Path(os.environ.get("QUOTAD_FIXTURES") or REPO.parent / "shared" / "fixtures")
    path = base / "provider_payloads.json" if base.is_dir() else base
    if not path.is_file():
        raise RuntimeError(f"provider fixtures not found at {path}: set QUOTAD_FIXTURES")
    return path


def _die_with_parent() -> None:
    """In the child before exec: receive SIGTERM when the test process dies (even by SIGKILL or an
    outer timeout), so no redis-server or quotad outlives the run."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(condition: Callable[[], bool], within: float, what: str) -> None:
    """Polls ``condition`` every 20 ms until it holds; fails after ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise TimeoutError(f"{what} did not happen within {within} s")


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@dataclass(frozen=True)
class Server:
    url: str
    admin_key: str
    redis_port: int


def _redis_ready(port: int, proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        raise RuntimeError("redis-server exited")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _quotad_ready(url: str, proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        raise RuntimeError("quotad exited")
    try:
        return httpx.get(url + "/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("quotad")
    redis_port, http_port = free_port(), free_port()
    redis_proc: subprocess.Popen[bytes] | None = None
    quotad_proc: subprocess.Popen[bytes] | None = None
    redis_server = shutil.which("redis-server") or "redis-server"
    try:
        with open(directory / "redis.log", "ab") as log:
            redis_proc = subprocess.Popen(
                [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--dir", str(directory),
                 "--save", "", "--appendonly", "no", "--daemonize", "no"], stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent)
        wait_until(lambda: _redis_ready(redis_port, redis_proc), 10, "redis-server answering PING")
        env = dict(os.environ, QUOTAD_ADMIN_KEYS=ADMIN_KEY, QUOTAD_HTTP_PORT=str(http_port),
                   QUOTAD_HTTP_HOST="127.0.0.1", QUOTAD_REDIS_URL=f"redis://127.0.0.1:{redis_port}",
                   QUOTAD_LOG_LEVEL="error", QUOTAD_WEBHOOKS_ALLOW_PRIVATE_TARGETS="true",
                   QUOTAD_RESERVATIONS_MAX_ACTIVE_PER_USER=str(MAX_ACTIVE_RESERVATIONS),
                   QUOTAD_WEBHOOKS_INITIAL_BACKOFF_MS="100", QUOTAD_WEBHOOKS_TIMEOUT_MS="500")
        for name in ("QUOTAD_URL", "QUOTAD_API_KEY", "QUOTAD_TENANT", "QUOTAD_CONFIG"):
            env.pop(name, None)
        with open(directory / "quotad.log", "ab") as log:
            quotad_proc = subprocess.Popen([_quotad_bin(), "serve"], env=env, cwd=directory, stdout=log,
                                           stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        url = f"http://127.0.0.1:{http_port}"
        wait_until(lambda: _quotad_ready(url, quotad_proc), 30, "quotad /readyz 200")
        yield Server(url, ADMIN_KEY, redis_port)
    finally:
        _stop(quotad_proc)
        _stop(redis_proc)


@dataclass(frozen=True)
class Tenant:
    name: str
    key: str
    key_id: str


@pytest.fixture
def admin(server: Server) -> Iterator[quotad.Client]:
    """An admin client (no default tenant unless a test sets ``tenant=`` per call)."""
    with quotad.Client(server.url, server.admin_key, timeout=10, retries=2, backoff=0.05) as client:
        yield client


@pytest.fixture
def tenant(admin: quotad.Client) -> Tenant:
    """A fresh tenant with its own key (default scopes: everything but quota:write)."""
    name = "t-" + uuid.uuid4().hex[:12]
    created = admin.create_key(tenant=name)
    return Tenant(name, created.key, created.id)


@pytest.fixture
def client(server: Server, tenant: Tenant) -> Iterator[quotad.Client]:
    with quotad.Client(server.url, tenant.key, tenant.name, timeout=10, retries=2, backoff=0.05) as c:
        yield c


@pytest.fixture
def tenant_admin(server: Server, tenant: Tenant) -> Iterator[quotad.Client]:
    """The admin key, defaulting to the test's tenant (for quota writes)."""
    with quotad.Client(server.url, server.admin_key, tenant.name, timeout=10, retries=2, backoff=0.05) as c:
        yield c


# --- provider fixtures ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Fixture:
    id: str
    provider: str
    body: Any
    expected: dict[str, int]
    expected_extra: dict[str, Any]


def _as_sent(body: Any) -> Any:
    """Stream fixtures are stored as their decoded events; an app sends the SSE text it received."""
    if isinstance(body, dict) and "sse_data_events" in body:
        lines = [f"data: {json.dumps(event)}\n\n" for event in body["sse_data_events"]]
        terminator = body.get("terminator")
        if terminator:
            lines.append(terminator if str(terminator).startswith("data:") else f"data: {terminator}\n\n")
        return "".join(lines)
    if isinstance(body, dict) and "sse_events" in body:
        return "".join(f"event: {e['event']}\ndata: {json.dumps(e['data'])}\n\n" for e in body["sse_events"])
    return body


@pytest.fixture(scope="session")
def fixtures() -> list[Fixture]:
    raw = json.loads(_fixtures_file().read_text())
    return [Fixture(f["id"], f["provider"], _as_sent(f["body"]), f["expected"], f.get("expected_extra") or {})
            for f in raw]


@pytest.fixture(scope="session")
def fixture_by_id(fixtures: list[Fixture]) -> dict[str, Fixture]:
    return {f.id: f for f in fixtures}


@pytest.fixture(scope="session")
def pricing() -> dict[str, dict[str, Any]]:
    """The reference prices (USD per 1M tokens) by model key, from the shared reference data."""
    path = _fixtures_file().parent.parent / "reference" / "pricing_facts.json"
    models = json.loads(path.read_text())["models"] if path.is_file() else []
    return {m["litellm_key"]: m["usd_per_1M"] for m in models if isinstance(m, dict) and "litellm_key" in m}


# --- a provider stub ----------------------------------------------------------------------------------

class Stub:
    """A loopback provider endpoint answering ``body`` (``sse`` when the request asks for a stream), or
    ``status`` with ``error_body`` (OpenAI's error shape unless given). Every request is kept."""

    def __init__(self, body: Any, sse: str | None = None, error_body: Any = None, prefix: str = "/v1") -> None:
        self.body, self.sse, self.status = body, sse, 200
        self.error_body = error_body or {"error": {"message": "down", "type": "server_error"}}
        self.requests: list[tuple[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                stub.requests.append((self.path, request))
                payload = stub.body if stub.status == 200 else stub.error_body
                streamed = stub.status == 200 and request.get("stream") and stub.sse is not None
                data = str(stub.sse).encode() if streamed else json.dumps(payload).encode()
                self.send_response(stub.status)
                self.send_header("Content-Type", "text/event-stream" if streamed else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{prefix}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
