#!/usr/bin/env python3
"""Redis Cluster failover test for quotad (loopback only, bounded; run against the release binary: QUOTAD_BIN).

Starts a 6-node Redis Cluster (3 primaries, 3 replicas; cluster bus on port+10000) and TWO quotad instances
on it with QUOTAD_REDIS_MODE=cluster and QUOTAD_REDIS_MIN_REPLICAS_ACK=1, then:
  1. streams usage events for many tenants (their hash slots spread over every primary) through both
     instances; every 503 is retried with the same event id until it is accepted (bounded); midway, one
     tenant's slot is migrated to another primary (IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE): no answer
     before the kill may be a 503;
  2. kill -9's one primary mid-stream; once its replica was promoted, restarts the killed node (as a process
     supervisor would): it rejoins as the new primary's replica, so acknowledged writes (WAIT 1) succeed
     again on that shard;
  3. checks: lost acknowledged events = 0 (every 2xx event is in its tenant's totals), exactly once after
     retries (totals equal the distinct events), the 503 window (first to last 503) is bounded (< 15 s);
  4. every quota operation (PUT quota, reserve, commit, release, usage read, report, a tenant key created
     on one instance and used on the other) works for tenants on every primary.
Prints `figure:` lines and ends with `N passed, M failed`. Every process is stopped, also on failure.
"""
import http.client, json, os, random, shutil, signal, socket, subprocess, sys, tempfile, threading, time

import harness
from harness import check, stop, summary, wait_ready, redis_cli

ADMIN = "cluster-test-admin-key-0123456789"
NODE_TIMEOUT_MS = 2000
TENANTS = 48
WORKERS = 8
KILL_AFTER_ACCEPTED = int(os.environ.get("CLUSTER_KILL_AFTER", "600"))
AFTER_RECOVERY_ACCEPTED = 600
PHASE_LIMIT_SECONDS = 60.0
EVENT_RETRY_SECONDS = 30.0
WINDOW_BOUND_SECONDS = 15.0

def crc16(data):
    """CRC16-CCITT (XMODEM), as Redis Cluster uses for hash slots."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc

def slot(tenant):
    """The hash slot of a tenant's keys (all are tagged `{tenant}`)."""
    return crc16(tenant.encode()) % 16384

def bindable(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False

def cluster_ports(count):
    """`count` ports whose cluster bus port (port + 10000) is free as well."""
    ports, rng = [], random.Random()
    for _ in range(10_000):
        port = rng.randrange(20_000, 45_000)
        if port not in ports and bindable(port) and bindable(port + 10_000):
            ports.append(port)
            if len(ports) == count:
                return ports
    raise RuntimeError("no free cluster ports")

def start_nodes(count, work, nodes):
    """Starts `count` cluster-enabled nodes into `nodes` (port -> process); a port taken meanwhile by another
    process is replaced by a fresh one (at most 5 tries per node). Returns their ports."""
    ports = []
    for _ in range(count):
        for attempt in range(5):
            port = next(p for p in cluster_ports(count + len(nodes) + 1) if p not in nodes)
            try:
                nodes[port] = harness.start_redis(port, work, *cluster_options(port))
                ports.append(port)
                break
            except RuntimeError:
                if attempt == 4:
                    raise
    return ports

def cluster_options(port):
    return ("--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf",
            "--cluster-node-timeout", str(NODE_TIMEOUT_MS), "--repl-diskless-sync-delay", "0")

def replica_online(primary_port):
    """Whether the primary has a replica that finished its initial sync (WAIT counts only those)."""
    return "state=online" in (info_field(primary_port, "replication", "slave0") or "")

def info_field(port, section, name):
    """A field of `INFO section`, or of `CLUSTER INFO` when section is "cluster"."""
    command = ("CLUSTER", "INFO") if section == "cluster" else ("INFO", section)
    for line in redis_cli(port, *command).splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return None

def wait_for(condition, within, what):
    """Polls `condition` (at most `within` seconds, 20 ms apart); records a FAIL and returns False on timeout."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except (OSError, subprocess.SubprocessError):
            pass
        time.sleep(0.02)
    check(what, False, f"not within {within:.0f} s")
    return False

def cluster_nodes(port):
    """[(id, address port, flags, master id, slot ranges)] from CLUSTER NODES on `port`."""
    rows = []
    for line in redis_cli(port, "CLUSTER", "NODES").splitlines():
        parts = line.split()
        if len(parts) >= 8:
            rows.append((parts[0], int(parts[1].split("@")[0].rsplit(":", 1)[1]), parts[2].split(","), parts[3], parts[8:]))
    return rows

def primaries(port):
    return [row for row in cluster_nodes(port) if "master" in row[2] and "fail" not in row[2] and row[4]]

def owner_of(port, wanted):
    """The port of the live primary serving slot `wanted`."""
    for _, node_port, _, _, ranges in primaries(port):
        for item in ranges:
            if item.startswith("["):
                continue
            low, _, high = item.partition("-")
            if int(low) <= wanted <= int(high or low):
                return node_port
    return None

def migrate_slot(ports, wanted, target):
    """Moves slot `wanted` to the primary on port `target` the way redis-cli --cluster reshard does
    (IMPORTING/MIGRATING, MIGRATE of its keys in batches, SETSLOT NODE everywhere) while traffic runs.
    Returns the number of keys moved, or None when the loop hit its bound."""
    source = owner_of(ports[0], wanted)
    ids = {row[1]: row[0] for row in cluster_nodes(ports[0])}
    redis_cli(target, "CLUSTER", "SETSLOT", str(wanted), "IMPORTING", ids[source])
    redis_cli(source, "CLUSTER", "SETSLOT", str(wanted), "MIGRATING", ids[target])
    moved, deadline = 0, time.monotonic() + PHASE_LIMIT_SECONDS
    for _ in range(10_000):
        keys = redis_cli(source, "CLUSTER", "GETKEYSINSLOT", str(wanted), "20").split()
        if not keys:
            break
        redis_cli(source, "MIGRATE", "127.0.0.1", str(target), "", "0", "5000", "REPLACE", "KEYS", *keys)
        moved += len(keys)
        if time.monotonic() > deadline:
            return None
    else:
        return None
    for port in [target, source] + [p for _, p, _, _, _ in primaries(ports[0]) if p not in (target, source)]:
        redis_cli(port, "CLUSTER", "SETSLOT", str(wanted), "NODE", ids[target])
    return moved

def start_quotad(http_port, nodes, log_path, **env):
    """Starts `quotad serve` in cluster mode (its warnings go to `log_path`) and waits until it is ready.
    Timeouts are generous (replica acknowledgement 2 s, commands 5 s) so that a slow or loaded machine never
    turns a healthy write into a 503 before the kill: the test's outcome must not depend on machine speed."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QUOTAD_")}
    environment.update(QUOTAD_ADMIN_KEYS=ADMIN, QUOTAD_HTTP_PORT=str(http_port), QUOTAD_LOG_LEVEL="warning",
                       QUOTAD_REDIS_MODE="cluster", QUOTAD_REDIS_NODES=",".join(f"127.0.0.1:{p}" for p in nodes),
                       QUOTAD_REDIS_MIN_REPLICAS_ACK="1", QUOTAD_REDIS_REPLICA_ACK_TIMEOUT_MS="2000",
                       QUOTAD_REDIS_TIMEOUT_MS="5000", QUOTAD_REDIS_CONNECT_TIMEOUT_MS="500")
    environment.update({key: str(value) for key, value in env.items()})
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([harness.QUOTAD, "serve"], env=environment, stdout=log, stderr=subprocess.STDOUT)
    if wait_ready(proc, http_port):
        return proc
    stop(proc)
    raise RuntimeError("quotad did not become ready in cluster mode")

class Stream:
    """Usage events over every tenant through both instances; 503s retried with the same event id."""
    def __init__(self, ports, tenants):
        self.ports, self.tenants = ports, tenants
        self.lock = threading.Lock()
        self.next_id = 0
        self.accepted = {}          # event index -> (tenant, input tokens)
        self.unresolved = []        # gave up after EVENT_RETRY_SECONDS
        self.unexpected = []        # statuses other than 2xx and 503
        self.failures = []          # (monotonic time, status) of every 503 / connection error
        self.running = True

    def event(self, index):
        return self.tenants[index % len(self.tenants)], {
            "user": "streamer", "event_id": f"evt-{index}", "model": "gpt-4o",
            "usage": {"input_tokens": 10 + index % 7, "output_tokens": 3}}

    def worker(self, number):
        conns = [None, None]
        while self.running:
            with self.lock:
                index = self.next_id
                self.next_id += 1
            tenant, body = self.event(index)
            started = time.monotonic()
            attempt = 0
            while True:
                which = (index + attempt + number) % 2
                attempt += 1
                status, code = None, "connection"
                try:
                    if conns[which] is None:
                        conns[which] = http.client.HTTPConnection("127.0.0.1", self.ports[which], timeout=10)
                    conns[which].request("POST", f"/v1/tenants/{tenant}/usage", body=json.dumps(body),
                                         headers={"Content-Type": "application/json", "Authorization": "Bearer " + ADMIN})
                    response = conns[which].getresponse()
                    data = response.read()
                    status = response.status
                    code = self.error_code(data) if status == 503 else None
                except (OSError, http.client.HTTPException):
                    conns[which] = None
                if status is not None and 200 <= status < 300:
                    with self.lock:
                        self.accepted[index] = (tenant, body["usage"]["input_tokens"])
                    break
                if status is not None and status != 503:
                    with self.lock:
                        self.unexpected.append(status)
                    break
                with self.lock:
                    self.failures.append((time.monotonic(), code))
                if time.monotonic() - started > EVENT_RETRY_SECONDS:
                    with self.lock:
                        self.unresolved.append(index)
                    break
                time.sleep(0.05)   # retry pacing, not synchronisation

    @staticmethod
    def error_code(data):
        try:
            body = json.loads(data)
            return str(body.get("error", {}).get("code") if isinstance(body.get("error"), dict) else body.get("code"))
        except ValueError:
            return "unparsable"

    def accepted_count(self):
        with self.lock:
            return len(self.accepted)

def judge_stream(stream, tenants, http_ports, killed_at, quiet_label):
    """Compares every tenant's totals (read through both instances) with the events the stream saw accepted
    and checks: no 503 before the kill, every tenant readable, lost acknowledged = 0, exactly once after
    retries, no answer other than 2xx and 503. Returns (lost, extra, 503 window s, failure codes, 503s before
    the kill)."""
    expected = {}
    for tenant, tokens in stream.accepted.values():
        requests, input_tokens = expected.get(tenant, (0, 0))
        expected[tenant] = (requests + 1, input_tokens + tokens)
    lost = extra = unreadable = 0
    for n, tenant in enumerate(tenants):
        status, data = call(http_ports[n % 2], "GET", f"/v1/tenants/{tenant}/users/streamer/usage")
        if status != 200:
            unreadable += 1
            continue
        totals = json.loads(data)["totals"]
        want_requests, want_tokens = expected.get(tenant, (0, 0))
        lost += max(0, want_requests - totals["requests"])
        extra += max(0, totals["requests"] - want_requests)
        if totals["input_tokens"] != want_tokens and totals["requests"] == want_requests:
            extra += 1
    before = [code for t, code in stream.failures if t < killed_at]
    failures = [t for t, _ in stream.failures if t >= killed_at]
    codes = {}
    for _, code in stream.failures:
        codes[code] = codes.get(code, 0) + 1
    window = (max(failures) - min(failures)) if failures else 0.0
    check(quiet_label, not before, f"{len(before)}: {sorted(set(before))}")
    check("every tenant's usage is readable", unreadable == 0, f"{unreadable} unreadable")
    check("lost acknowledged events = 0 (every 2xx event is in its tenant's totals)", lost == 0, f"lost {lost}")
    check("exactly once after retries (totals equal the distinct accepted events)", extra == 0 and not stream.unresolved,
          f"extra {extra}, unresolved {len(stream.unresolved)}")
    check("no answers other than 2xx and 503", not stream.unexpected, str(sorted(set(stream.unexpected))))
    return lost, extra, window, codes, before

def call(port, method, path, body=None, key=ADMIN):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Content-Type": "application/json", "Authorization": "Bearer " + key})
        response = conn.getresponse()
        data = response.read()
        return response.status, data
    finally:
        conn.close()

def main():
    work = tempfile.mkdtemp(prefix="quotad-cluster-")
    nodes, instances, threads, stream = {}, [], [], None
    try:
        ports = start_nodes(6, work, nodes)
        created = subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in ports],
                                  "--cluster-replicas", "1", "--cluster-yes"], capture_output=True, text=True, timeout=60)
        check("cluster created", created.returncode == 0, created.stderr.strip()[-200:])
        if created.returncode != 0:
            return summary()
        if not wait_for(lambda: all(info_field(p, "cluster", "cluster_state") == "ok" for p in ports), 30, "cluster_state:ok on every node"):
            return summary()
        if not wait_for(lambda: len(primaries(ports[0])) == 3 and all(
                replica_online(p) for _, p, _, _, _ in primaries(ports[0])), 30, "every primary has its replica online"):
            return summary()
        http_ports = [harness.free_port(), harness.free_port()]
        logs = [os.path.join(work, f"quotad-{n}.log") for n in range(2)]
        instances = [start_quotad(port, ports, log) for port, log in zip(http_ports, logs)]

        tenants = [f"tenant-{n}" for n in range(TENANTS)]
        shards = {}
        for tenant in tenants:
            shards.setdefault(owner_of(ports[0], slot(tenant)), []).append(tenant)
        check("the tenants' slots are spread over every primary", len(shards) == 3 and None not in shards,
              ", ".join(f"{p}: {len(t)}" for p, t in shards.items()))

        # 1-2. Stream; kill -9 the primary of tenant-0's slot mid-stream; restart it once its replica took over.
        stream = Stream(http_ports, tenants)
        threads = [threading.Thread(target=stream.worker, args=(n,)) for n in range(WORKERS)]
        for t in threads: t.start()
        start = time.monotonic()
        # 0. A slot migration in the middle of the stream (no 503 may come of it: checked below with every
        #    answer before the kill). The migrated tenant lives on another primary than the one killed later.
        wait_for(lambda: stream.accepted_count() >= KILL_AFTER_ACCEPTED // 2, PHASE_LIMIT_SECONDS, "events accepted before the migration")
        doomed = owner_of(ports[0], slot(tenants[0]))
        moving = next(t for t in tenants if owner_of(ports[0], slot(t)) != doomed)
        source = owner_of(ports[0], slot(moving))
        target = next(p for _, p, _, _, _ in primaries(ports[0]) if p not in (source, doomed))
        before_migration = stream.accepted_count()
        moved = migrate_slot(ports, slot(moving), target)
        check(f"slot {slot(moving)} ({moving}) migrated under the stream", moved is not None and owner_of(ports[0], slot(moving)) == target,
              f"{moved} keys moved from :{source} to :{target}")
        print(f"figure: slot {slot(moving)} of {moving} migrated :{source} -> :{target} ({moved} keys) while "
              f"{stream.accepted_count() - before_migration} events were accepted", flush=True)
        wait_for(lambda: stream.accepted_count() >= KILL_AFTER_ACCEPTED, PHASE_LIMIT_SECONDS, "events accepted before the kill")
        victim = owner_of(ports[0], slot(tenants[0]))
        victim_id = next(row[0] for row in cluster_nodes(ports[0]) if row[1] == victim)
        killed_at = time.monotonic()
        nodes[victim].send_signal(signal.SIGKILL)
        nodes[victim].wait()
        survivor = next(p for p in ports if p != victim)
        promoted = wait_for(lambda: (owner_of(survivor, slot(tenants[0])) or victim) != victim, PHASE_LIMIT_SECONDS,
                            "a replica took over the killed primary's slots")
        promoted_at = time.monotonic()
        nodes[victim] = harness.start_redis(victim, work, *cluster_options(victim))
        new_primary = owner_of(survivor, slot(tenants[0]))
        rejoined = promoted and wait_for(
            lambda: info_field(victim, "replication", "master_link_status") == "up"
            and replica_online(new_primary), PHASE_LIMIT_SECONDS,
            "the restarted node rejoined as the new primary's replica")
        rejoined_at = time.monotonic()
        base = stream.accepted_count()
        wait_for(lambda: stream.accepted_count() >= base + AFTER_RECOVERY_ACCEPTED, PHASE_LIMIT_SECONDS, "events accepted after recovery")
        stream.running = False
        for t in threads: t.join(timeout=EVENT_RETRY_SECONDS + 15)
        elapsed = time.monotonic() - start

        # 3. Lost acknowledged = 0, exactly once after retries, bounded 503 window.
        lost, extra, window, codes, before = judge_stream(stream, tenants, http_ports, killed_at,
                                                          "no 503 before the kill (also none during the slot migration)")
        failures = [t for t, _ in stream.failures if t >= killed_at]
        if before:
            reasons = {}
            for path in logs:
                for line in open(path, errors="replace"):
                    if "redis.error.message=" in line:
                        reason = line.split("redis.error.message=", 1)[1][:110]
                        reasons[reason] = reasons.get(reason, 0) + 1
            print("  quotad's Redis warnings:", sorted(reasons.items(), key=lambda item: -item[1])[:4], flush=True)
        check(f"the 503 window is bounded (< {WINDOW_BOUND_SECONDS:.0f} s)", window < WINDOW_BOUND_SECONDS, f"{window:.2f} s")
        print(f"figure: {len(stream.accepted)} events over {TENANTS} tenants through 2 instances in {elapsed:.1f} s, "
              f"{len(stream.failures)} answers 503/retried {codes}, lost acknowledged {lost}, double counts {extra}", flush=True)
        first = (min(failures) - killed_at) if failures else 0.0
        print(f"figure: kill -9 of primary :{victim} -> replica promoted after {promoted_at - killed_at:.2f} s "
              f"(cluster-node-timeout {NODE_TIMEOUT_MS} ms), restarted node rejoined as replica after {rejoined_at - killed_at:.2f} s; "
              f"503 window {window:.2f} s (first 503 at +{first:.2f} s)", flush=True)

        # 4. Every quota operation, on tenants of every primary, alternating the two instances.
        problems = []
        for shard, members in shards.items():
            for n, tenant in enumerate(members[:3]):
                a, b = http_ports[n % 2], http_ports[(n + 1) % 2]
                status, _ = call(a, "PUT", f"/v1/tenants/{tenant}/users/ops/quota", {"limits": {"tokens": 100_000}})
                if status != 200: problems.append(f"{tenant} PUT quota {status}")
                status, data = call(b, "POST", f"/v1/tenants/{tenant}/reservations",
                                    {"user": "ops", "model": "gpt-4o", "input_tokens": 100, "max_output_tokens": 50})
                if status != 201:
                    problems.append(f"{tenant} reserve {status}")
                    continue
                rid = json.loads(data)["reservation_id"]
                status, _ = call(a, "POST", f"/v1/tenants/{tenant}/reservations/{rid}/commit",
                                 {"user": "ops", "usage": {"input_tokens": 80, "output_tokens": 20}})
                if status != 200: problems.append(f"{tenant} commit {status}")
                status, data = call(b, "POST", f"/v1/tenants/{tenant}/reservations",
                                    {"user": "ops", "model": "gpt-4o", "input_tokens": 10, "max_output_tokens": 10})
                released = status == 201 and call(a, "DELETE", f"/v1/tenants/{tenant}/reservations/{json.loads(data)['reservation_id']}")[0] == 204
                if not released: problems.append(f"{tenant} reserve+release")
                status, data = call(b, "GET", f"/v1/tenants/{tenant}/users/ops/usage")
                if status != 200 or json.loads(data)["totals"]["input_tokens"] != 80: problems.append(f"{tenant} usage {status}")
                status, _ = call(a, "GET", f"/v1/tenants/{tenant}/reports/usage")
                if status != 200: problems.append(f"{tenant} report {status}")
                status, data = call(a, "POST", f"/v1/tenants/{tenant}/keys")
                key = json.loads(data).get("key") if status in (200, 201) else None
                if key is None or call(b, "GET", f"/v1/tenants/{tenant}/users/ops/usage", key=key)[0] != 200:
                    problems.append(f"{tenant} key made on one instance, used on the other")
        check("every quota operation works for tenants on every primary, through both instances", not problems, "; ".join(problems[:5]))
    finally:
        if stream is not None:
            stream.running = False
        for t in threads:
            t.join(timeout=EVENT_RETRY_SECONDS + 15)
        for proc in instances:
            stop(proc)
        for proc in nodes.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    return summary()

if __name__ == "__main__":
    sys.exit(main())
