"""The Anthropic API's rate limits, shared by every worker (`ApiPace`).

The SDK retries each call on its own; this makes all workers slow down together when the API
says 429 (rate limited) or 529 (overloaded), or asks for a wait over `MAX_RETRY_AFTER_SECONDS`:
every call after a `retry-after` waits it out, and the calls in flight are capped, the cap
halved on each of those and raised by one after as many answers as it holds (AIMD, as TCP
does), up to `concurrency`. A call that got no answer (a network error, a timeout) says nothing
about the limits and changes no cap.
"""


from __future__ import annotations

import email.utils
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anthropic import APIRequest, APIResponse, CallNext

# The SDK sleeps for whatever retry-after the API (or a gateway) asks, up to ~49 days. A worker
# asleep that long holds a concurrency slot and blocks a clean stop of the daemon, so above this
# we give up at once and the note is retried on a later scan.
MAX_RETRY_AFTER_SECONDS = 60.0

# The SDK's own retry rule (_base_client._should_retry): 408, 409, 429 and every 5xx.
RETRIED_STATUSES = frozenset({408, 409, 429})


class ApiPace:
    def __init__(self, ceiling: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = float(self.ceiling)  # calls allowed in flight
        self.not_before = -math.inf  # no call starts before this (clock time)
        self.in_flight = 0
        self.limited = 0  # 429s seen
        self._clock = clock
        self._cut_at = -math.inf  # when the limit was last halved
        self._cond = threading.Condition()

    def start(self) -> float:
        """Wait for a free place and for any `retry-after` to pass; returns the call's start,
        to hand back to `done`."""
        with self._cond:
            while True:
                now = self._clock()
                if now < self.not_before:
                    self._cond.wait(self.not_before - now)
                elif self.in_flight >= int(self.limit):
                    self._cond.wait()
                else:
                    self.in_flight += 1
                    return now

    def done(self, started: float, *, limited: bool = False, retry_after: float | None = None,
             answered: bool = True) -> None:
        """A call ended: `limited` when its answer said to slow down (with its `retry-after`);
        not `answered` when no answer came (the connection failed)."""
        with self._cond:
            self.in_flight -= 1
            now = self._clock()
            if limited:
                self.limited += 1
                if retry_after is not None and retry_after > 0:
                    self.not_before = max(self.not_before, now + retry_after)
                if started > self._cut_at:  # calls sent before the last cut do not cut again
                    self.limit = max(1.0, self.limit / 2)
                    self._cut_at = now
            elif answered:
                self.limit = min(float(self.ceiling), self.limit + 1 / self.limit)
            self._cond.notify_all()


class LongWait(Exception):
    """Raised from the SDK's middleware; not an SDK error type, so the SDK does not retry it."""

    def __init__(self, status: int, seconds: float) -> None:
        super().__init__(f"{status}: retry after {seconds:g} s")
        self.status, self.seconds = status, seconds


def paced(pace: ApiPace) -> Callable[[APIRequest, CallNext], APIResponse[Any]]:
    """The SDK middleware every attempt at a Messages call passes: it waits for its turn
    (pace.py) and tells the pace how it went; a 429 or 529 slows every worker down."""

    def middleware(request: APIRequest, call_next: CallNext) -> APIResponse[Any]:
        if request.options.url != "/v1/messages":  # a batch's calls: polled, not paced
            return refuse_long_waits(request, call_next)
        started = pace.start()
        slow_down, wait, answered = False, None, False
        try:
            response = refuse_long_waits(request, call_next)
            answered = True
            slow_down = response.status_code in (429, 529)
            wait = retry_after(response.headers) if slow_down else None
            return response
        except LongWait as exc:
            slow_down, wait = True, MAX_RETRY_AFTER_SECONDS  # all wait, none for longer
            raise exc from None
        finally:
            pace.done(started, limited=slow_down, retry_after=wait, answered=answered)

    return middleware


def refuse_long_waits(request: APIRequest, call_next: CallNext) -> APIResponse[Any]:
    response = call_next(request)
    status = response.status_code
    if status in RETRIED_STATUSES or status >= 500:
        wait = retry_after(response.headers)
        if wait is not None and wait > MAX_RETRY_AFTER_SECONDS:
            response.http_response.close()
            raise LongWait(status, wait)
    return response


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The wait a response asks for, read as the SDK reads it (retry-after-ms first)."""
    try:
        return float(headers["retry-after-ms"]) / 1000
    except (KeyError, TypeError, ValueError):
        pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        date = email.utils.parsedate_tz(value)
        return None if date is None else email.utils.mktime_tz(date) - time.time()
