"""The answer stage: question -> Query -> evidence -> prompt -> generation -> checked, cited Answer.

`Answerer.run` only orchestrates; each step is a function of its own module that takes values and
returns values: followup (is it a follow-up, condense it), query (analyze), evidence (gate), prompting
(passages that fit, messages), writer (each sentence checked by verify, with notes and the extractive
fallback) as the model writes.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from rag.answer.checks import Suite
from rag.answer.citations import SentenceSplitter, split_answer
from rag.answer.context import AnswerContext
from rag.answer.decision import band, load_decision
from rag.answer.evidence import Rejected, other_language_figures, select
from rag.answer.extractive import NO_QUESTION, focus, hint, quote_verdict
from rag.answer.followup import History, condense, is_follow_up
from rag.answer.prompting import Prompts, answer_messages, fit, passage_cost
from rag.answer.query import Query, analyze
from rag.answer.reasons import refusal_reasons
from rag.answer.turns import Turns
from rag.answer.verifier import Verifier
from rag.answer.versions import Disagreement
from rag.answer.writer import AnswerWriter
from rag.errors import ConfigError, ContextOverflow
from rag.filters import Filters
from rag.indexing.embedding import Embedder
from rag.language import table
from rag.language.detect import detect_language
from rag.language.words import count_tokens
from rag.llm import usage
from rag.llm.backends import LLM
from rag.retrieval import Retriever
from rag.settings import Settings
from rag.values import AnswerSentence, ChunkMeta, Evidence, Passage

# Prompt sizes in (estimated) tokens, besides the instructions and the question, which are counted.
HINT_TOKENS = 80  # the hint line: one passage sentence, quoted
MIN_PASSAGE_TOKENS = 60  # less than this is not one sentence of a passage: say the context is too small
OVERFLOW_MARGIN = 40  # kept free of the context: the chat template's own tokens, and our estimate's error

Status = Callable[..., None]  # on_status("searching"), ("found", n passages), ("writing")


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
    # what a wire format says of the item (ninjs, NewsML-G2, feeds): "" for plain dispatches
    located: str = ""  # dateline or place
    byline: str = ""
    version_time: str = ""  # ISO 8601: when this version of the item was made
    signal: str = ""  # correction | update
    superseded: str = ""  # ISO 8601: when a newer version replaced this one (the passage is an earlier version)


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
    stopped: bool = False  # cancelled while the model wrote: the answer is what had been shown
    backend: str = ""
    standalone_question: str = ""
    as_of: str = ""
    timeframe: str = ""  # the question's time expression and the date range it became
    disagreements: list[Disagreement] = field(default_factory=list)  # figures that differ between passages
    timeline: list[tuple[str, int, int]] = field(default_factory=list)  # versions, newest first: date, value, [n]
    rejected: list[Rejected] = field(default_factory=list)  # retrieved passages the gate left out, and why
    why: list[str] = field(default_factory=list)  # a refusal: why, in the answer's language
    # a refusal after the model was asked: the passages nearest the question, shown as such, not as an answer
    closest: list[Citation] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def dropped(self) -> list[AnswerSentence]:
        """Sentences removed: unsupported by any retrieved passage, or superseded by a note on differing figures."""
        return [s for s in self.sentences if not s.supported]

    @property
    def confidence(self) -> float | None:
        """The probability that the answer is right, as the calibrated decision weighed the first sentence shown
        (None: a refusal, or the vetoes decided)."""
        if self.refused:
            return None
        return next((s.confidence for s in self.sentences if s.supported and s.confidence is not None), None)

    def confidence_line(self) -> str:
        """'Confiance : élevée (0,93)', in the answer's language ('' without a probability)."""
        p = self.confidence
        if p is None:
            return ""
        words = table(self.lang, "reasons")
        shown = f"{p:.2f}".replace(".", ",") if self.lang == "fr" else f"{p:.2f}"
        return words["verdict"]["confidence"].format(band=words["confidence"][band(p)], p=shown)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["dropped"] = [asdict(s) for s in self.dropped]
        d["confidence"], d["confidence_line"] = self.confidence, self.confidence_line()
        return d

    def format(self, sources_only: bool = False) -> str:
        """Plain-text rendering for the terminal: answer, then each cited passage with file, date, quote."""
        lines = [] if sources_only else [self.text, ""]
        if self.timeframe:
            lines.insert(0 if sources_only else 1, f"(period searched: {self.timeframe})")
        lines += [self.confidence_line()] if self.confidence_line() and not sources_only else []
        lines += [_source_line(c) for c in self.citations]
        if self.closest:
            lines += ["", table(self.lang, "reasons")["verdict"]["closest"], *(_source_line(c) for c in self.closest)]
        return "\n".join([*lines, "", *self.checks()]).rstrip()

    def checks(self) -> list[str]:
        """What stood or fell and why, in the answer's language: one line per sentence checked, and the reasons
        of a refusal."""
        words = table(self.lang, "reasons")["verdict"]
        out = [f"  {words['kept' if s.supported else 'left_out']}: {s.text}" + (f" — {s.reason}" if s.reason else "")
               for s in self.sentences]
        out += [f"  {reason}" for reason in self.why]
        return [words["heading"], *out] if out else []


def _source_line(c: Citation) -> str:
    where = f"{c.file or c.dispatch_id} ({c.date or 'undated'}), chars {c.start}-{c.end}"
    kind = " [photo caption]" if c.is_caption else ""
    kind += f" [quotes: {', '.join(c.speakers)}]" if c.speakers else ""
    return f"[{c.number}] {where}{kind}\n    « {c.text} »"


class AnswerStream:
    """Iterate to get the answer's checked sentences as they are ready (join them with spaces); `.answer`
    holds the whole Answer once iteration is over. Nothing yielded is ever taken back. `cancel()`, from any
    thread, stops the model: the iteration ends with what was shown (`answer.stopped`)."""

    def __init__(self, gen: Generator[str | Sources, None, Answer], cancelled: threading.Event | None = None) -> None:
        self._gen = gen
        self.cancelled = cancelled or threading.Event()
        self.answer: Answer | None = None
        # the passages the model is given, as numbered citations, once found (before "found" is heard)
        self.sources: list[Citation] = []

    def cancel(self) -> None:
        self.cancelled.set()

    def __iter__(self) -> Iterator[str]:
        try:
            while True:
                try:
                    item = next(self._gen)
                except StopIteration as done:
                    self.answer = done.value
                    return
                if isinstance(item, Sources):
                    self.sources = list(item)
                else:
                    yield item
        finally:
            if self.answer is None:  # the reader stopped early: the model's work stops with it
                self._gen.close()


class Sources(list):
    """What run() yields once the evidence is chosen (AnswerStream keeps it as `.sources`, never as text)."""


class Answerer:
    def __init__(self, settings: Settings, retriever: Retriever, embedder: Embedder,
                 llm_factory: Callable[[], LLM], slots: Callable[[], int] | None = None) -> None:
        """`slots()`: answers the model writes at once (0: no limit here); default: the model's own `slots`."""
        self.settings, self.retriever, self.embedder = settings, retriever, embedder
        self._slots = slots or (lambda: getattr(llm_factory(), "slots", 0))
        self.prompts = Prompts(settings.prompts_path)
        self._llm_factory = llm_factory
        verifier = Verifier(llm_factory, self.prompts) if settings.verify_answers else None
        decision = load_decision(settings.answer_decision, settings.answer_decision_file)
        self.suite = Suite(settings, self.floor, embedder.relevance_floor, settings.checks_disabled, verifier,
                           decision)
        self.context = AnswerContext(embedder, self.prompts, settings, self.suite)
        self.turns = Turns(settings.max_waiting)

    @property
    def floor(self) -> float:
        """Cosine a passage needs to be used: the setting, else the embedder's calibrated value."""
        s = self.settings.min_relevance
        return s if s >= 0 else self.embedder.relevance_floor

    def run(self, question: str, filters: Filters | dict | None = None, k: int | None = None,
            history: History | None = None, stream: bool = False, as_of: str | date | None = None,
            on_status: Status | None = None, cancel: threading.Event | None = None
            ) -> Generator[str | Sources, None, Answer]:
        """Yield the answer's checked sentences as they pass their checks; return the whole Answer.

        With `stream`, the model's tokens are read as they come, so the first sentence shows early. While
        other answers hold the model, on_status("queued", n) says how many questions are ahead (Busy past
        settings.max_waiting); stopped while it waits, the answer is empty and `stopped`."""
        status = on_status or (lambda _step, _n=0: None)
        cancel = cancel or threading.Event()
        with self.turns.take(self._slots(), lambda ahead: status("queued", ahead), cancel) as ready:
            if not ready:
                return _answer(analyze(question, filters, as_of), "", [], stopped=True)
            return (yield from self._run(question, filters, k, history, stream, as_of, status, cancel))

    def _run(self, question: str, filters: Filters | dict | None, k: int | None, history: History | None,
             stream: bool, as_of: str | date | None, status: Status, cancel: threading.Event
             ) -> Generator[str | Sources, None, Answer]:
        clock = _Clock()
        standalone = self._standalone(question, history)
        query = analyze(question, filters, as_of, standalone)
        clock.lap("condense")
        status("searching")
        passages, evidence, rejected = self.gather(query, k)
        clock.lap("retrieval")
        yield Sources(_citation(e.number, e.passage, 0.0, []) for e in evidence)  # shown while it is written
        status("found", len(evidence))
        if not evidence:
            answer = self.refusal(query, passages, rejected, clock)
            yield answer.text
            return answer
        llm = self._llm_factory()
        writer = AnswerWriter(query, evidence, self.context)
        yield from writer.opening()
        status("writing")
        yield from self._write(writer, self._generate(llm, query, evidence, stream, cancel), cancel)
        if writer.needs_focus() and self.settings.focus_retry and not cancel.is_set():
            # a second try on one sentence alone: where the model found the answer, else the best span
            best = writer.found() or focus(query, evidence, self.embedder, self.settings)
            with usage.purpose(usage.SECOND_TRY):
                yield from self._write(writer, self._generate(llm, query, best, stream, cancel), cancel)
        if not cancel.is_set():
            yield from writer.finish()
        clock.lap("generation")
        return replace(self._answer_from(writer, query, passages, llm.name, clock), stopped=cancel.is_set(),
                       rejected=rejected)

    def ask(self, question: str, **kw: Any) -> Answer:
        stream = AnswerStream(self.run(question, stream=False, **kw))
        for _ in stream:
            pass
        return stream.answer

    def _standalone(self, question: str, history: History | None) -> str:
        if not history or not is_follow_up(question, history):
            return question
        return condense(question, history, self._llm_factory(), self.prompts, detect_language(question),
                        self.settings.condense_max_ratio)

    def gather(self, query: Query, k: int | None) -> tuple[list[Passage], list[Evidence], list[Rejected]]:
        """Retrieved passages (plus the other language's figures for count questions), the evidence kept, and
        the passages the gate left out with why."""
        passages = self.retriever.retrieve(query.standalone, k=k, filters=query.filters, as_of=query.as_of)
        passages += other_language_figures(query, passages, self.retriever)
        return passages, *select(query, passages, self.suite)

    def judge(self, sentence: str, passage: str, question: str = "", quote: bool = False) -> AnswerSentence:
        """A sentence as the model's would be checked, against one passage standing alone (labelled rows of
        `rag judge`): the support, answer, lead, language and verify stages of the suite; with `quote`, a
        passage sentence as the extractive quote is checked (the quote stage)."""
        query = analyze(question) if question else NO_QUESTION
        meta = ChunkMeta("judged", lang=detect_language(passage))
        evidence = [Evidence(1, Passage("judged", passage, meta))]
        if quote:
            return quote_verdict(sentence, evidence[0], query, self.suite)
        writer = AnswerWriter(query, evidence, self.context)
        text, claimed = (split_answer(sentence) or [(sentence, [])])[0]
        writer.add(text, claimed or [1])
        return writer.sentences[-1]

    def passage_budget(self, query: Query) -> int:
        """Tokens of passages the prompt may hold: the setting, within what the model's context leaves after
        the answer and the instructions (estimated; the model's own count corrects it, see _generate)."""
        s = self.settings
        context = min(s.embedded_ctx, s.num_ctx)
        around = _tokens(answer_messages(query.standalone, [], self.prompts, query.lang)) + HINT_TOKENS
        room = context - s.max_tokens - around - OVERFLOW_MARGIN
        if room < MIN_PASSAGE_TOKENS:
            raise ConfigError(f"A context of {context} tokens leaves no room for passages after the answer "
                              f"({s.max_tokens} tokens, DQA_MAX_TOKENS) and the instructions (about {around}): "
                              f"set DQA_EMBEDDED_CTX (or DQA_NUM_CTX for Ollama) to at least "
                              f"{context - room + 4 * MIN_PASSAGE_TOKENS}.", "embedded_ctx")
        return min(s.prompt_budget, room)

    def messages(self, query: Query, evidence: list[Evidence], budget: int | None = None) -> list[dict[str, str]]:
        """What the model reads: the best passages that fit the prompt budget."""
        s = self.settings
        shown = fit(evidence, s.prompt_passages, self.passage_budget(query) if budget is None else budget)
        template = self.prompts.get("answer", query.lang)  # (own prompts may lack the {hint} line)
        near = hint(query, shown, self.embedder, s) if s.prompt_hint and "{hint}" in template else None
        return answer_messages(query.standalone, shown, self.prompts, query.lang, near)

    @staticmethod
    def _write(writer: AnswerWriter, tokens: Iterator[str], cancel: threading.Event) -> Iterator[str]:
        """Complete sentences out of the model's tokens, each checked by the writer as soon as it is complete.
        Once cancelled, nothing more is checked: checks ask the model too, and a stopped answer shows no more."""
        splitter = SentenceSplitter()
        for token in tokens:
            for text, claimed in splitter.feed(token):
                if cancel.is_set():
                    return
                yield from writer.add(text, claimed)
        for text, claimed in splitter.finish() if not cancel.is_set() else ():
            yield from writer.add(text, claimed)

    def _generate(self, llm: LLM, query: Query, evidence: list[Evidence], stream: bool,
                  cancel: threading.Event) -> Iterator[str]:
        """The model's answer. When the model counts more prompt tokens than its context holds (our count is an
        estimate), fewer or shorter passages are sent, as many as its own count says fit."""
        s, budget = self.settings, self.passage_budget(query)
        for _ in range(3):
            messages = self.messages(query, evidence, budget)
            try:
                if not stream:
                    yield llm.generate(messages, s.max_tokens, s.temperature)
                    return
                tokens = llm.stream(messages, s.max_tokens, s.temperature, cancel)
                first = next(tokens, None)  # an overflow is told before the first token, so nothing is repeated
            except ContextOverflow as exc:
                budget = self._refit(query, evidence, budget, exc)
                continue
            if first is not None:
                yield first
                yield from tokens
            return
        raise ConfigError(f"The prompt still does not fit the model's context after cutting the passages "
                          f"twice; raise DQA_EMBEDDED_CTX (now {s.embedded_ctx}).", "embedded_ctx")

    def _refit(self, query: Query, evidence: list[Evidence], budget: int, overflow: ContextOverflow) -> int:
        """The largest passage budget under `budget` whose prompt fits the context as the model counts: its
        count over ours scales our estimate of the whole prompt."""
        s = self.settings
        ratio = overflow.prompt_tokens / max(_tokens(self.messages(query, evidence, budget)), 1)
        target = (overflow.context - s.max_tokens - OVERFLOW_MARGIN) / ratio
        budget = min(budget, sum(passage_cost(e) for e in fit(evidence, s.prompt_passages, budget)))
        while budget >= MIN_PASSAGE_TOKENS:
            budget = int(budget * 0.85)
            if _tokens(self.messages(query, evidence, budget)) <= target:
                return budget
        raise ConfigError(f"{overflow} Even one passage cut short does not fit with the question: raise "
                          "DQA_EMBEDDED_CTX or lower DQA_MAX_TOKENS.", "embedded_ctx") from overflow

    def refusal(self, query: Query, passages: list[Passage], rejected: list[Rejected], clock: _Clock) -> Answer:
        text = self.prompts.get("refusal", query.lang)
        if query.timeframe:  # say which period was searched: the user may have meant another one
            text = f"{text.rstrip('.')} ({query.timeframe.describe()})."
        return _answer(query, text, passages, refused=True, rejected=rejected, timings=clock.timings(),
                       why=refusal_reasons(rejected, query.lang, len(passages)))

    def _answer_from(self, writer: AnswerWriter, query: Query, passages: list[Passage], backend: str,
                     clock: _Clock) -> Answer:
        citations = [_citation(number, e.passage, support, writer.spans(e, claims))
                     for number, e, support, claims in writer.citations()]
        closest = [_citation(n, e.passage, 0.0, []) for n, e in enumerate(writer.closest(), 1)]
        return _answer(query, writer.text, passages, citations=citations, sentences=writer.final_sentences(),
                       refused=writer.refused, extractive=writer.extractive, backend=backend, why=writer.why(),
                       disagreements=writer.disagreements, timeline=writer.timeline, timings=clock.timings(),
                       closest=closest)


def _tokens(messages: list[dict[str, str]]) -> int:
    return sum(count_tokens(m["content"]) + 4 for m in messages)  # (+ the role and turn markers)


def _answer(query: Query, text: str, passages: list[Passage], **fields: Any) -> Answer:
    return Answer(query.text, text, query.lang, passages=passages, standalone_question=query.standalone,
                  as_of=query.as_of.isoformat(), timeframe=query.timeframe.describe() if query.timeframe else "",
                  **fields)


def _citation(number: int, p: Passage, support: float, spans: list[tuple[int, int]]) -> Citation:
    m = p.meta
    return Citation(number=number, chunk_id=p.id, dispatch_id=m.dispatch_id, file=m.path, date=m.date,
                    title=m.title, lang=m.lang, section=m.section, source=m.source, text=p.text, start=m.start,
                    end=m.end, is_caption=m.is_caption, support=support, spans=spans,
                    speakers=list(dict.fromkeys(q.speaker for q in m.quotes)), located=m.located, byline=m.byline,
                    version_time=m.version_time, signal=m.signal, superseded=m.superseded)


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
