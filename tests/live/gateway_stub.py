"""A loopback stand-in for the OpenAI and Anthropic APIs: the upstream of quotad's gateway in the live tests.

It replays the bodies and SSE streams of ../shared/fixtures/provider_payloads.json (located as the other live
tests do: beside the repository, or $QUOTAD_FIXTURES) on

    POST /v1/chat/completions   JSON, or SSE when "stream": true (the usage-only chunk only when the request
                                asks for it with stream_options.include_usage, as the real API does)
    POST /v1/responses          JSON
    POST /v1/embeddings         JSON
    GET  /v1/models             JSON
    POST /v1/messages           Anthropic JSON, or SSE when "stream": true

Every request is recorded (method, path, lower-case headers, body bytes) with the exact bytes of the answer's
body it sent (the de-chunked payload, which is what a client reads) and, for streams, each event's bytes.

Behaviour is chosen per request by the header `x-stub-mode` (the gateway forwards end-to-end headers):
    slow      every event after a delay (`x-stub-delay-ms`, default 50)
    cut       the stream stops half-way and the connection is closed (no terminating chunk)
    error500  a 500 with the provider's error body
    error400  a 400 with the provider's error body
    hang      never answers (until the stub is closed), for timeouts
    long      a stream of `x-stub-chunks` (default 2000) one-token content deltas whose final usage counts
              exactly those tokens, for mid-stream enforcement
Modes combine with commas (`long,slow`). `x-stub-tag: <text>` marks a request so that a test finds it among the others (`Stub.find(tag)`).

Self-check (the real openai and anthropic SDKs straight against the stub, no quotad):

    python3 tests/live/gateway_stub.py --self-check
    python3 tests/live/gateway_stub.py --serve 8089      # run it in the foreground
"""
import copy, http.server, json, os, socket, sys, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES_DIR = os.environ.get("QUOTAD_FIXTURES") or os.path.join(ROOT, "..", "shared", "fixtures")
FIXTURES = os.path.join(FIXTURES_DIR, "provider_payloads.json")

# The fixture each route replays.
CHAT = "openai_chat_nonstream_no_prompt_details"
CHAT_STREAM = "openai_chat_stream_include_usage"
RESPONSES = "openai_responses_reasoning_doc_usage"
MESSAGES = "anthropic_messages_nonstream_cache_creation_object"
MESSAGES_STREAM = "anthropic_messages_stream_basic"

# The fixtures hold no embeddings answer: this one has the API reference's shape, its counts are the expected ones.
EMBEDDINGS_USAGE = {"prompt_tokens": 8, "total_tokens": 8}
EMBEDDINGS_EXPECTED = {"input_tokens": 8, "output_tokens": 0, "cached_input_tokens": 0, "cache_write_tokens": 0,
                       "reasoning_tokens": 0}

# The content of every delta of a `long` stream: one token by a tokenizer and by a 4-bytes-per-token estimate.
LONG_TOKEN = " the"
LONG_PROMPT_TOKENS = 9


def load_fixtures():
    """{id: fixture} of provider_payloads.json."""
    with open(FIXTURES) as f:
        return {entry["id"]: entry for entry in json.load(f)}


def dumps(value):
    return json.dumps(value, separators=(",", ":"))


def is_usage_chunk(event_bytes):
    """True for the OpenAI chat stream's usage-only event (`choices` empty, `usage` non-null)."""
    text = event_bytes.decode()
    if not text.startswith("data: ") or text.startswith("data: [DONE]"):
        return False
    chunk = json.loads(text[len("data: "):])
    return chunk.get("choices") == [] and chunk.get("usage") is not None


class Exchange:
    """One request the stub received and what it answered."""
    def __init__(self, number, method, path, headers, body):
        self.number, self.method, self.path, self.headers, self.body = number, method, path, headers, body
        self.status = None
        self.sent = bytearray()      # the answer's body as a client reads it (chunk payloads, joined)
        self.events = []             # a stream's events, each one's bytes (joined: `sent`)
        self.outcome = "open"        # open, complete, cut, aborted (the peer went away), hang
        self.done = threading.Event()

    @property
    def tag(self):
        return self.headers.get("x-stub-tag")

    @property
    def mode(self):
        return self.headers.get("x-stub-mode", "")

    @property
    def modes(self):
        """The comma-separated modes of `x-stub-mode` (`long,slow`: a long stream, slowly)."""
        return {m.strip() for m in self.mode.split(",") if m.strip()}

    def json(self):
        return json.loads(self.body) if self.body else None

    def __repr__(self):
        return f"<{self.method} {self.path} tag={self.tag} mode={self.mode} status={self.status} outcome={self.outcome}>"


class Stub:
    """The stub server on 127.0.0.1 (a free port); `close()` stops it and releases every hanging request."""
    def __init__(self, port=0):
        self.fixtures = load_fixtures()
        self.exchanges = []
        self.lock = threading.Lock()
        self.closing = threading.Event()
        stub = self

        class Handler(_Handler):
            pass
        Handler.stub = stub
        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 256   # 64 racing streams connect at once
        self.server = Server(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def record(self, method, path, headers, body):
        with self.lock:
            exchange = Exchange(len(self.exchanges), method, path, headers, body)
            self.exchanges.append(exchange)
            return exchange

    def find(self, tag):
        """The exchanges of requests sent with `x-stub-tag: tag`."""
        with self.lock:
            return [e for e in self.exchanges if e.tag == tag]

    def count(self):
        with self.lock:
            return len(self.exchanges)

    def expected(self, fixture_id):
        return dict(self.fixtures[fixture_id]["expected"])


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    stub = None

    def log_message(self, *args):
        pass

    # -- request plumbing
    def _read(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        return self.stub.record(self.command, self.path, headers, body)

    def do_GET(self):
        exchange = self._read()
        try:
            if self.path.split("?")[0] == "/v1/models":
                self._json(exchange, 200, {"object": "list", "data": [
                    {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"},
                    {"id": "text-embedding-3-small", "object": "model", "created": 1705948997, "owned_by": "system"}]})
            else:
                self._json(exchange, 404, openai_error("Unknown request URL: GET " + self.path, "invalid_request_error", "unknown_url"))
        finally:
            exchange.done.set()

    def do_POST(self):
        exchange = self._read()
        try:
            self._post(exchange)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, socket.timeout):
            exchange.outcome = "aborted"
            self.close_connection = True
        finally:
            exchange.done.set()

    def _post(self, exchange):
        path = self.path.split("?")[0]
        anthropic = path == "/v1/messages"
        if path not in ("/v1/chat/completions", "/v1/responses", "/v1/embeddings", "/v1/messages"):
            return self._json(exchange, 404, openai_error("Unknown request URL: POST " + path, "invalid_request_error", "unknown_url"))
        try:
            request = json.loads(exchange.body or b"{}")
        except ValueError:
            request = {}
        modes = exchange.modes
        if "hang" in modes:
            exchange.outcome = "hang"
            self.stub.closing.wait(300)
            self.close_connection = True
            return
        if "error500" in modes:
            body = (anthropic_error("api_error", "Internal server error") if anthropic else
                    openai_error("The server had an error while processing your request. Sorry about that!", "server_error", None))
            return self._json(exchange, 500, body)
        if "error400" in modes:
            body = (anthropic_error("invalid_request_error", "max_tokens: Field required") if anthropic else
                    openai_error("Invalid value for 'messages': expected an array.", "invalid_request_error", "invalid_value", "messages"))
            return self._json(exchange, 400, body)
        fixtures = self.stub.fixtures
        model = request.get("model")
        if path == "/v1/embeddings":
            inputs = request.get("input")
            count = len(inputs) if isinstance(inputs, list) and inputs and not isinstance(inputs[0], int) else 1
            return self._json(exchange, 200, {"object": "list", "model": model or "text-embedding-3-small",
                                              "data": [{"object": "embedding", "index": i, "embedding": [0.0023064255, -0.009327292, 0.015797347]}
                                                       for i in range(count)], "usage": EMBEDDINGS_USAGE})
        if path == "/v1/responses":
            usage = fixtures[RESPONSES]["body"]["usage"]
            return self._json(exchange, 200, {
                "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b", "object": "response", "created_at": 1741476542,
                "status": "completed", "error": None, "incomplete_details": None, "model": model or "o3-mini",
                "output": [{"type": "message", "id": "msg_67ccd2bf17f0819081ff3bb2cf6508e6", "status": "completed", "role": "assistant",
                            "content": [{"type": "output_text", "text": "The answer.", "annotations": []}]}],
                "parallel_tool_calls": True, "tool_choice": "auto", "tools": [], "usage": usage})
        if request.get("stream") is True:
            if "long" in modes:
                events = long_events(anthropic, int(exchange.headers.get("x-stub-chunks") or 2000), request)
            else:
                events = anthropic_events(fixtures) if anthropic else openai_events(fixtures, request)
            return self._stream(exchange, events)
        return self._json(exchange, 200, fixtures[MESSAGES if anthropic else CHAT]["body"])

    # -- answers
    def _head(self, exchange, status, headers):
        exchange.status = status
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def _json(self, exchange, status, body):
        data = json.dumps(body).encode()
        self._head(exchange, status, [("Content-Type", "application/json"), ("Content-Length", str(len(data))),
                                      ("x-request-id", f"req_stub_{exchange.number}"), ("openai-processing-ms", "7")])
        self.wfile.write(data)
        self.wfile.flush()
        exchange.sent += data
        exchange.outcome = "complete"

    def _stream(self, exchange, events):
        modes = exchange.modes
        delay = int(exchange.headers.get("x-stub-delay-ms") or 50) / 1000 if "slow" in modes else 0
        self._head(exchange, 200, [("Content-Type", "text/event-stream; charset=utf-8"), ("Transfer-Encoding", "chunked"),
                                   ("Cache-Control", "no-cache"), ("x-request-id", f"req_stub_{exchange.number}")])
        stop_at = len(events) // 2 if "cut" in modes else None
        for index, event in enumerate(events):
            if stop_at is not None and index == stop_at:
                exchange.outcome = "cut"
                self.close_connection = True
                self.wfile.flush()
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if delay and self.stub.closing.wait(delay):
                exchange.outcome = "aborted"
                self.close_connection = True
                return
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            self.wfile.flush()
            exchange.events.append(event)
            exchange.sent += event
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
        exchange.outcome = "complete"


def openai_error(message, kind, code, param=None):
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def anthropic_error(kind, message):
    return {"type": "error", "error": {"type": kind, "message": message}}


def wants_usage(request):
    options = request.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def openai_events(fixtures, request):
    """The OpenAI chat stream fixture as SSE events (`data: …\\n\\n`), its usage chunk only when asked for."""
    body = fixtures[CHAT_STREAM]["body"]
    events = [b"data: " + dumps(chunk).encode() + b"\n\n" for chunk in body["sse_data_events"]
              if wants_usage(request) or not (chunk.get("choices") == [] and chunk.get("usage") is not None)]
    return events + [body["terminator"].encode() + b"\n\n"]


def anthropic_events(fixtures):
    return [b"event: " + e["event"].encode() + b"\ndata: " + dumps(e["data"]).encode() + b"\n\n"
            for e in fixtures[MESSAGES_STREAM]["body"]["sse_events"]]


def long_events(anthropic, count, request):
    """`count` one-token content deltas, then the end of the stream with usage counting exactly them."""
    model = request.get("model") or ("claude-sonnet-4-5" if anthropic else "gpt-4o")
    if anthropic:
        def ev(name, data):
            return b"event: " + name.encode() + b"\ndata: " + dumps(data).encode() + b"\n\n"
        out = [ev("message_start", {"type": "message_start", "message": {
            "id": "msg_long", "type": "message", "role": "assistant", "content": [], "model": model, "stop_reason": None,
            "stop_sequence": None, "usage": {"input_tokens": LONG_PROMPT_TOKENS, "output_tokens": 1}}}),
               ev("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})]
        out += [ev("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": LONG_TOKEN}})
                for _ in range(count)]
        out += [ev("content_block_stop", {"type": "content_block_stop", "index": 0}),
                ev("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                     "usage": {"output_tokens": count}}),
                ev("message_stop", {"type": "message_stop"})]
        return out
    base = {"id": "chatcmpl-long", "object": "chat.completion.chunk", "created": 1723024761, "model": model,
            "system_fingerprint": "fp_stub"}
    def chunk(delta, finish=None):
        return b"data: " + dumps(dict(base, choices=[{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}])).encode() + b"\n\n"
    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"content": LONG_TOKEN}) for _ in range(count)]
    out.append(chunk({}, "stop"))
    if wants_usage(request):
        out.append(b"data: " + dumps(dict(base, choices=[], usage={
            "prompt_tokens": LONG_PROMPT_TOKENS, "completion_tokens": count, "total_tokens": LONG_PROMPT_TOKENS + count})).encode() + b"\n\n")
    return out + [b"data: [DONE]\n\n"]


# ----------------------------------------------------------------------------------------------- self-check
def self_check():
    """The real SDKs straight against the stub: parses, the recorded bytes equal what a raw client read."""
    import anthropic, httpx, openai
    failures = []
    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)
    with Stub() as stub:
        oa = openai.OpenAI(api_key="sk-stub", base_url=stub.base_url + "/v1", max_retries=0, timeout=10)
        an = anthropic.Anthropic(api_key="sk-ant-stub", base_url=stub.base_url, max_retries=0, timeout=10)
        chat = oa.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        check(chat.usage.prompt_tokens == 14 and chat.usage.completion_tokens == 37, "chat JSON parsed by openai")
        check(stub.exchanges[-1].headers.get("authorization") == "Bearer sk-stub", "the request's headers are recorded")
        chunks = list(oa.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True))
        check(len(chunks) == 9 and all(c.usage is None for c in chunks), "chat stream without include_usage: 9 chunks, no usage")
        chunks = list(oa.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True,
                                                 stream_options={"include_usage": True}))
        check(len(chunks) == 10 and chunks[-1].usage.prompt_tokens == 44, "chat stream with include_usage: the usage chunk last")
        resp = oa.responses.create(model="o3-mini", input="hi")
        check(resp.usage.output_tokens_details.reasoning_tokens == 1024, "responses parsed")
        emb = oa.embeddings.create(model="text-embedding-3-small", input="hi")
        check(emb.usage.prompt_tokens == 8, "embeddings parsed")
        check([m.id for m in oa.models.list()] == ["gpt-4o", "text-embedding-3-small"], "models listed")
        msg = an.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=[{"role": "user", "content": "hi"}])
        check(msg.usage.input_tokens == 406 and msg.usage.output_tokens == 50, "messages JSON parsed by anthropic")
        with an.messages.stream(model="claude-sonnet-4-5", max_tokens=100, messages=[{"role": "user", "content": "hi"}]) as s:
            final = s.get_final_message()
        check(final.usage.output_tokens == 6 and final.content[0].text == "Hello there!", "messages stream accumulated")
        # raw bytes: what a raw client reads equals what the stub recorded
        for path, body, headers in [
                ("/v1/chat/completions", {"model": "gpt-4o", "stream": True, "messages": []}, {"x-stub-tag": "raw1"}),
                ("/v1/messages", {"model": "c", "stream": True, "max_tokens": 5, "messages": []}, {"x-stub-tag": "raw2", "x-stub-mode": "slow", "x-stub-delay-ms": "5"}),
                ("/v1/chat/completions", {"model": "gpt-4o", "stream": True, "messages": [], "stream_options": {"include_usage": True}},
                 {"x-stub-tag": "raw3", "x-stub-mode": "long", "x-stub-chunks": "2000"})]:
            with httpx.stream("POST", stub.base_url + path, json=body, headers=headers, timeout=10) as r:
                got = b"".join(r.iter_raw())
            sent = stub.find(headers["x-stub-tag"])[0]
            sent.done.wait(5)
            check(got == bytes(sent.sent) and sent.outcome == "complete", f"{path} {headers.get('x-stub-mode', '')}: bytes read == bytes sent ({len(got)})")
        long = stub.find("raw3")[0]
        check(len(long.events) == 2004 and is_usage_chunk(long.events[-2]), "long: 2,000 deltas, the usage chunk before [DONE]")
        for mode, status in [("error500", 500), ("error400", 400)]:
            try:
                oa.chat.completions.create(model="gpt-4o", messages=[], extra_headers={"x-stub-mode": mode})
                check(False, f"{mode}: raises")
            except openai.APIStatusError as error:
                check(error.status_code == status, f"{mode}: openai raises {type(error).__name__}")
            try:
                an.messages.create(model="c", max_tokens=1, messages=[], extra_headers={"x-stub-mode": mode})
                check(False, f"{mode}: raises")
            except anthropic.APIStatusError as error:
                check(error.status_code == status, f"{mode}: anthropic raises {type(error).__name__}")
        try:
            list(oa.chat.completions.create(model="gpt-4o", messages=[], stream=True, extra_headers={"x-stub-mode": "cut"}))
            check(False, "cut: the SDK sees the connection end early")
        except (openai.APIError, httpx.HTTPError) as error:
            check(True, f"cut: the SDK sees the connection end early ({type(error).__name__})")
        started = time.monotonic()
        try:
            openai.OpenAI(api_key="k", base_url=stub.base_url + "/v1", max_retries=0, timeout=0.5).chat.completions.create(
                model="gpt-4o", messages=[], extra_headers={"x-stub-mode": "hang"})
            check(False, "hang: times out")
        except openai.APITimeoutError:
            check(time.monotonic() - started < 5, "hang: the SDK times out")
    print("self-check:", "FAILED " + "; ".join(failures) if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--self-check":
        sys.exit(self_check())
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        stub = Stub(int(sys.argv[2]))
        print(f"stub on {stub.base_url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            stub.close()
    else:
        print(__doc__)
