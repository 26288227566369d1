"""Question -> retrieval -> prompt -> generation -> checked citations -> Answer (or a refusal)."""
from __future__ import annotations

import math
import re
import time
from collections.abc import Generator, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from .attribution import attributed, names_speaker, passage_quotes, speaker_of
from .citations import AnswerSentence, attribute, cited_spans, renumber, split_answer, support_score
from .embedding import Embedder
from .llm import LLM
from .prompts import load_prompt
from .retrieval import Filters, Passage, Retriever
from .settings import Settings
from .timeframe import time_filters
from .versions import Disagreement, asked_quantities, counts, disagreements, figures, quantity_labels
from .text import content_terms, detect_language, entities, entity_coverage, split_sentences

# Instruction-like text inside a dispatch is masked before the model sees it: dispatches are data.
INJECTION_RE = re.compile(
    r"(?i)\b(ignore[rz]?|oublie[rz]?|disregard|forget|override)\b[^.!?\n]{0,80}?"
    r"\b(instructions?|consignes?|règles|rules|prompts?|system)\b[^.!?\n]*[.!?]?"
)
COUNT_RE = re.compile(r"(?i)\b(combien|how (many|much)|quel(le)?s? (est |sont |était )?(le |la |les |l')?"
                      r"(dernier )?(bilan|nombre|montant|chiffre)|what (is |was )?the (latest |death )?(number|toll)"
                      r"|what (number|toll))\b")
_MASK = {"fr": "[consigne retirée]", "en": "[instruction removed]"}


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
    def __init__(self, settings: Settings, retriever: Retriever, embedder: Embedder, llm_factory) -> None:
        self.settings, self.retriever, self.embedder = settings, retriever, embedder
        self._llm_factory = llm_factory

    @property
    def llm(self) -> LLM:
        return self._llm_factory()

    def prompt(self, name: str, lang: str) -> str:
        return load_prompt(self.settings.prompts_dir, name, lang)

    def run(self, question: str, filters: Filters | dict | None = None, k: int | None = None,
            history: list[tuple[str, str]] | None = None, stream: bool = False,
            as_of: str | date | None = None) -> Generator[str, None, Answer]:
        """Yield answer tokens as generated (if stream), and return the checked Answer.

        `as_of` (default today) anchors time expressions ("hier", "last week"); when given, it also
        hides dispatches dated after it, so an evaluation can replay the news as it stood that day.
        """
        t0 = time.perf_counter()
        lang = detect_language(question)
        standalone = self.condense(question, history, lang) if history else question
        t1 = time.perf_counter()
        flt, frame, day = time_filters(filters, standalone, as_of)
        passages = self.retriever.retrieve(standalone, k=k, filters=flt, as_of=day)
        passages += self.other_language_figures(standalone, passages, flt, day)
        selected = self.select(passages, standalone)
        t2 = time.perf_counter()
        answer = Answer(question, "", lang, passages=passages, standalone_question=standalone,
                        as_of=day.isoformat(), timeframe=frame.describe() if frame else "")
        if not selected:
            answer.text, answer.refused = self.prompt("refusal", lang), True
            if frame:  # say which period was searched: the user may have meant another one
                answer.text = f"{answer.text.rstrip('.')} ({frame.describe()})."
            answer.timings = _timings(t0, t1, t2, time.perf_counter())
            if stream:
                yield answer.text
            return answer
        llm = self.llm
        answer.backend = llm.name
        messages = self.messages(standalone, selected, lang)
        raw = ""
        if stream:
            for tok in llm.stream(messages, self.settings.max_tokens, self.settings.temperature):
                raw += tok
                yield tok
        else:
            raw = llm.generate(messages, self.settings.max_tokens, self.settings.temperature)
        t3 = time.perf_counter()
        self.check(answer, raw, selected, standalone)
        answer.timings = _timings(t0, t1, t2, t3)
        return answer

    def ask(self, question: str, **kw: Any) -> Answer:
        stream = AnswerStream(self.run(question, stream=False, **kw))
        for _ in stream:
            pass
        return stream.answer

    def other_language_figures(self, question: str, passages: list[Passage], flt: Filters,
                               as_of: date) -> list[Passage]:
        """For a question about a count, up to two passages in the other language that give that count.

        Retrieval ranks one language first; a toll updated in an English dispatch after a French one
        would otherwise never be compared with it."""
        asked = asked_quantities(question)
        present = {p.meta.get("lang") for p in passages}
        other = [lang for lang in ("fr", "en") if lang not in present and (not flt.lang or lang in flt.lang)]
        if not asked or not other or not passages:
            return []
        seen = {p.id for p in passages}
        found = self.retriever.retrieve(question, k=len(passages), filters=replace(flt, lang=other), as_of=as_of)
        return [p for p in found if p.id not in seen and asked & {f.key for f in figures(p.text)}][:2]

    def select(self, passages: list[Passage], question: str) -> list[Passage]:
        """Passages relevant enough to answer from, numbered 1..m; empty -> refusal, no generation.

        Dense similarity alone cannot tell "the Myanmar quake" from "the Turkey quake", so when the
        question names entities or figures, a passage must also contain them (transliterations allowed).
        """
        floor = self.relevance_floor
        q_ents, q_terms = entities(question), content_terms(question)
        need = 1.0 if len(q_ents) <= 2 else 2 / 3
        keep = []
        for p in passages:
            context = " ".join([p.text, p.meta.get("title", ""), p.meta.get("date", ""), p.meta.get("section", ""),
                                p.meta.get("doc_entities", "")])
            if q_ents:
                ok = p.dense >= floor and entity_coverage(q_ents, context) >= need
            else:  # no name to check: a clearly closer passage, or one holding most of the question's words
                shared = len(q_terms & content_terms(context))
                ok = p.dense >= floor + self.embedder.backend.relevance_margin or (
                    p.dense >= floor and len(q_terms) >= 2 and shared >= 0.6 * len(q_terms))
            if ok:
                keep.append(p)
        for i, p in enumerate(keep, 1):
            p.number = i
        return keep

    @property
    def relevance_floor(self) -> float:
        s = self.settings.min_relevance
        return s if s >= 0 else self.embedder.relevance_floor

    def messages(self, question: str, passages: list[Passage], lang: str) -> list[dict[str, str]]:
        tpl = self.prompt("passage", lang)
        safe = lambda text: INJECTION_RE.sub(_MASK[lang], text)  # noqa: E731
        rendered = "\n".join(tpl.format(
            number=p.number, date=p.meta.get("date") or "?", title=safe(p.meta.get("title", "")),
            section=f", {safe(p.meta['section'])}" if p.meta.get("section") else "",
            text=safe(p.text)) for p in passages)
        user = self.prompt("answer", lang).format(passages=rendered, question=question)
        return [{"role": "system", "content": self.prompt("system", lang)}, {"role": "user", "content": user}]

    def check(self, answer: Answer, raw: str, selected: list[Passage], question: str) -> None:
        """Validate the model's citations in code; fall back to quoting the best sentence if nothing holds."""
        pieces = split_answer(raw)
        texts = [p.text for p in selected]
        floor = self.embedder.relevance_floor
        if pieces:
            cos = self.embedder.similarity([s for s, _ in pieces], texts)
            answer.sentences = attribute(pieces, texts, cos, floor, self.settings.min_support, question)
        if COUNT_RE.search(question):  # "how many" is answered only by a sentence with a count
            asked = asked_quantities(question)
            for s in answer.sentences:
                keys = {f.key for f in figures(s.text)}
                # a figure of another quantity does not answer ("missing" asked, the death toll given)
                if s.supported and (not counts(s.text) or (asked and keys and not asked & keys)):
                    s.supported, s.cites = False, []
        if not any(s.supported for s in answer.sentences):
            if not self.settings.extractive_fallback:
                answer.text, answer.refused = self.prompt("refusal", answer.lang), True
                return
            answer.sentences.append(self.extract(question, selected, answer.lang))
            answer.extractive = True
        else:
            self.attribute_quotes(answer.sentences, selected, answer.lang)
        self.reconcile_figures(answer, selected, question)
        answer.text, mapping = renumber(answer.sentences)
        by_number = {p.number: p for p in selected}
        best: dict[int, float] = {}
        claims: dict[int, list[str]] = {}
        for s in answer.sentences:
            for n in s.cites if s.supported else []:
                best[n] = max(best.get(n, 0.0), s.support)
                claims.setdefault(n, []).append(s.text)
        answer.citations = [_citation(new, by_number[old], best[old], claims[old]) for old, new in
                            sorted(mapping.items(), key=lambda kv: kv[1])]
        for s in answer.sentences:  # from here on, cites use the numbering of answer.citations
            s.cites = [mapping[n] for n in s.cites] if s.supported else []

    def reconcile_figures(self, answer: Answer, passages: list[Passage], question: str) -> None:
        """When the passages give different values of a quantity the answer is about (a toll updated
        between two versions, or two sources disagreeing), the answer leads with the newest value and
        names the other, each with its own citation; sentences stating either value alone are dropped."""
        keys = asked_quantities(question) or {f.key for s in answer.sentences if s.supported for f in figures(s.text)}
        found = disagreements(passages, keys)
        if not found:
            return
        labels = quantity_labels(self.prompt("quantities", answer.lang))
        notes: list[AnswerSentence] = []
        for d in found:
            def lines(kind: str, old: str, old_date: str, d: Disagreement = d) -> list[str]:
                return self.prompt(kind, answer.lang).format(
                    label=labels.get(d.key, d.key), new=d.newer.text, old=old, new_date=d.newer_date or "?",
                    old_date=old_date or "?").split("\n")

            first, second = lines("contradiction" if d.same_day else "versions", d.older.text, d.older_date)[:2]
            notes += [AnswerSentence(first, [d.newer_passage], 1.0, True),
                      AnswerSentence(second, [d.older_passage], 1.0, True)]
            # still older versions: "Une version antérieure, du 2025-03-29, donnait 1.644 morts."
            notes += [AnswerSentence(lines("versions", f.text, day)[1], [n], 1.0, True) for f, n, day in d.earlier]
            for s in answer.sentences:
                if s.supported and any(f.key == d.key for f in figures(s.text)):
                    s.supported = False  # superseded by the note, which gives both values
        answer.sentences = notes + answer.sentences
        answer.disagreements = found

    def attribute_quotes(self, sentences: list[AnswerSentence], passages: list[Passage], lang: str) -> None:
        """A sentence that reports someone's quoted words says whose they are ("Selon Marco Rubio, ...")."""
        by_number = {p.number: p for p in passages}
        template = self.prompt("attribution", lang)
        for s in sentences:
            if not s.supported:
                continue
            quotes = [q for n in s.cites for q in passage_quotes(by_number[n].text, by_number[n].meta)]
            speaker = speaker_of(s.text, quotes)
            if speaker:
                s.speaker = speaker
                if not names_speaker(s.text, speaker):
                    s.text = attributed(s.text, speaker, template)

    def extract(self, question: str, passages: list[Passage], lang: str) -> AnswerSentence:
        """The passage span (one or two sentences) that best answers the question, quoted verbatim."""
        candidates: list[tuple[str, int]] = []
        for p in passages:
            spans = list(split_sentences(p.text))
            for i, (s, e) in enumerate(spans):
                candidates.append((p.text[s:e], p.number))
                if i + 1 < len(spans):  # the answer often needs the sentence before it for context
                    candidates.append((p.text[s:spans[i + 1][1]], p.number))
        q_terms, q_ents = content_terms(question), entities(question)
        wants_figure, asked = bool(COUNT_RE.search(question)), asked_quantities(question)
        cos = self.embedder.similarity([question], [c for c, _ in candidates])[0]
        # A question word found in few candidate sentences says more than one found in all of them
        # ("délégation" versus "Djeddah" when every passage is about Djeddah).
        cand_terms = [content_terms(c) for c, _ in candidates]
        idf = {t: math.log(1 + len(candidates) / (1 + sum(t in ct for ct in cand_terms))) for t in q_terms}
        total = sum(idf.values()) or 1.0

        def score(i: int, text: str, number: int, cv: float) -> float:
            value = sum(idf[t] for t in q_terms & cand_terms[i]) / total + cv
            value += 0.2 * entity_coverage(q_ents, text) if q_ents else 0.0  # passages already passed the entity gate
            if wants_figure and counts(text):
                value += 0.3 + (0.4 if asked & {f.key for f in figures(text)} else 0.0)
            value -= 0.6 if passages[number - 1].is_caption else 0.0
            return value - 0.03 * len(list(split_sentences(text)))

        _, sentence, number = max((score(i, c, n, float(cv)), c, n)
                                  for i, ((c, n), cv) in enumerate(zip(candidates, cos)))
        p = passages[number - 1]
        intro = self.prompt("extractive", lang).format(date=p.meta.get("date") or "?", quote=sentence.strip())
        quote = next((q for q in passage_quotes(p.text, p.meta) if q.text in sentence), None)
        speaker = quote.speaker if quote else ""
        if speaker and not names_speaker(sentence, speaker):  # '"...", a-t-il déclaré': say who "il" is
            intro += " " + self.prompt("quoted_by", lang).format(speaker=speaker)
        return AnswerSentence(intro, [number], support_score(sentence, p.text, 1.0, 0.0), True, [number],
                              speaker=speaker)

    def condense(self, question: str, history: list[tuple[str, str]], lang: str) -> str:
        """Rewrite a follow-up into a standalone question; keep the model's rewrite only if it is sane."""
        last_q = history[-1][0]
        convo = "\n".join(f"Q: {q}\nA: {a}" for q, a in history[-3:])
        raw = self.llm.generate([{"role": "user", "content": self.prompt("condense", lang).format(
            history=convo, question=question)}], 64, 0.0).strip().split("\n")[0]
        needed, got = content_terms(question), content_terms(raw)
        # Keep the rewrite only if it keeps the follow-up's words and brings context from the last question.
        brings_context = bool((got - needed) & content_terms(last_q))
        if raw and needed <= got and brings_context and len(raw) < 4 * len(last_q) + len(question):
            return raw
        return merge_followup(last_q, question)


def merge_followup(previous: str, followup: str) -> str:
    """Fallback condensation: 'Et au-dessus de Kalouga ?' + previous question -> one retrieval query."""
    tail = re.sub(r"^\s*(et|and|what about|how about|and what about)\b[\s,]*", "", followup, flags=re.I)
    return f"{previous.rstrip(' ?')} — {tail}"


def _citation(number: int, p: Passage, support: float, claims: list[str]) -> Citation:
    m = p.meta
    return Citation(number=number, chunk_id=p.id, dispatch_id=m.get("dispatch_id", ""), file=m.get("path", ""),
                    date=m.get("date", ""), title=m.get("title", ""), lang=m.get("lang", ""),
                    section=m.get("section", ""), source=m.get("source", ""), text=p.text,
                    start=int(m.get("start", 0)), end=int(m.get("end", 0)), is_caption=bool(m.get("is_caption")),
                    support=support, spans=cited_spans(p.text, claims),
                    speakers=list(dict.fromkeys(q.speaker for q in passage_quotes(p.text, m))))


def _timings(t0: float, t1: float, t2: float, t3: float) -> dict[str, float]:
    return {"condense": t1 - t0, "retrieval": t2 - t1, "generation": t3 - t2, "total": time.perf_counter() - t0}
