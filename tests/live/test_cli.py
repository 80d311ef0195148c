"""The quotad command line keeps its promises: `--version`, configuration errors that name the key and
its line, a one-line message when the listening port is taken or the address is not this host's, and the
key-schema check: `serve` refuses a Redis holding schema v1 data with one line naming `quotad migrate`,
which converts it (dry run first, idempotent), after which quotad serves the migrated usage.

Needs redis-server on PATH (quotad starts its embedded Redis before it binds).
"""
import os, re, socket, subprocess, time

import pytest

from support import ROOT, free_port

TIMEOUT = 30  # seconds: every quotad run here must end on its own well within this


@pytest.fixture
def run(quotad_bin):
    """run(args, env=None, cwd=None): quotad run to completion (killed after TIMEOUT) →
    (exit code or None when killed, stdout, stderr, seconds)."""
    def run(args, env=None, cwd=None):
        environment = {key: value for key, value in os.environ.items() if not key.startswith("QUOTAD_")}
        environment.update(QUOTAD_LOG_LEVEL="error", **(env or {}))
        started = time.monotonic()
        try:
            done = subprocess.run([quotad_bin, *args], env=environment, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)
            return done.returncode, done.stdout, done.stderr, time.monotonic() - started
        except subprocess.TimeoutExpired as expired:
            return None, expired.stdout or "", expired.stderr or "", time.monotonic() - started
    return run


def one_line(text):
    return len([line for line in text.splitlines() if line.strip()]) == 1


def test_version(run):
    with open(os.path.join(ROOT, "Sources", "QuotaHTTP", "QuotadVersion.swift")) as f:
        version = re.search(r'static let string = "([^"]+)"', f.read()).group(1)
    code, out, err, _ = run(["--version"])
    assert code == 0, f"--version exits 0: exit {code}, stderr {err!r}"
    assert out == f"quotad {version}\n", f"--version prints `quotad <version>`: {out!r}"


def test_unknown_key_named_with_its_path_and_line(run, tmp_path):
    path = tmp_path / "unknown.yaml"
    path.write_text("http:\n  host: 127.0.0.1\n  prot: 8080\n")
    code, _, err, _ = run(["serve", "--config", str(path)])
    assert code not in (0, None), f"non-zero exit: exit {code}"
    assert "unknown key 'http.prot'" in err and "(line 3, column 3)" in err and "known keys of 'http': host, port" in err, err.strip()
    assert one_line(err), repr(err)


def test_yaml_syntax_error_line_and_column(run, tmp_path):
    path = tmp_path / "syntax.yaml"
    path.write_text("http:\n  port: 8080\n  host: [127.0.0.1\nredis:\n  pool_size: 4\n")
    code, _, err, _ = run(["serve", "--config", str(path)])
    assert code not in (0, None), f"non-zero exit: exit {code}"
    assert re.search(r"invalid YAML in .*syntax\.yaml \(line \d+, column \d+\)", err) is not None, err.strip()


def test_invalid_enum_value_lists_the_valid_values(run, tmp_path):
    code, _, err, _ = run(["serve"], env={"QUOTAD_PRICING_UNPRICED_MODELS": "maybe"}, cwd=str(tmp_path))
    assert code not in (0, None), f"QUOTAD_PRICING_UNPRICED_MODELS=maybe: non-zero exit: exit {code}"
    assert "one of reject, allow (got 'maybe')" in err, err.strip()


def test_out_of_range_value_rejected_with_its_range(run, tmp_path):
    code, _, err, _ = run(["serve"], env={"QUOTAD_HTTP_READ_TIMEOUT_MS": "50"}, cwd=str(tmp_path))
    assert code not in (0, None) and "QUOTAD_HTTP_READ_TIMEOUT_MS (http.read_timeout_ms) must be 100…600000 (got 50)" in err, err.strip()


def processes_in(directory):
    """Pids of processes whose working directory is `directory` (redis-server runs in its --dir)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/cwd") == directory:
                pids.append(int(pid))
        except OSError:
            pass
    return pids


def test_port_in_use_one_line_naming_the_address(run, tmp_path, admin_key):
    directory = str(tmp_path)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        code, _, err, seconds = run(["serve"], cwd=directory, env={
            "QUOTAD_HTTP_PORT": str(port), "QUOTAD_ADMIN_KEYS": admin_key, "QUOTAD_DATA_DIR": os.path.join(directory, "data"),
        })
    assert code is not None, f"port in use: exits on its own ({seconds:.1f} s)"
    assert code != 0, f"port in use: non-zero exit: exit {code}"
    expected = f"cannot listen on 127.0.0.1:{port}: address already in use"
    assert expected in err, err.strip()
    assert one_line(err) and "Fatal error" not in err, f"one line, no stack: {err!r}"
    if os.path.isdir("/proc"):
        data = os.path.realpath(os.path.join(directory, "data"))
        deadline = time.monotonic() + 5  # the child gets SIGTERM/SIGKILL as quotad exits; allow it to go
        while processes_in(data) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not processes_in(data), f"port in use: the embedded redis-server is gone too: {processes_in(data)}"


def test_address_not_on_this_host(run, tmp_path, admin_key):
    directory = str(tmp_path)
    port = free_port()
    code, _, err, seconds = run(["serve"], cwd=directory, env={
        "QUOTAD_HTTP_HOST": "192.0.2.1", "QUOTAD_HTTP_PORT": str(port), "QUOTAD_ADMIN_KEYS": admin_key,
        "QUOTAD_DATA_DIR": os.path.join(directory, "data"),
    })
    assert code not in (0, None), f"address not on this host (192.0.2.1, TEST-NET-1): non-zero exit: exit {code}, {seconds:.1f} s"
    assert f"cannot listen on 192.0.2.1:{port}: address not available" in err, err.strip()


@pytest.fixture
def v1_redis(redis_server):
    """A private Redis holding schema v1 data: a user's cycle totals and a tenant default, as quotad 1.x wrote them."""
    redis_server.cli("HSET", "q:{acme/alice}:c:2026-11-01", "in", "10", "out", "5", "req", "1", "cost", "70")
    redis_server.cli("HSET", "q:t:{acme}:default", "tokens", "1000", "anchor", "1", "tz", "UTC")
    return redis_server


def test_schema_v1_serve_refuses_migrate_converts_and_quotad_serves_it(run, v1_redis, quotad, admin_key, tmp_path):
    cli = v1_redis.cli
    directory = str(tmp_path)
    env = {"QUOTAD_REDIS_URL": v1_redis.url, "QUOTAD_ADMIN_KEYS": admin_key, "QUOTAD_HTTP_PORT": str(free_port())}
    code, _, err, _ = run(["serve"], env=env, cwd=directory)
    assert code == 78, f"v1 data: serve refuses (exit 78): exit {code}, {err.strip()!r}"
    assert one_line(err) and "quotad migrate" in err and "v1" in err, f"v1 data: one line naming `quotad migrate`: {err!r}"
    code, out, err, _ = run(["migrate", "--dry-run"], env=env, cwd=directory)
    assert code == 0 and cli("EXISTS", "q:{acme/alice}:c:2026-11-01") == "1", \
        f"migrate --dry-run: exit 0 and nothing changed: exit {code}, {out.strip()!r} {err.strip()!r}"
    code, out, err, _ = run(["migrate"], env=env, cwd=directory)
    assert code == 0 and cli("HGET", "q:{acme}:u:alice:c:2026-11-01", "in") == "10" \
        and cli("GET", "quotad:schema") == "2" and cli("EXISTS", "q:{acme/alice}:c:2026-11-01") == "0", \
        f"migrate: exit 0, v2 keys and the marker written: exit {code}, {out.strip()!r} {err.strip()!r}"
    code, out, err, _ = run(["migrate"], env=env, cwd=directory)
    assert code == 0, f"migrate again: exit 0, nothing left to do: exit {code}, {out.strip()!r} {err.strip()!r}"
    server = quotad(v1_redis)
    answer = server.client(timeout=10).request("GET", "/v1/tenants/acme/users/alice/usage?cycle=2026-11-01")
    body = answer.json()
    assert answer.status == 200 and body["totals"]["input_tokens"] == 10 and body["limits"]["tokens"] == 1000, \
        f"after migrate: quotad serves the migrated usage and the tenant default: {answer}"


def test_newer_schema_serve_refuses_with_one_line(run, redis_server, admin_key, tmp_path):
    redis_server.cli("SET", "quotad:schema", "3")
    env = {"QUOTAD_REDIS_URL": redis_server.url, "QUOTAD_ADMIN_KEYS": admin_key, "QUOTAD_HTTP_PORT": str(free_port())}
    code, _, err, _ = run(["serve"], env=env, cwd=str(tmp_path))
    assert code == 78 and one_line(err), f"a newer schema: serve refuses with one line: exit {code}, {err.strip()!r}"
