"""Support stage, what a sentence is as a claim: it is whole, and it says something the question did not."""
from __future__ import annotations

from rag.answer.checks.base import Check, Claim, Source, Verdict, register
from rag.answer.query import Query
from rag.reading.reading import read


@register
class Complete(Check):
    name = "complete"
    stages = ("support",)
    effect = "zero"
    summary = ("A sentence that stops mid-way ('a pris le nom de.') or says the same words twice is no claim: "
               "its support is 0.")
    cases = [
        {"sentence": "Le nouveau pape a pris le nom de Léon XIV.", "passage": "Il a pris le nom de Léon XIV.",
         "ok": True},
        {"sentence": "Le nouveau pape a pris le nom de.", "passage": "Il a pris le nom de Léon XIV.", "ok": False},
        {"sentence": "Le premier échevin est le premier échevin.", "passage": "Le premier échevin est élu.",
         "ok": False},
    ]

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        if claim.read.truncated:
            return self.fails("truncated", source)
        if claim.read.repeats:
            return self.fails("repeats", source)
        return self.holds(source)


@register
class SaysSomething(Check):
    name = "says_something"
    stages = ("support",)
    effect = "zero"
    summary = ("A sentence must share with the passage a word of its own, not only the question's words "
               "(small models echo the question); across languages any word of its own counts. A negation is a "
               "claim of its own ('the FDP will not be represented').")
    cases = [
        {"sentence": "Combien de drones au-dessus de Briansk ?", "question": "Combien de drones au-dessus de "
         "Briansk ?", "passage": "La région de Briansk en a compté 30.", "ok": False},
        {"sentence": "La région de Briansk en a compté 30.", "question": "Combien de drones au-dessus de "
         "Briansk ?", "passage": "La région de Briansk en a compté 30.", "ok": True},
    ]

    def applies(self, query: Query) -> bool:
        return bool(query.standalone)

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        own = own_terms(claim, query)
        across = claim.read.lang != source.read.lang
        if own & source.with_stated.claim_terms or (across and own):
            return self.holds(source)
        return self.fails("restates", source)


def own_terms(claim: Claim, query: Query) -> frozenset[str]:
    """The claim's content terms that the question does not have."""
    terms = claim.read.claim_terms
    return terms - read(query.standalone).claim_terms if query.standalone else terms
