"""Verify and quote stages, the model re-reads: asked the question again over only the passage sentences a
sentence rests on, it gives the passage's words that answer (or says they do not); the sentence stands only
when it gives what that re-reading found. A quote shown as the answer must be found to answer the same way.

It runs last, on what every other check let stand (it costs a short generation), and only with a model able
to re-read (not SmolLM2: rag/llm/models.py); see rag/answer/verifier.py.
"""
from __future__ import annotations

import re

from rag.answer.checks.base import Check, Claim, Source, Verdict, register
from rag.answer.query import Query
from rag.language.numbers import figure_values
from rag.language.words import content_terms


@register
class Grounded(Check):
    name = "grounded"
    stages = ("verify", "quote")
    uses = ("verify_answers", "verify_window", "verify_min_overlap", "verify_min_yes")
    summary = ("The answering model re-reads the question over the verify_window passage sentences the "
               "sentence shares most words with, and gives the passage's words that answer, or none: the "
               "sentence stands only when it holds what was found (verify_min_overlap of its words, or its "
               "figure). A value the passage gives for another thing than the one asked ('77 drones over "
               "Kalouga' where 77 is the total and 25 Kalouga's) or a passage about another subject ('the price "
               "of bread is 88 million euros' over a theft) is left out; a quote shown as the answer must be "
               "found to answer the question. When the re-reading gives no span, the model is asked yes or no "
               "whether the sentences say what is asked (a yes/no question, a span it missed): below "
               "verify_min_yes, left out.")
    # (they need the model: tests/test_checks.py runs them with the packaged Qwen model)
    cases = [
        {"sentence": "77 drones ont été abattus au-dessus de Kalouga.", "question": "Combien de drones ont été "
         "abattus au-dessus de Kalouga ?", "passage": "Selon le ministère russe de la Défense, 77 drones ukrainiens "
         "ont été abattus dans la nuit, dont 30 au-dessus de la région de Briansk et 25 au-dessus de celle de "
         "Kalouga.", "ok": False},
        {"sentence": "25 drones ont été abattus au-dessus de Kalouga.", "question": "Combien de drones ont été "
         "abattus au-dessus de Kalouga ?", "passage": "Selon le ministère russe de la Défense, 77 drones ukrainiens "
         "ont été abattus dans la nuit, dont 30 au-dessus de la région de Briansk et 25 au-dessus de celle de "
         "Kalouga.", "ok": True},
        {"sentence": "Le prix du pain à Paris est estimé à 88 millions d'euros.", "question": "Quel est le prix du "
         "pain à Paris ?", "passage": "Le préjudice est estimé à 88 millions d'euros, a annoncé mardi la "
         "procureure de Paris, Laure Beccuau.", "ok": False},
    ]

    def __init__(self, **settings) -> None:
        super().__init__(**settings)
        self.verifier = settings.get("verifier")

    def applies(self, query: Query) -> bool:
        return bool(self.verify_answers and self.verifier is not None and query.text.strip() and self.verifier.able)

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        question = query.standalone or query.text
        quoted = claim.text.strip() in source.text
        across = bool(source.lang) and source.lang != query.lang  # no shared words to choose sentences by
        excerpt = claim.text if quoted else source.text if across else window(claim.text, question, source,
                                                                                 self.verify_window)
        excerpt = titled(excerpt, source, query)
        found = self.verifier.reread(question, excerpt, query.lang)
        if found and not gives(excerpt, found, self.verify_min_overlap):
            found = ""  # not the passage's words ("XXI century" for "XIXe et XXe siècles"): no span read
        if not found:  # no span: asked yes or no whether the passage says what is asked
            p = round(self.verifier.says(question, excerpt, query.lang), 3)
            if p >= self.verify_min_yes:
                return Verdict(self.name, True, passage=source.number, score=p)
            return Verdict(self.name, False, "passage_silent", passage=source.number, score=p)
        if gives(claim.text, found, self.verify_min_overlap):
            return Verdict(self.name, True, args={"found": found}, passage=source.number)
        return self.fails("other_answer", source, found=found)


def titled(excerpt: str, source: Source, query: Query) -> str:
    """The excerpt under its dispatch's title: a sentence cut from its story no longer says what it is about
    ("Israel's Yuval Raphael finished second", of the Eurovision in Basel), and the model then says it does not
    answer. Not when the passage holds the title already (the first sentence of its dispatch, cut to make one):
    read twice, it reads as two passages. With the dispatch's date when the question's year or day is only
    there ("in January 2025" over a toll dated January 14, 2025): the answer was written with it."""
    title = source.passage.meta.title.strip() if source.passage else ""
    lede = title.rstrip("…. ")  # a title made of the dispatch's first sentence, cut
    head = title if lede and lede not in source.text and lede not in excerpt else ""
    when = dated(excerpt, source, query)
    head = f"{head} ({when})" if head and when else head or when
    return f"{head}\n\n{excerpt}" if head else excerpt


def dated(excerpt: str, source: Source, query: Query) -> str:
    """The dispatch's date as a reader says it, when the question names a year or a day of it the excerpt does
    not state ("" otherwise)."""
    period = source.passage.meta.period if source.passage else None
    if period is None:
        return ""
    asked = {n for n in query.names if n.isdigit()} - set(re.findall(r"\d+", excerpt))
    return period.label(query.lang) if asked & period.numbers else ""


def gives(sentence: str, found: str, min_overlap: float) -> bool:
    """The sentence holds the answer found: a figure of it, or min_overlap of its content words."""
    values = figure_values(found)
    if values:
        return bool(values & figure_values(sentence))
    wanted = content_terms(found)
    return not wanted or len(wanted & content_terms(sentence)) / len(wanted) >= min_overlap


def window(claim: str, question: str, source: Source, size: int) -> str:
    """The passage sentences the claim rests on: the `size` sharing most content words with the claim and the
    question, in the passage's order (the whole passage when it is that short)."""
    spans = source.read.sentences
    if len(spans) <= size:
        return source.text
    text = source.text
    wanted = content_terms(f"{claim} {question}")
    ranked = sorted(range(len(spans)), key=lambda i: -len(wanted & content_terms(text[spans[i][0]:spans[i][1]])))
    return " ".join(text[spans[i][0]:spans[i][1]].strip() for i in sorted(ranked[:size]))
