"""The whole quotad API in one pass, for the tests that change how quotad reaches Redis (an ACL user, TLS):
keys, quotas, usage, reservations, reports, history, events, alerts delivered to a webhook, the InfluxDB
export, the dashboard and the admin settings. `run_full_flow` returns every answer it got; the caller
asserts none was a 5xx and that the data came back right.
"""
import http.client, http.server, json, re, threading, urllib.parse

from support import Client, Response, free_port, wait_until


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that answers every POST 204 and keeps the bodies: the alerts webhook and
    the InfluxDB write API (`/write`) of the export both point here."""
    def __init__(self):
        self.port, self.lock, self.bodies = free_port(), threading.Lock(), []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.bodies.append((self.path, body))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def received(self, path_prefix):
        with self.lock:
            return [body for path, body in self.bodies if path.startswith(path_prefix)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def quotad_env(receiver):
    """QUOTAD_* of a quotad whose webhooks may call loopback and whose export writes to `receiver` (short intervals)."""
    return dict(QUOTAD_WEBHOOKS_ALLOW_PRIVATE_TARGETS="true", QUOTAD_WEBHOOKS_POLL_INTERVAL_MS=50,
                QUOTAD_EXPORT_INFLUXDB_URL=f"http://127.0.0.1:{receiver.port}", QUOTAD_EXPORT_INFLUXDB_DATABASE="quotad",
                QUOTAD_EXPORT_INFLUXDB_FLUSH_INTERVAL_MS=100)


class Flow:
    """The answers of one run: `answers` [(label, Response)], plus what the checks need."""
    def __init__(self):
        self.answers = []

    def record(self, label, answer):
        self.answers.append((label, answer))
        return answer

    def server_errors(self):
        return [(label, answer) for label, answer in self.answers if answer.status >= 500]

    def status(self, label):
        return next((answer.status for name, answer in self.answers if name == label), None)


def _dashboard(flow, port, key):
    """Signs in to the dashboard with `key` (form + CSRF cookie) and reads the tenant overview page."""
    browser = Client(port, keep_alive=False)
    page = flow.record("dashboard login page", browser.request("GET", "/dashboard/login", key=""))
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.body.decode())
    login_cookie = re.search(r"quotad_login=([^;]+)", page.headers.get("set-cookie", ""))
    if not (csrf and login_cookie):
        return
    form = urllib.parse.urlencode({"csrf": csrf.group(1), "key": key})
    # Read with http.client itself: the answer sets two cookies, and support.Response keeps one header per name.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/dashboard/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"quotad_login={login_cookie.group(1)}"})
    answer = conn.getresponse()
    cookies = " ".join(value for name, value in answer.getheaders() if name.lower() == "set-cookie")
    flow.record("dashboard sign-in", Response(answer.status, {}, answer.read(), 0))
    conn.close()
    session = re.search(r"quotad_session=([^;]+)", cookies)
    if session:
        cookie = {"Cookie": f"quotad_session={session.group(1)}"}
        flow.record("dashboard overview", browser.request("GET", "/dashboard/t/flow", key="", headers=cookie))
        flow.record("dashboard users", browser.request("GET", "/dashboard/t/flow/users", key="", headers=cookie))
        flow.record("dashboard alerts", browser.request("GET", "/dashboard/t/flow/alerts", key="", headers=cookie))


def run_full_flow(quotad, receiver, tenant="flow"):
    """Drives every kind of request once against `quotad`; returns the Flow (with `totals`, `alerts`, `exported`)."""
    flow = Flow()
    admin = quotad.client(keep_alive=True)
    base = f"/v1/tenants/{tenant}"
    scopes = ["usage:write", "usage:read", "reservations:write", "reports:read", "quota:read", "quota:write"]
    created = flow.record("create key", admin.request("POST", f"{base}/keys", {"scopes": scopes}))
    key = created.json().get("key", "")
    flow.record("list keys", admin.request("GET", f"{base}/keys"))
    spare = admin.request("POST", f"{base}/keys").json().get("id", "none")
    flow.record("revoke key", admin.request("DELETE", f"{base}/keys/{spare}"))
    api = Client(quotad.port, key, keep_alive=True)
    flow.record("dimensions", api.request("PUT", f"{base}/dimensions", {"dimensions": ["feature"]}))
    flow.record("webhook", api.request("POST", f"{base}/webhooks", {"url": f"http://127.0.0.1:{receiver.port}/hook",
                                                                 "events": ["quota.threshold", "quota.exceeded"]}))
    hooks = flow.record("list webhooks", api.request("GET", f"{base}/webhooks")).json()
    alerts = {"thresholds_percent": [50, 100]}
    flow.record("user quota", api.request("PUT", f"{base}/users/alice/quota", {"limits": {"tokens": 900}, "group": "research", "alerts": alerts}))
    flow.record("group quota", api.request("PUT", f"{base}/groups/research/quota", {"limits": {"tokens": 100000}}))
    flow.record("tenant quota", api.request("PUT", f"{base}/quota/tenant", {"limits": {"tokens": 1000000, "cost_usd": "50"}}))
    flow.record("default quota", api.request("PUT", f"{base}/quota/default", {"limits": {"tokens": 50000}}))
    flow.record("read quota", api.request("GET", f"{base}/users/alice/quota"))
    for n in range(3):
        flow.record("usage", api.request("POST", f"{base}/usage", {
            "user": "alice", "event_id": f"flow-{n}", "model": "gpt-4o",
            "metadata": {"feature": "chat"}, "usage": {"input_tokens": 200, "output_tokens": 100}}))
    flow.record("usage retried", api.request("POST", f"{base}/usage", {
        "user": "alice", "event_id": "flow-0", "model": "gpt-4o", "usage": {"input_tokens": 200, "output_tokens": 100}}))
    flow.record("usage batch", api.request("POST", f"{base}/usage/batch", {"events": [
        {"user": "bob", "event_id": f"batch-{n}", "model": "claude-sonnet-4-5", "usage": {"input_tokens": 10, "output_tokens": 5}} for n in range(5)]}))
    reserved = flow.record("reserve", api.request("POST", f"{base}/reservations", {
        "user": "bob", "model": "gpt-4o", "input_tokens": 100, "max_output_tokens": 100, "ttl_seconds": 60})).json()
    flow.record("commit", api.request("POST", f"{base}/reservations/{reserved.get('reservation_id')}/commit", {
        "user": "bob", "event_id": "reserved-1", "usage": {"input_tokens": 100, "output_tokens": 40}}))
    released = api.request("POST", f"{base}/reservations", {"user": "bob", "model": "gpt-4o", "input_tokens": 10, "max_output_tokens": 10}).json()
    flow.record("release", api.request("DELETE", f"{base}/reservations/{released.get('reservation_id')}"))
    flow.record("refused over the cap", api.request("POST", f"{base}/reservations", {
        "user": "alice", "model": "gpt-4o", "input_tokens": 5000, "max_output_tokens": 10}))
    flow.totals = flow.record("user usage", api.request("GET", f"{base}/users/alice/usage")).json().get("totals", {})
    flow.record("group usage", api.request("GET", f"{base}/groups/research/usage"))
    flow.record("tenant usage", api.request("GET", f"{base}/usage"))
    flow.record("report json", api.request("GET", f"{base}/reports/usage?by=feature"))
    flow.record("report csv", api.request("GET", f"{base}/reports/usage?format=csv"))
    flow.record("history", api.request("GET", f"{base}/usage/daily?user=alice"))
    events = flow.record("events", api.request("GET", f"{base}/events?limit=100"))
    flow.events = [line for line in events.body.decode().splitlines() if line.strip()]
    flow.alerts = wait_until(lambda: len(receiver.received("/hook")) >= 2, 15) and receiver.received("/hook")
    if hooks.get("webhooks"):
        hook = hooks["webhooks"][0]["id"]
        flow.record("deliveries", api.request("GET", f"{base}/webhooks/{hook}/deliveries"))
    flow.exported = wait_until(lambda: any(tenant.encode() in body for body in receiver.received("/write")), 15)
    flow.record("settings", admin.request("GET", "/v1/settings/metrics"))
    flow.record("change settings", admin.request("PATCH", "/v1/settings/metrics", {"token_statistics": True}))
    flow.record("reset usage", api.request("POST", f"{base}/users/bob/usage/reset"))
    flow.record("metrics", admin.request("GET", "/metrics", key=""))
    flow.record("readyz", admin.request("GET", "/readyz", key=""))
    _dashboard(flow, quotad.port, key)
    flow.record("delete quota", api.request("DELETE", f"{base}/groups/research/quota"))
    api.close()
    admin.close()
    return flow


def check_full_flow(flow):
    """The assertions every full run must pass: no 5xx, the data right, alerts and export delivered."""
    assert not flow.server_errors(), f"5xx answers: {flow.server_errors()}"
    refused = [(label, a) for label, a in flow.answers if a.status >= 400 and label != "refused over the cap"]
    assert not refused, f"refused: {refused}"
    assert flow.status("refused over the cap") == 429
    assert flow.totals.get("input_tokens") == 600 and flow.totals.get("requests") == 3, f"alice's totals {flow.totals}"
    assert len(flow.events) >= 9, f"events read: {len(flow.events)}"
    assert flow.alerts, "the 50% and 100% alerts reached the webhook"
    payloads = [json.loads(body) for body in flow.alerts]
    assert all(p.get("type", "").startswith("quota.") for p in payloads), payloads[:2]
    assert flow.exported, "the export wrote the tenant's points to the InfluxDB write API"
    assert flow.status("dashboard overview") == 200, "signed in to the dashboard and read the overview"
