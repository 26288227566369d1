"""The contract every check follows, the values it judges, and the registry that holds the checks.

A check is a small class: its `name`, the `stages` it judges at, what it decides (`summary`), the settings it
reads (`uses`), `applies(query)`, and `__call__(claim, source, query) -> Verdict`. Registering it
(`@register`) puts it in the one suite that the model's sentences, the extractive quote, the evidence gate and
`rag judge` all go through (see suite.py). Each check's examples (`cases`: sentence, passage, question,
expected verdict) are its documentation and its tests.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Protocol

from rag.answer.query import Query
from rag.reading.reading import Reading, read
from rag.values import Passage, Verdict

# gate: a passage against the question (may the model read it?); support: a sentence against one passage;
# answer: a supported sentence against the question and the passages it cites; lead: the sentence that would
# open the answer (it must answer what was asked); language: the sentence as it would be shown, figures
# written the reader's way; verify: the model asked yes or no about a sentence all the others let stand (last:
# it costs a prompt read); quote: the extractive quote.
STAGES = ("gate", "support", "answer", "lead", "language", "verify", "quote")


@dataclass(frozen=True, eq=False)
class Source:
    """A passage as the checks see it: read once, with what stands near it in its dispatch (title, quoted
    speakers, the dispatch's names) and what it states without writing it (the dates its "jeudi" means, the
    question's figures its story gives elsewhere)."""

    number: int
    read: Reading
    near: str = ""  # its title and quoted speakers
    context: str = ""  # `near` and the names of its dispatch
    stated: str = ""
    lang: str = ""  # as the dispatch says (may be empty)
    passage: Passage | None = None
    story: str = ""  # at the gate: the text of its story's passages already kept

    @property
    def dense(self) -> float:
        """Closeness of the passage to the question (cosine)."""
        return self.passage.dense if self.passage else 0.0

    @property
    def text(self) -> str:
        return self.read.text

    @cached_property
    def with_stated(self) -> Reading:
        return read(f"{self.text} {self.stated}")

    @cached_property
    def with_context(self) -> Reading:
        return read(f"{self.text} {self.context}")

    @cached_property
    def with_near(self) -> Reading:
        return read(f"{self.text} {self.near}")


@dataclass(frozen=True, eq=False)
class Claim:
    """A sentence to check (the model's, or the quote): read once, the passages it cites as written, and its
    closeness (cosine) to each passage, by passage number."""

    read: Reading
    claimed: tuple[int, ...] = ()
    closeness: dict[int, float] = field(default_factory=dict)
    passages: Passages | None = None  # every passage of the answer (claim-wide checks: copied words)

    @property
    def text(self) -> str:
        return self.read.text


@dataclass(frozen=True, eq=False)
class Passages:
    """The passages of one answer as the checks see them, with what is read once for all of them."""

    sources: tuple[Source, ...]
    lang: str  # the answer's language

    @cached_property
    def by_language(self) -> tuple[str, str]:
        """The text of the passages in the other language than the answer's, then of those in its language."""
        same = [(s.lang or self.lang) == self.lang for s in self.sources]
        return (" ".join(s.text for s, ok in zip(self.sources, same) if not ok),
                " ".join(s.text for s, ok in zip(self.sources, same) if ok))

    def cited(self, numbers: list[int] | tuple[int, ...]) -> list[Source]:
        by_number = {s.number: s for s in self.sources}
        return [by_number[n] for n in numbers if n in by_number]


class Reader(Protocol):
    """What a check may ask of the answering model, given to the suite by the answer stage (checks import no
    model): rag/answer/verifier.py implements it."""

    @property
    def able(self) -> bool: ...
    def reread(self, question: str, passage: str, lang: str) -> str: ...
    def says(self, question: str, passage: str, lang: str) -> float: ...


class Check:
    """Base class of the checks (see the module docstring)."""

    name: ClassVar[str]
    stages: ClassVar[tuple[str, ...]]
    summary: ClassVar[str]
    uses: ClassVar[tuple[str, ...]] = ()  # settings it reads, by name (rag settings describes each)
    # at the support stage: "zero" sets the support score to 0, "cap" caps it at unsupported_cap
    effect: ClassVar[str] = "veto"
    cases: ClassVar[list[dict[str, Any]]] = []  # {sentence, passage, question, ok}: documentation and tests

    def __init__(self, **settings: Any) -> None:
        for key in self.uses:
            setattr(self, key, settings[key])

    def applies(self, query: Query) -> bool:
        return True

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        raise NotImplementedError

    def holds(self, source: Source | None = None, **details: Any) -> Verdict:
        return Verdict(self.name, True, passage=source.number if source else 0, **details)

    def fails(self, reason: str, source: Source | None = None, **args: Any) -> Verdict:
        return Verdict(self.name, False, reason, {k: str(v) for k, v in args.items()},
                       passage=source.number if source else 0)


REGISTRY: dict[str, type[Check]] = {}


def register(cls: type[Check]) -> type[Check]:
    """Put a check in the suite: `@register` above its class."""
    assert cls.stages and set(cls.stages) <= set(STAGES), f"{cls.__name__}: stages must be among {STAGES}"
    assert cls.name not in REGISTRY, f"two checks named {cls.name}"
    REGISTRY[cls.name] = cls
    return cls
