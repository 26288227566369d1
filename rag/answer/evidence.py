"""Evidence gate: which retrieved passages are close enough to the question to answer from (the gate
checks are in checks/gate.py).

A refusal costs less than a wrong cited answer, so a passage must be similar to the question and, when
the question names people, places or figures, hold them. Passages that pass are numbered [1]..[m]:
these numbers are the ones the prompt shows and the model cites.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from rag.answer.checks import Suite
from rag.answer.checks.suite import story_of
from rag.answer.query import Query
from rag.language import LANGUAGES
from rag.reading.figures import figures
from rag.retrieval import Retriever
from rag.values import Evidence, Passage, Verdict


def other_language_figures(query: Query, passages: list[Passage], retriever: Retriever) -> list[Passage]:
    """For a question about a count, up to two passages in the other language that give that count.

    Retrieval ranks one language first; a toll updated in an English dispatch after a French one
    would otherwise never be compared with it."""
    flt = query.filters
    present = {p.meta.lang for p in passages}
    other = [lang for lang in LANGUAGES if lang not in present and (not flt.lang or lang in flt.lang)]
    if not query.quantities or not other or not passages:
        return []
    seen = {p.id for p in passages}
    found = retriever.retrieve(query.standalone, k=len(passages), filters=replace(flt, lang=other), as_of=query.as_of)
    return [p for p in found if p.id not in seen and query.quantities & {f.key for f in figures(p.text)}][:2]


def select(query: Query, passages: list[Passage], suite: Suite) -> tuple[list[Evidence], list[Rejected]]:
    """Passages relevant enough to answer from, numbered 1..m (empty -> refusal, no generation), and the
    passages left out with the verdicts that left them out.

    Dense similarity alone cannot tell "the Myanmar quake" from "the Turkey quake", so when the
    question names entities or figures, a passage must also contain them (transliterations allowed). The
    other passages of a story found relevant may answer without restating the question (checks/gate.py).
    """
    judged = {p.id: suite.relevant(query, p) for p in passages}
    kept = [p for p in passages if all(v.ok for v in judged[p.id])]
    by_story: dict[str, list[Passage]] = {}
    for p in kept:
        by_story.setdefault(story_of(p), []).append(p)
    ids = {p.id for p in kept}
    for p in passages:
        if p.id not in ids and story_of(p) in by_story:
            verdict = suite.sibling(query, p, by_story[story_of(p)])
            if verdict is None:
                continue
            judged[p.id].append(verdict)
            if verdict.ok:
                kept.append(p)
    order = {p.id: i for i, p in enumerate(passages)}  # retrieval order, siblings in their place
    kept_ids = {p.id for p in kept}
    evidence = [Evidence(i, p) for i, p in enumerate(sorted(kept, key=lambda p: order[p.id]), 1)]
    return evidence, [Rejected(p, judged[p.id]) for p in passages if p.id not in kept_ids]


@dataclass(frozen=True)
class Rejected:
    """A retrieved passage the gate left out, and why."""

    passage: Passage
    verdicts: list[Verdict]


def alone(e: Evidence, text: str) -> Evidence:
    """The passage cut to one span of it, under the same number (what the model cites stays valid)."""
    return replace(e, passage=replace(e.passage, text=text))
