#!/usr/bin/env python3
"""Redis Sentinel failover test for quotad (loopback only, bounded; run against the release binary: QUOTAD_BIN).

Starts 1 primary + 1 replica + 3 sentinels (quorum 2, down-after 1000 ms) and TWO quotad instances with
QUOTAD_REDIS_MODE=sentinel and QUOTAD_REDIS_MIN_REPLICAS_ACK=1, streams usage events over many tenants
through both (every 503 retried with the same event id until accepted, bounded), kill -9's the primary
mid-stream, and once the sentinels promoted the replica restarts the killed node as the new primary's replica
(as a supervisor that asks the sentinels for the primary would), so acknowledged writes succeed again. Checks: lost
acknowledged events = 0, exactly once after retries, the 503 window bounded; prints the recovery times.
Ends with `N passed, M failed`. Every process is stopped, also on failure.
"""
import os, shutil, signal, subprocess, sys, tempfile, threading, time

import harness
from harness import check, stop, summary, wait_ready, redis_cli
from cluster_failover_test import ADMIN, Stream, call, info_field, judge_stream, replica_online, wait_for, EVENT_RETRY_SECONDS

MASTER = "quotad"
TENANTS = 16
WORKERS = 8
KILL_AFTER_ACCEPTED = 600
AFTER_RECOVERY_ACCEPTED = 600
PHASE_LIMIT_SECONDS = 60.0
WINDOW_BOUND_SECONDS = 15.0
DOWN_AFTER_MS = 1000

def start_sentinel(port, primary_port, work):
    """Starts a sentinel on `port` monitoring the primary; returns once it answers PING (at most 10 s)."""
    config = os.path.join(work, f"sentinel-{port}.conf")
    with open(config, "w") as f:
        f.write(f"port {port}\nbind 127.0.0.1\ndir {work}\n"
                f"sentinel monitor {MASTER} 127.0.0.1 {primary_port} 2\n"
                f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {MASTER} 10000\nsentinel parallel-syncs {MASTER} 1\n")
    log = open(os.path.join(work, f"sentinel-{port}.log"), "ab")
    proc = subprocess.Popen(["redis-server", config, "--sentinel"], stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        if redis_cli(port, "PING") == "PONG":
            return proc
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"sentinel did not start on port {port}")

def master_port(sentinel_port):
    reply = redis_cli(sentinel_port, "SENTINEL", "get-master-addr-by-name", MASTER).split()
    return int(reply[1]) if len(reply) == 2 else None

def start_quotad(http_port, sentinels, log_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QUOTAD_")}
    environment.update(QUOTAD_ADMIN_KEYS=ADMIN, QUOTAD_HTTP_PORT=str(http_port), QUOTAD_LOG_LEVEL="warning",
                       QUOTAD_REDIS_MODE="sentinel", QUOTAD_REDIS_SENTINELS=",".join(f"127.0.0.1:{p}" for p in sentinels),
                       QUOTAD_REDIS_SENTINEL_MASTER=MASTER, QUOTAD_REDIS_MIN_REPLICAS_ACK="1",
                       QUOTAD_REDIS_REPLICA_ACK_TIMEOUT_MS="2000", QUOTAD_REDIS_TIMEOUT_MS="5000", QUOTAD_REDIS_CONNECT_TIMEOUT_MS="500")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([harness.QUOTAD, "serve"], env=environment, stdout=log, stderr=subprocess.STDOUT)
    if wait_ready(proc, http_port):
        return proc
    stop(proc)
    raise RuntimeError("quotad did not become ready in sentinel mode")

def main():
    work = tempfile.mkdtemp(prefix="quotad-sentinel-")
    servers, sentinels, instances, threads, stream = {}, [], [], [], None
    options = ("--repl-diskless-sync-delay", "0")
    try:
        primary, replica = harness.free_port(), harness.free_port()
        servers[primary] = harness.start_redis(primary, work, *options)
        servers[replica] = harness.start_redis(replica, work, "--replicaof", "127.0.0.1", str(primary), *options)
        sentinel_ports = [harness.free_port() for _ in range(3)]
        sentinels = [start_sentinel(port, primary, work) for port in sentinel_ports]
        ready = wait_for(lambda: replica_online(primary), 30, "the replica is online") and wait_for(
            lambda: all(redis_cli(p, "SENTINEL", "replicas", MASTER).count("name") >= 1
                        and redis_cli(p, "SENTINEL", "sentinels", MASTER).count("name") >= 2 for p in sentinel_ports),
            30, "every sentinel knows the replica and the other sentinels")
        if not ready:
            return summary()
        http_ports = [harness.free_port(), harness.free_port()]
        logs = [os.path.join(work, f"quotad-{n}.log") for n in range(2)]
        instances = [start_quotad(port, sentinel_ports, log) for port, log in zip(http_ports, logs)]

        stream = Stream(http_ports, [f"tenant-{n}" for n in range(TENANTS)])
        threads = [threading.Thread(target=stream.worker, args=(n,)) for n in range(WORKERS)]
        for t in threads: t.start()
        start = time.monotonic()
        wait_for(lambda: stream.accepted_count() >= KILL_AFTER_ACCEPTED, PHASE_LIMIT_SECONDS, "events accepted before the kill")
        killed_at = time.monotonic()
        servers[primary].send_signal(signal.SIGKILL)
        servers[primary].wait()
        promoted = wait_for(lambda: master_port(sentinel_ports[0]) == replica, PHASE_LIMIT_SECONDS, "the sentinels promoted the replica")
        promoted_at = time.monotonic()
        # Like a supervisor that asks the sentinels for the current primary before starting a node.
        servers[primary] = harness.start_redis(primary, work, "--replicaof", "127.0.0.1", str(master_port(sentinel_ports[0])), *options)
        rejoined = promoted and wait_for(lambda: replica_online(replica), PHASE_LIMIT_SECONDS,
                                         "the restarted node became the new primary's replica")
        rejoined_at = time.monotonic()
        base = stream.accepted_count()
        wait_for(lambda: stream.accepted_count() >= base + AFTER_RECOVERY_ACCEPTED, PHASE_LIMIT_SECONDS, "events accepted after recovery")
        stream.running = False
        for t in threads: t.join(timeout=EVENT_RETRY_SECONDS + 15)
        elapsed = time.monotonic() - start

        lost, extra, window, codes, _ = judge_stream(stream, stream.tenants, http_ports, killed_at, "no 503 before the kill")
        check(f"the 503 window is bounded (< {WINDOW_BOUND_SECONDS:.0f} s)", rejoined and window < WINDOW_BOUND_SECONDS, f"{window:.2f} s")
        print(f"figure: sentinel: {len(stream.accepted)} events over {TENANTS} tenants through 2 instances in {elapsed:.1f} s, "
              f"{len(stream.failures)} answers 503/retried {codes}, lost acknowledged {lost}, double counts {extra}", flush=True)
        print(f"figure: sentinel: kill -9 of the primary -> replica promoted after {promoted_at - killed_at:.2f} s "
              f"(down-after {DOWN_AFTER_MS} ms), restarted node online as replica after {rejoined_at - killed_at:.2f} s; "
              f"503 window {window:.2f} s", flush=True)
    finally:
        if stream is not None:
            stream.running = False
        for t in threads:
            t.join(timeout=EVENT_RETRY_SECONDS + 15)
        for proc in instances:
            stop(proc)
        for proc in list(servers.values()) + sentinels:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    return summary()

if __name__ == "__main__":
    sys.exit(main())
