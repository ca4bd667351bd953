"""The Messages API's wire format for the fake server (fakeapi.py): scripted replies, error
bodies, the key a request carries, and a message as the server-sent events of a stream."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

# The error type the real API sends with each status.
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class Reply:
    """One scripted answer. Build with the class methods."""

    status: int = 200
    answer: str | None = None  # the message's text block; None for errors and drops
    stop_reason: str = "end_turn"
    error_body: dict[str, Any] | None = None  # the "error" object of an error answer
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    drop: bool = False  # close the connection without an answer
    batch_result: str | None = None  # in a batch: "expired" or "canceled" instead of an answer
    immediate: bool = False  # answered at once, whatever the server's `delay` (a rate limit)
    thinking: int | None = None  # tokens the model thinks first; None: as the request makes it
    raw: str | None = None  # a body sent as it is, with `content_type` (a malformed answer)
    content_type: str = "application/json"
    echo_header: str | None = None  # a request header whose value the error message repeats
    stream_error: str | None = None  # a streamed answer breaks off with this error type

    @classmethod
    def analysis(
        cls, data: dict[str, Any], *, stop_reason: str = "end_turn", delay: float = 0.0,
        thinking: int | None = None,
    ) -> Reply:
        return cls.text(json.dumps(data, ensure_ascii=False), stop_reason=stop_reason, delay=delay,
                        thinking=thinking)

    @classmethod
    def text(cls, text: str, *, stop_reason: str = "end_turn", delay: float = 0.0,
             thinking: int | None = None) -> Reply:
        return cls(answer=text, stop_reason=stop_reason, delay=delay, thinking=thinking)

    @classmethod
    def refusal(cls) -> Reply:
        return cls(answer="", stop_reason="refusal")

    @classmethod
    def error(
        cls,
        status: int,
        type: str | None = None,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> Reply:
        """An API error. `retry_after` (seconds) is sent as `retry-after` (whole seconds, as the
        real API does) and `retry-after-ms`, which the SDK reads first. The SDK ignores a wait of
        0 and backs off 0.5 s, 1 s, 2 s… instead: pass 0.001 for a fast test."""
        kind = type or ERROR_TYPES.get(status, "api_error")
        extra = dict(headers or {})
        if retry_after is not None:
            extra["retry-after"] = str(math.ceil(retry_after))
            extra["retry-after-ms"] = f"{retry_after * 1000:g}"
        body = {"type": kind, "message": message or f"fake {kind} ({status})"}
        return cls(status=status, error_body=body, headers=extra, delay=delay)

    @classmethod
    def malformed(cls, kind: str) -> Reply:
        """A 200 answer that is not a message, as a faulty gateway or proxy sends: `not-json`
        (a cut-off body), `html` (an HTML page), `no-usage` (a message without `usage`) or
        `error-object` (an error, with status 200)."""
        message = {"id": "msg_fake_malformed", "type": "message", "role": "assistant",
                   "model": "claude-fake", "content": [{"type": "text", "text": "{}"}],
                   "stop_reason": "end_turn", "stop_sequence": None}
        bodies = {
            "not-json": ('{"id": "msg_fake_malformed", "type": "message", "content": [{"ty',
                         "application/json"),
            "html": ("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
            "no-usage": (json.dumps(message), "application/json"),
            "error-object": (json.dumps(error_body("overloaded_error", "Overloaded")),
                             "application/json"),
        }
        body, content_type = bodies[kind]
        return cls(raw=body, content_type=content_type)

    @classmethod
    def echo(cls, status: int = 401, header: str = "authorization") -> Reply:
        """An error whose message repeats a request header, as some gateways do with the
        `Authorization` header of a request they refuse."""
        return replace(cls.error(status, message=f"refused; the request's {header} was"),
                       echo_header=header)

    @classmethod
    def error_mid_stream(cls, kind: str = "overloaded_error") -> Reply:
        """A streamed answer that starts (200, `message_start`) and then breaks off with an
        `error` event, as the API documents for errors that come after the headers."""
        return cls(answer="", stream_error=kind)

    @classmethod
    def disconnect(cls, *, delay: float = 0.0) -> Reply:
        """Close the connection without answering: the SDK sees a connection error."""
        return cls(drop=True, delay=delay)


def iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def request_key(headers: dict[str, str]) -> str | None:
    """The key a request carries: SDK 2.x sends `authorization: Bearer`, older ones `x-api-key`."""
    bearer = headers.get("authorization", "")
    if bearer.lower().startswith("bearer "):
        return bearer[7:].strip() or None
    return headers.get("x-api-key") or None


def sse_events(message: dict[str, Any], error: str | None = None) -> str:
    """`message` as the server-sent events of a streamed answer, in the API's order; with
    `error` (an error type), the stream breaks off with that error after `message_start`."""
    def event(kind: str, data: dict[str, Any]) -> str:
        return f"event: {kind}\ndata: {json.dumps({'type': kind, **data}, ensure_ascii=False)}\n\n"

    usage = message["usage"]
    start = {**message, "content": [], "stop_reason": None,
             "usage": {**usage, "output_tokens": 1}}
    out = [event("message_start", {"message": start})]
    if error is not None:
        out.append(event("error", {"error": {"type": error, "message": error.replace("_", " ")}}))
        return "".join(out)
    for index, block in enumerate(message["content"]):
        if block["type"] == "thinking":
            out.append(event("content_block_start", {"index": index, "content_block": {
                "type": "thinking", "thinking": "", "signature": ""}}))
            out += [event("content_block_delta", {"index": index, "delta": {
                "type": "thinking_delta", "thinking": piece}}) for piece in pieces(
                block["thinking"])]
            out.append(event("content_block_delta", {"index": index, "delta": {
                "type": "signature_delta", "signature": block["signature"]}}))
        else:
            out.append(event("content_block_start", {"index": index, "content_block": {
                "type": "text", "text": ""}}))
            out += [event("content_block_delta", {"index": index, "delta": {
                "type": "text_delta", "text": piece}}) for piece in pieces(block["text"])]
        out.append(event("content_block_stop", {"index": index}))
    out.append(event("message_delta", {
        "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
        "usage": usage}))
    out.append(event("message_stop", {}))
    return "".join(out)


def pieces(text: str, size: int = 200) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]
