#!/usr/bin/env python3
"""Embedded-mode test of the RELEASE quotad binary (loopback only, bounded).

quotad without QUOTAD_REDIS_URL runs its own redis-server (AOF) in QUOTAD_DATA_DIR on a pinned port. Checks:
  - kill -9 of quotad takes its redis-server child with it (pid gone, port refuses, within 5 s);
  - a restart on the same pinned port and data directory works and still has the recorded event;
  - a second quotad on the same data directory exits non-zero naming the directory and the holder's pid;
  - a quotad whose embedded port is taken exits non-zero saying the port is in use.
Env QUOTAD_BIN (default .build/release/quotad). Prints PASS/FAIL lines and ends with `N passed, M failed`.
"""
import http.client, json, os, shutil, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness
from harness import check, child_pids, free_port, port_accepts, process_alive, start_quotad_embedded, stop, summary, wait_ready

harness.QUOTAD = os.environ.get("QUOTAD_BIN", os.path.join(harness.ROOT, ".build", "release", "quotad"))
ADMIN = "embedded-test-admin-key-0123456789"
EVENT = {"user": "alice", "event_id": "evt-embedded-1", "model": "gpt-4o", "usage": {"input_tokens": 123, "output_tokens": 45}}

def request(port, method, path, body=None, key=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = "Bearer " + key
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()

def totals(port, key):
    status, data = request(port, "GET", "/v1/tenants/acme/users/alice/usage", key=key)
    return json.loads(data).get("totals") if status == 200 else None

def wait_until(condition, within):
    """Polls `condition` until it holds or `within` seconds pass (bounded by time and count)."""
    deadline = time.monotonic() + within
    for _ in range(1000):
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return condition()

def finished(proc, within):
    """The process' exit code, or None if it is still running after `within` seconds."""
    try:
        return proc.wait(timeout=within)
    except subprocess.TimeoutExpired:
        return None

def main():
    if not os.access(harness.QUOTAD, os.X_OK):
        check(f"quotad binary {harness.QUOTAD} exists (swift build -c release --product quotad)", False)
        return summary()
    work = tempfile.mkdtemp(prefix="quotad-embedded-")
    data_dir = os.path.join(work, "data")
    redis_port = free_port()
    procs, redis_pids = [], []
    logs = {}

    def launch(name, http_port, directory, port):
        log = open(os.path.join(work, name + ".log"), "w+")
        logs[name] = log
        proc = start_quotad_embedded(http_port, directory, port, ADMIN, output=log)
        procs.append(proc)
        return proc

    def log_text(name):
        logs[name].flush()
        with open(logs[name].name) as f:
            return f.read()

    try:
        # 1. First quotad: record one event.
        http_port = free_port()
        first = launch("first", http_port, data_dir, redis_port)
        ready = wait_ready(first, http_port)
        check("quotad starts in embedded mode", ready, log_text("first")[-500:] if not ready else "")
        if not ready:
            return summary()
        redis_pids = child_pids(first.pid, "redis-server")
        check("quotad runs one redis-server child", len(redis_pids) == 1, f"children {redis_pids}")
        status, data = request(http_port, "POST", "/v1/tenants/acme/keys", key=ADMIN)
        key = json.loads(data)["key"] if status in (200, 201) else None
        check("tenant key created", key is not None, "" if key else f"{status} {data[:200]!r}")
        status, data = request(http_port, "POST", "/v1/tenants/acme/usage", EVENT, key)
        check("usage event recorded", 200 <= status < 300, f"{status}" if status < 300 else f"{status} {data[:200]!r}")
        before = totals(http_port, key)
        check("totals readable before the kill", bool(before), f"total_tokens {before.get('total_tokens') if before else None}")

        # 2. kill -9 quotad: its redis-server must go with it.
        first.send_signal(signal.SIGKILL)
        first.wait()
        gone = wait_until(lambda: not any(process_alive(pid) for pid in redis_pids) and not port_accepts(redis_port), 5.0)
        check("redis-server child is gone within 5 s of kill -9 of quotad", gone,
              f"pids {redis_pids} alive={[process_alive(p) for p in redis_pids]} port accepts={port_accepts(redis_port)}")

        # 3. Restart on the same pinned port and data directory: the event is still there.
        http_port = free_port()
        second = launch("restart", http_port, data_dir, redis_port)
        ready = wait_ready(second, http_port)
        check("restart after kill -9 on the same pinned port works", ready, log_text("restart")[-500:] if not ready else "")
        if ready:
            after = totals(http_port, key)
            check("the event survived the kill -9 (AOF)", after == before and bool(after),
                  f"total_tokens {after.get('total_tokens') if after else None}" if after == before else f"before {before} after {after}")

            # 4. A second quotad on the same data directory refuses to start, naming it and the holder.
            other = launch("intruder", free_port(), data_dir, free_port())
            code = finished(other, 30)
            expected = f"data directory {data_dir} is in use by another quotad (pid {second.pid})"
            text = log_text("intruder")
            check("second quotad on the same data directory exits non-zero", code not in (None, 0), f"exit {code}")
            check("its error names the data directory and the holder's pid", expected in text, expected if expected in text else text[-400:])

            # 5. A quotad whose pinned embedded port is taken says so.
            taken = launch("taken-port", free_port(), os.path.join(work, "other-data"), redis_port)
            code = finished(taken, 30)
            text = log_text("taken-port")
            check("quotad on a taken embedded port exits non-zero", code not in (None, 0), f"exit {code}")
            check("its error says the port is in use", f"port {redis_port} is in use" in text, "" if f"port {redis_port} is in use" in text else text[-400:])

            restart_children = child_pids(second.pid, "redis-server")
            redis_pids += restart_children
            stop(second)
            check("SIGTERM stops quotad cleanly", second.returncode == 0, f"exit {second.returncode}")
            check("its redis-server stopped with it",
                  wait_until(lambda: not any(process_alive(pid) for pid in restart_children), 5.0), f"{restart_children}")
    finally:
        for proc in procs:
            stop(proc)
        for pid in redis_pids:
            if process_alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        for log in logs.values():
            log.close()
        shutil.rmtree(work, ignore_errors=True)
    return summary()

if __name__ == "__main__":
    sys.exit(main())
