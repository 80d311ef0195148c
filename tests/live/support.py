"""Shared pieces of the live-service tests: ports, redis-server and quotad processes, one HTTP client.

The pytest suite in tests/live uses them through its fixtures (conftest.py); the live-service scripts that
are still scripts use them through scripts/harness.py, which re-exports this module. Everything runs on
loopback; every process started here is stopped by `stop` (the fixtures' `Launcher` stops what it started).
"""
import http.client, json, os, queue, signal, socket, subprocess, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUOTAD = os.environ.get("QUOTAD_BIN", os.path.join(ROOT, ".build", "debug", "quotad"))


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


def quotad_environment(http_port, admin_key, redis_port=None, **env):
    """The environment of `quotad serve`: QUOTAD_* of the caller's environment, the given ports and key, `env` on top."""
    environment = dict(os.environ, QUOTAD_ADMIN_KEYS=admin_key, QUOTAD_HTTP_PORT=str(http_port), QUOTAD_LOG_LEVEL="error")
    if redis_port is not None:
        environment["QUOTAD_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}"
    environment.update({key: str(value) for key, value in env.items()})
    return environment


def start_quotad(http_port, redis_port, admin_key, output=subprocess.DEVNULL, binary=None, **env):
    """Starts `quotad serve` against the given Redis and waits until /readyz answers 200."""
    proc = subprocess.Popen([binary or QUOTAD, "serve"], env=quotad_environment(http_port, admin_key, redis_port, **env),
                            stdout=output, stderr=subprocess.STDOUT)
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


def start_quotad_embedded(http_port, data_dir, redis_port, admin_key, output=subprocess.DEVNULL, binary=None, **env):
    """Starts `quotad serve` in embedded mode (no QUOTAD_REDIS_URL: it runs its own redis-server on
    redis_port with its data in data_dir). Returns the process at once; see `wait_ready`."""
    environment = {k: v for k, v in os.environ.items() if k != "QUOTAD_REDIS_URL"}
    environment.update(QUOTAD_ADMIN_KEYS=admin_key, QUOTAD_HTTP_PORT=str(http_port), QUOTAD_DATA_DIR=data_dir,
                       QUOTAD_EMBEDDED_REDIS_PORT=str(redis_port), QUOTAD_LOG_LEVEL="info")
    environment.update({key: str(value) for key, value in env.items()})
    return subprocess.Popen([binary or QUOTAD, "serve"], env=environment, stdout=output, stderr=subprocess.STDOUT)


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


def process_name(pid):
    """The command name of `pid` (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.index("(") + 1:stat.rindex(")")]


def port_accepts(port):
    """True when something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Response:
    """One HTTP answer: status, lower-case headers, body bytes and the seconds it took."""
    def __init__(self, status, headers, body, seconds):
        self.status, self.headers, self.body, self.seconds = status, headers, body, seconds

    def json(self):
        """The body as JSON, or {} when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return {}

    def error_code(self):
        error = self.json().get("error") if isinstance(self.json(), dict) else None
        return error.get("code") if isinstance(error, dict) else None

    def __repr__(self):
        return f"{self.status} {self.body[:200]!r}"


class Client:
    """The HTTP client of the live tests: requests to quotad on 127.0.0.1:port, authenticated with `key`.

    With keep_alive (the default) one connection is reused and a broken one is retried twice (for
    idempotent load: usage events with an event_id, reads); with keep_alive=False every request has its
    own connection and is sent once (a test of timeouts, latency or refusals sees exactly one request)."""
    def __init__(self, port, key=None, keep_alive=True, timeout=30):
        self.port, self.key, self.keep_alive, self.timeout, self.conn = port, key, keep_alive, timeout, None

    def request(self, method, path, body=None, key=None, raw=None, timeout=None, headers=None):
        """(Response) of one request; `key` overrides the client's key ("" sends none); `raw` is sent as the body as is."""
        key = self.key if key is None else key
        sent = {"Content-Type": "application/json"}
        if key:
            sent["Authorization"] = "Bearer " + key
        sent.update(headers or {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        attempts = 3 if self.keep_alive else 1
        for attempt in range(attempts):
            conn = self.conn if self.keep_alive else None
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout or self.timeout)
            started = time.monotonic()
            try:
                conn.request(method, path, body=data, headers=sent)
                response = conn.getresponse()
                answer = Response(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read(),
                                  time.monotonic() - started)
                if self.keep_alive:
                    self.conn = conn
                else:
                    conn.close()
                return answer
            except (OSError, http.client.HTTPException):
                conn.close()
                self.conn = None
                if attempt == attempts - 1:
                    raise

    def call(self, method, path, body=None):
        """(status, body bytes): the form the live-service scripts use."""
        answer = self.request(method, path, body)
        return answer.status, answer.body

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


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


class Redis:
    """A private redis-server started by a Launcher: port, directory, options and process."""
    def __init__(self, port, directory, options, proc):
        self.port, self.directory, self.options, self.proc = port, directory, options, proc

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def cli(self, *args):
        return redis_cli(self.port, *args)


class Quotad:
    """A quotad started by a Launcher: its HTTP port, process, admin key and log file (or None)."""
    def __init__(self, port, proc, admin_key, log_path):
        self.port, self.proc, self.admin_key, self.log_path = port, proc, admin_key, log_path

    def client(self, key=None, keep_alive=False, **options):
        """A Client of this quotad (one connection per request unless keep_alive), with `key` or the admin key."""
        return Client(self.port, self.admin_key if key is None else key, keep_alive=keep_alive, **options)

    def running(self):
        return self.proc.poll() is None

    def log(self):
        if self.log_path is None:
            return ""
        with open(self.log_path, errors="replace") as f:
            return f.read()


def create_tenant_key(server, tenant="acme", scopes=None):
    """A new key of `tenant`, created through POST /v1/tenants/{tenant}/keys with the admin key."""
    answer = server.client().request("POST", f"/v1/tenants/{tenant}/keys", {"scopes": scopes} if scopes else None)
    assert answer.status in (200, 201), f"creating a key of {tenant}: {answer}"
    return answer.json()["key"]


class Launcher:
    """Starts redis-server and quotad processes in one work directory and stops all of them in `close`
    (the fixtures call it at teardown, also when the test failed)."""
    def __init__(self, directory, binary, admin_key):
        self.directory, self.binary, self.admin_key = directory, binary, admin_key
        self.procs, self.logs, self.extra_pids = [], [], []

    def redis(self, *options, port=None):
        """A private redis-server on a free loopback port (or `port`: a restart on the same port and directory)."""
        port = port or free_port()
        proc = start_redis(port, self.directory, *options)
        self.procs.append(proc)
        return Redis(port, self.directory, options, proc)

    def restart_redis(self, redis):
        """The same redis-server options, port and directory again (after it was killed or stopped)."""
        stop(redis.proc)
        redis.proc = start_redis(redis.port, redis.directory, *redis.options)
        self.procs.append(redis.proc)
        return redis

    def _log(self, name):
        path = os.path.join(self.directory, f"{name}.log")
        log = open(path, "ab")
        self.logs.append(log)
        return path, log

    def quotad(self, redis, log=None, wrapper_env=None, **env):
        """`quotad serve` against `redis` (a Redis or a port) with `env` overrides (QUOTAD_…=value), once /readyz
        answers 200; its output goes to `<log>.log` in the work directory when `log` names one."""
        redis_port = redis.port if isinstance(redis, Redis) else redis
        http_port = int(env.pop("QUOTAD_HTTP_PORT", 0)) or free_port()
        path, output = self._log(log) if log else (None, subprocess.DEVNULL)
        environment = quotad_environment(http_port, self.admin_key, redis_port, **env)
        environment.update(wrapper_env or {})
        proc = subprocess.Popen([self.binary, "serve"], env=environment, stdout=output, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        if not wait_ready(proc, http_port):
            stop(proc)
            tail = open(path, errors="replace").read()[-500:] if path else ""
            raise RuntimeError(f"quotad ({env}) did not become ready on port {http_port} {tail}")
        return Quotad(http_port, proc, self.admin_key, path)

    def embedded(self, name, data_dir, redis_port, **env):
        """`quotad serve` in embedded mode (its own redis-server on redis_port, data in data_dir), returned at
        once (see `wait_ready`); its output goes to `<name>.log`."""
        http_port = free_port()
        path, output = self._log(name)
        proc = start_quotad_embedded(http_port, data_dir, redis_port, self.admin_key, output=output, binary=self.binary, **env)
        self.procs.append(proc)
        return Quotad(http_port, proc, self.admin_key, path)

    def close(self):
        for proc in reversed(self.procs):
            stop(proc)
        for pid in self.extra_pids:   # children of a quotad (its embedded redis-server) that outlived it
            if process_alive(pid) and process_name(pid) == "redis-server":
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        for log in self.logs:
            log.close()
