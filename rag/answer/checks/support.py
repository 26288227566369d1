"""Support stage, the score: how much of the sentence the passage says, in words and in meaning."""
from __future__ import annotations

import numpy as np

from rag.answer.checks.base import Check, Claim, Source, Verdict, register
from rag.answer.checks.claims import own_terms
from rag.answer.query import Query


@register
class Support(Check):
    name = "support"
    stages = ("support",)
    effect = "score"
    uses = ("min_support", "lexical_weight", "frame_closeness", "unsupported_cap")
    summary = ("The support score, 0..1: the share of the sentence's content words in the passage (weight "
               "lexical_weight) and its embedding closeness to the passage above the relevance floor (the rest). "
               "The question's words restated in other words are its frame, not a claim: the share of the "
               "sentence's own words counts too when it is close in meaning to the passage (frame_closeness). "
               "Across languages no word can be shared: a sentence whose figures and names all hold counts as "
               "overlapping. A sentence keeps a citation at min_support.")
    cases = [
        {"sentence": "La région de Briansk en a compté 30.", "passage": "La région de Briansk en a compté 30 à "
         "elle seule.", "ok": True},
        {"sentence": "Le G7 se réunit à Charlevoix.", "passage": "La région de Briansk en a compté 30 à elle "
         "seule.", "closeness": 0.7, "ok": False},
    ]

    def score(self, claim: Claim, source: Source, query: Query, floor: float, anchored: bool) -> float:
        """The score before the vetoes of the other checks (`anchored`: none of them failed)."""
        cosine = claim.closeness.get(source.number, 0.0)
        semantic = float(np.clip((cosine - floor) / max(1.0 - floor, 1e-6), 0.0, 1.0))
        terms, p_terms = claim.read.claim_terms, source.with_stated.claim_terms
        own = own_terms(claim, query)
        own_share = len(own & p_terms) / len(own) if own and semantic >= self.frame_closeness else 0.0
        lexical = max(len(terms & p_terms) / len(terms), own_share) if own else 0.0
        across = claim.read.lang != source.read.lang
        if anchored and across and (claim.read.figure_values or claim.read.names):
            lexical = 1.0
        return self.lexical_weight * lexical + (1 - self.lexical_weight) * semantic

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        raise TypeError("the support score is computed by Suite.support, with the other checks' vetoes")

    def verdict(self, score: float, source: Source) -> Verdict:
        if score >= self.min_support:
            return Verdict(self.name, True, passage=source.number, score=score)
        return Verdict(self.name, False, "low_support", {"score": f"{score:.2f}", "needed": f"{self.min_support:.2f}"},
                       passage=source.number, score=score)
