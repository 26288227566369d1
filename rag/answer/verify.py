"""Check what the model wrote, one sentence at a time: markers, support in the cited passage, counts.

Nothing the model says is trusted: a sentence keeps a citation only when the cited passage supports it,
and a question about a count is answered only by a sentence that gives a count of that quantity.
"""
from __future__ import annotations

from dataclasses import replace

from rag.answer.citations import attribute
from rag.answer.evidence import story_figures
from rag.answer.query import Query
from rag.indexing.embedding import Embedder
from rag.language.dates import Period, days_meant
from rag.language.names import entity_coverage
from rag.reading.figures import (
    counts,
    counts_other_things,
    counts_something_else,
    figures,
    misplaced_figures,
    other_subject,
)
from rag.settings import Settings
from rag.values import AnswerSentence, Evidence


def check_sentence(text: str, claimed: list[int], evidence: list[Evidence], query: Query, embedder: Embedder,
                   s: Settings, stated: list[str] | None = None) -> AnswerSentence:
    """A generated sentence with its valid, supporting citations (or marked unsupported). `stated`: what each
    passage states without writing it (see implied), the same for every sentence of an answer."""
    texts = [e.text for e in evidence]
    nears = [" ".join([e.meta.title, *(q.speaker for q in e.meta.quotes)]) for e in evidence]
    contexts = [" ".join([near, *e.meta.doc_names]) for near, e in zip(nears, evidence)]
    cos = embedder.similarity([text], texts)
    checked = attribute([(text, claimed)], texts, cos, embedder.relevance_floor, s.min_support, query.standalone,
                        s.lexical_weight, s.unsupported_cap, contexts, nears, s.frame_closeness,
                        implied(query, evidence) if stated is None else stated)[0]
    return require_count(checked, query, [texts[n - 1] for n in checked.cites])


def implied(query: Query, evidence: list[Evidence]) -> list[str]:
    """For each passage, what it states without writing it: the dates its relative days mean, and the
    question's figures its story gives elsewhere (see citations.support_score)."""
    return [f"{stated_days(e)} {story_figures(query, e, evidence)}".strip() for e in evidence]


def stated_days(e: Evidence) -> str:
    """The dates the passage's "jeudi", "yesterday" mean ("May 8, 2025 ; ..."), read from its dispatch's day:
    the model reads that date with the passage and may write it."""
    period = e.meta.period
    if period is None or period.is_month:
        return ""
    return " ; ".join(Period(d, d, d.isoformat()).label("en") for d in sorted(days_meant(e.text, period.start)))


def require_count(sentence: AnswerSentence, query: Query, cited: list[str]) -> AnswerSentence:
    """For "how many" questions, only a sentence with a count of the quantity asked stays supported: a figure
    of another quantity does not answer ("missing" asked, the death toll given), nor a figure the passage
    gives for something other than what the question names (asked about Briansk: 77 was the total over
    Russia, 30 the count over Briansk), or for other people or another action (Russian prisoners asked,
    the 430 were Ukrainians; drones launched asked, the 77 were shot down), nor a count of other things
    (the dead asked, "12 000 bâtiments" given; suspects arrested asked, the "quatre malfaiteurs" who stole)."""
    if not query.wants_count or not sentence.supported:
        return sentence
    keys = {f.key for f in figures(sentence.text)}
    wrong = not counts(sentence.text) or (query.quantities and keys and not query.quantities & keys)
    # the dead asked, "12 000 bâtiments" given: a count of something else
    wrong = wrong or bool(query.quantities and not keys and counts_other_things(sentence.text))
    names = {n for n in query.names if not n.isdigit()}
    for passage in cited:
        here = {n for n in names if entity_coverage({n}, passage) == 1.0}
        wrong = wrong or misplaced_figures(sentence.text, passage, here)
        wrong = wrong or other_subject(query.standalone, sentence.text, passage)
        wrong = wrong or counts_something_else(query.standalone, sentence.text, passage)
    return replace(sentence, supported=False, cites=[]) if wrong else sentence
