"""YouTube's pace, shared by every worker (`FetchPace`): the first network fetch of each video
waits for its turn, the turns `fetch_pause_seconds` apart (varied by half either way) so
YouTube does not block the IP; what the cache holds never waits.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable


class FetchPace:
    def __init__(self, pause: float, *, sleep: Callable[[float], object] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 jitter: Callable[[float, float], float] = random.uniform) -> None:
        """`sleep` returns truthy to cut the wait short (default: until `halt()`)."""
        self.pause = pause
        self._halted = threading.Event()
        self._sleep = sleep or self._halted.wait
        self._clock = clock
        self._jitter = jitter
        self._next = -math.inf
        self._admitted: set[str] = set()
        self._lock = threading.Lock()

    def wait(self, video_id: str) -> bool:
        """Wait for this video's turn to fetch from YouTube (at once when it had one already);
        False when the wait was cut short."""
        with self._lock:
            if self._halted.is_set():
                return False
            if video_id in self._admitted or self.pause <= 0:
                return True
            self._admitted.add(video_id)
            now = self._clock()
            turn = max(now, self._next)
            self._next = turn + self.pause * self._jitter(0.5, 1.5)
        return turn <= now or not (self._sleep(turn - now) or self._halted.is_set())

    def halt(self) -> None:
        """Cut every wait short, now and from now on: the run is stopping."""
        self._halted.set()
