"""Extractive fallback: when nothing the model wrote holds, quote the passage sentence that best answers."""
from __future__ import annotations

import math
import re

from rag.answer.checks import Claim, Source, Suite
from rag.answer.checks.figures import misplaced
from rag.answer.context import AnswerContext
from rag.answer.evidence import alone
from rag.answer.prompting import dated
from rag.answer.query import Query, analyze, answers_kind
from rag.indexing.embedding import Embedder
from rag.language import alternatives
from rag.language.names import entity_coverage
from rag.language.sentences import split_sentences
from rag.language.words import content_terms
from rag.reading.figures import counts, figures
from rag.reading.quotes import names_speaker
from rag.reading.reading import read
from rag.settings import Settings
from rag.values import AnswerSentence, Evidence

NO_QUESTION = analyze("")  # a quote's support by its own passage is read without the question


def candidates(evidence: list[Evidence], pairs: bool = True) -> list[tuple[str, Evidence]]:
    """Every sentence of every passage, and every pair of consecutive sentences (the answer often needs
    the sentence before it for context). A sentence whose subject is a pronoun ("Celui-ci mène plusieurs
    expéditions", "He measures ...") comes with the sentence before it, which names who it is about."""
    out: list[tuple[str, Evidence]] = []
    for e in evidence:
        spans = list(split_sentences(e.text))
        starts = [spans[i - 1][0] if i and _ANAPHORIC.match(e.text[s:end]) else s for i, (s, end) in enumerate(spans)]
        units = [(starts[i], end) for i, (_, end) in enumerate(spans)]
        if pairs:
            units += [(starts[i], spans[i + 1][1]) for i in range(len(spans) - 1)]
        out += [(e.text[s:end], e) for s, end in dict.fromkeys(units)]
    return out


# A sentence opening on a pronoun or a possessive that points back ("Il mesure", "Celle-ci", "Sa thèse",
# "The latter"); impersonal openings ("Il y a", "Il faut", "It is") do not.
_ANAPHORIC = re.compile(rf"\W*(?:{alternatives('answers', 'anaphora')})\b", re.IGNORECASE)


def best_span(query: Query, evidence: list[Evidence], embedder: Embedder, s: Settings,
              pairs: bool = True) -> tuple[str, Evidence]:
    """The passage span (one or two sentences) that best answers the question: the words the question shares
    with it (rarer ones weigh more), its closeness, and an answer of the kind asked (the count of the quantity
    asked, a duration, a date, a name)."""
    cands = candidates(evidence, pairs)
    question = query.standalone
    cos = embedder.similarity([question], [c for c, _ in cands])[0]
    # A question word found in few candidate sentences says more than one found in all of them
    # ("délégation" versus "Djeddah" when every passage is about Djeddah).
    cand_terms = [content_terms(c) for c, _ in cands]
    idf = {t: math.log(1 + len(cands) / (1 + sum(t in ct for ct in cand_terms))) for t in query.terms}
    # Words of a passage's title say what its dispatch is about more than which of its sentences answers
    # ("Eurovision", "Basel" asked which country finished second): they weigh half there (a headline may
    # also name the answer: "prend le nom de Léon XIV"), and names in the title count as named by each of
    # its sentences.
    titles = {e.number: content_terms(e.meta.title) for e in evidence}
    weight = {n: {t: idf[t] * (0.5 if t in title else 1.0) for t in query.terms} for n, title in titles.items()}
    totals = {n: sum(w.values()) or 1.0 for n, w in weight.items()}
    untitled = {e.number: {n for n in query.names if entity_coverage({n}, e.meta.title, s.name_similarity) < 1.0}
                for e in evidence}

    names = {n for n in query.names if not n.isdigit()}

    def named_in(passage: str) -> set[str]:
        return {n for n in names if entity_coverage({n}, passage, s.name_similarity) == 1.0}

    floor = embedder.relevance_floor

    def score(i: int, text: str, e: Evidence, cv: float) -> float:
        shared = sum(weight[e.number][t] for t in query.terms & cand_terms[i]) / totals[e.number]
        if e.meta.lang and e.meta.lang != query.lang:  # the question's words can only be shared translated
            bridged = sum(bool(forms & cand_terms[i]) for forms in query.bridge) / max(len(query.bridge), 1)
            shared = max(shared, bridged, (cv - floor) / (1.0 - floor))  # or else closeness stands in
        value = shared + s.extract_closeness * cv
        if query.names:  # passages already passed the entity gate
            value += s.extract_name_bonus * entity_coverage(untitled[e.number], text, s.name_similarity)
        # a count about what the question names: "30 over Briansk", not the total "77" stated without it
        if query.wants_count and counts(text) and not misplaced(read(text), read(e.text), named_in(e.text)):
            asked = query.quantities & {f.key for f in figures(text)}
            value += s.extract_count_bonus + (s.extract_quantity_bonus if asked else 0.0)
        elif query.wants and not query.wants_count and answers_kind(text, query, strict=True):
            value += s.extract_kind_bonus
        value -= s.extract_caption_penalty if e.passage.is_caption else 0.0
        return value - s.extract_sentence_penalty * len(list(split_sentences(text)))

    _, sentence, e = max(((score(i, c, e, float(cv)), c, e) for i, ((c, e), cv) in enumerate(zip(cands, cos))),
                         key=lambda x: (x[0], x[1], x[2].number))
    return sentence, e


def hint(query: Query, evidence: list[Evidence], embedder: Embedder, s: Settings) -> tuple[int, str] | None:
    """(passage number, text) of the span that best answers, shown to the model after the passages: a small
    model given the sentence that answers answers from it more often than from its neighbours. None when that
    passage is in another language than the question: its facts must be translated, and a verbatim extract
    invites the model to copy them untranslated."""
    if not evidence:
        return None
    text, e = best_span(query, evidence, embedder, s)
    if e.meta.lang and e.meta.lang != query.lang:
        return None
    return e.number, " ".join(text.split())


def extract(query: Query, evidence: list[Evidence], context: AnswerContext) -> AnswerSentence | None:
    """The best passage span, quoted verbatim with its dispatch's date (and its speaker when the quote
    leaves it as a pronoun); None (with the calibrated decision: the quote, not supported) when it is not
    shown: a check of the quote stage fails (the question asks for a length, a duration, an age, an amount or
    a count and the span holds none: asked how many drones were shot down over Kursk, a sentence on the town
    retaken there is no count; or it counts other things than those asked, "quatre malfaiteurs" for "combien
    de suspects"), or the calibrated decision weighs it below its threshold."""
    embedder, prompts, s, suite = context
    sentence, e = best_span(query, evidence, embedder, s)
    if s.answer_decision == "calibrated":  # the same decision as the model's sentences, as a quote
        claim = Claim(read(sentence), (e.number,), {e.number: 1.0}, suite.passages(query, evidence))
        checked = suite.weigh(claim, claim, query, lead=False, quote=True)
    else:
        checked = quote_verdict(sentence, e, query, suite)
    if not checked.supported:  # weighed and left out: kept as such (the decision learns from quotes too)
        return checked if s.answer_decision == "calibrated" else None
    verdicts = checked.verdicts
    claim, source = Claim(read(sentence), (e.number,), {e.number: 1.0}), Source(e.number, read(e.text))
    intro = prompts.get("extractive", query.lang).format(dated=dated(e.meta.period, prompts, query.lang),
                                                         quote=sentence.strip())
    quote = next((q for q in e.meta.quotes if q.text in sentence), None)
    speaker = quote.speaker if quote else ""
    if speaker and not names_speaker(sentence, speaker):  # '"...", a-t-il déclaré': say who "il" is
        intro += " " + prompts.get("quoted_by", query.lang).format(speaker=speaker)
    support, held = suite.support(claim, source, NO_QUESTION)  # the quote's own passage: its support
    return AnswerSentence(intro, [e.number], support, True, [e.number], speaker=speaker, verdicts=[*held, *verdicts],
                          confidence=checked.confidence, values=checked.values)


def quote_verdict(sentence: str, e: Evidence, query: Query, suite: Suite) -> AnswerSentence:
    """The quote stage's verdicts on a passage span shown as the answer: supported when all hold."""
    claim, source = Claim(read(sentence), (e.number,), {e.number: 1.0}), Source(e.number, read(e.text))
    verdicts = suite.quote(claim, source, query)
    ok = all(v.ok for v in verdicts)
    return AnswerSentence(sentence, [e.number] if ok else [], 1.0 if ok else 0.0, ok, [e.number], verdicts=verdicts)


def focus(query: Query, evidence: list[Evidence], embedder: Embedder, s: Settings) -> list[Evidence]:
    """The best span as the only passage (same number, so citations still point at the whole passage)."""
    sentence, e = best_span(query, evidence, embedder, s, pairs=False)
    return [alone(e, sentence.strip())]
