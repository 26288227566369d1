"""Citation markers: parse, validate against retrieved passages, attribute uncited sentences, check support."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .text import content_terms, entities, entity_coverage, numbers, split_sentences

MARKER_RE = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# Highlighting (display only): sharing the claim's figures counts half a word share; sentences within
# 80% of the best one are marked too, when they carry at least half of the claim (a quote over two sentences).
_NUMBER_BONUS, _NEAR_BEST, _ALSO_MARK = 0.5, 0.8, 0.5
_LEADING_MARKERS = re.compile(r"^(\s*\[\d+(?:\s*[,;]\s*\d+)*\]\s*[.!?]?)+\s*")


@dataclass(frozen=True)
class AnswerSentence:
    """One answer sentence, the passages it cites and its support score.

    `cites` uses the prompt's passage numbers while the answer is checked, then the numbers of
    Answer.citations; `claimed` keeps what the model wrote (prompt numbering), valid or not.
    """

    text: str
    cites: list[int] = field(default_factory=list)
    support: float = 0.0
    supported: bool = False
    claimed: list[int] = field(default_factory=list)
    speaker: str = ""  # who the dispatch says made this statement, when the sentence reports a quote


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
        clean = re.sub(r"^[^\w\"«“(]+", "", clean)  # debris such as '») ' copied from the prompt
        if re.search(r"\w", clean) and all(clean != prev for prev, _ in out):
            out.append((clean, nums))
    return out


def support_score(sentence: str, passage: str, cosine: float, floor: float, question: str = "",
                  lexical_weight: float = 0.6, cap: float = 0.2) -> float:
    """0..1: lexical overlap of content words and embedding similarity (weights `lexical_weight` and the
    rest); a number or a name absent from the passage caps the score at `cap`: a wrong figure or name is
    the costliest error. A sentence that only restates the question (small models echo it) scores 0: it
    must bring a passage word the question lacks."""
    terms = content_terms(sentence)
    p_terms = content_terms(passage)
    if question and not (terms - content_terms(question)) & p_terms:
        return 0.0
    lexical = len(terms & p_terms) / len(terms) if terms else 0.0
    semantic = float(np.clip((cosine - floor) / max(1.0 - floor, 1e-6), 0.0, 1.0))
    score = lexical_weight * lexical + (1 - lexical_weight) * semantic
    if numbers(sentence) - numbers(passage) or entity_coverage(entities(sentence), passage) < 1.0:
        score = min(score, cap)
    return round(score, 3)


def attribute(sentences: list[tuple[str, list[int]]], passages: list[str], cosines: np.ndarray,
              floor: float, min_support: float, question: str = "", lexical_weight: float = 0.6,
              cap: float = 0.2) -> list[AnswerSentence]:
    """Keep valid, supporting citations; re-attribute or mark unsupported the rest.

    `cosines[i, j]` is the similarity of sentence i to passage j; passage numbers are 1-based.
    """
    out: list[AnswerSentence] = []
    for i, (text, claimed) in enumerate(sentences):
        scores = [support_score(text, p, float(cosines[i, j]), floor, question, lexical_weight, cap)
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
    parts = []
    for s in sentences:
        if not s.supported:
            continue
        for n in s.cites:
            mapping.setdefault(n, len(mapping) + 1)
        marks = "".join(f"[{mapping[n]}]" for n in s.cites)
        body = s.text.rstrip()
        if body.endswith(("»", '"', "”")):
            parts.append(f"{body} {marks}")
        else:
            parts.append(f"{body.rstrip('.!?')} {marks}{body[-1] if body[-1] in '.!?' else '.'}")
    return " ".join(parts), mapping


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
