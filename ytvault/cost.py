"""What an analysis cost: the tokens of its model calls and an estimate in US dollars, from a
small table of list prices per model family. Pure; claude.py counts, the ledger keeps.

The prices are an estimate: the list prices on Anthropic's pricing and model pages, checked
on `PRICES_AS_OF` (USD per million tokens), matched to a model name by its family and version,
so a gateway's name for a model (`anthropic/claude-sonnet-5-5`, `claude-sonnet-5-5@2026…`)
finds its price too. Output tokens include the thinking of a model that thinks (billed as
output); cache reads are priced per model (Sonnet 5.5's are half of Sonnet 5's since
2026-10-07). Batch requests cost half of every price. Your bill may differ (regional endpoints
such as `inference_geo`, price changes, Haiku 5.5's long-prompt tier); a model the table does
not know has no estimate.
"""

from __future__ import annotations

import re

from ytvault.records import NamedTuple

PRICES_AS_OF = "2026-12-04"
BATCH_DISCOUNT = 0.5


class Price(NamedTuple):
    """USD per million tokens: input, output, 5-minute cache write, cache read."""

    input: float
    output: float
    cache_write: float
    cache_read: float


# First match wins, so a version comes before its family. Names are lowercased and "." → "-".
PRICES: tuple[tuple[str, Price], ...] = (
    (r"(fable|mythos)-5-2", Price(8.0, 40.0, 10.0, 0.20)),
    (r"(fable|mythos)-5-1", Price(10.0, 50.0, 12.5, 0.25)),
    (r"(fable|mythos)-5", Price(10.0, 50.0, 12.5, 1.0)),
    (r"opus-5-5", Price(4.0, 20.0, 5.0, 0.20)),
    (r"opus-(5|4-[5-9])", Price(5.0, 25.0, 6.25, 0.50)),
    (r"opus-4|3-opus", Price(15.0, 75.0, 18.75, 1.50)),
    (r"sonnet-5-5", Price(2.0, 10.0, 2.5, 0.10)),  # cache reads $0.10 since 2026-10-07
    (r"sonnet-5", Price(2.0, 10.0, 2.5, 0.20)),
    (r"sonnet", Price(3.0, 15.0, 3.75, 0.30)),
    (r"haiku-5", Price(0.10, 0.50, 0.125, 0.01)),  # prompts up to 100k tokens
    (r"3-5-haiku", Price(0.80, 4.0, 1.0, 0.08)),
    (r"3-haiku", Price(0.25, 1.25, 0.30, 0.03)),
    (r"haiku", Price(1.0, 5.0, 1.25, 0.10)),
)


def price_of(model: str) -> Price | None:
    name = model.lower().replace(".", "-")
    return next((price for pattern, price in PRICES if re.search(pattern, name)), None)


def estimate(model: str, input_tokens: int, output_tokens: int, cache_write: int = 0,
             cache_read: int = 0, *, batch: bool = False) -> float | None:
    """The estimated cost in USD of one request, None for a model without a known price."""
    price = price_of(model)
    if price is None:
        return None
    usd = (input_tokens * price.input + output_tokens * price.output
           + cache_write * price.cache_write + cache_read * price.cache_read) / 1_000_000
    return usd * BATCH_DISCOUNT if batch else usd


class Usage:
    """The tokens and estimated cost of one note's analysis: every request it took, summed.
    `input_tokens` are the uncached ones; the cache's are counted apart, as the API does.

    A plain class, not a dataclass: `status` reads the ledger's totals with it, and importing
    `dataclasses` (which imports `inspect`, `ast`, `dis`…) costs most of a bare start."""

    __slots__ = ("input_tokens", "output_tokens", "cache_write_tokens",  # noqa: RUF023
                 "cache_read_tokens", "requests", "cost_usd", "models", "batch")  # (repr's order)

    def __init__(self, input_tokens: int = 0, output_tokens: int = 0, cache_write_tokens: int = 0,
                 cache_read_tokens: int = 0, requests: int = 0, cost_usd: float | None = 0.0,
                 models: list[str] | None = None, batch: bool = False) -> None:
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.cache_write_tokens = cache_write_tokens
        self.cache_read_tokens = cache_read_tokens
        self.requests = requests
        self.cost_usd = cost_usd  # None when a request's model has no known price
        self.models = [] if models is None else models
        self.batch = batch  # made through the Message Batches API (half price)

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Usage):
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # mutable: counted into as requests are made

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in
                           zip(self.__slots__, self._values(), strict=True))
        return f"Usage({fields})"

    def add(self, model: str, input_tokens: int, output_tokens: int, cache_write: int = 0,
            cache_read: int = 0, *, batch: bool = False) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.cache_write_tokens += cache_write
        self.cache_read_tokens += cache_read
        self.requests += 1
        self.batch = self.batch or batch
        if model not in self.models:
            self.models.append(model)
        usd = estimate(model, input_tokens, output_tokens, cache_write, cache_read, batch=batch)
        self.cost_usd = None if usd is None or self.cost_usd is None else self.cost_usd + usd

    @property
    def model(self) -> str:
        return ", ".join(self.models)

    def as_json(self) -> dict[str, object]:
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "cache_write_tokens": self.cache_write_tokens,
                "cache_read_tokens": self.cache_read_tokens, "requests": self.requests,
                "model": self.model, "batch": self.batch,
                "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 6)}


def dollars(usd: float | None) -> str:
    """$0.0123, $1.23, or `unknown` for a model without a price."""
    if usd is None:
        return "unknown"
    return f"${usd:.4f}" if usd < 1 else f"${usd:,.2f}"
