"""Long videos: the whole video's analysis written from its parts' (claude.py asks, prompt.py's
`merge_prompt` words it). Pure.

Each part gives candidate items; one more request sees all of them and ranks, combines and
rewrites them for the whole video, so an insight can join points made an hour apart. Quotes
are not rewritten: each part's quotes are checked against that part's transcript first, and
the merge picks among the ones found, by number; they are kept in the order they are said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from ytvault.analysis.chunking import Part
from ytvault.analysis.quotes import QuoteCandidate, find_quote, tokens, transcript_stream
from ytvault.config.sections import Section, values, with_quote_spans

if TYPE_CHECKING:
    from pydantic import BaseModel


def quote_pool(sections: Sequence[Section], parts: Sequence[Part],
               answers: Sequence[BaseModel]) -> list[QuoteCandidate]:
    """Every part's quotes that its transcript holds, once each, in the order they are said
    (a quote from the overlap of two parts is the same quote)."""
    pool: dict[tuple[str, str], QuoteCandidate] = {}
    for part, answer in zip(parts, answers, strict=True):
        stream = transcript_stream(part.sent)
        for section in sections:
            if section.kind != "quotes":
                continue
            for rank, quote in enumerate(values(answer, section)):
                shown, found = find_quote(quote, stream)
                key = (section.name, "".join(tokens(shown)))
                if found is not None and key not in pool:
                    pool[key] = QuoteCandidate(section.name, shown, found.start, part.index,
                                               part.span, rank)
    return sorted(pool.values(), key=lambda q: q.start)


@cache
def merge_model(sections: tuple[Section, ...]) -> type[BaseModel]:
    """The merge's answer: the analysis's fields, a quotes section as candidate numbers."""
    from pydantic import ConfigDict, Field, create_model

    fields: dict[str, Any] = {}
    for s in sections:
        if s.kind == "quotes":
            fields[s.name] = (list[int], Field(description="the numbers of the chosen "
                                               "candidates, the best first"))
        else:
            fields[s.name] = (str if s.kind == "paragraph" else list[str],
                              Field(description=s.instruction))
    model: type[BaseModel] = create_model("Synthesis", __config__=ConfigDict(extra="forbid"),
                                          **fields)
    return model


def merged_analysis(answer: BaseModel, sections: Sequence[Section],
                    pool: Sequence[QuoteCandidate], caps: Mapping[str, int],
                    model: type[BaseModel]) -> BaseModel:
    """The whole video's analysis from the merge's `answer`: lists cut to the whole video's
    budget (the best first, as ranked), quotes the chosen candidates, in time order, each
    knowing the span of the part it came from."""
    data: dict[str, Any] = {}
    spans: dict[str, tuple[float, float]] = {}
    for section in sections:
        if section.kind == "paragraph":
            data[section.name] = getattr(answer, section.name)
        elif section.kind == "list":
            data[section.name] = values(answer, section)[:caps[section.name]]
        else:
            chosen: list[QuoteCandidate] = []
            for number in getattr(answer, section.name):
                if 1 <= number <= len(pool) and pool[number - 1].section == section.name \
                        and pool[number - 1] not in chosen:
                    chosen.append(pool[number - 1])
            chosen = sorted(chosen[:caps[section.name]], key=lambda q: q.start)
            data[section.name] = [q.text for q in chosen]
            spans.update({q.text: q.span for q in chosen})
    return with_quote_spans(model.model_validate(data), spans)
