"""The answer comes first and is of the kind asked: a length, a duration, an age, an amount, a share, a rank, a
date or a time, a name."""
from __future__ import annotations

from rag.answer.checks.base import Check, Claim, Source, Verdict, register
from rag.answer.query import Query, answers_kind, measurable


@register
class AnswerFirst(Check):
    name = "answer_first"
    stages = ("lead",)
    summary = ("The sentence that opens the answer gives an answer of the kind asked: a percentage or a "
               "fraction for a share ('part de marché': not the vehicles sold), a rank for a rank ('which party "
               "came second': not the winner's sentence), a date or a time in words for 'when', a unit for a "
               "length, a duration, an age or an amount.")
    cases = [
        {"sentence": "Le CDU/CSU a gagné l'élection.", "question": "Quel parti est arrivé deuxième ?",
         "passage": "Le CDU/CSU a gagné l'élection, devant l'AfD, deuxième.", "ok": False},
        {"sentence": "L'AfD est arrivée deuxième.", "question": "Quel parti est arrivé deuxième ?",
         "passage": "Le CDU/CSU a gagné l'élection, devant l'AfD, deuxième.", "ok": True},
    ]

    def applies(self, query: Query) -> bool:
        return bool(query.wants)

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        return self.holds() if answers_kind(claim.text, query) else self.fails("wrong_kind", kind=query.wants)


@register
class QuoteKind(Check):
    name = "quote_kind"
    stages = ("quote",)
    summary = ("A quote for a question asking a length, a duration, an age or an amount holds one: a near miss "
               "is not an answer.")
    cases = [
        {"sentence": "La trêve a été acceptée par l'Ukraine.", "question": "Combien de temps durerait la trêve ?",
         "passage": "La trêve a été acceptée par l'Ukraine.", "ok": False},
        {"sentence": "La trêve durerait 30 jours.", "question": "Combien de temps durerait la trêve ?",
         "passage": "La trêve durerait 30 jours.", "ok": True},
    ]

    def applies(self, query: Query) -> bool:
        return measurable(query)

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        if answers_kind(claim.text, query):
            return self.holds(source)
        return self.fails("wrong_kind", source, kind=query.wants)
