"""Citation markers: parse, validate against retrieved passages, attribute uncited sentences, check support."""
from __future__ import annotations

import re

import numpy as np

from rag.language.detect import detect_language
from rag.language.names import entities, entity_coverage
from rag.language.numbers import figure_values, numbers, unsupported_figures
from rag.language.sentences import split_sentences
from rag.language.words import content_terms, fold, looks_truncated, repeats_itself
from rag.reading.figures import misdated_figures, misplaced_figures
from rag.values import AnswerSentence

MARKER_RE = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# Highlighting (display only): sharing the claim's figures counts half a word share; sentences within
# 80% of the best one are marked too, when they carry at least half of the claim (a quote over two sentences).
_NUMBER_BONUS, _NEAR_BEST, _ALSO_MARK = 0.5, 0.8, 0.5
_LEADING_MARKERS = re.compile(r"^(\s*\[\d+(?:\s*[,;]\s*\d+)*\]\s*[.!?]?)+\s*")


def parse_markers(sentence: str) -> tuple[str, list[int]]:
    """'Il y a 77 drones [1][2].' -> ('Il y a 77 drones.', [1, 2])."""
    nums: list[int] = []
    for m in MARKER_RE.finditer(sentence):
        nums.extend(int(x) for x in re.split(r"\s*[,;]\s*", m.group(1)))
    clean = MARKER_RE.sub("", sentence).strip()
    clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
    return clean, list(dict.fromkeys(nums))


def split_answer(text: str) -> list[tuple[str, list[int]]]:
    """Split model output into (sentence, claimed markers); markers trailing a period join their sentence."""
    out: list[tuple[str, list[int]]] = []
    flat = re.sub(r"\s+", " ", text).strip()
    for s, e in split_sentences(flat):
        piece = flat[s:e]
        lead = _LEADING_MARKERS.match(piece)
        if lead and out:  # "... Briansk. [1] Next sentence": the marker belongs to the previous one
            out[-1][1].extend(n for n in parse_markers(lead.group())[1] if n not in out[-1][1])
            piece = piece[lead.end():]
        clean, nums = parse_markers(piece)
        clean = re.sub(r"^[^\w\"«“(]+", "", tidy(clean))  # debris such as '») ' copied from the prompt
        clean = re.sub(r"\s*[\[\]]\s*", " ", clean).strip()  # a bracket left of a broken marker
        if clean[:1].islower() and not clean[1:2].isupper():  # shown on its own: a capital ("eBay" stays)
            clean = clean[0].upper() + clean[1:]
        if re.search(r"\w", clean) and all(clean != prev for prev, _ in out):
            out.append((clean, nums))
    return out


# "selon X", "according to X", "X said": who the sentence says claims it.
_NAME = r"((?:[A-ZÉÈ][\w'-]+\s?){1,4})"
_SPEAKERS = [re.compile(rf"\b(?:[Ss]elon|[Dd]'après|[Aa]ccording to)\s+(?:the |le |la |l')?[^,.]*?{_NAME}"),
             re.compile(rf"{_NAME}\s*,?\s+(?:said|says|told|claimed|stated|declared|a (?:déclaré|affirmé|indiqué|"
                        r"estimé|assuré|précisé|souligné|annoncé))\b")]
# The model talking about its input ("selon le passage", "according to the first passage [2]") says nothing.
_SELF_REFERENCE = re.compile(
    r"(?i),?\s*(selon|d'après|according to|as stated in|comme l'indique)\s+(le |la |les |the )?"
    r"(premier |second |deuxième |first |second )?(passages?|dépêches?|dispatch(es)?|texte|text)"
    r"(\s+(numéro\s+)?\d+)?|,?\s*(selon|according to)\s*(?=[.!?]?$)|^(selon|according to)\s*,\s*")


def tidy(sentence: str) -> str:
    """The sentence without references to the passages themselves, nor a "Yes," that its own negation
    contradicts ("Yes, the FDP will not be represented": small models open every answer with yes)."""
    sentence = _SELF_REFERENCE.sub("", sentence).strip()
    yes = re.match(r"(?i)(yes|oui)\s*,(?!\s*(?:but|mais)\b)\s*", sentence)
    return sentence[yes.end():] if yes and _NEGATION.search(fold(sentence)) else sentence


def speakers(sentence: str) -> set[str]:
    """Folded names of who the sentence says claims it."""
    found: set[str] = set()
    for pattern in _SPEAKERS:
        for m in pattern.finditer(sentence):
            found |= {e for e in entities("x " + m.group(1)) if not e.isdigit()}
    return found


def names_missing(sentence: str, passage: str, context: str = "", question: str = "", near: str | None = None) -> bool:
    """A name of the sentence is absent from the passage. Names the question brought may come from the
    passage's dispatch too (`context`: its title and names), since a paragraph is about what its dispatch is
    about. A name the sentence brings itself is what it claims ("Alexandre Bogomaz est le gouverneur"): it
    must be in the passage or `near` it (its title and quoted speakers), or the citation points at a paragraph
    that does not say it. The speaker of "selon X", "X said" must be in the passage itself."""
    names = {e for e in entities(sentence) if not e.isdigit()}
    if not names:
        return False
    strict = speakers(sentence) & names
    asked = {n for n in names - strict if not question or entity_coverage({n}, question) == 1.0}
    new = names - strict - asked
    near = context if near is None else near
    return (entity_coverage(strict, passage) < 1.0 or entity_coverage(asked, f"{passage} {context}") < 1.0
            or entity_coverage(new, f"{passage} {near}") < 1.0)


_NEGATION = re.compile(r"\b(not|never|no|none|nor|cannot|pas|jamais|aucun|aucune|ni)\b|n't\b")


def _claim_terms(text: str) -> set[str]:
    """Content terms, and "not" when the text denies: answering "Will the FDP be represented?" with "the FDP
    will not be represented" restates the question's words, but its negation is a claim of its own."""
    return content_terms(text) | ({"<not>"} if _NEGATION.search(fold(text)) else set())


def support_score(sentence: str, passage: str, cosine: float, floor: float, question: str = "",
                  lexical_weight: float = 0.6, cap: float = 0.2, context: str = "", near: str | None = None,
                  frame_closeness: float = 0.1, stated: str = "") -> float:
    """0..1: lexical overlap of content words and embedding similarity (weights `lexical_weight` and the
    rest). A figure (in digits or words, '6' = 'six', 'seventh' != 'second') or a name absent from the
    passage, or a figure the passage states for something else or for another year, caps the score at `cap`: a
    wrong figure or name is the costliest error. A sentence that only restates the question (small models echo
    it), stops mid-way ('a pris le nom de.') or says the same words twice scores 0.

    Across languages (an English answer over a French passage) words cannot overlap; a sentence whose
    figures and names are all in the passage, each where the passage states it, counts as overlapping.
    `stated` holds what the passage states without writing it: the dates its "jeudi", "today" mean (see
    dates.days_meant; "elected on May 8, 2025" from "élu jeudi" in a dispatch of that Thursday) and the
    question's figures its story gives elsewhere (evidence.story_figures). Their figures are the passage's too."""
    terms = _claim_terms(sentence)
    p_terms = _claim_terms(f"{passage} {stated}")
    if looks_truncated(sentence) or repeats_itself(sentence):
        return 0.0
    own = terms - _claim_terms(question) if question else terms
    across = detect_language(sentence) != detect_language(passage)
    if question and not (own & p_terms or (across and own)):  # across languages no word can be shared
        return 0.0
    semantic = float(np.clip((cosine - floor) / max(1.0 - floor, 1e-6), 0.0, 1.0))
    # the question's words restated in other words than the passage's ("la seconde moitié du XXe siècle" for
    # "les années 1960") are its frame, not a claim: the share of the sentence's own words counts as well, but
    # only when the sentence is close in meaning to the passage (at least `frame_closeness`). Otherwise the
    # frame is not reworded, it is absent: "the tales were translated into French" is not supported by a
    # passage that only says French was the language of school.
    own_share = len(own & p_terms) / len(own) if own and semantic >= frame_closeness else 0.0
    lexical = max(len(terms & p_terms) / len(terms), own_share) if own else 0.0
    names = {e for e in entities(sentence) if not e.isdigit()}
    here = {n for n in names if entity_coverage({n}, passage) == 1.0}
    wrong = (unsupported_figures(sentence, f"{passage} {stated}")
             or names_missing(sentence, passage, context, question, near) or misplaced_figures(sentence, passage, here)
             or misdated_figures(sentence, passage))
    anchors = bool(figure_values(sentence) or names)
    if not wrong and anchors and across:
        lexical = 1.0
    score = lexical_weight * lexical + (1 - lexical_weight) * semantic
    return round(min(score, cap) if wrong else score, 3)


def attribute(sentences: list[tuple[str, list[int]]], passages: list[str], cosines: np.ndarray,
              floor: float, min_support: float, question: str = "", lexical_weight: float = 0.6,
              cap: float = 0.2, contexts: list[str] | None = None,
              nears: list[str] | None = None, frame_closeness: float = 0.1,
              stated: list[str] | None = None) -> list[AnswerSentence]:
    """Keep valid, supporting citations; re-attribute or mark unsupported the rest.

    `cosines[i, j]` is the similarity of sentence i to passage j; passage numbers are 1-based; `contexts[j]`
    holds the names of passage j's dispatch, `nears[j]` its title and quoted speakers (see names_missing),
    `stated[j]` what passage j states without writing it (see support_score).
    """
    contexts = contexts or [""] * len(passages)
    nears = nears or [None] * len(passages)
    stated = stated or [""] * len(passages)
    out: list[AnswerSentence] = []
    for i, (text, claimed) in enumerate(sentences):
        scores = [support_score(text, p, float(cosines[i, j]), floor, question, lexical_weight, cap, contexts[j],
                                nears[j], frame_closeness, stated[j])
                  for j, p in enumerate(passages)]
        valid = [n for n in claimed if 1 <= n <= len(passages)]
        cites = [n for n in valid if scores[n - 1] >= min_support]
        if not cites and scores:
            best = int(np.argmax(scores))
            if scores[best] >= min_support:
                cites = [best + 1]
        support = max((scores[n - 1] for n in cites), default=max(scores, default=0.0))
        out.append(AnswerSentence(text, cites, support, bool(cites), claimed))
    return out


def renumber(sentences: list[AnswerSentence]) -> tuple[str, dict[int, int]]:
    """Compose the answer text from supported sentences with markers renumbered 1..m in order of use."""
    mapping: dict[int, int] = {}
    parts = [render(s, mapping) for s in sentences if s.supported]
    return " ".join(parts), mapping


def render(sentence: AnswerSentence, mapping: dict[int, int]) -> str:
    """One supported sentence with its markers, numbered by first use (`mapping` grows as passages are cited):
    'Il y a 30 drones [1].', or after a closing quote '« ... » [1]'."""
    for n in sentence.cites:
        mapping.setdefault(n, len(mapping) + 1)
    marks = "".join(f"[{mapping[n]}]" for n in sentence.cites)
    body = sentence.text.rstrip()
    if body.endswith(("»", '"', "”")):
        return f"{body} {marks}"
    return f"{body.rstrip('.!?')} {marks}{body[-1] if body[-1] in '.!?' else '.'}"


class SentenceSplitter:
    """Cuts streamed model output into complete sentences with their markers, as soon as they are complete.

    A sentence is complete once the next one has begun with a word: markers written after its period
    ('... Briansk. [1] Next') still belong to it."""

    def __init__(self) -> None:
        self.buffer = ""
        self.done = 0  # pieces already handed out

    def feed(self, token: str) -> list[tuple[str, list[int]]]:
        self.buffer += token
        pieces = split_answer(self.buffer)
        ready = len(pieces) - 1 if pieces and _begun(pieces[-1][0]) else len(pieces) - 2
        return self._take(pieces, ready)

    def finish(self) -> list[tuple[str, list[int]]]:
        pieces = split_answer(self.buffer)
        return self._take(pieces, len(pieces))

    def _take(self, pieces: list[tuple[str, list[int]]], ready: int) -> list[tuple[str, list[int]]]:
        out = pieces[self.done:max(ready, self.done)]
        self.done = max(ready, self.done)
        return out


def _begun(text: str) -> bool:
    """The last piece holds a word, so the piece before it cannot get more markers."""
    return bool(re.search(r"[^\W\d_]{2}", text))


def cited_spans(passage: str, claims: list[str], min_share: float = 0.3) -> list[tuple[int, int]]:
    """Offsets (within `passage`) of the passage sentences that carry the claims citing it.

    For each claim, the passage sentence sharing most of its content words (and all its figures when it
    has some) is the cited span; a verbatim quote spanning two sentences marks both.
    """
    spans = list(split_sentences(passage))
    picked: set[tuple[int, int]] = set()
    for claim in claims:
        c_terms, c_nums = content_terms(claim), numbers(claim)
        scored = []
        for s, e in spans:
            piece = passage[s:e]
            share = len(c_terms & content_terms(piece)) / max(len(c_terms), 1)
            share += _NUMBER_BONUS * len(c_nums & numbers(piece)) / max(len(c_nums), 1) if c_nums else 0.0
            scored.append((share, (s, e)))
        best = max((v for v, _ in scored), default=0.0)
        if best < min_share:
            continue
        picked.update(span for v, span in scored if v >= _NEAR_BEST * best and (v >= _ALSO_MARK or v == best))
    return sorted(picked)
