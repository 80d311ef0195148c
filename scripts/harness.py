"""Shared pieces of the live-service test scripts: results, ports, redis-server and quotad processes.

Everything runs on loopback; every process started here is stopped by `stop`.
"""
import http.client, os, socket, subprocess, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUOTAD = os.environ.get("QUOTAD_BIN", os.path.join(ROOT, ".build", "debug", "quotad"))

_results = []

def check(name, ok, detail=""):
    """Records one assertion and prints it."""
    _results.append(ok)
    print(("PASS " if ok else "FAIL ") + name + (f" ({detail})" if detail else ""), flush=True)

def summary():
    """Prints `N passed, M failed` and returns the exit code."""
    passed = sum(_results)
    print(f"{passed} passed, {len(_results) - passed} failed")
    return 0 if passed == len(_results) else 1

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def start_redis(port, directory, *options):
    """Starts redis-server on 127.0.0.1:port and returns once it accepts connections."""
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", directory,
                             "--save", "", "--appendonly", "no", "--daemonize", "no", *options],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 10
    for line in proc.stdout:
        if "Ready to accept connections" in line:
            return proc
        if time.time() > deadline:
            break
    proc.kill()
    raise RuntimeError("redis-server did not start")

def start_quotad(http_port, redis_port, admin_key, output=subprocess.DEVNULL, **env):
    """Starts `quotad serve` against the given Redis and waits until /readyz answers 200."""
    environment = dict(os.environ, QUOTAD_ADMIN_KEYS=admin_key, QUOTAD_HTTP_PORT=str(http_port),
                       QUOTAD_REDIS_URL=f"redis://127.0.0.1:{redis_port}", QUOTAD_LOG_LEVEL="error")
    environment.update({key: str(value) for key, value in env.items()})
    proc = subprocess.Popen([QUOTAD, "serve"], env=environment, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=1)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.05)
    stop(proc)
    raise RuntimeError("quotad did not become ready")

def stop(proc):
    """SIGTERM, then SIGKILL after 10 s."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
