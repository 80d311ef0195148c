#!/usr/bin/env python3
"""Event export to a real InfluxDB 1.x: sums in InfluxDB equal quotad's totals exactly (loopback only, bounded).

A private redis-server, a private influxd (Debian package `influxdb`, generated config on free ports in a
temporary directory) and quotad (QUOTAD_BIN, default .build/debug/quotad) exporting to it. 20,000 usage
events over HTTP from 16 keep-alive connections (3 tenants, 12 users, 4 models, declared dimensions
`feature` and `task_id` with values that need escaping), 10% of them sent again with the same event id
(retries). InfluxDB is killed (SIGKILL) after half the events, while the exporter is exporting them; the
other half is recorded while it is away (the test waits until quotad counts a failed write and a rising
lag), then InfluxDB is started again on the same ports and directories. Once the export lag is 0
(bounded wait), per tenant, user and model `SELECT sum(input_tokens), sum(output_tokens),
sum(cost_nano_usd)` must equal quotad's totals exactly, with one point per distinct event.
Prints `http ingestion` (submissions / posting time), `export throughput` (the events not yet in InfluxDB
at the moment every event was posted and InfluxDB was up again, divided by the time until the lag is 0:
recovery included) and ends with `N passed, M failed`.
"""
import json, os, random, shutil, signal, subprocess, sys, tempfile, threading, time, urllib.parse, urllib.request

from harness import Client, check, free_port, redis_cli, run_workers, start_quotad, start_redis, stop, summary
ADMIN = "influx-export-admin-key-0123456789"
EVENTS = int(os.environ.get("INFLUX_EXPORT_EVENTS", "20000"))
TENANTS = ["acme", "globex", "initech@eu"]
USERS = ["alice", "bob", "carol", "dave", "eve", "frank", "grace@example.com", "heidi.h", "ivan_i", "judy-j", "mallory", "oscar"]
MODELS = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", 'custom,model=v"2']   # the last one needs escaping (unpriced: cost 0)
FEATURES = ["chat search", "code,review", "a=b", "naïve ✓"]


class Influx:
    """A private influxd on free loopback ports; stop/start keep the ports and directories."""
    def __init__(self, work_dir):
        self.dir = os.path.join(work_dir, "influx")
        os.makedirs(self.dir)
        self.port, self.rpc_port = free_port(), free_port()
        self.conf = os.path.join(self.dir, "influxdb.conf")
        with open(self.conf, "w") as f:
            f.write(f'reporting-disabled = true\nbind-address = "127.0.0.1:{self.rpc_port}"\n'
                    f'[meta]\n  dir = "{self.dir}/meta"\n'
                    f'[data]\n  dir = "{self.dir}/data"\n  wal-dir = "{self.dir}/wal"\n  query-log-enabled = false\n'
                    f'[http]\n  bind-address = "127.0.0.1:{self.port}"\n  log-enabled = false\n'
                    f'[monitor]\n  store-enabled = false\n[continuous_queries]\n  enabled = false\n')
        self.proc = None
        self.start()

    def start(self):
        log = open(os.path.join(self.dir, "influxd.log"), "ab")
        self.proc = subprocess.Popen(["influxd", "-config", self.conf], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/ping", timeout=1) as r:
                    if r.status == 204:
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"influxd did not start on port {self.port} (see {self.dir}/influxd.log)")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        stop(self.proc)

    def query(self, q, db=None):
        params = {"q": q} | ({"db": db} if db else {})
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/query", data=urllib.parse.urlencode(params).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=60) as r:
            return json.loads(r.read())


def export_backlog(redis_port):
    """Entries of every tenant stream not yet acknowledged by the `export` group (undelivered + pending)."""
    total = 0
    for tenant in TENANTS:
        out = subprocess.run(["redis-cli", "-p", str(redis_port), "--json", "XINFO", "GROUPS", f"q:{{{tenant}}}:x"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
        groups = json.loads(out) if out.startswith("[") else []
        groups = [g if isinstance(g, dict) else dict(zip(g[::2], g[1::2])) for g in groups]   # RESP2: flat lists
        found = [g for g in groups if g.get("name") == "export"]
        if not found:
            return None                      # not created yet: unknown
        lag = found[0].get("lag")
        if lag is None:                      # Redis cannot tell (entries trimmed): count what is after the group
            out = subprocess.run(["redis-cli", "-p", str(redis_port), "--json", "XRANGE", f"q:{{{tenant}}}:x",
                                  "(" + found[0]["last-delivered-id"], "+", "COUNT", "100000"],
                                 capture_output=True, text=True, timeout=10).stdout.strip()
            lag = len(json.loads(out)) if out.startswith("[") else 0
        total += found[0]["pending"] + lag
    return total


def metric(http_port, name):
    """The sum of a metric family's samples from quotad's /metrics."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=10).read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " ") or line.startswith(name + "{"))


def stored_points(influx):
    """How many points InfluxDB holds (0 before the first write)."""
    result = influx.query("SELECT count(input_tokens) FROM llm_usage", db="quotad")["results"][0]
    series = result.get("series", [])
    return series[0]["values"][0][1] if series else 0


def main():
    if shutil.which("influxd") is None:
        print("SKIP influxd not installed (apt-get install -y influxdb)")
        return 0
    work_dir = tempfile.mkdtemp(prefix="quotad-influx-")
    redis_port, http_port = free_port(), free_port()
    redis = influx = quotad = None
    try:
        redis = start_redis(redis_port, work_dir)
        influx = Influx(work_dir)
        influx.query("CREATE DATABASE quotad")
        quotad = start_quotad(http_port, redis_port, ADMIN, QUOTAD_EXPORT_INFLUXDB_URL=f"http://127.0.0.1:{influx.port}",
                              QUOTAD_EXPORT_INFLUXDB_DATABASE="quotad", QUOTAD_EXPORT_INFLUXDB_FLUSH_INTERVAL_MS=200,
                              QUOTAD_PRICING_UNPRICED_MODELS="allow")
        admin = Client(http_port, ADMIN)
        keys = {t: json.loads(admin.call("POST", f"/v1/tenants/{urllib.parse.quote(t)}/keys")[1])["key"] for t in TENANTS}
        declared_via = "HTTP"
        for tenant in TENANTS:
            status, _ = admin.call("PUT", f"/v1/tenants/{urllib.parse.quote(tenant)}/dimensions", {"dimensions": ["feature", "task_id"]})
            if status != 200:
                declared_via = "SADD"
                redis_cli(redis_port, "SADD", f"q:{{{tenant}}}:dims", "feature", "task_id")
        print(f"dimensions declared via {declared_via}")

        rng = random.Random(10_000)
        events = []
        for i in range(EVENTS):
            inp = rng.randint(1, 4000)
            events.append({"tenant": rng.choice(TENANTS), "body": {
                "user": rng.choice(USERS), "event_id": f"evt-{i}", "model": rng.choice(MODELS),
                "usage": {"input_tokens": inp, "cached_input_tokens": rng.randint(0, inp), "output_tokens": rng.randint(0, 1500)},
                "metadata": {"feature": rng.choice(FEATURES), "task_id": f"task-{i % 97}", "ignored": "not a dimension"}}})
        submissions = list(events)
        for i in rng.sample(range(EVENTS), EVENTS // 10):          # retries: same event id again, anywhere later
            submissions.insert(rng.randrange(i, len(submissions) + 1), events[i])

        local = threading.local()
        def submit(event):
            if not hasattr(local, "clients"):
                local.clients = {t: Client(http_port, keys[t]) for t in TENANTS}
            for _ in range(10):
                status, data = local.clients[event["tenant"]].call("POST", f"/v1/tenants/{urllib.parse.quote(event['tenant'])}/usage", event["body"])
                if status == 200:
                    return
                if status != 503:
                    raise RuntimeError(f"status {status}: {data[:200]!r}")
            raise RuntimeError("gave up after 10 attempts")

        half = len(submissions) // 2
        posting = 0.0
        errors = []
        started = time.monotonic()
        errors += run_workers(16, submissions[:half], submit)      # exported as they come
        posting += time.monotonic() - started
        influx.kill()                                                # InfluxDB dies mid-stream (SIGKILL)
        started = time.monotonic()
        errors += run_workers(16, submissions[half:], submit)      # recorded while InfluxDB is away
        posting += time.monotonic() - started
        # Before InfluxDB comes back, the outage must show: a write timed out (failure counted, to be retried)
        # and the lag metric holds the waiting events. Polled, at most 60 s.
        outage_seen = False
        deadline = time.monotonic() + 60
        for _ in range(600):
            if metric(http_port, "quotad_export_write_failures_total") > 0 and metric(http_port, "quotad_export_lag_entries") > 0:
                outage_seen = True
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        check("during the outage: write failures counted and the lag metric rises", outage_seen)
        influx.start()                                               # same ports, same directories
        all_posted = time.monotonic()                                # every event posted, InfluxDB up
        stored_at_end = stored_points(influx)
        check("every submission answered", not errors, "; ".join(errors[:3]))

        deadline = time.monotonic() + 300
        backlog = None
        for _ in range(6000):
            backlog = export_backlog(redis_port)
            if backlog == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        drained = time.monotonic()
        check("export lag reaches 0", backlog == 0, f"backlog {backlog}")

        # quotad's totals per tenant, user and model (cycle totals from the usage API).
        expected = {}
        for tenant in TENANTS:
            client = Client(http_port, keys[tenant])
            for user in USERS:
                status, data = client.call("GET", f"/v1/tenants/{urllib.parse.quote(tenant)}/users/{user}/usage")
                if status != 200:
                    continue
                for model, totals in json.loads(data).get("models", {}).items():
                    expected[(tenant, user, model)] = (totals["input_tokens"], totals["output_tokens"], totals["cost_nano_usd"])
        distinct = {}
        for event in events:
            key = (event["tenant"], event["body"]["user"], event["body"]["model"])
            distinct[key] = distinct.get(key, 0) + 1

        result = influx.query('SELECT sum(input_tokens), sum(output_tokens), sum(cost_nano_usd), count(input_tokens) FROM llm_usage '
                              'GROUP BY "tenant", "user", "model"', db="quotad")
        stored, counts = {}, {}
        for series in result["results"][0].get("series", []):
            tags = series["tags"]
            _, inp, out, cost, count = series["values"][0]
            stored[(tags["tenant"], tags["user"], tags["model"])] = (inp, out, cost)
            counts[(tags["tenant"], tags["user"], tags["model"])] = count
        mismatched = [k for k in set(expected) | set(stored) if expected.get(k) != stored.get(k)]
        check("quotad reports every tenant/user/model", set(expected) == set(distinct), f"{len(expected)} vs {len(distinct)}")
        check("one point per distinct event (retries not counted twice)", counts == distinct,
              f"{sum(counts.values())} points for {EVENTS} events")
        equal = not mismatched and bool(expected)
        check("influx sums equal quotad totals per tenant, user and model", equal,
              f"{len(mismatched)} mismatched, e.g. {[(k, expected.get(k), stored.get(k)) for k in mismatched[:2]]}")
        features = influx.query('SHOW TAG VALUES FROM llm_usage WITH KEY = "feature"', db="quotad")
        values = {v[1] for s in features["results"][0].get("series", []) for v in s["values"]}
        check("declared dimensions are tags, values escaped correctly", values == set(FEATURES), str(sorted(values)))

        check("no point rejected or dropped", metric(http_port, "quotad_export_rejected_points_total") == 0
              and metric(http_port, "quotad_export_dropped_points_total") == 0)
        check("points exported counted", metric(http_port, "quotad_export_points_total") >= EVENTS)

        ingestion = len(submissions) / posting
        drain_seconds = drained - all_posted
        left = EVENTS - stored_at_end
        export_rate = left / drain_seconds if drain_seconds > 0 else 0
        print(f"http ingestion {ingestion:.0f} events/s ({len(submissions)} submissions incl. {len(submissions) - EVENTS} retries, 16 connections)")
        print(f"export throughput {export_rate:.0f} events/s ({left} events not yet in InfluxDB when the last was posted, exported in {drain_seconds:.2f} s)")
        print(f"influx sums equal quotad totals: {'yes' if equal else 'no'}")
    finally:
        stop(quotad)
        if influx is not None:
            influx.kill()
        stop(redis)
        shutil.rmtree(work_dir, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
