"""Extractive fallback: when nothing the model wrote holds, quote the passage sentence that best answers."""
from __future__ import annotations

import math

from .attribution import names_speaker
from .citations import AnswerSentence, support_score
from .embedding import Embedder
from .evidence import Evidence
from .figures import counts, figures
from .prompting import Prompts
from .query import Query
from .settings import Settings
from .text import content_terms, entity_coverage, split_sentences


def candidates(evidence: list[Evidence]) -> list[tuple[str, Evidence]]:
    """Every sentence of every passage, and every pair of consecutive sentences (the answer often needs
    the sentence before it for context)."""
    out: list[tuple[str, Evidence]] = []
    for e in evidence:
        spans = list(split_sentences(e.text))
        for i, (s, end) in enumerate(spans):
            out.append((e.text[s:end], e))
            if i + 1 < len(spans):
                out.append((e.text[s:spans[i + 1][1]], e))
    return out


def extract(query: Query, evidence: list[Evidence], embedder: Embedder, prompts: Prompts,
            s: Settings) -> AnswerSentence:
    """The passage span (one or two sentences) that best answers the question, quoted verbatim."""
    cands = candidates(evidence)
    question = query.standalone
    cos = embedder.similarity([question], [c for c, _ in cands])[0]
    # A question word found in few candidate sentences says more than one found in all of them
    # ("délégation" versus "Djeddah" when every passage is about Djeddah).
    cand_terms = [content_terms(c) for c, _ in cands]
    idf = {t: math.log(1 + len(cands) / (1 + sum(t in ct for ct in cand_terms))) for t in query.terms}
    total = sum(idf.values()) or 1.0

    def score(i: int, text: str, e: Evidence, cv: float) -> float:
        value = sum(idf[t] for t in query.terms & cand_terms[i]) / total + cv
        if query.names:  # passages already passed the entity gate
            value += s.extract_name_bonus * entity_coverage(query.names, text, s.name_similarity)
        if query.wants_count and counts(text):
            asked = query.quantities & {f.key for f in figures(text)}
            value += s.extract_count_bonus + (s.extract_quantity_bonus if asked else 0.0)
        value -= s.extract_caption_penalty if e.passage.is_caption else 0.0
        return value - s.extract_sentence_penalty * len(list(split_sentences(text)))

    _, sentence, e = max(((score(i, c, e, float(cv)), c, e) for i, ((c, e), cv) in enumerate(zip(cands, cos))),
                         key=lambda x: (x[0], x[1], x[2].number))
    intro = prompts.get("extractive", query.lang).format(date=e.meta.date or "?", quote=sentence.strip())
    quote = next((q for q in e.meta.quotes if q.text in sentence), None)
    speaker = quote.speaker if quote else ""
    if speaker and not names_speaker(sentence, speaker):  # '"...", a-t-il déclaré': say who "il" is
        intro += " " + prompts.get("quoted_by", query.lang).format(speaker=speaker)
    return AnswerSentence(intro, [e.number], support_score(sentence, e.text, 1.0, 0.0), True, [e.number],
                          speaker=speaker)
