"""Redis as production runs it, for the live tests: the ACL rule quotad ships (deploy/redis/quotad.acl),
redis-servers with ACL users and TLS (openssl-made certificates), and quotad runs that must fail with a
named message. Everything stays on loopback; every process is registered with the test's Launcher, which
stops it at teardown.
"""
import http.client, os, socket, ssl, subprocess, time

from support import ROOT, free_port, quotad_environment, stop

ACL_FILE = os.path.join(ROOT, "deploy", "redis", "quotad.acl")
ADMIN_USER, ADMIN_PASSWORD = "ops", "ops-" + os.urandom(8).hex()


def acl_rule():
    """The rule of deploy/redis/quotad.acl: the ACL SETUSER arguments after the user name, its placeholder
    password (`>CHANGE-ME`) left out."""
    with open(ACL_FILE) as f:
        tokens = f.read().split()
    assert tokens[:2] == ["user", "quotad"] and ">CHANGE-ME" in tokens, f"{ACL_FILE}: not `user quotad … >CHANGE-ME …`"
    return [token for token in tokens[2:] if token != ">CHANGE-ME"]


class Certificates:
    """A CA, an unrelated CA, server certificates for localhost/127.0.0.1 (valid, expired) and for another name,
    and a client certificate, made with `openssl` in `directory` (EC P-256: quick)."""
    def __init__(self, directory):
        self.directory = os.path.join(directory, "certs")
        os.makedirs(self.directory, exist_ok=True)
        key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for ca in ("ca", "other-ca"):
            self._openssl("req", "-x509", *key, "-keyout", f"{ca}.key", "-out", f"{ca}.crt", "-days", "2", "-subj", f"/CN=quotad test {ca}")
        self._openssl("req", *key, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
        self._openssl("req", *key, "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=quotad")
        self._write("localhost.ext", "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        self._write("other.ext", "subjectAltName=DNS:redis.invalid\n")
        self._write("client.ext", "extendedKeyUsage=clientAuth\n")
        for csr, out, days, ext in (("server", "server", "2", "localhost"), ("server", "expired", "-1", "localhost"),
                                    ("server", "wrongname", "2", "other"), ("client", "client", "2", "client")):
            self._openssl("x509", "-req", "-in", f"{csr}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                          "-out", f"{out}.crt", "-days", days, "-extfile", f"{ext}.ext")

    def path(self, name):
        return os.path.join(self.directory, name)

    @property
    def ca(self):
        return self.path("ca.crt")

    def server_options(self, certificate="server.crt", client_auth=False):
        """redis-server options of a TLS listener with `certificate` (also for replication, cluster bus, sentinels)."""
        return ["--tls-cert-file", self.path(certificate), "--tls-key-file", self.path("server.key"),
                "--tls-ca-cert-file", self.ca, "--tls-auth-clients", "yes" if client_auth else "no"]

    def quotad_env(self, client_certificate=False, ca=None):
        """QUOTAD_REDIS_TLS_* of a quotad that trusts `ca` (default: the CA) and, when asked, shows the client certificate."""
        env = {"QUOTAD_REDIS_TLS_CA_FILE": ca or self.ca}
        if client_certificate:
            env.update(QUOTAD_REDIS_TLS_CERT_FILE=self.path("client.crt"), QUOTAD_REDIS_TLS_KEY_FILE=self.path("client.key"))
        return env

    def _write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)

    def _openssl(self, *arguments):
        subprocess.run(["openssl", *arguments], cwd=self.directory, check=True, timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class SecureRedis:
    """A private redis-server that may listen for TLS only and may have its `default` user switched off; `cli`
    runs redis-cli as the admin user over the same transport."""
    def __init__(self, port, proc, certificates=None, admin=False):
        self.port, self.proc, self.certificates, self.admin = port, proc, certificates, admin

    @property
    def tls(self):
        return self.certificates is not None

    def url(self, user=None, password=None, scheme=None):
        credentials = f"{user}:{password}@" if user else ""
        return f"{scheme or ('rediss' if self.tls else 'redis')}://{credentials}127.0.0.1:{self.port}"

    def cli_arguments(self):
        arguments = ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port)]
        if self.tls:
            c = self.certificates
            arguments += ["--tls", "--cacert", c.ca, "--cert", c.path("client.crt"), "--key", c.path("client.key"), "--sni", "localhost"]
        if self.admin:
            arguments += ["--user", ADMIN_USER, "--pass", ADMIN_PASSWORD, "--no-auth-warning"]
        return arguments

    def cli(self, *args):
        answer = subprocess.run([*self.cli_arguments(), *args], capture_output=True, text=True, timeout=10)
        return answer.stdout.strip()

    def lock_down(self):
        """An admin user (for the test's own redis-cli) and the `default` user switched off: nobody gets in
        without a user and password."""
        assert self.cli("ACL", "SETUSER", ADMIN_USER, "on", f">{ADMIN_PASSWORD}", "~*", "&*", "+@all") == "OK"
        self.admin = True
        assert self.cli("ACL", "SETUSER", "default", "off", "resetpass", "nopass", "-@all") == "OK"

    def add_user(self, name, password, rule):
        """`ACL SETUSER name reset >password rule…`."""
        answer = self.cli("ACL", "SETUSER", name, "reset", f">{password}", *rule)
        assert answer == "OK", f"ACL SETUSER {name}: {answer}"

    def acl_log(self):
        """The ACL LOG entries, as redis-cli prints them (empty when none)."""
        return self.cli("ACL", "LOG", "128")


def _answers_ping(port, certificates):
    """True when a redis-server on `port` answers PING (or NOAUTH) — over TLS without verifying, when given certificates."""
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=1)
    except OSError:
        return False
    try:
        conn = raw
        if certificates is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            context.load_cert_chain(certificates.path("client.crt"), certificates.path("client.key"))
            conn = context.wrap_socket(raw)
        conn.sendall(b"PING\r\n")
        return conn.recv(64)[:6] in (b"+PONG\r", b"-NOAUT")
    except (OSError, ssl.SSLError):
        return False
    finally:
        raw.close()


def start_redis(launcher, *options, certificates=None, certificate="server.crt", client_auth=False):
    """A redis-server on a free loopback port (TLS only, `port 0`, when `certificates` are given), registered with
    `launcher`; returns once it answers PING (at most 10 s)."""
    port = free_port()
    listen = ["--port", str(port)]
    if certificates is not None:
        listen = ["--port", "0", "--tls-port", str(port), *certificates.server_options(certificate, client_auth)]
    log = open(os.path.join(launcher.directory, f"redis-{port}.log"), "ab")
    proc = subprocess.Popen(["redis-server", *listen, "--bind", "127.0.0.1", "--dir", launcher.directory, "--save", "",
                             "--appendonly", "no", "--daemonize", "no", *options], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    launcher.procs.append(proc)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        if _answers_ping(port, certificates):
            return SecureRedis(port, proc, certificates)
        time.sleep(0.02)
    stop(proc)
    raise RuntimeError(f"redis-server did not start on port {port} (see {launcher.directory}/redis-{port}.log)")


def failed_start(launcher, url, within=30.0, **env):
    """Starts `quotad serve` against `url` that is expected NOT to become ready; returns (exit code or None if it
    still ran after `within` seconds, its output, the /readyz answers seen). Never waits longer than `within`."""
    http_port = free_port()
    path = os.path.join(launcher.directory, f"quotad-{http_port}.log")
    environment = quotad_environment(http_port, launcher.admin_key, None, QUOTAD_REDIS_URL=url, **env)
    with open(path, "ab") as output:
        proc = subprocess.Popen([launcher.binary, "serve"], env=environment, stdout=output, stderr=subprocess.STDOUT)
    launcher.procs.append(proc)
    readyz = []
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=5)
            conn.request("GET", "/readyz")
            answer = conn.getresponse()
            readyz.append((answer.status, answer.read().decode(errors="replace")))
            conn.close()
            if answer.status == 200:
                break
        except OSError:
            pass
        time.sleep(0.1)
    code = proc.poll()
    with open(path, errors="replace") as f:
        return code, f.read(), readyz
