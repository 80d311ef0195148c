"""The set-up shared by the gateway's live tests (test_gateway.py, test_gateway_midstream.py): the upstream stub,
a quotad with the gateway pointed at it, keys, prices, and reads of a user's figures.

Prices are pinned by a pricing file of the test's own (merged over the bundled list), so that a cost is
computed here from the fixture's counts independently of the bundled prices.
"""
import os, secrets, uuid

from gateway_stub import Stub
from support import create_tenant_key, wait_until

TENANT = "gw"
OPENAI_UPSTREAM_KEY = "sk-upstream-openai-" + secrets.token_hex(8)
ANTHROPIC_UPSTREAM_KEY = "sk-ant-upstream-" + secrets.token_hex(8)
UPSTREAM_TIMEOUT_MS = 2000

# USD per 1M tokens; nano-USD per token = price × 1000 (every price below has at most 3 decimals)
PRICES = {
    "gpt-4o": {"input": "2.50", "cache_read": "1.25", "output": "10.00"},
    "o3-mini": {"input": "1.10", "cache_read": "0.55", "output": "4.40", "reasoning": "5.00"},
    "text-embedding-3-small": {"input": "0.02", "output": "0"},
    "claude-sonnet-4-5": {"input": "3.00", "cache_read": "0.30", "cache_write_5m": "3.75", "cache_write_1h": "6.00", "output": "15.00"},
    "claude-3-opus": {"input": "15.00", "cache_read": "1.50", "cache_write_5m": "18.75", "output": "75.00"},
}


def nano(price):
    whole, _, frac = price.partition(".")
    return int(whole) * 1000 + int((frac + "000")[:3])


def expected_cost(model, counts):
    """Nano-USD of `counts` (the fixture's `expected`) at the test's prices: disjoint classes, as usage-semantics.md."""
    p = PRICES[model]
    cached, written, reasoning = counts["cached_input_tokens"], counts["cache_write_tokens"], counts["reasoning_tokens"]
    uncached = counts["input_tokens"] - cached - written
    return (uncached * nano(p["input"]) + cached * nano(p.get("cache_read", p["input"]))
            + written * nano(p.get("cache_write_5m", p["input"]))
            + (counts["output_tokens"] - reasoning) * nano(p["output"]) + reasoning * nano(p.get("reasoning", p["output"])))


def write_prices(directory):
    path = os.path.join(directory, "gateway-prices.yaml")
    with open(path, "w") as f:
        f.write("models:\n")
        for model, prices in PRICES.items():
            f.write(f"  {model}:\n    provider: {'anthropic' if model.startswith('claude') else 'openai'}\n")
            for name, value in prices.items():
                f.write(f'    {name}: "{value}"\n')
    return path


def gateway_env(stub, directory, **extra):
    env = dict(QUOTAD_GATEWAY_ENABLED="true",
               QUOTAD_GATEWAY_OPENAI_BASE_URL=stub.base_url + "/v1", QUOTAD_GATEWAY_OPENAI_API_KEY=OPENAI_UPSTREAM_KEY,
               QUOTAD_GATEWAY_ANTHROPIC_BASE_URL=stub.base_url, QUOTAD_GATEWAY_ANTHROPIC_API_KEY=ANTHROPIC_UPSTREAM_KEY,
               QUOTAD_GATEWAY_UPSTREAM_TIMEOUT_MS=UPSTREAM_TIMEOUT_MS, QUOTAD_PRICING_FILE=write_prices(directory))
    env.update(extra)
    return env


class Env:
    """stub, redis, quotad (gateway on), admin (a Client with the admin key), key (a tenant key, scope gateway)."""

    def openai(self, key=None, port=None, **options):
        import openai
        return openai.OpenAI(api_key=key or self.key, base_url=f"http://127.0.0.1:{port or self.quotad.port}/gateway/openai/v1",
                             max_retries=0, timeout=options.pop("timeout", 30), **options)

    def anthropic(self, key=None, port=None, **options):
        import anthropic
        return anthropic.Anthropic(api_key=key or self.key, base_url=f"http://127.0.0.1:{port or self.quotad.port}/gateway/anthropic",
                                   max_retries=0, timeout=options.pop("timeout", 30), **options)

    def usage(self, user):
        answer = self.admin.request("GET", f"/v1/tenants/{TENANT}/users/{user}/usage")
        assert answer.status == 200, f"GET usage of {user}: {answer}"
        return answer.json()

    def reserved(self, user):
        return (self.usage(user).get("reserved") or {}).get("tokens")

    def wait_settled(self, user, requests=None, within=30):
        """True once `user` holds no reservation (and, with `requests`, has that many recorded calls)."""
        def settled():
            u = self.usage(user)
            return (u.get("reserved") or {}).get("tokens") == 0 and \
                (requests is None or (u.get("totals") or {}).get("requests") == requests)
        return wait_until(settled, within)

    def set_limit(self, user, tokens):
        answer = self.admin.request("PUT", f"/v1/tenants/{TENANT}/users/{user}/quota", {"limits": {"tokens": tokens}})
        assert answer.status == 200, f"PUT quota of {user}: {answer}"

    def record(self, user, input_tokens, output_tokens=0):
        answer = self.admin.request("POST", f"/v1/tenants/{TENANT}/usage", {
            "user": user, "event_id": "seed-" + uuid.uuid4().hex, "model": "gpt-4o",
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens}})
        assert answer.status == 200, f"seeding usage of {user}: {answer}"


def start_env(launcher, directory, **extra):
    """A stub and a quotad with the gateway pointed at it (every part stopped by `stop_env`, also on failure)."""
    e = Env()
    e.stub = Stub()
    try:
        e.redis = launcher.redis()
        e.quotad = launcher.quotad(e.redis, log="quotad-gateway", **gateway_env(e.stub, directory, **extra))
        e.admin = e.quotad.client()
        e.key = create_tenant_key(e.quotad, TENANT, ["gateway"])
    except BaseException:
        e.stub.close()
        raise
    return e


def stop_env(e):
    e.stub.close()


def user():
    return "u-" + uuid.uuid4().hex[:12]


def tag():
    return "t-" + uuid.uuid4().hex
