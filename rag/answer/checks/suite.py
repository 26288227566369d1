"""The one suite of checks: the evidence gate, each sentence the model writes, the extractive quote and
`rag judge` all go through it. It runs the registered checks of a stage and keeps every verdict."""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace

import numpy as np

from rag.answer.checks.base import REGISTRY, Check, Claim, Passages, Reader, Source
from rag.answer.checks.gate import gate_source
from rag.answer.query import Query
from rag.errors import ConfigError
from rag.language.dates import Period, days_meant
from rag.language.words import fold
from rag.reading.reading import read
from rag.settings import Settings
from rag.values import AnswerSentence, Evidence, Passage, Verdict

# checks the answer cannot do without: turning them off is refused
CORE = {"support", "similar"}


class Suite:
    """The registered checks, built with their settings. `gate_floor`: the cosine a passage needs at the gate;
    `support_floor`: the embedder's relevance floor, from which support counts closeness. `without`: checks
    left out (ablation: `rag eval --without`). `verifier`: the model asked yes or no (the grounded check; None:
    it does not run)."""

    def __init__(self, settings: Settings, gate_floor: float, support_floor: float,
                 without: Collection[str] = (), verifier: Reader | None = None) -> None:
        unknown = set(without) - set(REGISTRY)
        if unknown:
            raise ConfigError(f"Unknown check(s) {', '.join(sorted(unknown))}; the checks are: "
                              f"{', '.join(sorted(REGISTRY))}.", "checks_disabled")
        if set(without) & CORE:
            raise ConfigError(f"The checks {', '.join(sorted(CORE))} cannot be turned off.", "checks_disabled")
        values = {**settings.model_dump(), "floor": gate_floor, "verifier": verifier}
        self.checks: dict[str, Check] = {name: cls(**values) for name, cls in REGISTRY.items() if name not in without}
        self.support_floor = support_floor
        self.cap = settings.unsupported_cap
        self.min_support = settings.min_support

    def stage(self, stage: str, query: Query) -> list[Check]:
        return [c for c in self.checks.values() if stage in c.stages and c.applies(query)]

    # -- the gate --------------------------------------------------------------------------------------
    def relevant(self, query: Query, p: Passage) -> list[Verdict]:
        """The gate's verdicts on a passage (all must hold)."""
        source = gate_source(p)
        return [c(None, source, query) for c in self.stage("gate", query) if c.name != "story_sibling"]

    def sibling(self, query: Query, p: Passage, anchors: list[Passage]) -> Verdict | None:
        check = self.checks.get("story_sibling")
        if check is None:
            return None
        return check(None, gate_source(p, " ".join(a.text for a in anchors)), query)

    # -- what the model wrote --------------------------------------------------------------------------
    def passages(self, query: Query, evidence: list[Evidence]) -> Passages:
        """The answer's passages read once, as the checks see them."""
        sources = []
        for e in evidence:
            near = " ".join([e.meta.title, *(q.speaker for q in e.meta.quotes)])
            stated = f"{stated_days(e)} {story_figures(query, e, evidence)}".strip()
            sources.append(Source(e.number, read(e.text), near=near, context=" ".join([near, *e.meta.doc_names]),
                                  stated=stated, lang=e.meta.lang, passage=e.passage))
        return Passages(tuple(sources), query.lang)

    def support(self, claim: Claim, source: Source, query: Query) -> tuple[float, list[Verdict]]:
        """The support score of a claim by one passage, and the verdicts behind it: a failed check of effect
        "zero" makes it 0, one of effect "cap" caps it at unsupported_cap."""
        verdicts = [c(claim, source, query) for c in self.stage("support", query) if c.effect != "score"]
        failed = {self.checks[v.check].effect for v in verdicts if not v.ok}
        if "zero" in failed:
            score = 0.0
        else:
            score = self.checks["support"].score(claim, source, query, self.support_floor, not failed)
            score = min(score, self.cap) if failed else score
        score = round(score, 3)
        return score, [*verdicts, self.checks["support"].verdict(score, source)]

    def attribute(self, claim: Claim, query: Query) -> AnswerSentence:
        """The claim with its valid, supporting citations: those it wrote that hold, else the best passage
        if it holds; unsupported otherwise. Its verdicts are those of the passages it cites (or, left out,
        of the passage that supported it best)."""
        sources = claim.passages.sources
        judged = [self.support(claim, s, query) for s in sources]
        scores = [score for score, _ in judged]
        valid = [n for n in claim.claimed if 1 <= n <= len(sources)]
        cites = [n for n in valid if scores[n - 1] >= self.min_support]
        if not cites and scores:
            best = int(np.argmax(scores))
            if scores[best] >= self.min_support:
                cites = [best + 1]
        support = max((scores[n - 1] for n in cites), default=max(scores, default=0.0))
        shown = cites or ([int(np.argmax(scores)) + 1] if scores else [])
        verdicts = [v for n in shown for v in judged[n - 1][1]]
        return AnswerSentence(claim.text, cites, support, bool(cites), list(claim.claimed), verdicts=verdicts)

    def answer(self, sentence: AnswerSentence, claim: Claim, query: Query) -> AnswerSentence:
        """A supported sentence against the question and the passages it cites (a count question needs a count
        of what is asked): a failed verdict leaves it out."""
        if not sentence.supported:
            return sentence
        verdicts = []
        for check in self.stage("answer", query):
            if check.name in _CLAIM_WIDE:
                verdicts.append(check(claim, None, query))
            else:
                verdicts += [check(claim, s, query) for s in claim.passages.cited(sentence.cites)]
        return _judged(sentence, verdicts)

    def lead(self, sentence: AnswerSentence, claim: Claim, query: Query) -> AnswerSentence:
        """The sentence that would open the answer gives an answer of the kind asked."""
        if not sentence.supported:
            return sentence
        return _judged(sentence, [c(claim, None, query) for c in self.stage("lead", query)])

    def language(self, sentence: AnswerSentence, claim: Claim, query: Query) -> AnswerSentence:
        """The sentence as it would be shown is in the question's language."""
        if not sentence.supported:
            return sentence
        return _judged(sentence, [c(claim, None, query) for c in self.stage("language", query)])

    def verify(self, sentence: AnswerSentence, claim: Claim, query: Query) -> AnswerSentence:
        """A sentence every other check let stand, asked of the model: it holds when one of the passages it
        cites holds (a sentence may join two)."""
        if not sentence.supported:
            return sentence
        verdicts = []
        for check in self.stage("verify", query):
            verdict = None
            for source in claim.passages.cited(sentence.cites):
                verdict = check(claim, source, query)
                if verdict.ok:
                    break
            verdicts += [verdict] if verdict else []
        return _judged(sentence, verdicts)

    def quote(self, claim: Claim, source: Source, query: Query) -> list[Verdict]:
        """The verdicts on an extractive quote (all must hold for it to be shown); the checks that ask the
        model run last, and only when every other one held."""
        checks = self.stage("quote", query)
        verdicts = [c(claim, source, query) for c in checks if "verify" not in c.stages]
        if all(v.ok for v in verdicts):
            verdicts += [c(claim, source, query) for c in checks if "verify" in c.stages]
        return verdicts


_CLAIM_WIDE = {"count_given", "count_quantity"}  # answer-stage checks that look at the sentence alone


def _judged(sentence: AnswerSentence, verdicts: list[Verdict]) -> AnswerSentence:
    out = replace(sentence, verdicts=[*sentence.verdicts, *verdicts])
    return out if all(v.ok for v in verdicts) else replace(out, supported=False, cites=[])


def stated_days(e: Evidence) -> str:
    """The dates the passage's "jeudi", "yesterday" mean ("May 8, 2025 ; ..."), read from its dispatch's day:
    the model reads that date with the passage and may write it."""
    period = e.meta.period
    if period is None or period.is_month:
        return ""
    return " ; ".join(Period(d, d, d.isoformat()).label("en") for d in sorted(days_meant(e.text, period.start)))


def story_figures(query: Query, e: Evidence, evidence: list[Evidence]) -> str:
    """The question's figures ("en 2005") that another passage of the same story states and this one does
    not: a sentence restating them with this passage's fact ("3,9 % du marché en 2005") rests on the story."""
    story = [x.text for x in evidence if x.number != e.number and story_of(x.passage) == story_of(e.passage)]
    own = set(re.findall(r"\d+", e.text))
    return " ".join(sorted(n for n in query.names if n.isdigit() and n not in own
                           and any(re.search(rf"(?<!\d){n}(?!\d)", x) for x in story)))


def story_of(p: Passage) -> str:
    """What a passage is part of: its dispatch, or the story its title names (a long story filed in parts,
    an article split by paragraph)."""
    return f"title:{fold(p.meta.title)}" if p.meta.title.strip() else f"id:{p.dispatch_id}"

