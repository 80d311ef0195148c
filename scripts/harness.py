"""Shared pieces of the live-service test scripts: results, ports, redis-server and quotad processes.

Everything runs on loopback; every process started here is stopped by `stop`.
"""
import http.client, json, os, queue, socket, subprocess, threading, time

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
    """Starts redis-server on 127.0.0.1:port and returns once it answers PING (at most 10 s).

    Its output goes to `redis-<port>.log` in `directory` (a pipe nobody reads could fill and block it).
    """
    log = open(os.path.join(directory, f"redis-{port}.log"), "ab")
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", directory,
                             "--save", "", "--appendonly", "no", "--daemonize", "no", *options],
                            stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return proc
        except OSError:
            pass
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"redis-server did not start on port {port} (see {directory}/redis-{port}.log)")

def start_quotad(http_port, redis_port, admin_key, output=subprocess.DEVNULL, **env):
    """Starts `quotad serve` against the given Redis and waits until /readyz answers 200."""
    environment = dict(os.environ, QUOTAD_ADMIN_KEYS=admin_key, QUOTAD_HTTP_PORT=str(http_port),
                       QUOTAD_REDIS_URL=f"redis://127.0.0.1:{redis_port}", QUOTAD_LOG_LEVEL="error")
    environment.update({key: str(value) for key, value in env.items()})
    proc = subprocess.Popen([QUOTAD, "serve"], env=environment, stdout=output, stderr=subprocess.STDOUT)
    if wait_ready(proc, http_port):
        return proc
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

def wait_ready(proc, http_port, within=30.0):
    """True once quotad answers 200 on /readyz; False if it exits or `within` seconds pass."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=1)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False

def start_quotad_embedded(http_port, data_dir, redis_port, admin_key, output=subprocess.DEVNULL, **env):
    """Starts `quotad serve` in embedded mode (no QUOTAD_REDIS_URL: it runs its own redis-server on
    redis_port with its data in data_dir). Returns the process at once; see `wait_ready`."""
    environment = {k: v for k, v in os.environ.items() if k != "QUOTAD_REDIS_URL"}
    environment.update(QUOTAD_ADMIN_KEYS=admin_key, QUOTAD_HTTP_PORT=str(http_port), QUOTAD_DATA_DIR=data_dir,
                       QUOTAD_EMBEDDED_REDIS_PORT=str(redis_port), QUOTAD_LOG_LEVEL="info")
    environment.update({key: str(value) for key, value in env.items()})
    return subprocess.Popen([QUOTAD, "serve"], env=environment, stdout=output, stderr=subprocess.STDOUT)

def child_pids(pid, name=None):
    """Pids of the live (non-zombie) children of `pid`, optionally only those whose command is `name`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z" and (name is None or comm == name):
            found.append(int(entry))
    return found

def process_alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].split()[0] != "Z"

def port_accepts(port):
    """True when something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False

class Client:
    """One keep-alive HTTP connection to quotad, authenticated with `key`; retries a broken connection twice."""
    def __init__(self, port, key):
        self.port, self.key, self.conn = port, key, None
    def call(self, method, path, body=None):
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                                  headers={"Content-Type": "application/json", "Authorization": "Bearer " + self.key})
                response = self.conn.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt == 2:
                    raise

def run_workers(count, jobs, work):
    """Runs `work(job)` for every job on `count` threads; returns the errors raised (as strings)."""
    q = queue.Queue()
    for job in jobs:
        q.put(job)
    errors = []
    def loop():
        while True:
            try:
                job = q.get_nowait()
            except queue.Empty:
                return
            try:
                work(job)
            except Exception as error:  # noqa: BLE001 - reported as a failure below
                errors.append(repr(error))
    threads = [threading.Thread(target=loop) for _ in range(count)]
    for t in threads: t.start()
    for t in threads: t.join()
    return errors

def redis_cli(port, *args):
    """Runs one redis-cli command against 127.0.0.1:port (at most 10 s) and returns its output, stripped."""
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=10).stdout.strip()
