#!/usr/bin/env python3
"""The quotad command line keeps its promises: `--version`, configuration errors that name the key and
its line, a one-line message when the listening port is taken or the address is not this host's, and the
key-schema check: `serve` refuses a Redis holding schema v1 data with one line naming `quotad migrate`,
which converts it (dry run first, idempotent), after which quotad serves the migrated usage.

Run against the release binary:
    swift build -c release --product quotad
    QUOTAD_BIN=.build/release/quotad python3 scripts/cli_test.py
Needs redis-server on PATH (quotad starts its embedded Redis before it binds). Standard library only.
"""
import http.client, json, os, re, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import QUOTAD, ROOT, check, free_port, redis_cli, start_quotad, start_redis, stop, summary  # noqa: E402

QUOTAD = os.path.abspath(QUOTAD)  # the runs below change directory

TIMEOUT = 30  # seconds: every quotad run here must end on its own well within this


def run(args, env=None, cwd=None):
    """Runs quotad to completion (killed after TIMEOUT) and returns (exit code, stdout, stderr, seconds)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("QUOTAD_")}
    environment.update(QUOTAD_LOG_LEVEL="error", **(env or {}))
    started = time.monotonic()
    try:
        done = subprocess.run([QUOTAD, *args], env=environment, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)
        return done.returncode, done.stdout, done.stderr, time.monotonic() - started
    except subprocess.TimeoutExpired as expired:
        return None, expired.stdout or "", expired.stderr or "", time.monotonic() - started


def one_line(text):
    return len([line for line in text.splitlines() if line.strip()]) == 1


def test_version():
    source = open(os.path.join(ROOT, "Sources", "QuotaHTTP", "QuotadVersion.swift")).read()
    version = re.search(r'static let string = "([^"]+)"', source).group(1)
    code, out, err, _ = run(["--version"])
    check("--version exits 0", code == 0, f"exit {code}, stderr {err!r}")
    check("--version prints `quotad <version>`", out == f"quotad {version}\n", repr(out))


def test_configuration_errors(directory):
    path = os.path.join(directory, "unknown.yaml")
    with open(path, "w") as f:
        f.write("http:\n  host: 127.0.0.1\n  prot: 8080\n")
    code, _, err, _ = run(["serve", "--config", path])
    check("unknown key: non-zero exit", code not in (0, None), f"exit {code}")
    check("unknown key: named with its path and line",
          "unknown key 'http.prot'" in err and "(line 3, column 3)" in err and "known keys of 'http': host, port" in err, err.strip())
    check("unknown key: one line", one_line(err), repr(err))

    path = os.path.join(directory, "syntax.yaml")
    with open(path, "w") as f:
        f.write("http:\n  port: 8080\n  host: [127.0.0.1\nredis:\n  pool_size: 4\n")
    code, _, err, _ = run(["serve", "--config", path])
    check("YAML syntax error: non-zero exit", code not in (0, None), f"exit {code}")
    check("YAML syntax error: line and column", re.search(r"invalid YAML in .*syntax\.yaml \(line \d+, column \d+\)", err) is not None, err.strip())

    code, _, err, _ = run(["serve"], env={"QUOTAD_PRICING_UNPRICED_MODELS": "maybe"}, cwd=directory)
    check("QUOTAD_PRICING_UNPRICED_MODELS=maybe: non-zero exit", code not in (0, None), f"exit {code}")
    check("QUOTAD_PRICING_UNPRICED_MODELS=maybe: lists the valid values", "one of reject, allow (got 'maybe')" in err, err.strip())

    code, _, err, _ = run(["serve"], env={"QUOTAD_HTTP_READ_TIMEOUT_MS": "50"}, cwd=directory)
    check("QUOTAD_HTTP_READ_TIMEOUT_MS=50: rejected with its range",
          code not in (0, None) and "QUOTAD_HTTP_READ_TIMEOUT_MS (http.read_timeout_ms) must be 100…600000 (got 50)" in err, err.strip())


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


def test_bind_failures(directory):
    admin = "cli-test-admin-key-0123456789"
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        code, _, err, seconds = run(["serve"], cwd=directory, env={
            "QUOTAD_HTTP_PORT": str(port), "QUOTAD_ADMIN_KEYS": admin, "QUOTAD_DATA_DIR": os.path.join(directory, "data"),
        })
    check("port in use: exits on its own", code is not None, f"{seconds:.1f} s")
    check("port in use: non-zero exit", code not in (0, None), f"exit {code}")
    expected = f"cannot listen on 127.0.0.1:{port}: address already in use"
    check("port in use: stderr names the address", expected in err, err.strip())
    check("port in use: one line, no stack", one_line(err) and "Fatal error" not in err, repr(err))
    if os.path.isdir("/proc"):
        data = os.path.realpath(os.path.join(directory, "data"))
        deadline = time.monotonic() + 5  # the child gets SIGTERM/SIGKILL as quotad exits; allow it to go
        while processes_in(data) and time.monotonic() < deadline:
            time.sleep(0.05)
        check("port in use: the embedded redis-server is gone too", not processes_in(data), str(processes_in(data)))

    port = free_port()
    code, _, err, seconds = run(["serve"], cwd=directory, env={
        "QUOTAD_HTTP_HOST": "192.0.2.1", "QUOTAD_HTTP_PORT": str(port), "QUOTAD_ADMIN_KEYS": admin,
        "QUOTAD_DATA_DIR": os.path.join(directory, "data"),
    })
    check("address not on this host (192.0.2.1, TEST-NET-1): non-zero exit", code not in (0, None), f"exit {code}, {seconds:.1f} s")
    check("address not on this host: stderr names the address",
          f"cannot listen on 192.0.2.1:{port}: address not available" in err, err.strip())



def test_schema(directory):
    admin = "cli-test-admin-key-0123456789"
    port = free_port()
    redis = start_redis(port, directory)
    try:
        # Schema v1 data: a user's cycle totals and a tenant default, as quotad 1.x wrote them.
        redis_cli(port, "HSET", "q:{acme/alice}:c:2026-11-01", "in", "10", "out", "5", "req", "1", "cost", "70")
        redis_cli(port, "HSET", "q:t:{acme}:default", "tokens", "1000", "anchor", "1", "tz", "UTC")
        env = {"QUOTAD_REDIS_URL": f"redis://127.0.0.1:{port}", "QUOTAD_ADMIN_KEYS": admin, "QUOTAD_HTTP_PORT": str(free_port())}
        code, _, err, _ = run(["serve"], env=env, cwd=directory)
        check("v1 data: serve refuses (exit 78)", code == 78, f"exit {code}, {err.strip()!r}")
        check("v1 data: one line naming `quotad migrate`", one_line(err) and "quotad migrate" in err and "v1" in err, repr(err))
        code, out, err, _ = run(["migrate", "--dry-run"], env=env, cwd=directory)
        check("migrate --dry-run: exit 0 and nothing changed", code == 0 and redis_cli(port, "EXISTS", "q:{acme/alice}:c:2026-11-01") == "1",
              f"exit {code}, {out.strip()!r} {err.strip()!r}")
        code, out, err, _ = run(["migrate"], env=env, cwd=directory)
        check("migrate: exit 0, v2 keys and the marker written",
              code == 0 and redis_cli(port, "HGET", "q:{acme}:u:alice:c:2026-11-01", "in") == "10"
              and redis_cli(port, "GET", "quotad:schema") == "2" and redis_cli(port, "EXISTS", "q:{acme/alice}:c:2026-11-01") == "0",
              f"exit {code}, {out.strip()!r} {err.strip()!r}")
        code, out, err, _ = run(["migrate"], env=env, cwd=directory)
        check("migrate again: exit 0, nothing left to do", code == 0, f"exit {code}, {out.strip()!r} {err.strip()!r}")
        http_port = free_port()
        quotad = start_quotad(http_port, port, admin)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
            conn.request("GET", "/v1/tenants/acme/users/alice/usage?cycle=2026-11-01", headers={"Authorization": "Bearer " + admin})
            response = conn.getresponse()
            body = json.loads(response.read())
            check("after migrate: quotad serves the migrated usage and the tenant default",
                  response.status == 200 and body["totals"]["input_tokens"] == 10 and body["limits"]["tokens"] == 1000,
                  f"{response.status} {json.dumps(body)[:200]}")
        finally:
            stop(quotad)
        redis_cli(port, "SET", "quotad:schema", "3")
        code, _, err, _ = run(["serve"], env=env, cwd=directory)
        check("a newer schema: serve refuses with one line", code == 78 and one_line(err), f"exit {code}, {err.strip()!r}")
    finally:
        stop(redis)


def main():
    if not os.access(QUOTAD, os.X_OK):
        print(f"quotad binary not found at {QUOTAD}: build it (swift build -c release --product quotad) and set QUOTAD_BIN")
        return 2
    print(f"binary: {QUOTAD}")
    with tempfile.TemporaryDirectory(prefix="quotad-cli-") as directory:
        test_version()
        test_configuration_errors(directory)
        test_bind_failures(directory)
        test_schema(directory)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
