"""Check what the model wrote, sentence by sentence: markers, support in the cited passage, counts.

Nothing the model says is trusted: a sentence keeps a citation only when the cited passage supports it,
and a question about a count is answered only by a sentence that gives a count of that quantity.
"""
from __future__ import annotations

from dataclasses import replace

from .citations import AnswerSentence, attribute, split_answer
from .embedding import Embedder
from .evidence import Evidence
from .figures import counts, figures
from .query import Query
from .settings import Settings


def check_sentences(raw: str, evidence: list[Evidence], query: Query, embedder: Embedder,
                    s: Settings) -> list[AnswerSentence]:
    """Each generated sentence with its valid, supporting citations (or marked unsupported)."""
    pieces = split_answer(raw)
    if not pieces:
        return []
    texts = [e.text for e in evidence]
    cos = embedder.similarity([text for text, _ in pieces], texts)
    checked = attribute(pieces, texts, cos, embedder.relevance_floor, s.min_support, query.standalone,
                        s.lexical_weight, s.unsupported_cap)
    return require_counts(checked, query)


def require_counts(sentences: list[AnswerSentence], query: Query) -> list[AnswerSentence]:
    """For "how many" questions, only sentences with a count of the quantity asked stay supported
    (a figure of another quantity does not answer: "missing" asked, the death toll given)."""
    if not query.wants_count:
        return sentences
    out = []
    for sent in sentences:
        keys = {f.key for f in figures(sent.text)}
        wrong = not counts(sent.text) or (query.quantities and keys and not query.quantities & keys)
        out.append(replace(sent, supported=False, cites=[]) if sent.supported and wrong else sent)
    return out
