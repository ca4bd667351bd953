"""pace.py: every worker slows down when the API says 429, and fetches from YouTube wait their
turn while the cache's answers never do."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from conftest import MakeContext
from fakeapi import FakeMessagesAPI
from fakewire import Reply
from ytfakes import Returns, recorded_info, youtube_extractor

from ytvault.analysis.claude import ClaudeAnalyzer
from ytvault.analysis.pace import ApiPace
from ytvault.config.settings import Config
from ytvault.models import Transcript, Video
from ytvault.pipeline.run import sync
from ytvault.youtube.client import YouTubeClient
from ytvault.youtube.pace import FetchPace

FIXTURES = Path(__file__).parent / "fixtures"


class Clock:
    """A clock that moves only when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> bool:
        self.sleeps.append(seconds)
        self.now += seconds
        return False


def load(video_id: str) -> tuple[Video, Transcript]:
    folder = FIXTURES / "cache" / "videos" / video_id
    return (Video.from_info(json.loads((folder / "info.json").read_text())),
            Transcript.from_json(json.loads((folder / "transcript.json").read_text())))


# The API's pace: AIMD on the calls in flight, and a shared "not before".


@pytest.mark.unit
def test_a_429_halves_the_calls_in_flight_and_every_call_waits_out_retry_after() -> None:
    clock = Clock()
    pace = ApiPace(8, clock=clock)
    started = [pace.start() for _ in range(8)]
    assert pace.in_flight == 8

    pace.done(started[0], limited=True, retry_after=2.0)
    # the other calls sent before that answer came are over the limit too: one cut, not seven
    for at in started[1:4]:
        pace.done(at, limited=True, retry_after=2.0)

    assert pace.limit == 4 and pace.limited == 4
    assert pace.not_before == clock.now + 2.0
    clock.now += 2.0  # the wait is over
    for at in started[4:]:
        pace.done(at)
    # additive increase: one more call in flight after about `limit` good answers
    assert 4 < pace.limit < 5
    for _ in range(4):
        pace.done(pace.start())
    assert pace.limit >= 5
    # a 429 to a call sent after the cut cuts again
    late = pace.start()
    pace.done(late, limited=True)
    assert pace.limit < 3


class Watched(ApiPace):
    """An ApiPace that counts the calls to `start`, inside its lock: once the lock is ours
    again, every counted caller has either started its call or is waiting in `start`."""

    def __init__(self, ceiling: int, clock: Clock) -> None:
        super().__init__(ceiling, clock=clock)
        self.entered = 0

    def start(self) -> float:
        with self._cond:  # an RLock: `start` takes it again, and its wait lets it all go
            self.entered += 1
            return super().start()


def settle(pace: Watched, entered: int) -> None:
    """Until `entered` calls have come to `start` (a guard against a hang, not a timing)."""
    for _ in range(2000):
        with pace._cond:
            if pace.entered >= entered:
                return
        threading.Event().wait(0.005)
    raise AssertionError(f"{pace.entered} calls came to start, not {entered}")


@pytest.mark.unit
def test_a_call_over_the_limit_waits_for_one_in_flight_to_end() -> None:
    pace = Watched(1, Clock())
    first = pace.start()
    release = threading.Event()
    started: list[float] = []

    def second() -> None:
        started.append(pace.start())
        release.wait(10)
        pace.done(started[0])

    thread = threading.Thread(target=second)
    thread.start()
    settle(pace, 2)
    with pace._cond:  # the second caller is in `start`, and has not got past it
        assert pace.in_flight == 1 and started == []
    pace.done(first)
    for _ in range(2000):  # now it goes
        with pace._cond:
            if started:
                break
        threading.Event().wait(0.005)
    with pace._cond:
        assert started and pace.in_flight == 1
    release.set()
    thread.join(10)
    assert pace.in_flight == 0


def test_after_a_429_no_worker_calls_before_retry_after(api: FakeMessagesAPI) -> None:
    video, transcript = load("Yf1o0TQzry8")
    analyzer = ClaudeAnalyzer(Config(concurrency=4), "sk-test")
    clock = Clock()  # stands still: the retry-after ends only when the test moves it
    pace = analyzer.pace = Watched(4, clock)  # before the SDK client (and its middleware) is made
    api.script(Reply.error(429, retry_after=0.001))  # the SDK's own wait before its retry: 1 ms
    workers = [threading.Thread(target=analyzer.analyze, args=(video, transcript))]
    workers[0].start()
    settle(pace, 1)
    for _ in range(2000):  # until the 429 is back with the first worker
        with pace._cond:
            if pace.limited:
                break
        threading.Event().wait(0.005)
    workers.append(threading.Thread(target=analyzer.analyze, args=(video, transcript)))
    workers[1].start()  # another worker, right after it
    settle(pace, 3)  # the first worker's retry and the second worker's call are in `start`
    with pace._cond:
        # neither went before the wait the API asked for: the SDK alone holds back only the retry
        assert pace.limited == 1 and pace.not_before == clock.now + 0.001
        assert pace.in_flight == 0 and len(api.requests) == 1
        assert pace.limit == 2  # halved by the 429
        clock.now += 0.001  # the wait is over
        pace._cond.notify_all()
    for worker in workers:
        worker.join(30)
    assert len(api.requests) == 3  # the first worker's retry, and the second worker's call
    assert pace.limited == 1 and pace.limit < 4
    assert pace.in_flight == 0


# YouTube's pace: the first network fetch of each video waits its turn.


@pytest.mark.unit
def test_fetch_turns_are_a_pause_apart_and_only_once_per_video() -> None:
    clock = Clock()
    pace = FetchPace(3.0, sleep=clock.sleep, clock=clock, jitter=lambda low, high: high)
    assert pace.wait("aaaaaaaaaaa") and clock.sleeps == []  # the first goes at once
    assert pace.wait("aaaaaaaaaaa") and clock.sleeps == []  # its transcript: no second turn
    assert pace.wait("bbbbbbbbbbb") and clock.sleeps == [4.5]  # 3 s, +50% by the jitter
    clock.now += 10  # a long while later: no wait
    assert pace.wait("ccccccccccc") and clock.sleeps == [4.5]
    assert FetchPace(0.0, sleep=clock.sleep).wait("ddddddddddd") and clock.sleeps == [4.5]


@pytest.mark.unit
def test_a_stopping_run_cuts_the_wait_short() -> None:
    pace = FetchPace(600.0)
    assert pace.wait("aaaaaaaaaaa")
    waited: list[bool] = []
    waiter = threading.Thread(target=lambda: waited.append(pace.wait("bbbbbbbbbbb")))
    waiter.start()
    pace.halt()  # Ctrl-C: the second video's ten-minute turn is not waited out
    waiter.join(timeout=5)
    assert waited == [False]
    assert not pace.wait("ccccccccccc")


def test_sync_paces_the_videos_fetched_from_youtube_not_the_cached_ones(
        vault: Path, cache_dir: Path, make_context: MakeContext, tmp_path: Path) -> None:
    remote = ("fxShort001F", "fxLong00001", "fxHostile1D")
    for vid in remote:  # not in the cache: fetched from "YouTube"
        (cache_dir / "videos" / vid / "info.json").unlink()
    youtube = YouTubeClient(extractors=[
        youtube_extractor({vid: Returns(recorded_info(vid)) for vid in remote})])
    for n, vid in enumerate(("Yf1o0TQzry8", *remote, "fxGerman01C")):
        (vault / f"n{n}.md").write_text(f"https://youtu.be/{vid}\n")
    clock = Clock()
    config = Config(cache_dir=cache_dir, state_dir=tmp_path / "state", concurrency=1)
    ctx = make_context(analyzer=None, youtube=youtube, config=config,
                       fetch_pace=FetchPace(3.0, sleep=clock.sleep, clock=clock,
                                            jitter=lambda low, high: 1.0))

    outcomes = list(sync(ctx))

    assert [o.status for o in outcomes] == ["filled"] * 5
    assert clock.sleeps == [3.0, 3.0]  # before the 2nd and 3rd fetched videos; cached: none
    assert all((cache_dir / "videos" / vid / "info.json").is_file() for vid in remote)


def test_sync_paces_by_fetch_pause_seconds_by_default(
        vault: Path, cache_dir: Path, make_context: MakeContext, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    (cache_dir / "videos" / "fxShort001F" / "info.json").unlink()
    paces: list[tuple[float, str]] = []
    real_wait = FetchPace.wait

    def wait(self: FetchPace, video_id: str) -> bool:
        paces.append((self.pause, video_id))
        return real_wait(self, video_id)

    monkeypatch.setattr(FetchPace, "wait", wait)
    (vault / "a.md").write_text("https://youtu.be/fxShort001F\n")
    config = Config(cache_dir=cache_dir, state_dir=tmp_path / "state", fetch_pause_seconds=0.25)
    ctx = make_context(analyzer=None, youtube=YouTubeClient(extractors=[
        youtube_extractor({"fxShort001F": Returns(recorded_info("fxShort001F"))})]),
        config=config)

    assert [o.status for o in sync(ctx)] == ["filled"]
    assert paces == [(0.25, "fxShort001F")]  # the fetch went through the run's own pace


def test_the_fake_api_enforces_a_rate_limit_with_retry_after() -> None:
    import urllib.error
    import urllib.request

    with FakeMessagesAPI(rate_limit=1.0) as fake:
        body = json.dumps({"model": "m", "max_tokens": 10,
                           "messages": [{"role": "user", "content": "hi"}]}).encode()
        headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
        statuses, waits = [], []
        for _ in range(2):
            request = urllib.request.Request(f"{fake.base_url}/v1/messages", data=body,
                                             headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:
                    statuses.append(answer.status)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)
                waits.append(exc.headers["retry-after"])
    assert statuses == [200, 429] and waits == ["1"] and fake.limited == 1
