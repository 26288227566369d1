"""The one suite of checks: the evidence gate, each sentence the model writes, the extractive quote and
`rag judge` all go through it. It runs the registered checks of a stage and keeps every verdict."""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace

import numpy as np

from rag.answer.checks.base import REGISTRY, Check, Claim, Passages, Reader, Source
from rag.answer.checks.claims import own_terms
from rag.answer.checks.figures import unsupported_figures
from rag.answer.checks.gate import gate_source
from rag.answer.decision import FEATURES, HARD, Decision
from rag.answer.query import Query, answers_kind
from rag.errors import ConfigError
from rag.language.dates import Period, days_meant
from rag.language.names import entity_coverage
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
    it does not run). `decision`: what weighs the verdicts of a sentence into shown or not (see `weigh`)."""

    def __init__(self, settings: Settings, gate_floor: float, support_floor: float,
                 without: Collection[str] = (), verifier: Reader | None = None,
                 decision: Decision | None = None) -> None:
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
        self.decision = decision  # the calibrated answer decision (None: every verdict must hold)

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
            # "; " between figures: "2025 2025" or "2005 12" would read as one number with spaced thousands
            stated = " ; ".join(filter(None, [stated_days(e), story_figures(query, e, evidence)]))
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

    # -- the calibrated decision (rag/answer/decision.py) -------------------------------------------------
    def weigh(self, claim: Claim, shown: Claim, query: Query, lead: bool, quote: bool = False) -> AnswerSentence:
        """Every check's verdict on a sentence, none stopping the others, then one decision: shown when no
        fact vetoes it (HARD) and the probability it is right reaches the decision's threshold (with no trained
        decision yet: when every verdict holds, as the vetoes decided). `shown`: the sentence as it would be
        shown (figures written the reader's way), which the language stage reads (not for a quote: the
        passage's own words). The re-reading, a model call, runs only when it could change the outcome. The
        sentence keeps the passages it rests on in `cites` even when it is not shown (the second try reads
        them)."""
        decision = self.decision
        sources = claim.passages.sources
        raws = [self.raw_support(claim, s, query) for s in sources]
        valid = [n for n in claim.claimed if 1 <= n <= len(sources)]
        cites = sorted({n for n in valid if raws[n - 1] >= self.min_support}, key=lambda n: -raws[n - 1])
        if not cites and raws:
            cites = [int(np.argmax(raws)) + 1]
        best = cites[0] if cites else 0
        source = sources[best - 1] if best else None
        verdicts = [*(self.support(claim, source, query)[1] if source else []),
                    *self._unstopped(claim, shown, source, query, lead, quote)]
        values = sentence_values(claim, source, query, raws[best - 1] if best else 0.0, best in valid, quote)
        values.update({f"fail_{v.check}": 1.0 for v in verdicts if not v.ok and f"fail_{v.check}" in FEATURES})
        hard = any(not v.ok and v.check in HARD for v in verdicts) or not best
        if not hard and (decision is None or decision.shown(decision.best_case(values))):
            for check in self.stage("verify", query):
                verdicts.append(check(claim, source, query))
                values.update(reread_values(verdicts[-1]))
        if decision is None:  # as the vetoes decided: every verdict holds
            ok, p = not hard and all(v.ok for v in verdicts) and raws[best - 1] >= self.min_support, None
        else:
            p = round(decision.probability(values), 3)
            ok = not hard and decision.shown(p)
            if not hard and not ok:  # no one check decided: say so first
                verdicts.insert(0, Verdict("decision", False, "unlikely",
                                           {"p": f"{p:.2f}", "threshold": f"{decision.threshold:.2f}"}, passage=best))
        verdicts.sort(key=lambda v: v.ok or v.check not in HARD)  # a fact that vetoed is the reason given
        support = raws[best - 1] if best else 0.0
        return AnswerSentence(claim.text, cites, round(support, 3), ok, list(claim.claimed),
                              verdicts=verdicts, confidence=p, values=values)

    def _unstopped(self, claim: Claim, shown: Claim, source: Source | None, query: Query, lead: bool,
                   quote: bool) -> list[Verdict]:
        """The verdicts of the answer, quote, lead and language stages on the sentence resting on `source`, and
        whether its figures are made up, all of them whatever the others decided."""
        verdicts = []
        for check in self.stage("answer", query) if source is not None else ():
            verdicts.append(check(claim, None if check.name in _CLAIM_WIDE else source, query))
        if quote:
            verdicts += [c(claim, source, query) for c in self.stage("quote", query) if "verify" not in c.stages]
        if lead:
            verdicts += [c(claim, None, query) for c in self.stage("lead", query)]
        if not quote:
            verdicts += [c(shown, None, query) for c in self.stage("language", query)]
        nowhere = figures_nowhere(claim, query)
        if nowhere:
            verdicts.append(Verdict("figure_nowhere", False, "figure_nowhere", {"figure": sorted(nowhere)[0]},
                                    passage=source.number if source else 0))
        return verdicts

    def raw_support(self, claim: Claim, source: Source, query: Query) -> float:
        """The support score before any check caps it."""
        return self.checks["support"].score(claim, source, query, self.support_floor, True)

    def quote(self, claim: Claim, source: Source, query: Query) -> list[Verdict]:
        """The verdicts on an extractive quote (all must hold for it to be shown); the checks that ask the
        model run last, and only when every other one held."""
        checks = self.stage("quote", query)
        verdicts = [c(claim, source, query) for c in checks if "verify" not in c.stages]
        if all(v.ok for v in verdicts):
            verdicts += [c(claim, source, query) for c in checks if "verify" in c.stages]
        return verdicts


_CLAIM_WIDE = {"count_given", "count_quantity"}  # answer-stage checks that look at the sentence alone


def figures_nowhere(claim: Claim, query: Query) -> set[str]:
    """The sentence's figures that no passage (with what it states without writing it) and not the question
    give: a fact, not a guess."""
    missing = set(claim.read.figure_values) - set(read(query.standalone).figure_values)
    for source in claim.passages.sources if missing else ():
        missing &= unsupported_figures(claim.read, source.with_stated)
    return missing


def sentence_values(claim: Claim, source: Source | None, query: Query, support: float, cited: bool,
                    quote: bool) -> dict[str, float]:
    """The decision's features that do not come from a failed check (rag/answer/decision.py, FEATURES)."""
    terms = claim.read.claim_terms
    values = {"support": support, "closeness": claim.closeness.get(source.number, 0.0) if source else 0.0,
              "question_closeness": source.dense if source else 0.0,
              "rank": 1.0 / source.number if source else 0.0, "cited": float(cited),
              "new_words": len(own_terms(claim, query)) / len(terms) if terms else 0.0, "quote": float(quote),
              "kind_missed": float(bool(query.wants) and not answers_kind(claim.text, query, strict=True))}
    if source is not None:
        names = {n for n in query.names if not n.isdigit()}
        values["names_held"] = entity_coverage(names, source.with_context.text)
        values["words_shared"] = (len(query.terms & source.with_context.terms) / len(query.terms)
                                  if query.terms else 1.0)
    return values


def reread_values(verdict: Verdict) -> dict[str, float]:
    """The re-reading's outcome as features: the answer it found agrees, another one, or none (then the
    yes-probability it gave)."""
    if verdict.reason == "passage_silent" or (verdict.ok and verdict.score is not None):
        return {"reread_asked": 1.0, "reread_yes": float(verdict.score or 0.0)}
    return {"reread_asked": 1.0, "reread_agrees": float(verdict.ok), "reread_other": float(not verdict.ok)}


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
    """The question's figures ("en 2005", "in January 2025") that this passage does not state but its story
    does, in another passage or in the dispatch's date (the model reads the date with the passage): a sentence
    restating them with this passage's fact ("3,9 % du marché en 2005", "the toll in January 2025 was 24")
    rests on the story."""
    story = [x.text for x in evidence if x.number != e.number and story_of(x.passage) == story_of(e.passage)]
    period = e.meta.period
    if period is not None:
        story += sorted(period.numbers)
    own = set(re.findall(r"\d+", e.text))
    return " ; ".join(sorted(n for n in query.names if n.isdigit() and n not in own
                           and any(re.search(rf"(?<!\d){n}(?!\d)", x) for x in story)))


def story_of(p: Passage) -> str:
    """What a passage is part of: its dispatch, or the story its title names (a long story filed in parts,
    an article split by paragraph)."""
    return f"title:{fold(p.meta.title)}" if p.meta.title.strip() else f"id:{p.dispatch_id}"

