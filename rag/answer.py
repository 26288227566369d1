"""The answer stage: question -> Query -> evidence -> prompt -> generation -> checked, cited Answer.

`Answerer.run` only orchestrates; each step is a function of its own module that takes values and
returns values: followup (condense), query (analyze), evidence (gate), prompting, verify (citations
and counts), notes (speakers, story versions), extractive (fallback quote).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from .citations import AnswerSentence, cited_spans, renumber
from .embedding import Embedder
from .evidence import Evidence, other_language_figures, select
from .extractive import extract
from .filters import Filters
from .followup import History, condense
from .llm import LLM
from .notes import attribute_quotes, figure_notes
from .prompting import Prompts, answer_messages
from .query import Query, analyze
from .retrieval import Passage, Retriever
from .settings import Settings
from .text import detect_language
from .verify import check_sentences
from .versions import Disagreement


@dataclass
class Citation:
    """A numbered source of an answer: which dispatch, where, and the exact passage text."""

    number: int
    chunk_id: str
    dispatch_id: str
    file: str
    date: str
    title: str
    lang: str
    section: str
    source: str
    text: str
    start: int
    end: int
    is_caption: bool
    support: float = 0.0
    spans: list[tuple[int, int]] = field(default_factory=list)  # cited sentences, offsets within `text`
    speakers: list[str] = field(default_factory=list)  # who is quoted in the passage


@dataclass
class Answer:
    question: str
    text: str
    lang: str
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    sentences: list[AnswerSentence] = field(default_factory=list)
    refused: bool = False
    extractive: bool = False
    backend: str = ""
    standalone_question: str = ""
    as_of: str = ""
    timeframe: str = ""  # the question's time expression and the date range it became
    disagreements: list[Disagreement] = field(default_factory=list)  # figures that differ between passages
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def dropped(self) -> list[AnswerSentence]:
        """Sentences removed: unsupported by any retrieved passage, or superseded by a note on differing figures."""
        return [s for s in self.sentences if not s.supported]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["dropped"] = [asdict(s) for s in self.dropped]
        return d

    def format(self) -> str:
        """Plain-text rendering for the terminal: answer, then each cited passage with file, date, quote."""
        lines = [self.text, ""]
        if self.timeframe:
            lines.insert(1, f"(period searched: {self.timeframe})")
        for c in self.citations:
            where = f"{c.file or c.dispatch_id} ({c.date or 'undated'}), chars {c.start}-{c.end}"
            kind = " [photo caption]" if c.is_caption else ""
            kind += f" [quotes: {', '.join(c.speakers)}]" if c.speakers else ""
            lines.append(f"[{c.number}] {where}{kind}\n    « {c.text} »")
        return "\n".join(lines).rstrip()


class AnswerStream:
    """Iterate to get tokens; `.answer` holds the checked Answer once iteration is over."""

    def __init__(self, gen: Generator[str, None, Answer]) -> None:
        self._gen = gen
        self.answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        self.answer = yield from self._gen


class Answerer:
    def __init__(self, settings: Settings, retriever: Retriever, embedder: Embedder,
                 llm_factory: Callable[[], LLM]) -> None:
        self.settings, self.retriever, self.embedder = settings, retriever, embedder
        self.prompts = Prompts(settings.prompts_path)
        self._llm_factory = llm_factory

    @property
    def floor(self) -> float:
        """Cosine a passage needs to be used: the setting, else the embedder's calibrated value."""
        s = self.settings.min_relevance
        return s if s >= 0 else self.embedder.relevance_floor

    def run(self, question: str, filters: Filters | dict | None = None, k: int | None = None,
            history: History | None = None, stream: bool = False,
            as_of: str | date | None = None) -> Generator[str, None, Answer]:
        """Yield answer tokens as generated (if stream), and return the checked Answer."""
        clock = _Clock()
        standalone = self._standalone(question, history)
        query = analyze(question, filters, as_of, standalone)
        clock.lap("condense")
        passages, evidence = self.gather(query, k)
        clock.lap("retrieval")
        if not evidence:
            answer = self.refusal(query, passages, clock)
            if stream:
                yield answer.text
            return answer
        llm = self._llm_factory()
        raw = yield from _generate(llm, answer_messages(standalone, evidence, self.prompts, query.lang),
                                   self.settings, stream)
        clock.lap("generation")
        return self.checked(query, raw, passages, evidence, llm.name, clock)

    def ask(self, question: str, **kw: Any) -> Answer:
        stream = AnswerStream(self.run(question, stream=False, **kw))
        for _ in stream:
            pass
        return stream.answer

    def _standalone(self, question: str, history: History | None) -> str:
        if not history:
            return question
        return condense(question, history, self._llm_factory(), self.prompts, detect_language(question),
                        self.settings.condense_max_ratio)

    def gather(self, query: Query, k: int | None) -> tuple[list[Passage], list[Evidence]]:
        """Retrieved passages (plus the other language's figures for count questions) and the evidence kept."""
        passages = self.retriever.retrieve(query.standalone, k=k, filters=query.filters, as_of=query.as_of)
        passages += other_language_figures(query, passages, self.retriever)
        return passages, select(query, passages, self.floor, self.settings.relevance_margin, self.settings)

    def refusal(self, query: Query, passages: list[Passage], clock: _Clock) -> Answer:
        text = self.prompts.get("refusal", query.lang)
        if query.timeframe:  # say which period was searched: the user may have meant another one
            text = f"{text.rstrip('.')} ({query.timeframe.describe()})."
        return _answer(query, text, passages, refused=True, timings=clock.timings())

    def checked(self, query: Query, raw: str, passages: list[Passage], evidence: list[Evidence], backend: str,
                clock: _Clock) -> Answer:
        """Verify the model's sentences; quote the best sentence when none holds; add the news notes."""
        s, lang = self.settings, query.lang
        sentences = check_sentences(raw, evidence, query, self.embedder, s)
        extractive = not any(x.supported for x in sentences)
        if extractive and not s.extractive_fallback:
            return _answer(query, self.prompts.get("refusal", lang), passages, refused=True, backend=backend,
                           sentences=sentences, timings=clock.timings())
        if extractive:
            sentences = [*sentences, extract(query, evidence, self.embedder, self.prompts, s)]
        else:
            sentences = attribute_quotes(sentences, evidence, self.prompts.get("attribution", lang), s.speaker_share)
        sentences, found = figure_notes(sentences, evidence, query, self.prompts, lang, s)
        text, citations, sentences = compose(sentences, evidence, s.span_min_share)
        return _answer(query, text, passages, citations=citations, sentences=sentences, extractive=extractive,
                       backend=backend, disagreements=found, timings=clock.timings())


def compose(sentences: list[AnswerSentence], evidence: list[Evidence],
            span_min_share: float = 0.3) -> tuple[str, list[Citation], list[AnswerSentence]]:
    """The answer text with markers renumbered 1..m in order of use, its citations, and the sentences
    with `cites` in that numbering."""
    text, mapping = renumber(sentences)
    by_number = {e.number: e for e in evidence}
    best: dict[int, float] = {}
    claims: dict[int, list[str]] = {}
    for sent in sentences:
        for n in sent.cites if sent.supported else []:
            best[n] = max(best.get(n, 0.0), sent.support)
            claims.setdefault(n, []).append(sent.text)
    citations = [_citation(new, by_number[old].passage, best[old], claims[old], span_min_share)
                 for old, new in sorted(mapping.items(), key=lambda kv: kv[1])]
    renumbered = [replace(sent, cites=[mapping[n] for n in sent.cites] if sent.supported else [])
                  for sent in sentences]
    return text, citations, renumbered


def _generate(llm: LLM, messages: list[dict[str, str]], s: Settings, stream: bool) -> Generator[str, None, str]:
    if not stream:
        return llm.generate(messages, s.max_tokens, s.temperature)
    raw = ""
    for tok in llm.stream(messages, s.max_tokens, s.temperature):
        raw += tok
        yield tok
    return raw


def _answer(query: Query, text: str, passages: list[Passage], **fields: Any) -> Answer:
    return Answer(query.text, text, query.lang, passages=passages, standalone_question=query.standalone,
                  as_of=query.as_of.isoformat(), timeframe=query.timeframe.describe() if query.timeframe else "",
                  **fields)


def _citation(number: int, p: Passage, support: float, claims: list[str], span_min_share: float) -> Citation:
    m = p.meta
    return Citation(number=number, chunk_id=p.id, dispatch_id=m.dispatch_id, file=m.path, date=m.date,
                    title=m.title, lang=m.lang, section=m.section, source=m.source, text=p.text, start=m.start,
                    end=m.end, is_caption=m.is_caption, support=support,
                    spans=cited_spans(p.text, claims, span_min_share),
                    speakers=list(dict.fromkeys(q.speaker for q in m.quotes)))


class _Clock:
    """Seconds spent in each step, and in all."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: dict[str, float] = {"condense": 0.0, "retrieval": 0.0, "generation": 0.0}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name], self.last = now - self.last, now

    def timings(self) -> dict[str, float]:
        return {**self.laps, "total": time.perf_counter() - self.start}
