"""The checked answer, written one sentence at a time: what a user is shown is final, never replaced.

Each sentence the model completes is checked (citations, support, counts) and then shown with its markers
or left out. Notes on figures that differ between story versions come first when the question asks for
that quantity, or in place of the first sentence stating such a figure. When nothing the model wrote holds,
the answer is a verbatim quote of the best passage sentence (or a refusal, if the model said it could not
answer, or when the extractive fallback is off).
"""
from __future__ import annotations

from dataclasses import replace

from rag.answer.checks import Claim
from rag.answer.citations import cited_spans, render
from rag.answer.context import AnswerContext
from rag.answer.decision import HARD
from rag.answer.evidence import alone
from rag.answer.extractive import extract
from rag.answer.notes import attribute_quote, correction_note, version_note
from rag.answer.query import Query
from rag.answer.reasons import refusal_after_writing, sentence_reasons
from rag.answer.versions import Disagreement, disagreements
from rag.language.numbers import localize_figures
from rag.language.words import content_terms
from rag.reading.figures import figures
from rag.reading.reading import read
from rag.values import AnswerSentence, Evidence, Verdict

CLOSEST = 3  # passages a refusal lists as the closest (not an answer)


class AnswerWriter:
    def __init__(self, query: Query, evidence: list[Evidence], context: AnswerContext) -> None:
        self.query, self.evidence = query, evidence
        self.context = context
        self.embedder, self.prompts, self.s, self.suite = context
        self.sentences: list[AnswerSentence] = []  # every sentence checked, in order, dropped ones included
        self.shown: list[str] = []
        self.mapping: dict[int, int] = {}  # prompt passage number -> citation number, by first use
        self.disagreements: list[Disagreement] = []
        self.timeline: list[tuple[str, int, int]] = []  # story versions, newest first: (date, value, citation number)
        self.noted: set[str] = set()
        self.generated = False  # a sentence of the model held (shown, or given by a note instead)
        self.abstained = False  # the model said the passages do not answer
        self.extractive = self.refused = False
        # the first sentence that held but was written with the other language's words: where the answer is
        self.untranslated: AnswerSentence | None = None
        self.passages = self.suite.passages(query, evidence)  # read once for every sentence of the answer

    def opening(self) -> list[str]:
        """Notes on differing figures of the quantity asked, before anything the model writes."""
        return self._notes(self.query.quantities)

    def add(self, text: str, claimed: list[int]) -> list[str]:
        """Check one complete sentence of the model; return what to show (nothing, the sentence, or a note)."""
        lang = self.query.lang
        if is_refusal(text, self.prompts.get("refusal", lang)):
            self.abstained = True
            self.sentences.append(AnswerSentence(text, [], 0.0, False, claimed))
            return []
        claim = self._claim(text, claimed)
        sent = self._weighed(claim) if self.s.answer_decision == "calibrated" else self._vetoed(claim)
        if not sent.supported:
            self.sentences.append(replace(sent, cites=[]))
            return []
        self.generated = True
        return self._supported(attribute_quote(sent, self.evidence, self.prompts.get("attribution", lang),
                                               self.s.speaker_share))

    def _weighed(self, claim: Claim) -> AnswerSentence:
        """The sentence weighed by the calibrated decision (Suite.weigh), figures written the reader's way."""
        shown = localize_figures(claim.text, self.query.lang, *self.passages.by_language)
        sent = self.suite.weigh(claim, Claim(read(shown), passages=self.passages), self.query, not self.generated)
        failed = {v.check for v in sent.verdicts if not v.ok}
        if "one_language" in failed and not failed & (set(HARD) - {"one_language"}) and self._would_show(sent):
            self.untranslated = self.untranslated or sent
        return replace(sent, text=shown)

    def _would_show(self, sent: AnswerSentence) -> bool:
        """Shown but for its language (the re-reading not asked: at its most favourable)."""
        decision = self.suite.decision
        if decision is None:
            return all(v.ok or v.check == "one_language" for v in sent.verdicts)
        return decision.shown(decision.best_case(sent.values))

    def _vetoed(self, claim: Claim) -> AnswerSentence:
        """The sentence through the stages of checks, any failed verdict leaving it out."""
        lang = self.query.lang
        sent = self.suite.answer(self.suite.attribute(claim, self.query), claim, self.query)
        if not self.generated:  # the answer comes first: a duration, a date, a name
            sent = self.suite.lead(sent, claim, self.query)
        # figures copied from the other language's passages, written the reader's way ("82,5 %", "2,719")
        sent = replace(sent, text=localize_figures(sent.text, lang, *self.passages.by_language))
        if sent.supported:
            checked = self.suite.language(sent, Claim(read(sent.text), passages=self.passages), self.query)
            if not checked.supported:
                self.untranslated = self.untranslated or sent
            sent = self.suite.verify(checked, claim, self.query)
        return sent

    def _claim(self, text: str, claimed: list[int]) -> Claim:
        """A sentence of the model read once, with its closeness to each passage."""
        cos = self.embedder.similarity([text], [e.text for e in self.evidence])[0]
        return Claim(read(text), tuple(claimed), {e.number: float(c) for e, c in zip(self.evidence, cos)},
                     self.passages)

    def needs_focus(self) -> bool:
        """Nothing the model wrote holds, and it did not say the passages lack the answer."""
        return not (self.generated or self.shown or self.abstained)

    def found(self) -> list[Evidence]:
        """The passage sentence a sentence rests on that held but was left untranslated (as its only passage,
        same number), or nothing: the second try then reads the sentence the model found the answer in,
        which the best span may not be ("Tropicana Field, le home stadium des Rays": not the lede on
        central Florida)."""
        sent = self.untranslated
        by_number = {e.number: e for e in self.evidence}
        for n in sent.cites if sent else []:
            e = by_number[n]
            spans = cited_spans(e.text, [sent.text], self.s.span_min_share)
            if spans:
                return [alone(e, " ".join(e.text[s:end] for s, end in spans))]
        return []

    def finish(self) -> list[str]:
        """Once the model is done: the extractive quote or the refusal, when nothing it wrote holds; then, under
        an answer, that a source it cites is an agency's correction, and when it was corrected."""
        shown = self._last_resort()
        if self.refused:
            return shown
        by_number = {e.number: e for e in self.evidence}
        for n in list(self.mapping):
            note = correction_note(by_number[n], self.prompts, self.query.lang)
            shown += self._show(note) if note else []
        return shown

    def _last_resort(self) -> list[str]:
        if self.generated or self.shown:
            return []
        quote = None
        if self.s.extractive_fallback and not self.abstained:
            quote = extract(self.query, self.evidence, self.context)
        if quote is not None and not quote.supported:  # weighed and left out
            self.sentences.append(replace(quote, cites=[]))
            quote = None
        if quote is None:
            self.refused = True
            self.shown.append(self.prompts.get("refusal", self.query.lang))
            return self.shown[-1:]
        self.extractive = True
        return self._supported(quote)

    def _supported(self, sent: AnswerSentence) -> list[str]:
        """Show a supported sentence, unless a figure in it differs between versions: then the note instead."""
        keys = {f.key for f in figures(sent.text)}
        notes = [] if self.query.quantities else self._notes(keys - self.noted)
        if keys & self.noted:  # superseded by the note, which gives both values
            superseded = Verdict("versions", False, "superseded")
            self.sentences.append(replace(sent, supported=False, verdicts=[*sent.verdicts, superseded]))
            return notes
        return notes + self._show(sent)

    def _notes(self, keys: set[str] | frozenset[str]) -> list[str]:
        if not keys:
            return []
        s = self.s
        found = disagreements(self.evidence, keys, s.story_days, s.story_overlap, s.max_earlier)
        out: list[str] = []
        for d in found:
            self.noted.add(d.key)
            self.disagreements.append(d)
            for note in version_note(d, self.prompts, self.query.lang):
                out += self._show(note)
            versions = [(d.newer_date, d.newer.value, d.newer_passage), (d.older_date, d.older.value, d.older_passage),
                        *((day, f.value, n) for f, n, day in d.earlier)]
            self.timeline += [(day, value, self.mapping[n]) for day, value, n in versions]
        return out

    def _show(self, sent: AnswerSentence) -> list[str]:
        self.sentences.append(sent)
        self.shown.append(render(sent, self.mapping))
        return self.shown[-1:]

    @property
    def text(self) -> str:
        return " ".join(self.shown)

    def citations(self) -> list[tuple[int, Evidence, float, list[str]]]:
        """(number, evidence, best support, claims) of each cited passage, in citation order."""
        by_number = {e.number: e for e in self.evidence}
        out = []
        for old, new in sorted(self.mapping.items(), key=lambda kv: kv[1]):
            citing = [x for x in self.sentences if x.supported and old in x.cites]
            out.append((new, by_number[old], max(x.support for x in citing), [x.text for x in citing]))
        return out

    def final_sentences(self) -> list[AnswerSentence]:
        """The sentences with `cites` in the numbering of the citations (dropped ones cite nothing) and the
        reasons of their verdicts in the answer's language."""
        return [sentence_reasons(replace(x, cites=[self.mapping[n] for n in x.cites] if x.supported else []),
                                 self.query.lang, self.mapping) for x in self.sentences]

    def closest(self) -> list[Evidence]:
        """A refusal's nearest passages (the best ranked, CLOSEST of them, one per dispatch: two passages of one
        story say the same thing twice), shown as not an answer."""
        if not self.refused:
            return []
        firsts: dict[str, Evidence] = {}
        for e in self.evidence:
            firsts.setdefault(e.passage.meta.dispatch_id, e)
        return list(firsts.values())[:CLOSEST]

    def why(self) -> list[str]:
        """Why the answer is a refusal ([] when it is not)."""
        return refusal_after_writing(self.abstained, self.query.lang) if self.refused else []

    def spans(self, evidence: Evidence, claims: list[str]) -> list[tuple[int, int]]:
        return cited_spans(evidence.text, claims, self.s.span_min_share)


def is_refusal(sentence: str, refusal: str) -> bool:
    """The model's own 'I cannot find this information' (most of the refusal's words, little else)."""
    want, got = content_terms(refusal), content_terms(sentence)
    return bool(want) and len(want & got) >= 0.75 * len(want) and len(got - want) <= 2
