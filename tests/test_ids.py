"""Every URL form people paste → the video id; everything else → None."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ytvault.note.ids import (
    find_urls,
    is_playlist_id,
    is_video_id,
    pasted,
    playlist_id,
    video_id,
)

pytestmark = pytest.mark.unit

ID = "dQw4w9WgXcQ"
ODD = "a-_9Zz0b_1-"  # every id character class, ending in `-`

ACCEPTED = [
    f"https://www.youtube.com/watch?v={ID}",
    f"https://www.youtube.com/watch?v={ID}&t=42s",
    f"https://www.youtube.com/watch?v={ID}&list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf&index=3",
    f"https://www.youtube.com/watch?v={ID}&si=AbCdEfGhIjKlMnOp",
    f"https://www.youtube.com/watch?v={ID}&feature=youtu.be",
    f"https://www.youtube.com/watch?v={ID}&pp=ygUJcmljayByb2xs",
    f"https://www.youtube.com/watch?app=desktop&v={ID}",
    f"https://www.youtube.com/watch?feature=share&t=10&v={ID}&ab_channel=Rick",
    f"https://www.youtube.com/watch?v={ID}&amp;t=10",
    f"https://www.youtube.com/watch?v={ID}#t=30",
    f"https://www.youtube.com/watch/?v={ID}",
    f"https://youtu.be/{ID}",
    f"https://youtu.be/{ID}?si=AbCdEfGhIjKlMnOp&t=12",
    f"https://youtu.be/{ID}?t=12",
    f"https://youtu.be/{ID}/",
    f"https://www.youtube.com/shorts/{ID}",
    f"https://youtube.com/shorts/{ID}?feature=share",
    f"https://www.youtube.com/shorts/{ID}/",
    f"https://www.youtube.com/live/{ID}",
    f"https://www.youtube.com/live/{ID}?si=AbCdEf&t=120",
    f"https://www.youtube.com/embed/{ID}",
    f"https://www.youtube.com/embed/{ID}?start=30&autoplay=1",
    f"https://www.youtube.com/v/{ID}",
    f"https://www.youtube.com/v/{ID}?version=3",
    f"https://m.youtube.com/watch?v={ID}",
    f"https://m.youtube.com/shorts/{ID}",
    f"https://music.youtube.com/watch?v={ID}&list=RDAMVM{ID}",
    f"https://youtube.com/watch?v={ID}",
    f"youtube.com/watch?v={ID}",
    f"www.youtube.com/watch?v={ID}",
    f"youtu.be/{ID}",
    f"m.youtube.com/watch?v={ID}&t=1",
    f"http://www.youtube.com/watch?v={ID}",
    f"http://youtu.be/{ID}",
    f"//www.youtube.com/embed/{ID}",
    f"https://www.youtube-nocookie.com/embed/{ID}",
    f"https://youtube-nocookie.com/embed/{ID}?rel=0",
    f"HTTPS://WWW.YOUTUBE.COM/watch?v={ID}",
    f"https://www.YouTube.com/watch?v={ID}",
    f"https://youtube.com:443/watch?v={ID}",
    f"  https://youtu.be/{ID}\n",
    # as phone keyboards write it
    f"https://YouTu.be/{ID}",
    f"Youtu.be/{ID}",
    f"https://M.YouTube.com/watch?v={ID}",
    # the EU consent page's address, the video's percent-encoded in `continue`
    f"https://consent.youtube.com/m?continue=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3D{ID}"
    "%26cbrd%3D1&gl=DE&m=0&pc=yt&cm=2&hl=de&src=1",
    f"https://consent.youtube.com/ml?continue=https://www.youtube.com/watch?v%3D{ID}&gl=FR",
    f"consent.youtube.com/m?continue=https%3A%2F%2Fyoutu.be%2F{ID}%3Fsi%3Dx",
    f"https://consent.youtube.com/m?continue=https%3A%2F%2Fm.youtube.com%2Fshorts%2F{ID}",
    # old share links: a path on youtube.com in `u`
    f"https://www.youtube.com/attribution_link?a=JdfC0C9V6ZI&u=%2Fwatch%3Fv%3D{ID}"
    "%26feature%3Dshare",
    f"http://www.youtube.com/attribution_link?u=/watch?v%3D{ID}%26feature%3Dshare",
    f"https://m.youtube.com/attribution_link?u=%2Fwatch%3Fv%3D{ID}&a=x",
]

REJECTED = [
    "",
    "not a url",
    "https://www.youtube.com/",
    "https://www.youtube.com/watch",
    "https://www.youtube.com/watch?v=",
    "https://www.youtube.com/watch?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf",
    "https://www.youtube.com/playlist?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf",
    "https://www.youtube.com/@RickAstleyYT",
    "https://www.youtube.com/@RickAstleyYT/videos",
    "https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw",
    "https://www.youtube.com/c/RickAstley",
    "https://www.youtube.com/user/RickAstleyVEVO",
    "https://www.youtube.com/results?search_query=rick+astley",
    "https://www.youtube.com/feed/subscriptions",
    "https://www.youtube.com/embed/videoseries?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf",
    "https://www.youtube.com/embed/live_stream?channel=UCuAXFkgsw1L7xaCfnd5JJOw",
    f"https://www.youtube.com/watch?v={ID[:10]}",  # too short
    f"https://www.youtube.com/watch?v={ID}X",  # too long
    f"https://www.youtube.com/watch?v={ID[:10]}!",  # wrong character
    f"https://youtu.be/{ID[:10]}",
    f"https://youtu.be/{ID}X",
    f"https://youtu.be/{ID}/extra",
    f"https://www.youtube.com/shorts/{ID}/extra",
    f"https://www.youtube.com/shorts/{ID[:9]}",
    f"https://www.youtube.com/watch?v={ID[:5]}%20{ID[6:]}",
    f"https://youtu.be/watch?v={ID}",  # youtu.be has no /watch
    f"https://www.youtube-nocookie.com/watch?v={ID}",  # nocookie only embeds
    f"https://youtube.com.evil.example/watch?v={ID}",
    f"https://evilyoutube.com/watch?v={ID}",
    f"https://youtube.com-evil.example/watch?v={ID}",
    f"https://youtu.be.evil.example/{ID}",
    f"https://notyoutu.be/{ID}",
    f"https://evil.youtube.com/watch?v={ID}",  # not a host we know
    f"https://youtube.co/watch?v={ID}",
    f"https://www.youtube.com@evil.example/watch?v={ID}",
    f"https://user@youtube.com/watch?v={ID}",
    f"https://user:pw@youtu.be/{ID}",
    f"https://evil.example/?u=https://youtu.be/{ID}",
    f"https://evil.example/youtube.com/watch?v={ID}",
    f"https://youtube.com:8080/watch?v={ID}",
    f"https://youtube.com:notaport/watch?v={ID}",
    f"ftp://youtube.com/watch?v={ID}",
    f"javascript://youtube.com/watch?v={ID}",
    f"https://y\u043eutube.com/watch?v={ID}",  # a Cyrillic o
    f"https://www.youtube.com/watch?vv={ID}",
    "http://[::1/watch",
    # a consent page or share link leads only where its own table allows: a YouTube video
    f"https://consent.youtube.com/m?continue=https%3A%2F%2Fevil.example%2Fwatch%3Fv%3D{ID}",
    f"https://consent.youtube.com/m?continue=https%3A%2F%2Fyoutube.com.evil.example"
    f"%2Fwatch%3Fv%3D{ID}",
    f"https://consent.youtube.com.evil.example/m?continue=https%3A%2F%2Fwww.youtube.com"
    f"%2Fwatch%3Fv%3D{ID}",
    f"https://evilconsent.youtube.com/m?continue=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3D{ID}",
    f"https://consent.youtube.com/watch?v={ID}",  # the consent host has no videos of its own
    f"https://consent.youtube.com/m?other=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3D{ID}",
    f"https://www.youtube.com/attribution_link?u=//evil.example/watch%3Fv%3D{ID}",
    f"https://www.youtube.com/attribution_link?u=https%3A%2F%2Fevil.example%2Fwatch%3Fv%3D{ID}",
    f"https://youtube.com.evil.example/attribution_link?u=%2Fwatch%3Fv%3D{ID}",
    f"https://youtu.be/attribution_link?u=%2Fwatch%3Fv%3D{ID}",
    # a redirect inside a redirect: never followed
    "https://consent.youtube.com/m?continue=https%3A%2F%2Fwww.youtube.com%2Fattribution_link"
    f"%3Fu%3D%252Fwatch%253Fv%253D{ID}",
    "https://consent.youtube.com/m?continue=https%3A%2F%2Fconsent.youtube.com%2Fm%3Fcontinue"
    f"%3Dhttps%253A%252F%252Fyoutu.be%252F{ID}",
]


@pytest.mark.parametrize("url", ACCEPTED)
def test_accepted_forms_give_the_id(url: str) -> None:
    assert video_id(url) == ID


@pytest.mark.parametrize("url", REJECTED)
def test_everything_else_is_none(url: str) -> None:
    assert video_id(url) is None


def test_first_v_wins_and_odd_ids_survive() -> None:
    assert video_id(f"https://www.youtube.com/watch?v={ODD}&v={ID}") == ODD
    assert video_id(f"https://youtu.be/{ODD}?t=3") == ODD


# --- find_urls ---------------------------------------------------------------------------


def test_find_urls_sees_every_pasted_form_in_order() -> None:
    text = (
        f"bare https://youtu.be/{ID}, then [a link](https://www.youtube.com/watch?v={ODD}&t=3)\n"
        f"<youtube.com/shorts/{ID}> and ![](https://www.youtube.com/embed/{ID}).\n"
        "**https://www.youtube.com/playlist?list=PL123**"
    )
    assert find_urls(text) == [
        f"https://youtu.be/{ID}",
        f"https://www.youtube.com/watch?v={ODD}&t=3",
        f"youtube.com/shorts/{ID}",
        f"https://www.youtube.com/embed/{ID}",
        "https://www.youtube.com/playlist?list=PL123",  # not a video, still a YouTube URL
    ]


def test_find_urls_keeps_ids_ending_in_underscore_or_dash() -> None:
    assert find_urls("youtu.be/abcdefghij_ and youtu.be/abcdefghij-.") == [
        "youtu.be/abcdefghij_",
        "youtu.be/abcdefghij-",
    ]


@pytest.mark.parametrize(
    "text",
    [
        f"https://youtube.com.evil.example/watch?v={ID}",
        f"https://evilyoutube.com/watch?v={ID}",
        f"https://youtu.be.evil.example/{ID}",
        f"https://www.youtube.com@evil.example/watch?v={ID}",
        f"mail me at someone@youtube.com/{ID}",
        f"https://evil.example/redirect/youtu.be-{ID}",
        "no links here at all",
    ],
)
def test_find_urls_ignores_look_alikes(text: str) -> None:
    assert find_urls(text) == []


# --- properties --------------------------------------------------------------------------

ids = st.from_regex(r"[A-Za-z0-9_-]{11}", fullmatch=True)
schemes = st.sampled_from(["https://", "http://", "", "//"])
# A value ending in `.` would be read as a sentence's full stop by find_urls.
safe_values = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_-.", max_size=24
).filter(lambda v: not v.endswith("."))
extra_params = st.lists(
    st.tuples(
        st.sampled_from(
            ["si", "t", "list", "feature", "pp", "index", "ab_channel", "app", "start"]
        ),
        safe_values,
    ),
    max_size=5,
)
fragments = st.sampled_from(["", "#t=30", "#", "#comments"])


def _case(draw: st.DrawFn, host: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(host), max_size=len(host)))
    return "".join(c.upper() if f else c for c, f in zip(host, flips, strict=True))


@st.composite
def video_urls(draw: st.DrawFn) -> tuple[str, str]:
    vid = draw(ids)
    params = draw(extra_params)
    form = draw(st.sampled_from(["watch", "shorts", "live", "embed", "v", "short", "nocookie"]))
    if form == "short":
        host, path = "youtu.be", f"/{vid}"
    elif form == "nocookie":
        host = draw(st.sampled_from(["youtube-nocookie.com", "www.youtube-nocookie.com"]))
        path = f"/embed/{vid}"
    else:
        host = draw(
            st.sampled_from(
                ["youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"]
            )
        )
        path = "/watch" if form == "watch" else f"/{form}/{vid}"
    if form == "watch":
        params.insert(draw(st.integers(0, len(params))), ("v", vid))
    elif draw(st.booleans()):
        path += "/"
    query = "&".join(f"{k}={v}" for k, v in params)
    url = f"{draw(schemes)}{_case(draw, host)}{path}{'?' + query if query else ''}"
    return url + draw(fragments), vid


@given(video_urls())
@example((f"https://www.youtube.com/watch?si=x&list=PL1&t=9&v={ID}", ID))
@example((f"youtu.be/{ID}?si=AbC&t=1", ID))
def test_every_combination_of_host_path_and_params_gives_the_id(case: tuple[str, str]) -> None:
    url, vid = case
    assert video_id(url) == vid
    assert find_urls(f"see {url} now") == [url]


real_hosts = st.sampled_from(
    [
        "youtube.com",
        "www.youtube.com",
        "m.youtube.com",
        "music.youtube.com",
        "youtu.be",
        "youtube-nocookie.com",
    ]
)
labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


@st.composite
def look_alike_hosts(draw: st.DrawFn) -> str:
    host, label = draw(real_hosts), draw(labels)
    return draw(
        st.sampled_from(
            [
                f"{host}.{label}",  # youtube.com.evil
                f"{host}.{label}.example",
                f"{label}{host}",  # evilyoutube.com
                f"{label}-{host}",
                f"{host}-{label}.com",
                f"{host}{label}",  # youtube.comevil
                f"{host}@{label}.example",  # userinfo: the host is the part after @
                f"{label}@{host}",
                f"{label}:{label}@{host}",
                host.replace("o", "0", 1),
                host.replace("o", "\u043e", 1),  # a Cyrillic o
            ]
        )
    )


@given(look_alike_hosts(), ids, schemes)
def test_look_alike_hosts_never_match(host: str, vid: str, scheme: str) -> None:
    for path in (f"/watch?v={vid}", f"/{vid}", f"/embed/{vid}", f"/shorts/{vid}"):
        url = f"{scheme}{host}{path}"
        assert video_id(url) is None
        for found in find_urls(url):  # only a real host may be picked out of it
            assert found not in (url, url.split("://")[-1])


@given(st.text())
def test_random_text_never_crashes(text: str) -> None:
    vid = video_id(text)
    assert vid is None or re.fullmatch(r"[A-Za-z0-9_-]{11}", vid)
    for url in find_urls(text):
        assert url in text


@given(st.text(), st.text(), ids)
def test_a_url_between_words_is_found(before: str, after: str, vid: str) -> None:
    url = f"https://youtu.be/{vid}"
    text = f"{before} {url} {after}"
    assert url in find_urls(text)


def test_id_shapes_are_checked_in_one_place() -> None:
    assert is_video_id("Yf1o0TQzry8") and is_video_id("a-_0123456Z")
    assert not any(map(is_video_id, ["Yf1o0TQzry", "Yf1o0TQzry88", "../../etc/x", "Yf1o0TQzr y"]))
    assert is_playlist_id("PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf") and is_playlist_id("WL")
    assert not any(map(is_playlist_id, ["P", "PL/x", "x" * 65, ""]))


# --- what a pasted address names -----------------------------------------------------------

PLAYLIST = "PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"https://youtu.be/{ID}", ("video", ID)),
        (f"https://www.youtube.com/playlist?list={PLAYLIST}", ("playlist", PLAYLIST)),
        (f"https://YOUTUBE.com/playlist?list={PLAYLIST}&si=x", ("playlist", PLAYLIST)),
        (f"https://www.youtube.com/watch?list={PLAYLIST}&index=2", ("playlist", PLAYLIST)),
        (f"https://consent.youtube.com/m?continue=https%3A%2F%2Fwww.youtube.com%2Fplaylist"
         f"%3Flist%3D{PLAYLIST}%26cbrd%3D1&gl=SE", ("playlist", PLAYLIST)),
        (f"https://www.youtube.com/watch?v={ID}&list={PLAYLIST}", ("video", ID)),  # the video
        (f"https://youtu.be/{ID[:10]}", ("bad id", ID[:10])),  # cut short when copied
        (f"https://www.youtube.com/watch?v={ID[:7]}&t=3", ("bad id", ID[:7])),
        (f"https://www.youtube.com/shorts/{ID}X", ("bad id", f"{ID}X")),
        (f"https://www.youtube.com/watch?v={ID[:4]}&list={PLAYLIST}", ("bad id", ID[:4])),
        ("https://www.youtube.com/@somechannel", None),
        ("https://www.youtube.com/", None),
        ("https://www.youtube.com/watch", None),
        ("https://www.youtube.com/embed/videoseries?list=PL1", None),
        (f"https://youtube.com.evil.example/playlist?list={PLAYLIST}", None),
        (f"https://youtu.be.evil.example/{ID[:10]}", None),
        ("https://vimeo.com/12345", None),
    ],
)
def test_what_a_pasted_address_names(url: str, expected: tuple[str, str] | None) -> None:
    assert pasted(url) == expected
    assert playlist_id(url) == (expected[1] if expected and expected[0] == "playlist" else None)


def _consent(url: str) -> str:
    return ("https://consent.youtube.com/m?continue=" + quote(url, safe="")
            + "&gl=DE&m=0&pc=yt&hl=de&src=1")


@given(video_urls(), st.sampled_from(["m", "ml"]))
def test_any_video_address_behind_the_consent_page_gives_its_id(
        case: tuple[str, str], page: str) -> None:
    url, vid = case
    wrapped = _consent(url if url.startswith(("http", "//")) else "https://" + url)
    wrapped = wrapped.replace("/m?", f"/{page}?", 1)
    assert video_id(wrapped) == vid
    assert find_urls(f"see {wrapped} now") == [wrapped]


@given(ids, extra_params, st.sampled_from(["/watch", "/shorts/", "/live/", "/embed/"]),
       st.sampled_from(["youtube.com", "www.youtube.com", "m.youtube.com"]))
def test_any_share_link_gives_its_videos_id(vid: str, params: list[tuple[str, str]],
                                            form: str, host: str) -> None:
    if form == "/watch":
        path = "/watch?" + "&".join(f"{k}={v}" for k, v in [("v", vid), *params])
    else:
        path = form + vid
    url = f"https://{host}/attribution_link?a=x&u={quote(path, safe='')}"
    assert video_id(url) == vid


@given(look_alike_hosts(), ids)
def test_consent_pages_and_share_links_never_lead_to_a_look_alike(host: str, vid: str) -> None:
    for inner in (f"https://{host}/watch?v={vid}", f"https://{host}/{vid}"):
        assert video_id(_consent(inner)) is None
        assert pasted(_consent(inner)) is None
        share = f"https://www.youtube.com/attribution_link?u={quote(inner, safe='')}"
        assert video_id(share) is None
    for page in (f"https://consent.{host}/m", f"https://{host}/attribution_link"):
        url = f"{page}?continue=https%3A%2F%2Fyoutu.be%2F{vid}&u=%2Fwatch%3Fv%3D{vid}"
        assert video_id(url) is None


@given(ids, st.integers(1, 10))
def test_a_cut_short_id_is_named_never_taken(vid: str, keep: int) -> None:
    short = vid[:keep]
    for url in (f"https://youtu.be/{short}", f"https://www.youtube.com/watch?v={short}"):
        assert video_id(url) is None
        assert pasted(url) == ("bad id", short)
