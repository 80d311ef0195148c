#!/usr/bin/env python3
"""The dashboard in a real browser: headless Chromium (selenium + chromium-driver) against a live quotad.

Seeds two tenants through the HTTP API — `acme` (tenant quota with thresholds, a default quota, 32 users in
two groups over several models, one model named like a script tag) and `big` (10,000 users, written 1,000
events per `POST …/usage/batch`) — then, in the browser: signs in through the form, checks that the
overview's numbers equal the API's, searches, sorts and paginates the users, changes a user's token limit
through the quota editor (the API returns it), toggles a settings switch (`GET /v1/settings/metrics`
changes), downloads the report CSV (equal to the API's), checks that POSTs without the CSRF token are
refused 403 and change nothing, that XSS attempts render as text, the accessibility basics (lang, one h1,
labelled inputs, titled SVG, keyboard reaches the sign-in button), no horizontal overflow at 390 px, the
dark theme, and signs out. Screenshots of every page at 1280×900 and 390×844 go to the artifacts directory
printed at the end ($ARTIFACTS, else a fresh /tmp/quotad-dashboard-artifacts-*); with
`DASHBOARD_SCREENSHOTS_DIR` set, the README screenshots (overview and user page at 1280 px) are also written
there. Prints `figure:` lines (render times of the 10,000-user tenant: median of 5 GETs with the session
cookie) and ends with `N passed, M failed`.

Needs: Debian `chromium` and `chromium-driver` (/usr/bin/chromedriver, or $CHROMEDRIVER), PyPI
`selenium==4.27.1` and `requests`.
"""
import csv, io, json, os, re, shutil, statistics, sys, tempfile, time
from decimal import Decimal

import requests
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from harness import check, free_port, start_quotad, start_redis, stop, summary

ADMIN = "dashboard-browser-admin-key-0123456789"
MODELS = ["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"]
XSS_MODEL = "<script>window.__xss=1</script><img/src=x/onerror=alert(1)>"
XSS_TEXT = '"><img src=x onerror=alert(1) id=xss-probe><script>alert(2)</script>'
BIG_USERS = 10_000
WAIT = 10  # seconds: the longest any single browser condition may take


class API:
    """The HTTP API with the admin key (requests.Session: keep-alive)."""
    def __init__(self, base):
        self.base, self.http = base, requests.Session()
        self.http.headers["Authorization"] = "Bearer " + ADMIN

    def call(self, method, path, body=None, expect=(200,)):
        response = self.http.request(method, self.base + path, json=body, timeout=30)
        if response.status_code not in expect:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response

    def json(self, method, path, body=None, expect=(200,)):
        return self.call(method, path, body, expect).json()


def seed(api, closed_port):
    """Tenant `acme` (quotas, 32 users in two groups, several models, the XSS model, a webhook whose URL holds
    markup and points at a closed port, so its deliveries stay pending) and `big` (10,000 users)."""
    webhook = api.json("POST", "/v1/tenants/acme/webhooks", {"url": f"http://127.0.0.1:{closed_port}/hook?q={XSS_TEXT}",
                                                            "events": ["quota.threshold", "quota.exceeded"]}, expect=(201,))
    api.json("PUT", "/v1/tenants/acme/quota/tenant", {"limits": {"tokens": 50_000_000, "cost_usd": "2500.00"},
                                                      "alerts": {"thresholds_percent": [50, 80, 100]}})
    api.json("PUT", "/v1/tenants/acme/quota/default", {"limits": {"tokens": 400_000}})
    api.json("PUT", "/v1/tenants/acme/groups/eng/quota", {"limits": {"tokens": 20_000_000}})
    users = [f"{group}-{n:02d}" for group in ("eng", "sales") for n in range(16)]
    for user in users:
        api.json("PUT", f"/v1/tenants/acme/users/{user}/quota",
                 {"limits": {"tokens": 300_000 + 1000 * int(user[-2:])}, "group": user.split("-")[0],
                  "alerts": {"thresholds_percent": [80]}})
    events = []
    for i, user in enumerate(users):
        for j, model in enumerate(MODELS):
            for k in range(2):
                events.append({"user": user, "event_id": f"acme-{user}-{model}-{k}", "model": model,
                               "usage": {"input_tokens": 1000 * (i + 1) + 37 * j + k, "cached_input_tokens": 100 * j,
                                         "output_tokens": 250 * (i % 7 + 1) + j}})
    events.append({"user": "eng-00", "event_id": "acme-xss-model", "model": XSS_MODEL,
                   "usage": {"input_tokens": 1234, "output_tokens": 56}})
    # eng-03 goes past 80% of its own limit: a threshold alert for the overview's alert list
    events.append({"user": "eng-03", "event_id": "acme-eng-03-big", "model": "gpt-4o",
                   "usage": {"input_tokens": 250_000, "output_tokens": 10_000}})
    results = api.json("POST", "/v1/tenants/acme/usage/batch", {"events": events})["results"]
    failed = [r for r in results if "error" in r]
    if failed:
        raise RuntimeError(f"seeding acme: {failed[:3]}")
    api.json("POST", "/v1/tenants/acme/reservations", {"user": "eng-01", "model": "gpt-4o", "input_tokens": 500,
                                                       "max_output_tokens": 500, "ttl_seconds": 600}, expect=(201,))
    # a refusal: a quota.exceeded alert (no threshold) in the alert lists
    api.json("POST", "/v1/tenants/acme/reservations", {"user": "eng-02", "model": "gpt-4o", "input_tokens": 5_000_000,
                                                       "max_output_tokens": 10}, expect=(429,))
    for batch in range(BIG_USERS // 1000):
        chunk = [{"user": f"user-{n:05d}", "event_id": f"big-{n}", "model": MODELS[n % 3],
                  "usage": {"input_tokens": 100 + n % 997, "output_tokens": 10 + n % 89}}
                 for n in range(batch * 1000, (batch + 1) * 1000)]
        results = api.json("POST", "/v1/tenants/big/usage/batch", {"events": chunk})["results"]
        if any("error" in r for r in results):
            raise RuntimeError(f"seeding big: {[r for r in results if 'error' in r][:3]}")
    reader = api.json("POST", "/v1/tenants/acme/keys", {"scopes": ["usage:read"]}, expect=(201,))["key"]
    return users, webhook["id"], reader


def integer(text):
    return int(re.sub(r"[^0-9-]", "", text))


def dollars(text):
    """`$1,234.5` → Decimal('1234.5')."""
    return Decimal(text.strip().replace("$", "").replace(",", ""))


class Browser:
    """Headless Chromium with bounded waits, screenshots and the page checks every page gets."""
    def __init__(self, base, artifacts):
        options = webdriver.ChromeOptions()
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,900", "--force-color-profile=srgb", "--hide-scrollbars"):
            options.add_argument(argument)
        options.binary_location = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = webdriver.ChromeService(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_page_load_timeout(30)
        self.base, self.artifacts, self.shots = base, artifacts, []
        self.viewport(1280, 900)

    def viewport(self, width, height):
        """Sets the layout viewport exactly (window chrome does not count), as a phone for narrow widths."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
        self.width = width

    def open(self, path):
        self.driver.get(self.base + path)
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete", f"load {path}")

    def wait(self, condition, what, seconds=WAIT):
        try:
            return WebDriverWait(self.driver, seconds).until(condition)
        except TimeoutException:
            raise AssertionError(f"timed out after {seconds} s waiting for: {what}") from None

    def text(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector).text

    def value(self, element_id):
        """An input's value once the page lets it be read: Chromium's inspector can refuse a node of a document
        that is still being replaced ("Node with given id does not belong to the document"); retried within WAIT."""
        def read(driver):
            try:
                return (driver.find_element(By.ID, element_id).get_attribute("value"),)
            except WebDriverException:
                return None
        return self.wait(read, f"the value of #{element_id}")[0]

    def screenshot(self, name):
        path = os.path.join(self.artifacts, f"{name}-{self.width}.png")
        self.driver.save_screenshot(path)
        self.shots.append(path)
        return path

    def no_alert(self):
        try:
            self.driver.switch_to.alert
            return False
        except NoAlertPresentException:
            return True

    def accessibility(self):
        """Problems with the basics on the current page: lang, one h1, labelled inputs, titled SVG/images."""
        return self.driver.execute_script("""
            const problems = [];
            if (!document.documentElement.getAttribute('lang')) problems.push('no lang on <html>');
            const h1 = document.querySelectorAll('h1').length;
            if (h1 !== 1) problems.push(h1 + ' h1 elements');
            for (const el of document.querySelectorAll('input, select, textarea')) {
              if (el.type === 'hidden') continue;
              const id = el.id;
              const labelled = (id && document.querySelector('label[for="' + CSS.escape(id) + '"]'))
                || el.closest('label') || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
              if (!labelled) problems.push('unlabelled ' + el.tagName.toLowerCase() + ' ' + (el.name || id));
            }
            for (const svg of document.querySelectorAll('svg')) {
              const hidden = svg.getAttribute('aria-hidden') === 'true';
              const named = svg.getAttribute('role') === 'img' && (svg.querySelector(':scope > title')
                || svg.getAttribute('aria-label') || svg.getAttribute('aria-labelledby'));
              if (!hidden && !named) problems.push('svg without role=img and a title: ' + (svg.id || '?'));
            }
            for (const img of document.querySelectorAll('img')) {
              if (!img.hasAttribute('alt') && !img.getAttribute('role')) problems.push('img without alt');
            }
            for (const button of document.querySelectorAll('button')) {
              if (!button.hidden && !button.textContent.trim() && !button.getAttribute('aria-label')) problems.push('button without a name');
            }
            return problems;""")

    def overflow(self):
        """(scrollWidth, clientWidth) of the document: the page scrolls sideways when the first is larger."""
        return tuple(self.driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"))


def session_cookie(browser):
    cookie = browser.driver.get_cookie("quotad_session")
    return {"quotad_session": cookie["value"]} if cookie else {}


def run(base, api, browser, seeded, figures):
    users, webhook, reader = seeded
    d = browser.driver
    # ---- sign-in page: accessibility, keyboard, a wrong key, then the admin key through the form
    browser.open("/dashboard/t/acme")
    check("an unsigned request is sent to the sign-in page", "/dashboard/login" in d.current_url, d.current_url)
    problems = browser.accessibility()
    check("sign-in page: accessibility basics", not problems, "; ".join(problems))
    browser.screenshot("login")
    d.find_element(By.TAG_NAME, "body").click()
    reached = False
    for _ in range(15):
        d.switch_to.active_element.send_keys(Keys.TAB)
        active = d.switch_to.active_element
        if active.tag_name == "button" and active.get_attribute("type") == "submit" and active.text.strip() == "Sign in":
            reached = True
            break
    check("tab order reaches the sign-in button", reached)
    d.find_element(By.ID, "key").send_keys("not-a-valid-key-0123456789")
    d.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    browser.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "#login-error")), "sign-in error")
    check("a wrong key is refused on the form", "/dashboard/login" in d.current_url and not session_cookie(browser))
    key = d.find_element(By.ID, "key")
    key.clear()
    key.send_keys(ADMIN)
    key.send_keys(Keys.ENTER)
    browser.wait(lambda dr: dr.get_cookie("quotad_session") is not None and "/login" not in dr.current_url, "signed in")
    cookie = d.get_cookie("quotad_session")
    check("signed in with the admin key: session cookie HttpOnly, SameSite=Strict, Path=/dashboard",
          cookie["httpOnly"] and cookie.get("sameSite") == "Strict" and cookie["path"] == "/dashboard", str(cookie))
    check("the key is not in the URL or the page", ADMIN not in d.current_url and ADMIN not in d.page_source)
    jar = session_cookie(browser)

    # ---- overview: numbers equal the API's
    browser.open("/dashboard/t/acme")
    usage = api.json("GET", "/v1/tenants/acme/usage")
    totals = usage["totals"]
    shown_tokens = integer(browser.text('[data-value="tokens"]'))
    shown_cost = dollars(browser.text('[data-value="cost"]'))
    shown_requests = integer(browser.text('[data-value="requests"]'))
    check("overview tokens equal the API's", shown_tokens == totals["total_tokens"], f"{shown_tokens} vs {totals['total_tokens']}")
    check("overview spend equals the API's cost in dollars (exact)",
          shown_cost == Decimal(totals["cost_nano_usd"]) / Decimal(10**9), f"{shown_cost} vs {totals['cost_nano_usd']} nano-USD")
    check("overview requests equal the API's", shown_requests == totals["requests"])
    check("overview reserved tokens equal the API's",
          integer(browser.text('[data-value="reserved"]')) == usage["reserved"]["tokens"])
    meters = [m.text for m in d.find_elements(By.CSS_SELECTOR, ".meter .meter-numbers")]
    check("overview shows the tenant token limit with thousands separators",
          any(f"of {usage['limits']['tokens']:,}" in m for m in meters), "; ".join(meters))
    top_row = d.find_element(By.CSS_SELECTOR, "#top-users-heading ~ .table-wrap tbody tr")
    top_name = top_row.find_element(By.CSS_SELECTOR, "td a").text
    user_usage = api.json("GET", f"/v1/tenants/acme/users/{top_name}/usage")
    check("overview top user's tokens equal the API's",
          integer(top_row.find_elements(By.TAG_NAME, "td")[1].text) == user_usage["totals"]["total_tokens"], top_name)
    models = [td.text for td in d.find_elements(By.CSS_SELECTOR, "td.model")]
    check("XSS: a model named with markup renders as text", XSS_MODEL in models and browser.no_alert()
          and not d.find_elements(By.CSS_SELECTOR, "main img, main script")
          and d.execute_script("return window.__xss === undefined"), repr(models[:5]))
    alerts = d.find_elements(By.CSS_SELECTOR, "#alerts-heading ~ .table-wrap tbody tr")
    check("overview lists the threshold alerts", len(alerts) >= 1, f"{len(alerts)} rows")
    charts = d.find_elements(By.CSS_SELECTOR, "svg.chart-svg rect")
    check("overview daily chart has bars with <title> tooltips",
          charts and all(r.find_elements(By.TAG_NAME, "title") for r in charts[:5]), f"{len(charts)} bars")

    # ---- users: search, sort, paginate
    browser.open("/dashboard/t/acme/users")
    rows = d.find_elements(By.CSS_SELECTOR, "#list-table tbody tr[data-filter-row]")
    check("users list shows every user with usage", len(rows) == len(users), f"{len(rows)} rows")
    search = d.find_element(By.ID, "q")
    search.send_keys("sales-1")
    browser.wait(lambda dr: all(r.is_displayed() == ("sales-1" in r.text) for r in
                                dr.find_elements(By.CSS_SELECTOR, "#list-table tbody tr[data-filter-row]")), "filter as you type")
    search.send_keys(Keys.ENTER)
    browser.wait(lambda dr: "q=sales-1" in dr.current_url, "server-side search")
    names = [a.text for a in d.find_elements(By.CSS_SELECTOR, "#list-table tbody tr td:first-child a")]
    check("search returns exactly the matching users", sorted(names) == sorted(u for u in users if "sales-1" in u), repr(names))
    browser.open("/dashboard/t/acme/users")
    header = d.find_element(By.XPATH, "//table[@id='list-table']//th[.//a[normalize-space()='User']]")
    header.find_element(By.TAG_NAME, "a").click()
    browser.wait(lambda dr: "sort=name" in dr.current_url, "sort by user")
    names = [a.text for a in d.find_elements(By.CSS_SELECTOR, "#list-table tbody tr td:first-child a")]
    direction = d.find_element(By.XPATH, "//th[.//a[normalize-space()='User']]").get_attribute("aria-sort")
    check("sort by user orders the rows and sets aria-sort",
          names == sorted(names, reverse=direction == "descending") and direction in ("ascending", "descending"), f"{direction}: {names[:4]}")
    tokens_header = d.find_element(By.XPATH, "//th[.//a[normalize-space()='Tokens']]")
    tokens_header.find_element(By.TAG_NAME, "a").click()
    browser.wait(lambda dr: "sort=tokens" in dr.current_url, "sort by tokens")
    values = [integer(r.find_elements(By.TAG_NAME, "td")[1].text) for r in d.find_elements(By.CSS_SELECTOR, "#list-table tbody tr")]
    direction = d.find_element(By.XPATH, "//th[.//a[normalize-space()='Tokens']]").get_attribute("aria-sort")
    check("sort by tokens orders the rows", values == sorted(values, reverse=direction == "descending"), f"{direction}: {values[:4]}")
    browser.open("/dashboard/t/big/users")
    check("10,000-user tenant: the summary counts every user", "10,000" in browser.text("#list-summary"), browser.text("#list-summary"))
    first_page = [a.text for a in d.find_elements(By.CSS_SELECTOR, "#list-table tbody tr td:first-child a")]
    d.find_element(By.CSS_SELECTOR, ".pager a[rel=next]").click()
    browser.wait(lambda dr: "page=2" in dr.current_url, "page 2")
    second_page = [a.text for a in d.find_elements(By.CSS_SELECTOR, "#list-table tbody tr td:first-child a")]
    pager = browser.text(".pager")
    check("pagination: page 2 of 200, 50 other users", len(first_page) == 50 and len(second_page) == 50
          and not set(first_page) & set(second_page) and "Page 2 of 200" in pager, " ".join(pager.split()))
    d.find_element(By.CSS_SELECTOR, ".pager a[rel=prev]").click()
    browser.wait(lambda dr: "page=1" in dr.current_url or "page=" not in dr.current_url, "back to page 1")
    check("pagination: previous goes back", [a.text for a in d.find_elements(By.CSS_SELECTOR, "#list-table tbody tr td:first-child a")] == first_page)

    # ---- user page: the quota editor
    target = "eng-05"
    browser.open(f"/dashboard/t/acme/users/{target}")
    user_usage = api.json("GET", f"/v1/tenants/acme/users/{target}/usage")
    check("user page tokens equal the API's", integer(browser.text('[data-value="tokens"]')) == user_usage["totals"]["total_tokens"])
    check("user page spend equals the API's",
          dollars(browser.text('[data-value="cost"]')) == Decimal(user_usage["totals"]["cost_nano_usd"]) / Decimal(10**9))
    field = d.find_element(By.ID, "f-tokens")
    field.clear()
    field.send_keys("777777")
    d.find_element(By.CSS_SELECTOR, "form.quota-form button[type=submit]").click()
    browser.wait(lambda dr: "notice=saved" in dr.current_url, "quota saved")
    quota = api.json("GET", f"/v1/tenants/acme/users/{target}/quota")
    check("quota editor: the API returns the new token limit", quota["limits"]["tokens"] == 777777 and quota.get("group") == "eng",
          json.dumps(quota["limits"]))
    check("quota editor: the page shows the new limit", "777,777" in " ".join(m.text for m in d.find_elements(By.CSS_SELECTOR, ".meter-numbers")))
    # the same validation message as the API, and markup in the value renders as text
    # (a group id may hold markup, but not '|', quotad's row separator: this one is refused)
    bad_group = XSS_TEXT + "|"
    group = d.find_element(By.ID, "f-group")
    group.clear()
    group.send_keys(bad_group)
    d.find_element(By.CSS_SELECTOR, "form.quota-form button[type=submit]").click()
    error = browser.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "#quota-error")), "validation error")
    api_error = api.call("PUT", f"/v1/tenants/acme/users/{target}/quota", {"limits": {"tokens": 777777}, "group": bad_group},
                         expect=(400,)).json()["error"]["message"]
    check("quota editor: the API's validation message", error.text == api_error, f"{error.text!r} vs {api_error!r}")
    check("XSS: markup posted in a form field renders as text (message and re-displayed value)", XSS_TEXT[:30] in error.text
          and browser.value("f-group") == bad_group and browser.no_alert()
          and not d.find_elements(By.ID, "xss-probe") and not d.find_elements(By.CSS_SELECTOR, "main script, main img"))
    check("quota editor: an invalid form changes nothing",
          api.json("GET", f"/v1/tenants/acme/users/{target}/quota")["limits"]["tokens"] == 777777)

    # ---- XSS in the search box (reflected in the page)
    browser.open("/dashboard/t/acme/users?q=" + requests.utils.quote(XSS_TEXT))
    check("XSS: a search for markup is echoed as text", d.find_element(By.ID, "q").get_attribute("value") == XSS_TEXT
          and browser.no_alert() and not d.find_elements(By.ID, "xss-probe"))

    # ---- settings: toggle a switch
    before = api.json("GET", "/v1/settings/metrics")
    browser.open("/dashboard/settings")
    d.find_element(By.ID, "token_statistics").click()
    d.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    browser.wait(lambda dr: "notice=saved" in dr.current_url, "settings saved")
    after = api.json("GET", "/v1/settings/metrics")
    check("settings: the toggle changes GET /v1/settings/metrics",
          after["token_statistics"] == (not before["token_statistics"]) and after["enabled"] == before["enabled"], f"{before} → {after}")
    check("settings: the page shows the new state", browser.text('[data-value="token_statistics"]') == ("on" if after["token_statistics"] else "off"))
    d.find_element(By.ID, "token_statistics").click()
    saved_page = d.find_element(By.TAG_NAME, "html")
    d.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    # The page already shows the first save's notice: wait for the reload first, then for its notice.
    browser.wait(EC.staleness_of(saved_page), "settings page reloaded after the second save")
    browser.wait(lambda dr: dr.find_elements(By.CSS_SELECTOR, ".notice"), "settings saved again")
    check("settings: toggled back", api.json("GET", "/v1/settings/metrics") == before)

    # ---- reports: the CSV download equals the API's CSV
    browser.open("/dashboard/t/acme/reports")
    link = d.find_element(By.LINK_TEXT, "Download CSV")
    csv_url = link.get_attribute("href")
    download = requests.get(csv_url, cookies=jar, timeout=30)
    api_csv = api.call("GET", "/v1/tenants/acme/reports/usage?format=csv").text
    check("report CSV download equals the API's CSV", download.status_code == 200 and download.text == api_csv
          and "csv" in download.headers.get("Content-Type", ""), f"{download.status_code}, {len(download.text)} vs {len(api_csv)} bytes")
    parsed = list(csv.DictReader(io.StringIO(download.text)))
    total_row = next(r for r in parsed if r["row_type"] == "total")
    check("report table total equals the CSV total", integer(browser.text('[data-value="total-tokens"]')) == int(total_row["total_tokens"])
          and dollars(browser.text('[data-value="total-cost"]')) == Decimal(total_row["cost_usd"]))

    # ---- alerts & webhooks: markup in a webhook URL is text, the exceeded alert has no empty badge, retry
    deadline = time.monotonic() + WAIT
    deliveries = []
    while time.monotonic() < deadline and not deliveries:
        deliveries = api.json("GET", f"/v1/tenants/acme/webhooks/{webhook}/deliveries")["deliveries"]
        if not deliveries:
            time.sleep(0.1)
    check("the threshold alert became a webhook delivery", bool(deliveries), f"within {WAIT} s")
    browser.open("/dashboard/t/acme/alerts")
    urls = [h.text for h in d.find_elements(By.CSS_SELECTOR, "h3.url")]
    check("XSS: a webhook URL with markup renders as text", any(XSS_TEXT in u for u in urls) and browser.no_alert()
          and not d.find_elements(By.ID, "xss-probe") and not d.find_elements(By.CSS_SELECTOR, "main img, main script"), repr(urls))
    exceeded = d.find_elements(By.XPATH, "//tr[contains(@class, 'bad')]")
    badges = [b.text for b in d.find_elements(By.CSS_SELECTOR, ".badge")]
    check("alerts: quota.exceeded is listed, and no alert shows an empty threshold badge", exceeded and all(t.strip() for t in badges),
          f"{len(exceeded)} exceeded, badges {badges}")
    retry = d.find_elements(By.XPATH, "//form[@data-confirm]//button[normalize-space()='Retry']")
    if retry:
        retry[0].click()
        prompt = browser.wait(EC.alert_is_present(), "retry confirmation")
        prompt.accept()
        browser.wait(lambda dr: "notice=retried" in dr.current_url, "retry queued")
        check("alerts: Retry asks for confirmation and queues the delivery", "queued" in browser.text(".notice"))
    else:
        check("alerts: a pending delivery has a Retry button", False, f"{len(deliveries)} deliveries")

    # ---- CSRF: POSTs without the token are refused and change nothing
    quota_before = api.json("GET", f"/v1/tenants/acme/users/{target}/quota")
    refused = requests.post(f"{base}/dashboard/t/acme/users/{target}/quota", cookies=jar, allow_redirects=False, timeout=30,
                            data={"tokens": "1", "anchor_day": "1", "timezone": "UTC", "group": "eng"})
    forged = requests.post(f"{base}/dashboard/t/acme/users/{target}/quota", cookies=jar, allow_redirects=False, timeout=30,
                           data={"csrf": "0" * 64, "tokens": "1", "anchor_day": "1", "timezone": "UTC", "group": "eng"})
    settings_refused = requests.post(f"{base}/dashboard/settings", cookies=jar, allow_redirects=False, timeout=30, data={"enabled": "on"})
    check("CSRF: quota POST without the token is 403, with a wrong one 403", refused.status_code == 403 and forged.status_code == 403,
          f"{refused.status_code}, {forged.status_code}")
    check("CSRF: settings POST without the token is 403", settings_refused.status_code == 403, str(settings_refused.status_code))
    check("CSRF: refused POSTs changed nothing", api.json("GET", f"/v1/tenants/acme/users/{target}/quota") == quota_before
          and api.json("GET", "/v1/settings/metrics") == before)

    # ---- every page at both widths: screenshots, accessibility, overflow; the dark theme
    pages = [("tenants", "/dashboard"), ("overview", "/dashboard/t/acme"), ("users", "/dashboard/t/acme/users"),
             ("user", f"/dashboard/t/acme/users/{target}"), ("groups", "/dashboard/t/acme/groups"),
             ("group", "/dashboard/t/acme/groups/eng"), ("alerts", "/dashboard/t/acme/alerts"),
             ("reports", "/dashboard/t/acme/reports"), ("settings", "/dashboard/settings"),
             ("big-overview", "/dashboard/t/big"), ("big-users", "/dashboard/t/big/users")]
    readme_dir = os.environ.get("DASHBOARD_SCREENSHOTS_DIR")
    for width, height in ((1280, 900), (390, 844)):
        browser.viewport(width, height)
        for name, path in pages:
            browser.open(path)
            problems = browser.accessibility()
            check(f"{name} at {width} px: accessibility basics", not problems, "; ".join(problems))
            sizes = d.execute_script("""
                return Array.from(document.querySelectorAll('svg.chart-svg')).map(svg => {
                  const text = svg.querySelector('text');
                  if (!text) return null;
                  return svg.getBoundingClientRect().width / svg.viewBox.baseVal.width * parseFloat(getComputedStyle(text).fontSize);
                }).filter(size => size !== null);""")
            if sizes:
                check(f"{name} at {width} px: chart labels are readable (9–14 px)", all(9 <= size <= 14 for size in sizes),
                      ", ".join(f"{size:.1f}" for size in sizes))
            if width == 390:
                scroll, client = browser.overflow()
                check(f"{name} at 390 px: no horizontal overflow", scroll <= client, f"scrollWidth {scroll} > {client}")
            browser.screenshot(name)
            if readme_dir and width == 1280 and name in ("overview", "user"):
                # the whole page (up to 2,400 px) for the README
                full = min(d.execute_script("return document.documentElement.scrollHeight"), 2400)
                browser.viewport(1280, full)
                d.save_screenshot(os.path.join(readme_dir, f"dashboard-{name}.png"))
                browser.viewport(width, height)
        browser.open("/dashboard/t/acme")
        toggle = d.find_element(By.CSS_SELECTOR, "[data-theme-toggle]")
        light = d.execute_script("return getComputedStyle(document.body).backgroundColor")
        toggle.click()
        browser.wait(lambda dr: dr.execute_script("return document.documentElement.getAttribute('data-theme')") == "dark", "dark theme")
        dark = d.execute_script("return getComputedStyle(document.body).backgroundColor")
        luminance = sum(int(c) for c in re.findall(r"\d+", dark)[:3])
        check(f"theme toggle at {width} px switches to dark", dark != light and luminance < 200
              and toggle.get_attribute("aria-pressed") == "true", f"{light} → {dark}")
        browser.screenshot("overview-dark")
        browser.open("/dashboard/t/acme/users")
        check("the theme choice is remembered", d.execute_script("return document.documentElement.getAttribute('data-theme')") == "dark")
        d.find_element(By.CSS_SELECTOR, "[data-theme-toggle]").click()
        browser.wait(lambda dr: dr.execute_script("return document.documentElement.getAttribute('data-theme')") == "light", "light theme")
    browser.viewport(1280, 900)
    errors = [e["message"] for e in d.get_log("browser") if e["level"] == "SEVERE" and e.get("source") != "network"]
    check("no script or CSP errors in the browser console", not errors, "; ".join(errors[:3]))

    # ---- render times of the 10,000-user tenant (server time: the GET with the session cookie)
    timing = requests.Session()
    timing.cookies.update(jar)
    for label, path in (("overview", "/dashboard/t/big"), ("users page", "/dashboard/t/big/users?sort=tokens&dir=desc")):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            response = timing.get(base + path, timeout=30)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: {response.status_code}")
        median = statistics.median(times)  # a figure, not an assertion: outcomes never depend on machine speed
        figures.append(f"figure: {label} render time, 10,000-user tenant: median {median:.1f} ms of 5 (min {min(times):.1f}, max {max(times):.1f})")

    # ---- sign out
    browser.open("/dashboard/t/acme")
    d.find_element(By.XPATH, "//button[normalize-space()='Sign out']").click()
    browser.wait(lambda dr: "/dashboard/login" in dr.current_url, "signed out")
    check("sign out ends the session", requests.get(base + "/dashboard/t/acme", cookies=jar, allow_redirects=False,
                                                     timeout=30).status_code in (302, 303))

    # ---- a usage:read-only tenant key sees but cannot edit
    key = browser.wait(EC.presence_of_element_located((By.ID, "key")), "sign-in form")
    key.send_keys(reader)
    key.send_keys(Keys.ENTER)
    browser.wait(lambda dr: dr.get_cookie("quotad_session") is not None and "/login" not in dr.current_url, "signed in read-only")
    browser.open(f"/dashboard/t/acme/users/{target}")
    check("read-only key: the user page has no quota editor", not d.find_elements(By.CSS_SELECTOR, "form.quota-form"))
    reader_jar = session_cookie(browser)
    csrf = d.find_element(By.CSS_SELECTOR, "input[name=csrf]").get_attribute("value")
    quota_before = api.json("GET", f"/v1/tenants/acme/users/{target}/quota")
    refused = requests.post(f"{base}/dashboard/t/acme/users/{target}/quota", cookies=reader_jar, allow_redirects=False, timeout=30,
                            data={"csrf": csrf, "tokens": "5", "anchor_day": "1", "timezone": "UTC", "group": "eng"})
    check("read-only key: a quota POST with a valid CSRF token is 403 and changes nothing", refused.status_code == 403
          and api.json("GET", f"/v1/tenants/acme/users/{target}/quota") == quota_before, str(refused.status_code))
    settings_page = requests.get(f"{base}/dashboard/settings", cookies=reader_jar, allow_redirects=False, timeout=30)
    other_tenant = requests.get(f"{base}/dashboard/t/big", cookies=reader_jar, allow_redirects=False, timeout=30)
    check("read-only key: no settings, no other tenant (403)", settings_page.status_code == 403 and other_tenant.status_code == 403,
          f"{settings_page.status_code}, {other_tenant.status_code}")
    d.find_element(By.XPATH, "//button[normalize-space()='Sign out']").click()
    browser.wait(lambda dr: "/dashboard/login" in dr.current_url, "read-only key signed out")
    browser.viewport(390, 844)
    scroll, client = browser.overflow()
    check("login at 390 px: no horizontal overflow", scroll <= client, f"scrollWidth {scroll} > {client}")
    browser.screenshot("login")


def main():
    started = time.monotonic()
    work_dir = tempfile.mkdtemp(prefix="quotad-dashboard-")
    artifacts = os.environ.get("ARTIFACTS") or tempfile.mkdtemp(prefix="quotad-dashboard-artifacts-")
    os.makedirs(artifacts, exist_ok=True)
    redis = quotad = browser = None
    figures = []
    try:
        redis_port, http_port = free_port(), free_port()
        redis = start_redis(redis_port, work_dir)
        log = open(os.path.join(artifacts, "quotad.log"), "ab")
        quotad = start_quotad(http_port, redis_port, ADMIN, output=log, QUOTAD_PRICING_UNPRICED_MODELS="allow",
                              QUOTAD_WEBHOOKS_ALLOW_PRIVATE_TARGETS="true")
        log.close()
        base = f"http://127.0.0.1:{http_port}"
        api = API(base)
        seeded = time.monotonic()
        seeded_data = seed(api, free_port())
        figures.append(f"figure: seeding (acme + 10,000 users in 10 batches) took {time.monotonic() - seeded:.1f} s")
        browser = Browser(base, artifacts)
        run(base, api, browser, seeded_data, figures)
    except Exception as error:  # noqa: BLE001 - reported as a failure, then everything is stopped
        check("the browser test ran to the end", False, f"{type(error).__name__}: {error}")
        if browser is not None:
            try:
                browser.screenshot("failure")
            except Exception:  # noqa: BLE001 - the browser may be gone
                pass
    finally:
        if browser is not None:
            browser.driver.quit()
        stop(quotad)
        stop(redis)
        shutil.rmtree(work_dir, ignore_errors=True)
    for line in figures:
        print(line)
    shots = browser.shots if browser is not None else []
    print(f"screenshots: {len(shots)} in {artifacts}")
    print(f"figure: whole test {time.monotonic() - started:.1f} s")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
