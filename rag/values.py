"""The values passed along the pipeline: a chunk and what is known of it, a retrieved passage, a passage
the answer may rest on (evidence), what a check decided (verdict), and an answer sentence with its citations
and verdicts."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from rag.language.dates import Period, parse_period
from rag.reading.quotes import Quote


@dataclass(frozen=True)
class ChunkMeta:
    """What is known about a chunk besides its text; converted to and from Chroma only in store.py."""

    dispatch_id: str
    start: int = 0  # offsets of the chunk in its dispatch's text
    end: int = 0
    paragraph: int = 0
    section: str = ""
    is_caption: bool = False
    title: str = ""
    date: str = ""  # as written: YYYY-MM or YYYY-MM-DD, "" if unknown
    lang: str = "fr"
    source: str = "unknown"
    path: str = ""
    doc_hash: str = ""
    quotes: tuple[Quote, ...] = ()  # quoted speech in the chunk, offsets within the chunk's text
    doc_names: tuple[str, ...] = ()  # names anywhere in the dispatch: a paragraph is about what its dispatch is
    n_chunks: int = 0  # chunks of this version of the dispatch: fewer in the store means a write was cut short
    # what a wire format says of the item (ninjs, NewsML-G2, feeds); "" for plain dispatches
    version: str = ""  # the item's version label
    version_time: str = ""  # ISO 8601: when this version was made (a later one replaces it, an earlier one not)
    signal: str = ""  # correction | update
    embargo: str = ""  # ISO 8601: not searchable before
    byline: str = ""
    located: str = ""
    superseded: str = ""  # ISO 8601: when a newer version of the item replaced this one ("" while current)

    @property
    def period(self) -> Period | None:
        return parse_period(self.date)


@dataclass(frozen=True)
class Chunk:
    id: str
    text: str  # == dispatch.text[meta.start:meta.end]
    meta: ChunkMeta = field(repr=False)

    def embed_text(self) -> str:
        return embed_text(self.meta.title, self.meta.section, self.text)


def embed_text(title: str, section: str, text: str) -> str:
    """What gets embedded: title and section give the passage context the bare span lacks."""
    head = " — ".join(x for x in (title, section) if x)
    return f"{head}\n{text}" if head else text


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its scores: fused `score`, cosine `dense`, `bm25`."""

    id: str
    text: str
    meta: ChunkMeta
    score: float = 0.0
    dense: float = 0.0
    bm25: float = 0.0

    @property
    def dispatch_id(self) -> str:
        return self.meta.dispatch_id

    @property
    def is_caption(self) -> bool:
        return self.meta.is_caption

    @property
    def day(self) -> date | None:
        """The (last) day of its dispatch, None if undated."""
        period = self.meta.period
        return period.end if period else None


@dataclass(frozen=True)
class Evidence:
    """A passage the answer may rest on, with its number [n] in the prompt."""

    number: int
    passage: Passage

    @property
    def text(self) -> str:
        return self.passage.text

    @property
    def meta(self) -> ChunkMeta:
        return self.passage.meta

    @property
    def dispatch_id(self) -> str:
        return self.passage.dispatch_id

    @property
    def day(self) -> date | None:
        return self.passage.day


@dataclass(frozen=True)
class Verdict:
    """What one check decided about one claim (or passage), why, and what it rests on."""

    check: str
    ok: bool
    reason: str = ""  # key of the message in rag/language/data/<lang>/reasons.toml ("" when it held)
    args: dict[str, str] = field(default_factory=dict)  # what the message names ({"figure": "77"})
    passage: int = 0  # the passage [n] judged (0: none)
    score: float | None = None
    message: str = ""  # the reason in the answer's language, filled by the suite


@dataclass(frozen=True)
class AnswerSentence:
    """One answer sentence, the passages it cites and its support score.

    `cites` uses the prompt's passage numbers while the answer is checked, then the numbers of
    Answer.citations; `claimed` keeps what the model wrote (prompt numbering), valid or not.
    """

    text: str
    cites: list[int] = field(default_factory=list)
    support: float = 0.0
    supported: bool = False
    claimed: list[int] = field(default_factory=list)
    speaker: str = ""  # who the dispatch says made this statement, when the sentence reports a quote
    verdicts: list[Verdict] = field(default_factory=list)  # what the checks decided, and why
    confidence: float | None = None  # the probability it is right, as the answer decision weighs it
    values: dict[str, float] = field(default_factory=dict)  # what the decision weighed (its features)

    @property
    def reason(self) -> str:
        """Why it was kept (the support it has) or left out (the first check that failed), in the answer's
        language ("" when no check said)."""
        if self.supported:
            return next((v.message for v in self.verdicts if v.check == "support" and v.ok), "")
        return next((v.message for v in self.verdicts if not v.ok and v.message), "")
