"""What the fake Messages API (fakeapi.py) does as a model: the 5.x models' rules, tokenizer,
adaptive thinking and answers, as Anthropic documents them for Claude Sonnet 5 / 5.5 (their
migration guides and model pages). Pure: the server calls these.

- Adaptive thinking is on by default for a 5.x model (`claude-{sonnet,opus,haiku,fable,mythos}-5…`):
  a `thinking` block (summarised text and a `signature`) comes before the `text` block, its
  tokens are billed as output and taken out of `max_tokens`. Its depth follows
  `output_config.effort` (`THINKING_SHARE`): `(400 + 0.15 × input tokens) × share`, times the
  server's `thinking_scale` knob. Older models do not think unless asked.
- A 5.x request is refused (400) for `thinking: {"type": "disabled"}`, a thinking
  `budget_tokens`, `temperature` (other than 1) / `top_p` / `top_k`, an assistant prefill (the
  last message is the assistant's), a forced `tool_choice` (`any`, `tool`), an unknown effort.
  Every model refuses `max_tokens` over its output limit and a prompt over its context window.
- The tokenizer (`count_tokens`) is deterministic and denser than characters ÷ 4, as the 5.x
  tokenizer is (about 30% more tokens for the same text than Sonnet 4.6): a run of ASCII
  letters or digits is one token per 3 characters, of ASCII punctuation one per 2, of other
  characters (accents, CJK…) 1.25 a character (all rounded up); a whitespace run other than
  one space is one. English prose comes to ~1.3–1.4× characters ÷ 4 (chunking's estimate),
  instructions and JSON to ~1.5–1.6×, CJK text to 1.25×.
- The default answer has as many items per section as the request's budget asks for
  (`summary 4 sentences; ideas 10 items; …`), each a sentence made of the transcript's words (a
  quote is a run of them), so its length follows the request; an answer that does not fit in
  what thinking left of `max_tokens` is cut there (`stop_reason: max_tokens`, truncated JSON).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
ANALYSES = FIXTURES / "analysis"

FIVE = re.compile(r"claude-(sonnet|opus|haiku|fable|mythos)-5")
EFFORTS = ("low", "medium", "high", "xhigh", "max")
# Thinking tokens per effort, as a share of the `high` (default) depth.
THINKING_SHARE = {"low": 0.2, "medium": 0.5, "high": 1.0, "xhigh": 1.6, "max": 2.5}
THINKING_BASE, THINKING_PER_INPUT = 400, 0.15
MAX_OUTPUT = {True: 128_000, False: 64_000}  # by "is a 5.x model"
CONTEXT_WINDOW = {True: 1_000_000, False: 200_000}
REQUEST_OVERHEAD = 12  # tokens of a request's framing (roles, turn markers)

_PIECE = re.compile(r"[A-Za-z]+|[0-9]+|[ \t\r\n\f\v]+|[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]+"
                    r"|[^\x00-\x7f]+")


def is_five(model: Any) -> bool:
    return isinstance(model, str) and FIVE.search(model) is not None


def _piece_tokens(piece: str) -> int:
    first = piece[0]
    if first.isascii() and first.isalnum():
        return math.ceil(len(piece) / 3)
    if first in " \t\r\n\f\v":
        return 0 if piece == " " else 1
    if first.isascii():  # punctuation: common pairs (`":`, `",`) are one token
        return math.ceil(len(piece) / 2)
    return math.ceil(len(piece) * 1.25)


def count_tokens(text: str) -> int:
    """The fake tokenizer's count of `text` (see the module's docstring)."""
    return sum(_piece_tokens(m.group()) for m in _PIECE.finditer(text))


def cut_to_tokens(text: str, tokens: int) -> str:
    """The longest start of `text` that holds at most `tokens` tokens."""
    used = 0
    for match in _PIECE.finditer(text):
        cost = _piece_tokens(match.group())
        if used + cost > tokens:
            return text[: match.start()]
        used += cost
    return text


def _blocks_text(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    out = []
    for block in content if isinstance(content, list) else ():
        if isinstance(block, dict):
            out.append(str(block.get("text") or block.get("thinking") or ""))
    return out


def request_tokens(body: dict[str, Any]) -> int:
    """A request's input tokens: its system text, messages and answer schema, and framing."""
    texts = _blocks_text(body.get("system") or [])
    for message in body.get("messages") or ():
        if isinstance(message, dict):
            texts += _blocks_text(message.get("content"))
    schema = ((body.get("output_config") or {}).get("format") or {}).get("schema")
    if schema is not None:
        texts.append(json.dumps(schema))
    return REQUEST_OVERHEAD + sum(count_tokens(t) + 4 for t in texts)


def refusal(body: dict[str, Any]) -> str | None:
    """The message of the 400 the real API answers to this request, for a rule of the 5.x
    models or a limit of every model; None when it is allowed."""
    model = body.get("model")
    five = is_five(model)
    if body["max_tokens"] > MAX_OUTPUT[five]:
        return (f"max_tokens: {body['max_tokens']} > {MAX_OUTPUT[five]}, which is the maximum "
                f"allowed number of output tokens for {model}")
    prompt = request_tokens(body)
    if prompt > CONTEXT_WINDOW[five]:
        return f"prompt is too long: {prompt} tokens > {CONTEXT_WINDOW[five]} maximum"
    if not five:
        return None
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "disabled":
        return (f"thinking.type: 'disabled' is not supported for {model}; adaptive thinking is "
                "always available: set output_config.effort to control it")
    if isinstance(thinking, dict) and "budget_tokens" in thinking:
        return (f"thinking.budget_tokens is not supported for {model}: use "
                "thinking.type 'adaptive' with output_config.effort")
    if thinking is not None and (not isinstance(thinking, dict) or thinking.get("type") not in (
            "adaptive", "between_tools")):
        return (f"thinking.type must be 'adaptive' or 'between_tools' for {model} (got "
                f"{thinking!r})")
    if body.get("temperature", 1) != 1 or "top_p" in body or "top_k" in body:
        return f"temperature, top_p and top_k cannot be set for {model}"
    messages = body.get("messages") or []
    if messages and isinstance(messages[-1], dict) and messages[-1].get("role") == "assistant":
        return (f"assistant message prefill is not supported for {model}: the last message "
                "must be the user's")
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
        return f"tool_choice forcing tool use is not supported for {model} with thinking"
    effort = (body.get("output_config") or {}).get("effort")
    if effort is not None and effort not in EFFORTS:
        return f"output_config.effort: Input should be {', '.join(map(repr, EFFORTS))}"
    return None


def thinks(body: dict[str, Any]) -> bool:
    """Whether the model thinks before it answers: a 5.x model by default; another when asked."""
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") in ("adaptive", "enabled"):
        return True
    return is_five(body.get("model"))


def effort_of(body: dict[str, Any]) -> str:
    effort = (body.get("output_config") or {}).get("effort")
    return effort if effort in EFFORTS else "high"


def thinking_tokens(body: dict[str, Any], scale: float = 1.0) -> int:
    """How long the model thinks about this request (0 when it does not think)."""
    if not thinks(body):
        return 0
    depth = (THINKING_BASE + THINKING_PER_INPUT * request_tokens(body))
    return max(1, round(depth * THINKING_SHARE[effort_of(body)] * scale))


def thinking_block(tokens: int) -> dict[str, Any]:
    """A summarised thinking block, as the API returns it; billed at its full `tokens`."""
    text = f"Reading the transcript and choosing what to keep ({tokens} tokens of thinking)."
    signature = hashlib.sha256(text.encode()).hexdigest() * 2
    return {"type": "thinking", "thinking": text, "signature": signature}


def user_text(body: dict[str, Any]) -> str:
    parts: list[str] = []
    for message in body.get("messages") or ():
        if isinstance(message, dict):
            parts += _blocks_text(message.get("content"))
    return "\n".join(parts)


_BUDGET = re.compile(r"\b([a-z_][a-z0-9_]*) (\d+) (?:items?|sentences?)\b")


def default_answer(body: dict[str, Any]) -> str:
    """The golden analysis of a video with a file in fixtures/analysis/ that the request names
    (by id or title); else an answer sized to the request's budget, from its transcript."""
    prompt = user_text(body)
    schema = ((body.get("output_config") or {}).get("format") or {}).get("schema")
    if "<candidates>" in prompt:
        return merge_answer(prompt, schema)
    for path in sorted(ANALYSES.glob("*.json")):
        if path.stem in prompt or _title(path.stem) in prompt:
            data = json.loads(path.read_text(encoding="utf-8"))
            if _fits(data, schema):
                return path.read_text(encoding="utf-8")
            return json.dumps(_fit(data, schema, prompt), ensure_ascii=False)
    return json.dumps(_fit({}, schema, prompt), ensure_ascii=False)


def _title(video_id: str) -> str:
    info = FIXTURES / "cache" / "videos" / video_id / "info.json"
    if not info.exists():
        return "\0"
    title = json.loads(info.read_text(encoding="utf-8"))["title"]
    return f"title: {' '.join(title.split())}\n"  # the prompt gives it on one line


def _fits(data: dict[str, Any], schema: Any) -> bool:
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return not isinstance(properties, dict) or set(properties) == set(data)


_SECTIONS = ("summary", "ideas", "insights", "quotes", "habits", "facts", "references",
             "recommendations")


def _fit(data: dict[str, Any], schema: Any, prompt: str) -> dict[str, Any]:
    """`data` with exactly the fields the request's schema asks for (the default sections
    without a schema); a field it lacks gets as many sentences as the request's budget says."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        properties = {name: {"type": "string" if name == "summary" else "array"}
                      for name in _SECTIONS}
    asked = {name: int(n) for name, n in _BUDGET.findall(prompt.rsplit("</transcript>", 1)[-1])}
    words = _source_words(prompt)
    out: dict[str, Any] = {}
    for n, (key, spec) in enumerate(properties.items()):
        if key in data:
            out[key] = data[key]
            continue
        count = asked.get(key, 1 if key == "summary" else 3)
        array = isinstance(spec, dict) and spec.get("type") == "array"
        items = [_sentence(words, key, n * 37 + i * 11, quote=key == "quotes")
                 for i in range(count)]
        if key == "summary" and not array:  # the first sentence names the video
            title = re.search(r"^title: (.*)$", prompt, re.MULTILINE)
            items[0] = f"A speaker presents {title.group(1) if title else 'this video'}."
        out[key] = items if array else " ".join(items)
    return out


def _source_words(prompt: str) -> list[str]:
    block = re.search(r"<(transcript|parts)>\s*(.*?)\s*</\1>", prompt, re.DOTALL)
    words = _CHAPTER_MARK.sub("", block.group(2) if block else prompt).split()
    return words or ["Nothing", "was", "said."]


def _sentence(words: list[str], key: str, seed: int, *, quote: bool) -> str:
    """One self-contained sentence of ~25 words: a run of the transcript's own words (a quote
    of it), or a statement about the video built around such a run."""
    span = 14 if quote else 18
    start = (seed * 97) % max(1, len(words) - span) if len(words) > span else 0
    run = " ".join(words[start:start + span])
    if quote:
        return run
    return f"In the video's {key}, the speaker makes the point that {run}."


_CHAPTER_MARK = re.compile(r"^\[\d+:\d\d(?::\d\d)?\] .*$", re.MULTILINE)  # a chapter starts


def merge_answer(prompt: str, schema: Any) -> str:
    """The whole video's analysis from a merge request's <candidates>: each list the parts'
    items taken in turn, without repeats, within the request's budget; quotes the candidates'
    numbers, the parts' in turn (a rank, not the order they are said in)."""
    block = prompt.split("<candidates>", 1)[1].split("</candidates>", 1)[0]
    budget = {name: int(n) for name, n in re.findall(
        r"(\w+) (\d+) (?:items?|sentences?)", prompt.rsplit("Budget, at most:", 1)[1])}
    items: dict[str, list[list[str]]] = {}
    numbers: dict[str, list[tuple[int, int]]] = {}  # section: (part, number)
    section = ""
    for line in block.splitlines():
        head = re.fullmatch(r"(\w+)(?: \(found in the transcript\))?:(?: (.*))?", line)
        if line.startswith("part "):
            for lists in items.values():
                lists.append([])
        elif head:
            section = head.group(1)
            items.setdefault(section, [[]])
        elif line.startswith("- ") and "(found in the transcript)" not in line:
            quote = re.match(r"- (\d+) \[[\d:]+, part (\d+)\]", line)
            if quote:
                numbers.setdefault(section, []).append((int(quote.group(2)), int(quote.group(1))))
            else:
                items[section][-1].append(line[2:])
    data: dict[str, Any] = {}
    for key, spec in (schema or {}).get("properties", {}).items():
        if spec.get("type") == "string":
            data[key] = "The whole video, from its parts."
        elif (spec.get("items") or {}).get("type") == "integer":
            # a rank, not the order they are said in: a part's first candidate each in turn,
            # the odd parts first, then their second ones...
            by_part: dict[int, list[int]] = {}
            for part, number in numbers.get(key, []):
                by_part.setdefault(part, []).append(number)
            order = sorted(by_part, key=lambda part: (part % 2 == 0, part))
            picks = [n for row in itertools.zip_longest(*(by_part[p] for p in order))
                     for n in row if n is not None]
            data[key] = picks[:budget.get(key, 1)]
        else:
            turns = [item for row in itertools.zip_longest(*items.get(key, [[]]))
                     for item in row if item]
            data[key] = list(dict.fromkeys(turns))[:budget.get(key, 1)]
    return json.dumps(data, ensure_ascii=False)
