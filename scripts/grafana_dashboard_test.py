#!/usr/bin/env python3
"""The operators' Grafana board (deploy/grafana/quotad.json) and its provisioning name real metrics.

1. The board parses, is a Grafana dashboard (schemaVersion, uid, unique panel ids, panels that do not
   overlap) and every query uses the Prometheus data source variable `${DS_PROMETHEUS}`.
2. Every metric a query names is in the /metrics output of a live quotad after it recorded usage, granted a
   reservation and refused one with 429 (so the labelled series exist). Families that only appear after an
   event this test does not cause (the InfluxDB export, webhook deliveries) must at least be declared in the
   source code (a `Counter`/`Gauge`/`Timer` label in Sources/).
3. Label names used in `by (…)` and in matchers exist on that metric (live metrics only).
4. `promtool check metrics` (Debian `prometheus`) accepts that /metrics output.
5. docker-compose.yml, deploy/prometheus/prometheus.yml and the Grafana provisioning files parse as YAML and
   point at each other: the compose profile `observability` runs both services, the data source's uid is
   the one the board selects, the dashboards provider path is where compose mounts the board.
Ends with `N passed, M failed`.
"""
import glob, json, os, re, shutil, subprocess, sys, tempfile

import yaml

from harness import ROOT, Client, check, free_port, start_quotad, start_redis, stop, summary

ADMIN = "grafana-board-admin-key-0123456789"
BOARD = os.path.join(ROOT, "deploy", "grafana", "quotad.json")
EVENT_ONLY_PREFIXES = ("quotad_export_", "quotad_webhook_")
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")
# PromQL words that look like metric names but are not
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
                "sum", "min", "max", "avg", "count", "rate", "irate", "increase", "histogram_quantile", "time", "le", "inf", "nan"}


def metric_names(expr):
    """Metric names in a PromQL expression: identifiers outside `{…}` and `(…)` label lists, not functions."""
    without_strings = re.sub(r'"[^"]*"', '""', expr)
    without_matchers = re.sub(r"\{[^}]*\}", "", without_strings)
    without_grouping = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", without_matchers)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_grouping)
    names = set()
    for match in re.finditer(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?", without_ranges):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in PROMQL_WORDS or re.fullmatch(r"[0-9e.]+", name):
            continue
        names.add(name)
    return names


def label_names(expr):
    """Label names in `by (…)` clauses and in matchers, with the metric each matcher belongs to."""
    grouped = set()
    for clause in re.findall(r"\bby\s*\(([^)]*)\)", expr):
        grouped.update(label.strip() for label in clause.split(",") if label.strip())
    matched = []
    for metric, matchers in re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}", expr):
        for label in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", matchers):
            matched.append((metric, label))
    return grouped, matched


def parse_exposition(text):
    """{sample name: set of label names} from Prometheus text."""
    series = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s", line)
        if match:
            labels = set(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', match.group(3) or ""))
            series.setdefault(match.group(1), set()).update(labels)
    return series


def declared_in_source():
    """Metric labels declared in Sources/ (`label: "…"` of swift-metrics instruments, or a quoted family name)."""
    names = set()
    for path in glob.glob(os.path.join(ROOT, "Sources", "**", "*.swift"), recursive=True):
        with open(path, encoding="utf-8") as f:
            names.update(re.findall(r'"((?:quotad|redis)_[a-z0-9_]+)"', f.read()))
    return names


def live_metrics():
    """/metrics of a live quotad after usage, a granted reservation, an unpriced model and a 429."""
    work_dir = tempfile.mkdtemp(prefix="quotad-grafana-")
    redis_port, http_port = free_port(), free_port()
    redis = start_redis(redis_port, work_dir)
    quotad = None
    try:
        quotad = start_quotad(http_port, redis_port, ADMIN)
        admin = Client(http_port, ADMIN)
        def call(method, path, body, expect):
            status, data = admin.call(method, path, body)
            if status != expect:
                raise RuntimeError(f"{method} {path}: {status} {data[:200]!r}")
            return json.loads(data) if data else None
        call("PUT", "/v1/tenants/acme/users/alice/quota", {"limits": {"tokens": 10_000}, "group": "eng"}, 200)
        call("POST", "/v1/tenants/acme/usage", {"user": "alice", "event_id": "e1", "model": "gpt-4o",
                                               "usage": {"input_tokens": 900, "cached_input_tokens": 100, "output_tokens": 100}}, 200)
        call("POST", "/v1/tenants/acme/usage", {"user": "alice", "event_id": "e1", "model": "gpt-4o",
                                               "usage": {"input_tokens": 900, "cached_input_tokens": 100, "output_tokens": 100}}, 200)
        granted = call("POST", "/v1/tenants/acme/reservations", {"user": "alice", "model": "gpt-4o", "input_tokens": 100, "max_output_tokens": 100}, 201)
        call("POST", f"/v1/tenants/acme/reservations/{granted['reservation_id']}/commit", {"usage": {"input_tokens": 50, "output_tokens": 20}}, 200)
        second = call("POST", "/v1/tenants/acme/reservations", {"user": "alice", "model": "gpt-4o", "input_tokens": 100, "max_output_tokens": 100}, 201)
        call("DELETE", f"/v1/tenants/acme/reservations/{second['reservation_id']}", None, 204)
        call("POST", "/v1/tenants/acme/reservations", {"user": "alice", "model": "gpt-4o", "input_tokens": 20_000, "max_output_tokens": 100}, 429)
        # a model without a price (no cost limit applies: recorded at cost 0, counted as unpriced)
        call("POST", "/v1/tenants/acme/usage", {"user": "alice", "event_id": "e-unpriced", "model": "my-private-finetune",
                                               "usage": {"input_tokens": 10, "output_tokens": 1}}, 200)
        # over the limit after the fact: an over-limit event
        call("POST", "/v1/tenants/acme/usage", {"user": "alice", "event_id": "e2", "model": "gpt-4o",
                                               "usage": {"input_tokens": 12_000, "output_tokens": 10}}, 200)
        status, data = admin.call("GET", "/metrics")
        if status != 200:
            raise RuntimeError(f"GET /metrics: {status}")
        return data.decode()
    finally:
        stop(quotad)
        stop(redis)
        shutil.rmtree(work_dir, ignore_errors=True)


def check_promtool(exposition):
    """Prometheus's own linter (Debian `prometheus`) accepts the exposition: `_total` counters, HELP, names."""
    result = subprocess.run(["promtool", "check", "metrics"], input=exposition, capture_output=True, text=True, timeout=60)
    check("promtool check metrics accepts a live quotad's /metrics", result.returncode == 0,
          (result.stdout + result.stderr).strip()[:1000])


def check_board(board, exposition):
    check("board: schemaVersion 36–41, uid and title set", 36 <= board.get("schemaVersion", 0) <= 41 and board.get("uid") == "quotad"
          and board.get("title") == "quotad")
    variables = {v["name"]: v for v in board.get("templating", {}).get("list", [])}
    check("board: `DS_PROMETHEUS` is a Prometheus data source variable",
          variables.get("DS_PROMETHEUS", {}).get("type") == "datasource" and variables["DS_PROMETHEUS"].get("query") == "prometheus")
    panels = board["panels"]
    ids = [p["id"] for p in panels]
    check("board: panel ids are unique", len(ids) == len(set(ids)))
    cells = {}
    overlaps = []
    for p in panels:
        g = p["gridPos"]
        if g["x"] + g["w"] > 24:
            overlaps.append(f"{p['title']} wider than the grid")
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                if (x, y) in cells:
                    overlaps.append(f"{p['title']} overlaps {cells[(x, y)]}")
                cells[(x, y)] = p["title"]
    check("board: panels do not overlap", not overlaps, "; ".join(sorted(set(overlaps))[:3]))
    targets = [(p, t) for p in panels for t in p.get("targets", [])]
    check("board: every query panel uses ${DS_PROMETHEUS}", targets and all(
        p.get("datasource", {}).get("uid") == "${DS_PROMETHEUS}" and t.get("datasource", {}).get("uid") == "${DS_PROMETHEUS}"
        for p, t in targets), f"{len(targets)} queries")
    wanted = {"ingestion": "quotad_usage_events_total", "latency": "http_server_request_duration_bucket",
              "rejections": "quotad_quota_rejections_total", "redis latency": "redis_command_duration_seconds_bucket",
              "redis errors": "redis_command_errors_total", "reservations": "hb_requests_total", "export lag": "quotad_export_lag_entries",
              "webhook failures": "quotad_webhook_delivery_failures_total", "dead letters": "quotad_webhook_dead_letters_total"}
    used = {name: p["title"] for p, t in targets for name in metric_names(t["expr"])}
    missing_topics = [topic for topic, metric in wanted.items() if metric not in used]
    check("board: panels for ingestion, latency, rejections, Redis, reservations, export lag, webhooks", not missing_topics,
          ", ".join(missing_topics))
    check("board: latency panels are histogram_quantile over quotad's HTTP duration histogram",
          any("histogram_quantile(0.99" in t["expr"] and "http_server_request_duration_bucket" in t["expr"] for _, t in targets))

    live = parse_exposition(exposition)
    source = declared_in_source()
    unknown, from_source, bad_labels = [], [], []
    for p, t in targets:
        expr = t["expr"]
        grouped, matched = label_names(expr)
        for name in metric_names(expr):
            if name in live:
                labels = live[name] | {"instance", "job"}
                if name.endswith("_bucket"):
                    labels.add("le")
                bad_labels += [f"{name}: {l} ({p['title']})" for m, l in matched if m == name and l not in labels]
                bad_labels += [f"{name}: by {l} ({p['title']})" for l in grouped if l not in labels]
                continue
            family = name
            for suffix in HISTOGRAM_SUFFIXES:
                if name.endswith(suffix):
                    family = name[: -len(suffix)]
            if name.startswith(EVENT_ONLY_PREFIXES) and (name in source or family in source):
                from_source.append(name)
            else:
                unknown.append(f"{name} ({p['title']})")
    for variable in variables.values():
        query = variable.get("query") if variable.get("type") == "query" else None
        match = re.match(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)", query or "")
        if query and not (match and match.group(1) in live and match.group(2) in live[match.group(1)] | {"instance", "job"}):
            unknown.append(f"variable {variable['name']}: {query}")
    check("every metric a panel queries is in a live quotad's /metrics (export and webhook families: declared in Sources/)",
          not unknown, "; ".join(sorted(set(unknown))))
    check("label names in by (…) and matchers exist on the live metrics", not bad_labels, "; ".join(sorted(set(bad_labels))[:5]))
    print(f"    {len({n for _, t in targets for n in metric_names(t['expr'])})} metric names in {len(targets)} queries; "
          f"only declared in the source (appear after an export or webhook event): {', '.join(sorted(set(from_source))) or 'none'}")
    return bool(from_source)


def check_deployment():
    with open(os.path.join(ROOT, "docker-compose.yml")) as f:
        compose = yaml.safe_load(f)
    services = compose["services"]
    prometheus, grafana = services.get("prometheus", {}), services.get("grafana", {})
    check("compose: prometheus and grafana run only with the `observability` profile",
          prometheus.get("profiles") == ["observability"] and grafana.get("profiles") == ["observability"]
          and all("profiles" not in services[s] for s in ("redis", "quotad")))
    mounts = {}
    for volume in prometheus.get("volumes", []) + grafana.get("volumes", []):
        source, _, target = volume.partition(":")
        mounts[target.split(":")[0]] = source
    sources_exist = [s for s in mounts.values() if s.startswith("./") and not os.path.exists(os.path.join(ROOT, s))]
    check("compose: every bind mount exists in the repository", not sources_exist, ", ".join(sources_exist))
    with open(os.path.join(ROOT, "deploy", "prometheus", "prometheus.yml")) as f:
        scrape = yaml.safe_load(f)
    job = next((j for j in scrape["scrape_configs"] if j["job_name"] == "quotad"), {})
    targets = [t for c in job.get("static_configs", []) for t in c["targets"]]
    check("prometheus.yml: scrapes quotad:8080/metrics", job.get("metrics_path", "/metrics") == "/metrics" and "quotad:8080" in targets
          and mounts.get("/etc/prometheus/prometheus.yml") == "./deploy/prometheus/prometheus.yml")
    provisioning = os.path.join(ROOT, "deploy", "grafana", "provisioning")
    with open(os.path.join(provisioning, "datasources", "prometheus.yml")) as f:
        datasources = yaml.safe_load(f)["datasources"]
    with open(os.path.join(provisioning, "dashboards", "quotad.yml")) as f:
        providers = yaml.safe_load(f)["providers"]
    check("grafana: the provisioned data source is the Prometheus service",
          len(datasources) == 1 and datasources[0]["type"] == "prometheus" and datasources[0]["url"] == "http://prometheus:9090"
          and datasources[0].get("isDefault") is True)
    board_dir = providers[0]["options"]["path"]
    check("grafana: the dashboards provider reads the mounted board",
          mounts.get(board_dir + "/quotad.json") == "./deploy/grafana/quotad.json" and mounts.get("/etc/grafana/provisioning") == "./deploy/grafana/provisioning",
          f"{board_dir}, {mounts}")


def main():
    with open(BOARD, encoding="utf-8") as f:
        try:
            board = json.load(f)
            check("board: deploy/grafana/quotad.json parses as JSON", True)
        except json.JSONDecodeError as error:
            check("board: deploy/grafana/quotad.json parses as JSON", False, str(error))
            return summary()
    try:
        exposition = live_metrics()
        check_promtool(exposition)
        check_board(board, exposition)
        check_deployment()
    except Exception as error:  # noqa: BLE001 - reported as a failure
        check("the Grafana board test ran to the end", False, f"{type(error).__name__}: {error}")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
