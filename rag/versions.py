"""Story versions and contradictions: figures (death tolls, counts) that differ between passages.

Wire stories are updated: "1.644 morts" on Saturday becomes "2,719 dead" on Tuesday. When the passages
an answer rests on give different values for the same quantity, the answer must not pick one silently:
it gives the latest and names the earlier version (different dates), or says the sources diverge
(same date), citing both sides.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .text import entities, fold, split_sentences
from .timeframe import MONTHS

# Quantities news questions ask about, by the words that name them (French and English).
QUANTITIES: dict[str, tuple[str, ...]] = {
    "dead": ("morts", "mort", "tues", "tuees", "deces", "victimes", "dead", "deaths", "killed", "death toll",
             "bilan", "toll"),
    "injured": ("blesses", "blessees", "blesse", "injured", "wounded"),
    "missing": ("disparus", "disparues", "missing"),
    "drones": ("drones", "drone"),
    "prisoners": ("prisonniers", "prisoners", "prisoner"),
    "displaced": ("deplaces", "displaced", "evacues", "evacuated"),
}
_WORD_KEY = {w: k for k, words in QUANTITIES.items() for w in words}
_NOT_COUNTS = {"ans", "an", "years", "year", "old", "jours", "days", "heures", "hours", "mois", "months", "km",
               "kilometres", "kilometers", "hectares", "etages", "floors", "minutes", "semaines", "weeks"}
_PROJECTION = {"pass", "exceed", "surpass", "reach", "depasser", "atteindre", "could", "may", "might", "pourrait"}
_NUM = re.compile(r"(?<![\w,.-])(\d{1,3}(?:[.,\u202f\u00a0 ]\d{3})+|\d+)(?![\w%-]|[.,]\d)")
MAX_EARLIER = 2  # older versions named after the one just before the newest
STORY_DAYS, STORY_OVERLAP = 14, 0.3  # versions of one story: this close in time, sharing this share of names
_AFTER, _BEFORE = 6, 20  # words between a figure and the word naming its quantity ("1.644 morts", "toll rose to 2,719")


@dataclass(frozen=True)
class Figure:
    key: str  # dead, injured, ...
    value: int
    text: str  # the figure as written, with its noun when it follows ("1.644 morts", "2,719")
    sentence: str


def parse_int(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def _counts(text: str) -> Iterator[tuple[re.Match, str, list[tuple[int, str]], int]]:
    """Numbers that count something, with their sentence, its folded tokens and the number's token index;
    years, days of the month, ages and durations, decimals ("7.7") and projections are left out."""
    for s, e in split_sentences(text):
        sentence = text[s:e]
        tokens = [(m.start(), m.group()) for m in re.finditer(r"[\w']+", fold(sentence))]
        for m in _NUM.finditer(sentence):
            if 1900 <= parse_int(m.group(1)) <= 2100 and re.fullmatch(r"\d{4}", m.group(1)):
                continue  # a year
            idx = next((i for i, (pos, _) in enumerate(tokens) if pos >= m.start()), len(tokens))
            if any(0 <= j < len(tokens) and tokens[j][1] in MONTHS for j in (idx - 1, idx + 1)):
                continue  # a day of the month: "le 21 avril", "April 1"
            if idx + 1 < len(tokens) and tokens[idx + 1][1] in _NOT_COUNTS:
                continue  # an age or a duration: "88 ans", "30 days"
            if any(t in _PROJECTION for _, t in tokens[max(idx - 3, 0):idx]):
                continue  # a projection, not a count: "expected it to pass 3,000"
            yield m, sentence, tokens, idx


def counts(text: str) -> set[int]:
    """The values of the numbers in `text` that count something ("30" in "en a compté 30", not "7.7")."""
    return {parse_int(m.group(1)) for m, *_ in _counts(text)}


def figures(text: str) -> list[Figure]:
    """Counted quantities in a passage: each count with the nearest quantity word around it."""
    out = []
    for m, sentence, tokens, idx in _counts(text):
        key = _nearest_key(tokens, idx)
        if key:
            unit = re.match(r"\s+([\w-]+)", sentence[m.end():])  # "1.644 morts": keep the word
            named = unit and _WORD_KEY.get(fold(unit.group(1))) == key
            shown = f"{m.group(1)} {unit.group(1)}" if named else m.group(1)
            out.append(Figure(key, parse_int(m.group(1)), shown, sentence))
    return out


def _nearest_key(tokens: list[tuple[int, str]], idx: int) -> str:
    """The quantity word closest after the figure, else closest before it."""
    after = range(idx + 1, min(idx + 1 + _AFTER, len(tokens)))
    before = range(idx - 1, max(idx - 1 - _BEFORE, -1), -1)
    for j in [*after, *before]:
        word = tokens[j][1]
        pair = f"{tokens[j - 1][1]} {word}" if j > 0 else ""
        key = _WORD_KEY.get(pair) or _WORD_KEY.get(word)
        if key:
            return key
    return ""


def asked_quantities(question: str) -> set[str]:
    """Quantities the question asks about ('Quel est le bilan ?' -> {'dead'})."""
    words = re.findall(r"[\w']+", fold(question))
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:])]
    return {_WORD_KEY[w] for w in words + pairs if w in _WORD_KEY}


@dataclass
class Disagreement:
    """Different values of one quantity in two passages (prompt numbers), newest first."""

    key: str
    newer: Figure
    older: Figure
    newer_passage: int
    older_passage: int
    newer_date: str
    older_date: str
    earlier: list[tuple[Figure, int, str]] = field(default_factory=list)  # still older values: figure, passage, date

    @property
    def same_day(self) -> bool:
        return self.newer_date == self.older_date


def _story_names(p) -> set[str]:
    names = set(p.meta.get("doc_entities", "").split())
    return names or {e for e in entities(p.text) if not e.isdigit()}


def same_story(a, b, max_days: int = STORY_DAYS, min_overlap: float = STORY_OVERLAP) -> bool:
    """Two passages report the same story: dispatches close in time that name mostly the same people and
    places (overlap of their names over the smaller set; 'Mandalay', 'Min Aung Hlaing' cross languages)."""
    da, db = a.day, b.day
    if da and db and abs((da - db).days) > max_days:
        return False
    na, nb = _story_names(a), _story_names(b)
    if not na or not nb:
        return True  # nothing to tell them apart: they passed the same relevance gate
    return len(na & nb) / min(len(na), len(nb)) >= min_overlap


def disagreements(passages: list, keys: set[str]) -> list[Disagreement]:
    """For each quantity in `keys`, the newest value and the latest differing value before it (or of the same
    day) in the same story.

    `passages` are retrieval Passages with `.number`, `.text` and `.meta`, all about the question; passages
    of one dispatch never disagree with themselves (a dispatch can give several counts), nor do two
    different stories (the tolls of two earthquakes are not versions of one another)."""
    out = []
    for key in sorted(keys):
        found = [(p.meta.get("date") or "", p.number, p, f) for p in passages for f in figures(p.text) if f.key == key]
        found.sort(key=lambda x: (x[0], -x[1]))  # oldest first; equal dates: better-ranked last
        for new_date, new_n, new_p, new_f in reversed(found):  # the newest figure that has another version
            older = [x for x in found if x[3].value != new_f.value and x[2].dispatch_id != new_p.dispatch_id
                     and x[0] <= new_date and same_story(x[2], new_p)]
            if older:  # the version just before the newest ("the toll rose from X to Y"), then older values
                old_date, old_n, _, old_f = older[-1]
                earlier, seen = [], {new_f.value, old_f.value}
                for date_, n, _, f in reversed(older[:-1]):
                    if f.value not in seen and len(earlier) < MAX_EARLIER:
                        earlier.append((f, n, date_))
                        seen.add(f.value)
                out.append(Disagreement(key, new_f, old_f, new_n, old_n, new_date, old_date, earlier))
                break
    return out


def quantity_labels(spec: str) -> dict[str, str]:
    """'dead = le bilan' lines (prompts/quantities.<lang>.txt) -> {'dead': 'le bilan'}."""
    pairs = (line.split("=", 1) for line in spec.splitlines() if "=" in line and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}
