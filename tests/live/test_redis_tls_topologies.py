"""Sentinel and Cluster over TLS with the release binary: every Redis listens for TLS only (`port 0`).

1. Sentinel: a primary and a replica (`tls-replication yes`), 3 sentinels on `tls-port`; quotad in sentinel mode
   with `redis.tls.enabled` + `redis.tls.ca_file` (the sentinels and the primary they name are reached over
   TLS, as the ACL user that both data nodes have). A forced failover (`SENTINEL FAILOVER`): quotad follows the
   sentinels to the new primary, over TLS, and writes land there.
2. Cluster: 3 primaries (`tls-cluster yes`), quotad seeded with ONE `rediss://` node: it must learn the others'
   TLS ports from `CLUSTER SHARDS` (`tls-port`) and write to all three; a slot moved to another primary after
   quotad read the topology is followed through `MOVED` (a TLS port) and counted.
"""
import os, random, socket, subprocess, time

import pytest

from redis_support import Certificates, SecureRedis, acl_rule, start_redis
from support import Client, create_tenant_key, free_port, stop, wait_until

MASTER = "quotad-tls"


@pytest.fixture
def certificates(launcher):
    return Certificates(launcher.directory)


def record(server, key, tenant, event_id):
    """One usage event through quotad (retried on 503 for at most 20 s: a failover in progress); the last answer."""
    deadline, answer = time.monotonic() + 20, None
    while time.monotonic() < deadline:
        answer = Client(server.port, key, keep_alive=False).request("POST", f"/v1/tenants/{tenant}/usage", {
            "user": "u", "event_id": event_id, "model": "gpt-4o", "usage": {"input_tokens": 11}})
        if answer.status != 503:
            return answer
        time.sleep(0.1)
    return answer


def start_sentinel(launcher, certificates, primary_port):
    """A sentinel listening for TLS only, reaching the data nodes over TLS; returns a SecureRedis of it."""
    port = free_port()
    config = os.path.join(launcher.directory, f"sentinel-{port}.conf")
    tls = certificates.server_options()
    with open(config, "w") as f:
        f.write(f"port 0\ntls-port {port}\nbind 127.0.0.1\ndir {launcher.directory}\ntls-replication yes\n"
                + "".join(f"{tls[i][2:]} {tls[i + 1]}\n" for i in range(0, len(tls), 2))
                + f"sentinel monitor {MASTER} 127.0.0.1 {primary_port} 2\nsentinel down-after-milliseconds {MASTER} 1000\n"
                f"sentinel failover-timeout {MASTER} 10000\n")
    log = open(os.path.join(launcher.directory, f"sentinel-{port}.log"), "ab")
    proc = subprocess.Popen(["redis-server", config, "--sentinel"], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    launcher.procs.append(proc)
    sentinel = SecureRedis(port, proc, certificates)
    if not wait_until(lambda: sentinel.cli("PING") == "PONG", 10):
        raise RuntimeError(f"sentinel did not start on {port}")
    return sentinel


def primary_port(sentinel):
    reply = sentinel.cli("SENTINEL", "get-master-addr-by-name", MASTER).split()
    return int(reply[1]) if len(reply) == 2 else None


def test_sentinel_over_tls_with_a_failover(launcher, certificates, figure):
    replication = ["--tls-replication", "yes", "--repl-diskless-sync-delay", "0"]
    primary = start_redis(launcher, *replication, certificates=certificates)
    replica = start_redis(launcher, *replication, "--replicaof", "127.0.0.1", str(primary.port), certificates=certificates)
    for node in (primary, replica):   # ACL users are not replicated: every data node has quotad's
        node.add_user("quotad", "s-secret", acl_rule())
    assert wait_until(lambda: "master_link_status:up" in replica.cli("INFO", "replication"), 15), "replica synced over TLS"
    sentinels = [start_sentinel(launcher, certificates, primary.port) for _ in range(3)]
    assert wait_until(lambda: all("num-other-sentinels" in s.cli("SENTINEL", "master", MASTER) and
                                  s.cli("SENTINEL", "replicas", MASTER).count("name") >= 1 and
                                  s.cli("SENTINEL", "sentinels", MASTER).count("name") >= 2 for s in sentinels), 30), \
        "every sentinel knows the replica and the other sentinels"
    server = launcher.quotad(primary.port, log="quotad-sentinel", QUOTAD_REDIS_URL="", QUOTAD_REDIS_MODE="sentinel",
                             QUOTAD_REDIS_SENTINELS=",".join(f"127.0.0.1:{s.port}" for s in sentinels),
                             QUOTAD_REDIS_SENTINEL_MASTER=MASTER, QUOTAD_REDIS_USERNAME="quotad", QUOTAD_REDIS_PASSWORD="s-secret",
                             QUOTAD_REDIS_TLS_ENABLED="true", **certificates.quotad_env())
    key = create_tenant_key(server, "sent")
    assert record(server, key, "sent", "before").status == 200
    started = time.monotonic()
    assert sentinels[0].cli("SENTINEL", "FAILOVER", MASTER) == "OK"
    assert wait_until(lambda: primary_port(sentinels[0]) == replica.port, 30), "the sentinels promoted the replica"
    promoted = time.monotonic() - started
    answer = record(server, key, "sent", "after")
    written = replica.cli("ROLE").startswith("master") and int(replica.cli("DBSIZE")) > 0
    usage = Client(server.port, key, keep_alive=False).request("GET", "/v1/tenants/sent/users/u/usage").json()
    figure(f"sentinel over TLS: failover promoted the replica in {promoted:.1f} s; quotad's next write {answer.status}")
    assert answer.status == 200 and written, f"the write after the failover reached the new primary: {answer}"
    assert usage["totals"]["requests"] == 2, usage
    assert primary.acl_log() == "" and replica.acl_log() == "", "nothing refused"


def cluster_ports(count):
    """`count` free ports whose cluster bus port (port + 10000) is free too."""
    ports, rng = [], random.Random()
    for _ in range(10_000):
        port = rng.randrange(20_000, 45_000)
        if port in ports:
            continue
        with socket.socket() as a, socket.socket() as b:
            try:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10_000))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == count:
            return ports
    raise RuntimeError("no free cluster ports")


def crc16(data):
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def start_tls_cluster(launcher, certificates):
    """3 TLS-only primaries (`tls-cluster yes`) covering every slot; returns their SecureRedis in port order."""
    nodes = []
    for port in cluster_ports(3):
        options = ["--port", "0", "--tls-port", str(port), *certificates.server_options(), "--tls-cluster", "yes",
                   "--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf", "--cluster-node-timeout", "2000"]
        log = open(os.path.join(launcher.directory, f"redis-{port}.log"), "ab")
        proc = subprocess.Popen(["redis-server", *options, "--bind", "127.0.0.1", "--dir", launcher.directory, "--save", "",
                                 "--appendonly", "no"], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        launcher.procs.append(proc)
        node = SecureRedis(port, proc, certificates)
        assert wait_until(lambda: node.cli("PING") == "PONG", 10), f"cluster node {port} started"
        nodes.append(node)
    created = subprocess.run([*nodes[0].cli_arguments(), "--cluster", "create", *[f"127.0.0.1:{n.port}" for n in nodes],
                              "--cluster-yes"], capture_output=True, text=True, timeout=60)
    assert created.returncode == 0, created.stdout[-500:] + created.stderr[-500:]
    assert wait_until(lambda: all("cluster_state:ok" in n.cli("CLUSTER", "INFO") for n in nodes), 30), "cluster_state:ok"
    return nodes


def test_cluster_over_tls_one_seed_and_moved(launcher, certificates, figure):
    nodes = start_tls_cluster(launcher, certificates)
    for node in nodes:
        node.add_user("quotad", "c-secret", acl_rule())
    server = launcher.quotad(nodes[0].port, log="quotad-cluster", QUOTAD_REDIS_URL="", QUOTAD_REDIS_MODE="cluster",
                             QUOTAD_REDIS_NODES=f"rediss://127.0.0.1:{nodes[0].port}", QUOTAD_REDIS_USERNAME="quotad",
                             QUOTAD_REDIS_PASSWORD="c-secret", **certificates.quotad_env())
    tenants = [f"tenant-{n}" for n in range(12)]
    for tenant in tenants:
        key = create_tenant_key(server, tenant)
        assert record(server, key, tenant, "e-1").status == 200, tenant
    holding = [int(node.cli("DBSIZE")) for node in nodes]
    assert all(count > 0 for count in holding), f"every primary holds tenant keys (learned over TLS): {holding}"
    # A slot quotad has not touched yet moves to another primary; quotad's cached table still names the old one.
    ids = {int(line.split()[1].split("@")[0].rsplit(":", 1)[1]): line.split()[0]
           for line in nodes[0].cli("CLUSTER", "NODES").splitlines() if line.strip()}
    tenant = "moving"
    slot = crc16(tenant.encode()) % 16384
    source = next(n for n in nodes if _serves_by(n, slot) == n.port)
    target = next(n for n in nodes if n is not source)
    for node in (target, source, *[n for n in nodes if n not in (source, target)]):
        assert node.cli("CLUSTER", "SETSLOT", str(slot), "NODE", ids[target.port]) == "OK"
    assert wait_until(lambda: all(_serves_by(n, slot) == target.port for n in nodes), 10), "slot moved everywhere"
    key = create_tenant_key(server, tenant)
    answer = record(server, key, tenant, "moved-1")
    metrics = Client(server.port, keep_alive=False).request("GET", "/metrics", key="").body.decode()
    moved = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                if line.startswith("redis_cluster_redirects_total") and 'kind="moved"' in line)
    figure(f"cluster over TLS: 3 primaries from one rediss:// seed, keys per primary {holding}; "
           f"slot {slot} moved, quotad followed {moved:.0f} MOVED")
    # (A periodic topology refresh, every 10 s, between the move and the write would route it without a MOVED.)
    assert answer.status == 200 and moved >= 1, f"{answer}, MOVED followed {moved}"
    assert int(target.cli("CLUSTER", "COUNTKEYSINSLOT", str(slot))) > 0, "the tenant's keys are on the new owner"


def _serves_by(node, slot):
    """The port of the primary that `node` says serves `slot`."""
    for line in node.cli("CLUSTER", "NODES").splitlines():
        parts = line.split()
        if len(parts) < 9 or "master" not in parts[2]:
            continue
        for item in parts[8:]:
            if item.startswith("["):
                continue
            low, _, high = item.partition("-")
            if int(low) <= slot <= int(high or low):
                return int(parts[1].split("@")[0].rsplit(":", 1)[1])
    return None
