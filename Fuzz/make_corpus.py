#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets under Fuzz/Corpus/<target>/ (committed; rerun after changing).

Provider bodies come from ../shared/fixtures/provider_payloads.json (real provider responses, SSE streams
rebuilt as the provider sends them); the HTTP bodies and RESP replies are written by hand from the tests.
"""
import hashlib
import itertools
import json
import pathlib
import shutil

root = pathlib.Path(__file__).resolve().parent
fixtures = root.parent.parent / "shared" / "fixtures" / "provider_payloads.json"
if not fixtures.exists():
    fixtures = pathlib.Path("/work/shared/fixtures/provider_payloads.json")


def provider_bodies():
    """Each fixture as the bytes the provider sends: JSON, or an SSE stream."""
    for entry in json.loads(fixtures.read_text()):
        body = entry["body"]
        if "sse_data_events" in body:
            text = "".join(f"data: {json.dumps(event)}\n\n" for event in body["sse_data_events"])
            yield entry, text + f"data: {body.get('terminator', '[DONE]')}\n\n"
        elif "sse_events" in body:
            yield entry, "".join(f"event: {e['event']}\ndata: {json.dumps(e['data'])}\n\n" for e in body["sse_events"])
        else:
            yield entry, json.dumps(body)


def usage_bodies():
    yield '{"user":"u1","event_id":"e1","provider":"openai","model":"gpt-4o","usage":{"input_tokens":10,"output_tokens":5}}'
    yield ('{"user":"u1","event_id":"e2","model":"claude-3-5-sonnet","reservation_id":"r1","latency_ms":120,"error":false,'
           '"usage":{"input_tokens":1,"cached_input_tokens":2,"cache_write_tokens":3,"cache_write_1h_tokens":4,'
           '"output_tokens":5,"reasoning_tokens":6,"audio_input_tokens":7,"audio_output_tokens":8,"web_search_requests":9},'
           '"metadata":{"team":"a","app":"b"}}')
    yield '{"user":"u1","event_id":"e3","model":"gpt-4o","usage":"estimate","messages":[{"role":"user","content":"hi"}],"output_text":"hello"}'
    yield '{"user":"u1","event_id":"e4","usage":{"input_tokens":9223372036854775807}}'
    yield '{"user":"u1","event_id":"e5","usage":{"input_tokens":1234567890123456789012}}'
    yield '{"user":"u1","user":"u2","event_id":"d1","model":"gpt-4o","usage":{"input_tokens":5}}'
    yield '\ufeff{"user":"u1","event_id":"bom","usage":{"input_tokens":1}}'
    yield '{"user":"\\u00e9\\ud83d\\ude00","event_id":"esc","usage":{"input_tokens":1e2}}'
    yield '{"user":"u1","event_id":"n","usage":{"input_tokens":-0,"output_tokens":1.0}}'
    for entry, body in provider_bodies():
        yield json.dumps({"user": "u1", "event_id": entry["id"], "provider": entry["provider"], "response": body})
        if not body.startswith(("data:", "event:")):
            yield json.dumps({"user": "u1", "event_id": entry["id"], "provider": entry["provider"], "response": json.loads(body)})


def reservation_bodies():
    yield '{"user":"u1","model":"gpt-4o","input_tokens":100,"max_output_tokens":50}'
    yield '{"user":"u1","model":"gpt-4o","provider":"openai","input_tokens":100,"max_output_tokens":50,"ttl_seconds":60,"reservation_id":"r-1"}'
    yield '{"user":"u1","model":"claude-3-5-sonnet","messages":[{"role":"user","content":"hello"}],"max_output_tokens":10}'
    yield '{"user":"u1","model":"gpt-4o","input_tokens":12345678901234567890}'
    yield '{"user":"u1","model":"gpt-4o","input_tokens":1,"input_tokens":2}'
    yield '{"user":"u1","model":"gpt-4o","input_tokens":1,"extra":true}'
    yield '{"user":"\\u0075","model":"gpt-4o","input_tokens":1}'
    yield '{"user":"u1","model":"gpt-4o","input_tokens":1} '
    # the names the provider SDKs use for the output cap, and no cap at all (the catalogue's maximum is held)
    yield '{"user":"u1","model":"gpt-4o","input_tokens":100,"max_tokens":50}'
    yield '{"user":"u1","model":"gpt-4o","input_tokens":100,"max_completion_tokens":50,"max_output_tokens":50}'
    yield '{"user":"u1","model":"gpt-4o","input_tokens":100}'
    # OpenAI chat shapes: content parts, tool calls, names
    yield json.dumps({"user": "u1", "model": "gpt-4o", "max_tokens": 20, "messages": [
        {"role": "system", "content": "be brief"},
        {"role": "user", "name": "ann", "content": [{"type": "text", "text": "what is in this image?"},
                                                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}]})
    # Anthropic shapes: system (text or blocks), content blocks with tool_use and tool_result
    yield json.dumps({"user": "u1", "model": "claude-3-5-sonnet", "max_tokens": 64,
                      "system": [{"type": "text", "text": "you are terse"}], "messages": [
        {"role": "user", "content": [{"type": "text", "text": "weather?"}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "tu_1", "name": "weather", "input": {"city": "Paris"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": "sunny"}]}]})
    # the provider request body as is (model taken from it)
    yield json.dumps({"user": "u1", "request": {"model": "gpt-4o-mini", "max_completion_tokens": 30, "messages": [
        {"role": "user", "content": "hello"}], "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}})
    yield json.dumps({"user": "u1", "request": {"model": "gpt-4o", "input": "hello", "max_output_tokens": 30}})


def strict_bodies():
    yield '{"limits":{"tokens":1000000,"cost_usd":"12.50","requests":100}}'
    yield '{"limits":{"tokens":null,"cost_usd":null},"rate":{"tokens_per_minute":1000},"group":"g1","alerts":{"thresholds":[50,80,100]}}'
    yield '{"limits":{"tokens":1},"cycle":{"anchor_day":1}}'
    yield '{"enabled":true,"token_statistics":false}'
    yield '{"scopes":["usage:write","quota:read"]}'
    yield '{"dimensions":["team","app"]}'
    yield '{"url":"https://example.com/hook","events":["threshold"],"secret":"s3cret"}'
    yield '{"limits":{"tokens":1,"tokens":2}}'
    yield '[' * 70 + ']' * 70


def cursors():
    yield "0-0"
    yield "1700000000000-1"
    yield "18446744073709551615-18446744073709551615"
    yield "18446744073709551616-0"
    yield "-1"


def resp_replies():
    # The first byte chooses where the rest is split in two feeds.
    yield b"\x03+OK\r\n"
    yield b"\x05:1234\r\n$5\r\nhello\r\n$-1\r\n"
    yield b"\x07-ERR unknown command\r\n*2\r\n$3\r\nfoo\r\n:42\r\n"
    yield b"\x10*3\r\n*2\r\n:1\r\n:2\r\n*-1\r\n+QUEUED\r\n"
    yield b"\x00:9223372036854775807\r\n:-9223372036854775808\r\n"
    yield b"\x02*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n"
    yield b"\x04$0\r\n\r\n*0\r\n"


def gateway_inputs():
    # The first byte chooses (see GatewayBytes): even, a request body of a route; odd, a stream split in two.
    requests = [
        (0, {"model": "gpt-4o", "user": "ann+test@example.com", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 100}),
        (0, {"model": "gpt-4o", "stream": True, "messages": [{"role": "user", "content": "hi"}]}),
        (0, {"model": "gpt-4o", "stream": True, "stream_options": {"include_usage": False}, "messages": []}),
        (0, {"model": "gpt-4o", "stream": True, "stream_options": None, "messages": []}),
        (2, {"model": "gpt-4o", "instructions": "x", "input": [{"role": "user", "content": "hi"}], "max_output_tokens": 7}),
        (4, {"model": "text-embedding-3-small", "input": ["a", "b"], "user": "dan"}),
        (6, {"model": "claude-sonnet-4-5", "max_tokens": 50, "metadata": {"user_id": "carol"}, "system": "be brief",
             "messages": [{"role": "user", "content": "hi"}]}),
    ]
    for selector, body in requests:
        yield bytes([selector]) + json.dumps(body).encode()
    for index, (_, body) in enumerate(provider_bodies()):
        if body.startswith("data:") or body.startswith("event:"):
            yield bytes([1 + 2 * ((7 + 10 * index) % 127)]) + body.encode()
            yield bytes([3]) + body.replace("\n", "\r\n").encode()


def write(target, items):
    folder = root / "Corpus" / target
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for item in items:
        data = item.encode() if isinstance(item, str) else item
        (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


write("usage", usage_bodies())
write("reservation", reservation_bodies())
write("strict", strict_bodies())
# LiteLLM's normalised (OpenAI-shaped) body for a Claude call: OpenAI's counts beside Anthropic's cache fields
LITELLM_NORMALISED = ('{"id":"chatcmpl-1","object":"chat.completion","model":"claude-sonnet-4-5","choices":[],'
                      '"usage":{"prompt_tokens":1200,"completion_tokens":80,"total_tokens":1280,'
                      '"cache_creation_input_tokens":1000,"cache_read_input_tokens":0}}')
write("provider", itertools.chain((body for _, body in provider_bodies()), [LITELLM_NORMALISED]))
write("cursor", cursors())
write("resp", resp_replies())
write("gateway", gateway_inputs())
