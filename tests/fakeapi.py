"""A local HTTP server that speaks the Anthropic Messages API, for offline tests and benchmarks.

The real SDK talks to it over the network (its transport, httpx2, is not intercepted by respx);
scripted replies (`Reply`) and the wire format are in fakewire.py, the model in fakemodel.py:

    with FakeMessagesAPI() as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        api.script(Reply.error(429, retry_after=0.001), Reply.refusal())
        ...                                 # then the default answer, built from the request
        assert len(api.requests) == 3       # (path, headers, body) of every request

It serves the Message Batches API too (`/v1/messages/batches`: create, retrieve, results as
JSONL, cancel): a batch ends at its `batch_polls`-th retrieve, and its requests are answered
then, each as a Messages request would be (scripted replies first). Usage counts prompt
caching: a prefix up to a `cache_control` breakpoint, once seen and at least
`cache_min_tokens` long, is read from the cache by the requests that repeat it.

As a model it follows what Anthropic documents for the 5.x models (fakemodel.py): adaptive
thinking on by default and taken out of `max_tokens`, a denser tokenizer, answers sized to the
request and cut at `max_tokens`, the 400s for what those models refuse. `"stream": true` is
answered with server-sent events (thinking deltas, then text deltas), as the SDK reads them.

A request the real API would refuse (400) is a bug in ytvault: leaving the `with` block raises
AssertionError when there was one, unless the test said it expects them
(`api.expect_refusals()`). `thinking_scale` makes the model think more (or less) than usual.

Standalone: `python tests/fakeapi.py --port 8765 [--delay 1.5]` prints its base URL.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import re
import sys
import threading
import time
from collections import deque
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

from fakemodel import (
    count_tokens,
    cut_to_tokens,
    default_answer,
    refusal,
    request_tokens,
    thinking_block,
    thinking_tokens,
)
from fakewire import Reply, error_body, iso, request_key, sse_events


class Recorded(NamedTuple):
    path: str
    headers: dict[str, str]  # names in lower case
    body: Any  # the parsed JSON, or the raw text when it was not JSON


class FakeMessagesAPI:
    """`with FakeMessagesAPI() as api:` serves on 127.0.0.1 at `api.base_url` until the block ends.

    `api_key`: when set, any other key is refused with 401. `delay`: seconds every answer
    waits (for latency benchmarks). Scripted replies (`script()`) are used first, in order;
    then each request gets the default answer (`default_reply()`).
    """

    def __init__(self, *, port: int = 0, api_key: str | None = None, delay: float = 0.0,
                 rate_limit: float = 0.0, batch_polls: int = 1,
                 cache_min_tokens: int = 1024, thinking_scale: float = 1.0) -> None:
        self.api_key = api_key
        self.thinking_scale = thinking_scale
        self.refused: list[str] = []  # the 400s answered to requests the real API refuses
        self._refusals_expected = False
        self.delay = delay
        self.batch_polls = batch_polls  # a batch ends at its batch_polls-th retrieve
        self.cache_min_tokens = cache_min_tokens
        self.batches: dict[str, dict[str, Any]] = {}  # id → {"batch", "requests", "results"}
        self._cached: set[str] = set()  # prompt prefixes in the cache
        self.rate_limit = rate_limit  # Messages requests a second; over it: 429 (0: no limit)
        self.limited = 0  # requests answered 429 by the rate limit
        self._tokens = max(1.0, rate_limit)
        self._refilled = time.monotonic()
        self.requests: list[Recorded] = []
        self.times: list[float] = []  # time.monotonic() at each of `requests`
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = _Server(("127.0.0.1", port), _handler_for(self))
        # A short poll keeps shutdown() (every test's teardown) from waiting the default 0.5 s.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._script)

    @property
    def message_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/v1/messages"]

    @property
    def batch_creates(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/v1/messages/batches"]

    def __enter__(self) -> FakeMessagesAPI:
        self._thread.start()
        return self

    def expect_refusals(self) -> None:
        """This test sends requests the real API refuses, on purpose."""
        self._refusals_expected = True

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        if exc_type is None and self.refused and not self._refusals_expected:
            raise AssertionError(f"the fake API refused {len(self.refused)} request(s) as the "
                                 f"real one would; the first: {self.refused[0]}")

    def serve_forever(self) -> None:
        self._server.serve_forever()

    # What the handler asks of us.

    def _next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def _take(self, path: str, headers: dict[str, str], body: Any, *,
              in_batch: bool = False) -> Reply:
        problem = _invalid(path, headers, body, self.api_key)
        with self._lock:
            if not in_batch:  # a batch's requests are in its create call's record
                self.requests.append(Recorded(path, headers, body))
                self.times.append(time.monotonic())
            # A malformed request is answered 400 and leaves the script for the next one.
            if problem is not None:
                if problem.status == 400 and problem.error_body:
                    self.refused.append(str(problem.error_body["message"]))
                return problem
            scripted = self._script.popleft() if self._script else None
            if scripted is None and self.rate_limit and not in_batch:
                scripted = self._over_limit()
        return scripted or default_reply(body)

    def _usage(self, body: dict[str, Any], output_tokens: int) -> dict[str, int]:
        """Tokens (fakemodel's tokenizer), with the prefixes up to each cache_control
        breakpoint written to, or read from, the cache."""
        total = request_tokens(body)
        blocks: list[Any] = [body.get("model")]
        marks: list[tuple[str, int]] = []  # (prefix key, tokens) at each breakpoint
        tokens = 0
        system = body.get("system")
        contents = [system] if isinstance(system, (str, list)) else []
        contents += [m.get("content") for m in body.get("messages") or ()]
        for content in contents:
            for block in content if isinstance(content, list) else [content]:
                blocks.append(block)
                text = block.get("text", "") if isinstance(block, dict) else str(block)
                tokens += count_tokens(str(text)) + 4
                if isinstance(block, dict) and block.get("cache_control"):
                    marks.append((json.dumps(blocks, sort_keys=True), tokens))
        read = written = 0
        with self._lock:
            for prefix, size in marks:
                if prefix in self._cached:
                    read = size
                elif size >= self.cache_min_tokens:
                    self._cached.add(prefix)
                    written = size - read
        return {"input_tokens": max(0, total - read - written),
                "output_tokens": max(1, output_tokens),
                "cache_creation_input_tokens": written, "cache_read_input_tokens": read}

    # The Message Batches API.

    def _batch_call(self, method: str, path: str, headers: dict[str, str], body: Any
                    ) -> tuple[int, Any]:
        """(status, JSON payload, or the results' JSONL as str) of a batch endpoint."""
        with self._lock:
            self.requests.append(Recorded(path, headers, body))
            self.times.append(time.monotonic())
        sent = request_key(headers)
        if not sent or (self.api_key is not None and sent != self.api_key):
            return 401, error_body("authentication_error", "invalid x-api-key")
        parts = path.strip("/").split("/")[3:]  # after v1/messages/batches
        if method == "POST" and not parts:
            requests = body.get("requests") if isinstance(body, dict) else None
            ids = [r.get("custom_id") for r in requests or () if isinstance(r, dict)]
            if not requests or len(set(ids)) != len(requests) or not all(
                    isinstance(i, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", i) for i in ids):
                return 400, error_body("invalid_request_error", "requests: a list of requests, "
                                   "each with a unique custom_id ([a-zA-Z0-9_-]{1,64})")
            bid = f"msgbatch_fake{self._next_id():06d}"
            now = time.time()
            batch = {"id": bid, "type": "message_batch", "processing_status": "in_progress",
                     "request_counts": {"processing": len(requests), "succeeded": 0,
                                        "errored": 0, "canceled": 0, "expired": 0},
                     "created_at": iso(now), "expires_at": iso(now + 86400),
                     "ended_at": None, "archived_at": None, "cancel_initiated_at": None,
                     "results_url": None}
            self.batches[bid] = {"batch": batch, "requests": requests, "headers": headers,
                                 "polls": 0, "results": None}
            return 200, batch
        entry = self.batches.get(parts[0]) if parts else None
        if entry is None:
            return 404, error_body("not_found_error", f"Not found: {path}")
        if method == "GET" and len(parts) == 1:
            entry["polls"] += 1
            if entry["polls"] >= self.batch_polls and entry["results"] is None:
                self._end_batch(entry)
            return 200, entry["batch"]
        if method == "GET" and parts[1:] == ["results"] and entry["results"] is not None:
            return 200, "".join(json.dumps(r) + "\n" for r in reversed(entry["results"]))
        if method == "POST" and parts[1:] == ["cancel"]:
            if entry["results"] is None:
                entry["canceled"] = True
                self._end_batch(entry)
            return 200, entry["batch"]
        return 404, error_body("not_found_error", f"Not found: {path}")

    def _end_batch(self, entry: dict[str, Any]) -> None:
        """Answer every request of the batch, as the Messages API would (in request order;
        the results file lists them in another)."""
        results = []
        counts = dict.fromkeys(("processing", "succeeded", "errored", "canceled", "expired"), 0)
        for request in entry["requests"]:
            params = request.get("params")
            reply = (Reply(batch_result="canceled") if entry.get("canceled")
                     else self._take("/v1/messages", entry["headers"], params, in_batch=True))
            if reply.batch_result is not None:
                result: dict[str, Any] = {"type": reply.batch_result}
            elif reply.error_body is not None or reply.drop:
                error = reply.error_body or {"type": "api_error", "message": "dropped"}
                result = {"type": "errored", "error": {"type": "error", "error": error}}
            else:
                message = _message(self, params, reply)
                message["usage"]["service_tier"] = "batch"
                result = {"type": "succeeded", "message": message}
            counts[result["type"]] += 1
            results.append({"custom_id": request["custom_id"], "result": result})
        entry["results"] = results
        entry["batch"].update(processing_status="ended", request_counts=counts,
                              ended_at=iso(time.time()),
                              results_url=f"{self.base_url}/v1/messages/batches/"
                                          f"{entry['batch']['id']}/results")


    def _over_limit(self) -> Reply | None:
        """A token bucket of `rate_limit` requests a second (as deep): 429 with the wait, in
        whole seconds as the real API sends it, when it is empty."""
        now = time.monotonic()
        self._tokens = min(max(1.0, self.rate_limit),
                           self._tokens + (now - self._refilled) * self.rate_limit)
        self._refilled = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        self.limited += 1
        wait = math.ceil((1 - self._tokens) / self.rate_limit)
        return replace(Reply.error(429, message="Number of requests has exceeded your rate "
                                   "limit", headers={"retry-after": str(wait)}), immediate=True)


def default_reply(body: dict[str, Any]) -> Reply:
    """The model's own answer to a request (fakemodel.default_answer)."""
    return Reply.text(default_answer(body))


def _invalid(path: str, headers: dict[str, str], body: Any, key: str | None) -> Reply | None:
    """The error the real API would answer to a malformed request, or None."""
    if path != "/v1/messages":
        return Reply.error(404, message=f"Not found: {path}")
    sent = request_key(headers)
    if not sent:
        return Reply.error(401, message="x-api-key or authorization header is required")
    if key is not None and sent != key:
        return Reply.error(401, message="invalid x-api-key")
    if not headers.get("anthropic-version"):
        return Reply.error(400, message="anthropic-version: header is required")
    if not isinstance(body, dict):
        return Reply.error(400, message="The request body is not valid JSON.")
    if not isinstance(body.get("model"), str) or not body["model"]:
        return Reply.error(400, message="model: Field required")
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        return Reply.error(400, message="max_tokens: Field required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(
        isinstance(m, dict) and m.get("role") in ("user", "assistant") and m.get("content")
        for m in messages
    ):
        return Reply.error(400, message="messages: at least one message is required")
    fmt = (body.get("output_config") or {}).get("format")
    if fmt is not None and (fmt.get("type") != "json_schema"
                            or not isinstance(fmt.get("schema"), dict)):
        return Reply.error(400, message="output_config.format: a json_schema with a schema")
    problem = refusal(body)
    return Reply.error(400, message=problem) if problem else None


def _message(api: FakeMessagesAPI, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    """The message the model answers with: its thinking first, then the text, both out of
    `max_tokens`; what does not fit is cut off there."""
    text, stop = reply.answer or "", reply.stop_reason
    think = (reply.thinking if reply.thinking is not None
             else thinking_tokens(body, api.thinking_scale) if stop != "refusal" else 0)
    limit = body["max_tokens"]
    content: list[dict[str, Any]] = []
    if think:
        content.append(thinking_block(min(think, limit)))
    room = limit - think
    size = count_tokens(text)
    if size > room:
        text, stop, used = cut_to_tokens(text, max(0, room)), "max_tokens", limit
    else:
        used = think + size
    if text:
        content.append({"type": "text", "text": text})
    return {
        "id": f"msg_fake{api._next_id():06d}",
        "type": "message",
        "role": "assistant",
        "model": body.get("model"),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": api._usage(body, used),
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) leaves a broken pipe: expected, not news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(api: FakeMessagesAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                body: Any = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            headers = {k.lower(): v for k, v in self.headers.items()}
            path = self.path.split("?")[0]
            if path.startswith("/v1/messages/batches"):
                self._send(*api._batch_call("POST", path, headers, body), {})
                return
            reply = api._take(path, headers, body)
            if reply.delay or (api.delay and not reply.immediate):
                time.sleep(reply.delay or api.delay)
            if reply.drop:
                self.close_connection = True
                self.connection.close()
                return
            if reply.raw is not None:  # a malformed answer, sent as it is
                self._send(reply.status, reply.raw,
                           {"content-type": reply.content_type, **reply.headers})
            elif reply.error_body is not None:
                error = reply.error_body
                if reply.echo_header is not None:  # a gateway that repeats a request header
                    error = {**error, "message": f"{error['message']} "
                                                 f"{headers.get(reply.echo_header, '')!r}"}
                self._send(reply.status, {"type": "error", "error": error}, reply.headers)
            elif isinstance(body, dict) and body.get("stream"):
                events = sse_events(_message(api, body, reply), reply.stream_error)
                self._send(reply.status, events,
                           {**reply.headers, "content-type": "text/event-stream"})
            else:
                self._send(reply.status, _message(api, body, reply), reply.headers)

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            path = self.path.split("?")[0]
            if path.startswith("/v1/messages/batches"):
                self._send(*api._batch_call("GET", path, headers, None), {})
                return
            api._take(self.path, headers, None)
            self._send(404, {"type": "error", "error": {"type": "not_found_error",
                                                        "message": f"Not found: {self.path}"}}, {})

        def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
            raw = isinstance(payload, str)  # a batch's results file, a stream's events
            data = (payload if raw else json.dumps(payload, ensure_ascii=False)).encode()
            self.send_response(status)
            if "content-type" not in headers:
                self.send_header("content-type",
                                 "application/binary" if raw else "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", f"req_fake{api._next_id():06d}")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the test output is no place for an access log

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every answer")
    parser.add_argument("--api-key", default=None, help="refuse every other key with 401")
    parser.add_argument("--rate-limit", type=float, default=0.0,
                        help="Messages requests a second; over it, 429 with retry-after")
    args = parser.parse_args()
    api = FakeMessagesAPI(port=args.port, api_key=args.api_key, delay=args.delay,
                          rate_limit=args.rate_limit)
    print(api.base_url, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        api.serve_forever()


if __name__ == "__main__":
    main()
