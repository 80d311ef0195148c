#!/usr/bin/env python3
"""Threshold alerts and webhook delivery, live: two quotad instances on one Redis, a receiver on loopback
(stdlib http.server in a thread, verifying every Standard Webhooks signature). Bounded throughout.

(a) Exactly once: users and the tenant carry quotas with token and cost limits and thresholds
    [50, 80, 100]; 1,000 usage events are POSTed concurrently, half through each instance. Every threshold
    crossed must reach the receiver as exactly one message (one webhook-id per level, subject, limit and
    threshold): prints `alert duplicates 0 misses 0`.
(b) At least once under faults, one phase each: the receiver down (stopped, restarted on the same port),
    answering 500, slower than webhooks.timeout_ms, and both quotad instances killed with SIGKILL while a
    delivery is in flight (then restarted). Every alert in the tenant's alert stream must be delivered
    (a 2xx) at least once; prints the counts.
Ends with `N passed, M failed`. Run: QUOTAD_BIN=.build/release/quotad python3 scripts/webhook_test.py
"""
import base64, hashlib, hmac, http.server, json, os, re, shutil, sys, tempfile, threading, time

from harness import Client, check, free_port, redis_cli, run_workers, start_quotad, start_redis, stop, summary

ADMIN = "webhook-test-admin-key-0123456789"
TIMEOUT_MS = 1000
# Short timings so the faults heal within seconds; a claimed delivery's lease is 2 × timeout + 5 s.
WEBHOOK_ENV = dict(QUOTAD_WEBHOOKS_ALLOW_PRIVATE_TARGETS="true", QUOTAD_WEBHOOKS_POLL_INTERVAL_MS=50,
                   QUOTAD_WEBHOOKS_INITIAL_BACKOFF_MS=200, QUOTAD_WEBHOOKS_MAX_BACKOFF_MS=1500,
                   QUOTAD_WEBHOOKS_TIMEOUT_MS=TIMEOUT_MS, QUOTAD_WEBHOOKS_MAX_RETRY_SECONDS=600)
THRESHOLDS = [50, 80, 100]


class Receiver:
    """A webhook endpoint on 127.0.0.1:port. `mode`: ok (204), error (500), slow (answers after the delivery
    timeout), hold (keeps the request until `release` or 5 s, then 204). Records every request."""

    def __init__(self, port, secret):
        self.port, self.key = port, base64.b64decode(secret[len("whsec_"):])
        self.lock = threading.Lock()
        self.requests = []  # dicts: id, payload, signed, answered, mode
        self.mode = "ok"
        self.release = threading.Event()
        self.server = None

    def verify(self, headers, body):
        msg_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
        signed = f"{msg_id}.{timestamp}.".encode() + body
        expected = base64.b64encode(hmac.new(self.key, signed, hashlib.sha256).digest()).decode()
        fresh = timestamp.isdigit() and abs(int(timestamp) - time.time()) < 300
        return fresh and any(part == "v1," + expected for part in headers.get("webhook-signature", "").split())

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                mode = receiver.mode
                entry = {"id": self.headers.get("webhook-id", ""), "signed": receiver.verify(self.headers, body),
                         "mode": mode, "answered": None}
                try:
                    entry["payload"] = json.loads(body)
                except ValueError:
                    entry["payload"] = None
                with receiver.lock:
                    receiver.requests.append(entry)
                if mode == "slow":
                    time.sleep(TIMEOUT_MS / 1000 + 1.0)
                elif mode == "hold":
                    receiver.release.wait(5)
                status = 500 if mode == "error" else 204
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    entry["answered"] = status
                except OSError:
                    pass  # the client gave up (timeout) or died

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def snapshot(self):
        with self.lock:
            return list(self.requests)

    def delivered(self):
        """Entries answered 2xx in `ok` mode (`slow` answers come after the client gave up, `hold` ones after it was killed)."""
        return [r for r in self.snapshot() if r["answered"] == 204 and r["mode"] == "ok"]


def wait_for(what, condition, within):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    print(f"  timed out after {within} s waiting for {what}", flush=True)
    return False


def register(admin, tenant, url, secret):
    status, data = admin.call("POST", f"/v1/tenants/{tenant}/webhooks",
                              {"url": url, "events": ["quota.threshold", "quota.exceeded"], "secret": secret})
    if status != 201:
        raise RuntimeError(f"register webhook: {status} {data[:200]!r}")
    return json.loads(data)["id"]


def put_quota(admin, path, body):
    status, data = admin.call("PUT", path, body)
    if status != 200:
        raise RuntimeError(f"PUT {path}: {status} {data[:200]!r}")


def record(clients, tenant, jobs, workers=64):
    """POSTs usage events (user, event id) alternating between the instances; returns the errors."""
    local = threading.local()

    def work(job):
        index, user, event = job
        if not hasattr(local, "clients"):
            local.clients = [Client(c.port, c.key) for c in clients]
        body = {"user": user, "event_id": event, "model": "gpt-4o", "usage": {"input_tokens": 100, "output_tokens": 50}}
        status, data = local.clients[index % len(clients)].call("POST", f"/v1/tenants/{tenant}/usage", body)
        if status != 200:
            raise RuntimeError(f"usage {status}: {data[:200]!r}")
    return run_workers(workers, [(i, u, e) for i, (u, e) in enumerate(jobs)], work)


def alert_ids(redis_port, tenant):
    """The alert stream's ids (every alert raised), as webhook-ids."""
    out = redis_cli(redis_port, "XRANGE", f"q:{{{tenant}}}:al", "-", "+")
    return {"msg_" + line for line in out.splitlines() if re.fullmatch(r"\d{13,}-\d+", line)}


def queue_empty(redis_port, tenant):
    return redis_cli(redis_port, "ZCARD", f"q:{{{tenant}}}:wq") == "0"


def scenario_exactly_once(admin, clients, redis_port, receiver_port):
    tenant, users = "race", [f"u{n}" for n in range(10)]
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    receiver = Receiver(receiver_port, secret)
    receiver.start()
    try:
        register(admin, tenant, f"http://127.0.0.1:{receiver_port}/hook", secret)
        alerts = {"thresholds_percent": THRESHOLDS}
        # 100 events of 150 tokens (gpt-4o: $0.00075) per user: every threshold of both limits is crossed.
        for user in users:
            put_quota(admin, f"/v1/tenants/{tenant}/users/{user}/quota",
                      {"limits": {"tokens": 9000, "cost_usd": "0.05"}, "alerts": alerts})
        put_quota(admin, f"/v1/tenants/{tenant}/quota/tenant", {"limits": {"tokens": 90000, "cost_usd": "0.50"}, "alerts": alerts})
        jobs = [(users[i % len(users)], f"race-{i}") for i in range(1000)]
        started = time.monotonic()
        errors = record(clients, tenant, jobs)
        ingest = time.monotonic() - started
        check("race: 1,000 usage events recorded over two instances", not errors, "; ".join(errors[:3]))
        print(f"figure: 1,000 usage events in {ingest:.2f} s over two instances", flush=True)
        # What should have been raised: every (level, subject, limit, threshold) whose limit was reached.
        expected = set()
        for level, subject, path in [("user", u, f"/v1/tenants/{tenant}/users/{u}/usage") for u in users] + \
                [("tenant", tenant, f"/v1/tenants/{tenant}/usage")]:
            status, data = admin.call("GET", path)
            view = json.loads(data)
            remaining = view["remaining"]
            for limit, field in (("tokens", "tokens"), ("cost", "cost_nano_usd")):
                if remaining.get(field) is not None and remaining[field] <= 0:
                    expected |= {(level, subject, limit, t) for t in THRESHOLDS}
        check("race: every limit was reached (all thresholds crossed)", len(expected) == 66, f"{len(expected)} of 66")
        raised = alert_ids(redis_port, tenant)
        wait_for("every alert delivered", lambda: len({r["id"] for r in receiver.delivered()}) >= len(raised)
                 and queue_empty(redis_port, tenant), 60)
        messages = {}  # key → set of webhook-ids
        for request in receiver.delivered():
            data = (request["payload"] or {}).get("data", {})
            key = (data.get("level"), data.get("subject"), data.get("limit"), data.get("threshold"))
            messages.setdefault(key, set()).add(request["id"])
        duplicates = sum(len(ids) - 1 for ids in messages.values())
        misses = len(expected - set(messages))
        unexpected = set(messages) - expected
        redelivered = len(receiver.delivered()) - len({r["id"] for r in receiver.delivered()})
        print(f"alert duplicates {duplicates} misses {misses}", flush=True)
        print(f"figure: alerts raised {len(raised)}, expected {len(expected)}, received {len(messages)} "
              f"(redelivered same id {redelivered}, unexpected {len(unexpected)})", flush=True)
        check("race: alert duplicates 0", duplicates == 0, f"{duplicates}")
        check("race: alert misses 0", misses == 0, f"{sorted(expected - set(messages))[:5]}")
        check("race: no alert beyond the thresholds crossed", not unexpected, f"{sorted(unexpected)[:5]}")
        check("race: the alert stream holds exactly one alert per crossing", len(raised) == len(expected), f"{len(raised)}")
        check("race: every request carried a valid Standard Webhooks signature",
              all(r["signed"] for r in receiver.snapshot()), f"{sum(not r['signed'] for r in receiver.snapshot())} invalid")
    finally:
        receiver.stop()


def scenario_faults(admin, clients, redis_port, receiver_port, kill, restart):
    tenant = "faults"
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    receiver = Receiver(receiver_port, secret)
    register(admin, tenant, f"http://127.0.0.1:{receiver_port}/hook", secret)
    put_quota(admin, f"/v1/tenants/{tenant}/quota/default",
              {"limits": {"tokens": 1500, "cost_usd": "0.0075"}, "alerts": {"thresholds_percent": [25, 50, 75, 100]}})
    counter = [0]

    def phase_events(name, users=5):
        jobs = []
        for u in range(users):
            for _ in range(10):
                counter[0] += 1
                jobs.append((f"{name}-{u}", f"{name}-{counter[0]}"))
        errors = record(clients, tenant, jobs, workers=16)
        check(f"faults/{name}: usage recorded", not errors, "; ".join(errors[:3]))

    def seen(name, mode=None):
        return [r for r in receiver.snapshot() if ((r["payload"] or {}).get("data", {}).get("user", "") or "").startswith(name + "-")
                and (mode is None or r["mode"] == mode)]

    try:
        # 1. Receiver down: deliveries fail to connect and back off; then it comes back on the same port.
        receiver.start()
        receiver.stop()
        phase_events("down")
        down_alerts = len(alert_ids(redis_port, tenant))
        wait_for("failed attempts while the receiver is down", lambda: failed_attempts(admin, tenant) >= 2 * down_alerts, 30)
        refused = failed_attempts(admin, tenant)
        receiver.start()
        # 2. Receiver answering 500.
        receiver.mode = "error"
        phase_events("error")
        wait_for("500 answers", lambda: len(seen("error", "error")) >= 10, 30)
        # 3. Receiver slower than webhooks.timeout_ms.
        receiver.mode = "slow"
        phase_events("slow")
        wait_for("timed-out attempts", lambda: len(seen("slow", "slow")) >= 5, 30)
        # 4. SIGKILL both instances while a delivery is held in flight, then restart them.
        receiver.mode = "hold"
        receiver.release.clear()
        phase_events("kill")
        in_flight = wait_for("a delivery in flight", lambda: len(seen("kill", "hold")) >= 1, 30)
        kill()
        # Held requests are answered only now, to dead clients; the restarted instances find a healthy receiver.
        receiver.mode = "ok"
        receiver.release.set()
        clients_killed = restart()
        check("faults/kill: quotad killed with SIGKILL mid-delivery and restarted", in_flight and clients_killed)
        raised = alert_ids(redis_port, tenant)
        # Taken-over alerts wait for 30 s of idleness; leased deliveries for their lease.
        wait_for("every alert delivered", lambda: raised <= {r["id"] for r in receiver.delivered()}, 120)
        delivered = {r["id"] for r in receiver.delivered()}
        missing = raised - delivered
        per_mode = {mode: len([r for r in receiver.snapshot() if r["mode"] == mode]) for mode in ("error", "slow", "hold")}
        print(f"figure: faults: alerts {len(raised)}, delivered at least once {len(raised & delivered)}, missing {len(missing)}; "
              f"failed attempts while down {refused}, answered 500 {per_mode['error']}, timed out {per_mode['slow']}, "
              f"held when killed {per_mode['hold']}; 2xx deliveries {len(receiver.delivered())} "
              f"(repeats of an id {len(receiver.delivered()) - len(delivered)})", flush=True)
        for msg_id in sorted(missing)[:5]:  # what Redis says about a missing one
            hook_ids = [h["id"] for h in json.loads(admin.call("GET", f"/v1/tenants/{tenant}/webhooks")[1])["webhooks"]]
            key = f"q:{{{tenant}}}:wd:{msg_id[4:]}.{hook_ids[0]}"
            print(f"  missing {msg_id}: {redis_cli(redis_port, 'HGETALL', key).split()[:24]} "
                  f"queued at {redis_cli(redis_port, 'ZSCORE', f'q:{{{tenant}}}:wq', key.split(':wd:')[1])}", flush=True)
        if missing:
            print(f"  XPENDING {redis_cli(redis_port, 'XPENDING', f'q:{{{tenant}}}:al', 'webhooks').split()}", flush=True)
        check("faults: alerts were raised in every phase",
              all(any(r for r in receiver.snapshot() if ((r["payload"] or {}).get("data", {}).get("user") or "").startswith(p + "-"))
                  for p in ("down", "error", "slow", "kill")))
        check("faults: every alert delivered at least once", not missing and len(raised) > 0, f"missing {len(missing)} of {len(raised)}")
        check("faults: one webhook-id per alert (ids are the alert stream ids)", delivered <= raised, f"{len(delivered - raised)} unknown")
        check("faults: every request carried a valid signature", all(r["signed"] for r in receiver.snapshot()))
    finally:
        receiver.release.set()
        receiver.stop()


def failed_attempts(admin, tenant):
    status, data = admin.call("GET", f"/v1/tenants/{tenant}/webhooks")
    if status != 200:
        return 0
    total = 0
    for hook in json.loads(data)["webhooks"]:
        status, data = admin.call("GET", f"/v1/tenants/{tenant}/webhooks/{hook['id']}/deliveries")
        if status == 200:
            total += sum(d["attempts"] for d in json.loads(data)["deliveries"] if d["status"] != "delivered")
    return total


def main():
    directory = tempfile.mkdtemp(prefix="quotad-webhooks-")
    redis_port, ports = free_port(), [free_port(), free_port()]
    redis, procs = None, [None, None]
    logs = [open(os.path.join(directory, f"quotad-{n}.log"), "ab") for n in range(2)]
    started = time.monotonic()
    try:
        redis = start_redis(redis_port, directory)
        for n in range(2):
            procs[n] = start_quotad(ports[n], redis_port, ADMIN, output=logs[n], **WEBHOOK_ENV)
        admin = Client(ports[0], ADMIN)
        clients = [Client(port, ADMIN) for port in ports]

        def kill():
            for proc in procs:
                proc.kill()  # SIGKILL
                proc.wait()

        def restart():
            for n in range(2):
                procs[n] = start_quotad(ports[n], redis_port, ADMIN, output=logs[n], **WEBHOOK_ENV)
            return all(p.poll() is None for p in procs)

        scenario_exactly_once(admin, clients, redis_port, free_port())
        scenario_faults(admin, clients, redis_port, free_port(), kill, restart)
    except Exception as error:  # noqa: BLE001 - reported as a failure
        check("webhook test ran to the end", False, repr(error))
    finally:
        for proc in procs:
            stop(proc)
        stop(redis)
        for log in logs:
            log.close()
        print(f"figure: webhook test took {time.monotonic() - started:.1f} s (logs in {directory})", flush=True)
    code = summary()
    if code == 0:
        shutil.rmtree(directory, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
