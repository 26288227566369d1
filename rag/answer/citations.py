"""Citation markers: parse, validate against retrieved passages, attribute uncited sentences, check support."""
from __future__ import annotations

import re

from rag.language import fill
from rag.language.numbers import numbers
from rag.language.sentences import split_sentences
from rag.language.words import content_terms
from rag.reading.reading import negates
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


# The model talking about its input ("selon le passage", "according to the first passage [2]") says nothing.
_SELF_REFERENCE = re.compile(fill(
    "answers", r"(?i),?\s*({according})\s+({articles})?({ordinal_first})?({passage_words})(\s+({number_word})?\d+)?"
    r"|,?\s*({according_short})\s*(?=[.!?]?$)|^({according_short})\s*,\s*"))
_YES = re.compile(fill("answers", r"(?i)({yes})\s*,(?!\s*(?:{but})\b)\s*"))


def tidy(sentence: str) -> str:
    """The sentence without references to the passages themselves, nor a "Yes," that its own negation
    contradicts ("Yes, the FDP will not be represented": small models open every answer with yes)."""
    sentence = _SELF_REFERENCE.sub("", sentence).strip()
    yes = _YES.match(sentence)
    return sentence[yes.end():] if yes and negates(sentence) else sentence


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
