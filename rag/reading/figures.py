"""Figures in text: numbers that count something (deaths, injured, drones...) and the quantity they count.

Used by question analysis (what quantity is asked, is it a count question), by the answer checks (does a
sentence give a count of the quantity asked) and by story versions (which figure changed).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from rag.language import alternatives, entries, lexicon
from rag.language.dates import MONTHS
from rag.language.numbers import CARDINAL_RE, NOT_CARDINALS, NUMBER_RE, cardinal, figure_values, numbers
from rag.language.sentences import split_sentences
from rag.language.words import ALL_STOPWORDS, fold, words

# What the languages say of figures: rag/language/data/<lang>/figures.toml
# "Combien", "how many", "quel est le bilan", "what is the death toll": questions answered by a count.
COUNT_RE = re.compile(rf"(?i){alternatives('figures', 'count_question')}")
_COUNT_NOUN = re.compile(rf"\b(?:{alternatives('figures', 'count_noun')})([\w-]+)")

# Quantities news questions ask about, by the words that name them (French and English).
QUANTITIES: dict[str, tuple[str, ...]] = {key: entries("figures", f"quantities.{key}")
                                           for key in lexicon("figures")["quantities"]}
_WORD_KEY = {w: k for k, words in QUANTITIES.items() for w in words}
_NOT_COUNTS = set(entries("figures", "not_counts"))  # "88 ans", "30 days": an age, a duration
# People counted may be the dead, the injured...: "24 personnes ont perdu la vie" names no other quantity.
PEOPLE = set(entries("figures", "people"))
_PART_OF = set(entries("figures", "part_of"))
_PROJECTION = set(entries("figures", "projection"))
_VERB_ENDINGS = entries("figures", "verb_endings")
# a share is no count: "42%", "42 %" (French spacing), "42 percent"
_NUM = re.compile(r"(?<![\w,.-])(\d{1,3}(?:[.,\u202f\u00a0 ]\d{3})+|\d+)(?![\w%-]|[.,]\d|\s*%|\s+(?:"
                  + alternatives("question", "words.percent_words") + r")\b)", re.I)
_YEAR_BEFORE = set(entries("figures", "year_before"))  # "en 1838", "in 1838": a year before 1900 too
_AFTER, _BEFORE = 6, 20  # words between a figure and the word naming its quantity ("1.644 morts", "toll rose to 2,719")


@dataclass(frozen=True)
class Figure:
    key: str  # dead, injured, ...
    value: int
    text: str  # the figure as written, with its noun when it follows ("1.644 morts", "2,719")
    sentence: str


def parse_int(text: str) -> int:
    """'1 644' -> 1644; a number in words too: 'huit' -> 8."""
    digits = re.sub(r"\D", "", text)
    return int(digits) if digits else cardinal(text) or 0


def _counts(text: str) -> Iterator[tuple[re.Match, str, list[tuple[int, str]], int]]:
    """Numbers that count something, with their sentence, its folded tokens and the number's token index;
    years, days of the month, ages and durations, decimals ("7.7") and projections are left out."""
    for s, e in split_sentences(text):
        sentence = text[s:e]
        tokens = [(m.start(), m.group()) for m in re.finditer(r"[\w']+", fold(sentence))]
        # in digits, or in words ("huit bijoux", "three people"; "Sept" is September, not seven)
        found = [*_NUM.finditer(sentence),
                 *(m for m in CARDINAL_RE.finditer(sentence) if m.group(1) not in NOT_CARDINALS)]
        for m in found:
            idx = next((i for i, (pos, _) in enumerate(tokens) if pos >= m.start()), len(tokens))
            if re.fullmatch(r"\d{4}", m.group(1)) and (1900 <= int(m.group(1)) <= 2100 or (
                    int(m.group(1)) >= 1000 and idx and tokens[idx - 1][1] in _YEAR_BEFORE)):
                continue  # a year
            if any(0 <= j < len(tokens) and tokens[j][1] in MONTHS for j in (idx - 1, idx + 1)):
                continue  # a day of the month: "le 21 avril", "April 1"
            if idx + 1 < len(tokens) and tokens[idx + 1][1] in _NOT_COUNTS:
                continue  # an age or a duration: "88 ans", "30 days"
            if idx and tokens[idx - 1][1] in _PART_OF:
                continue  # a part of the count before it: "31 blessés, dont quatre grièvement"
            if any(t in _PROJECTION for _, t in tokens[max(idx - 3, 0):idx]):
                continue  # a projection, not a count: "expected it to pass 3,000"
            yield m, sentence, tokens, idx


_MAGNITUDES = re.compile(rf"\b({alternatives('figures', 'magnitudes')})\b")
_SINGLE = re.compile(rf"\b(?:{alternatives('figures', 'single')}) (\w+)")


def states_count(text: str) -> bool:
    """The text gives a count, in digits, in words ("trois personnes", "une personne a été tuée") or as an
    order of magnitude ("des centaines de petits actionnaires")."""
    folded = fold(text)
    one = any(w in PEOPLE or w in _WORD_KEY for w in _SINGLE.findall(folded))
    return bool(counts(text) or one or _MAGNITUDES.search(folded)
                or any(not v.endswith("th") for v in figure_values(re.sub(r"\d", " ", text))))


def counts(text: str) -> set[int]:
    """The values of the numbers in `text` that count something ("30" in "en a compté 30", not "7.7")."""
    return {parse_int(m.group(1)) for m, *_ in _counts(text)}


def figures(text: str) -> list[Figure]:
    """Counted quantities in a passage: each count in digits with the nearest quantity word around it (a
    small count in words, "six morts à Bangkok", is a detail of the story, not a version of its toll)."""
    out = []
    for m, sentence, tokens, idx in _counts(text):
        if not m.group(1)[0].isdigit():
            continue
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


def counts_other_things(text: str) -> set[int]:
    """The counts of the text put with a noun naming no quantity we know nor people ("12 000 bâtiments"):
    they count something else than the dead, the injured..."""
    return {parse_int(m.group(1)) for m, _, tokens, idx in _counts(text)
            if not _nearest_key(tokens, idx) and _noun_after(tokens, idx)}


def _noun_after(tokens: list[tuple[int, str]], idx: int) -> bool:
    """The figure is followed by a word naming what it counts ("24 bâtiments"), not by a verb or nothing."""
    after = [w for _, w in tokens[idx + 1:] if not w.isdigit()]  # "12 000 bâtiments": past the digit groups
    return (bool(after) and after[0] not in ALL_STOPWORDS | PEOPLE
            and not after[0].endswith(_VERB_ENDINGS))


def asked_quantities(question: str) -> set[str]:
    """Quantities the question asks about ('Quel est le bilan ?' -> {'dead'})."""
    words = re.findall(r"[\w']+", fold(question))
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:])]
    return {_WORD_KEY[w] for w in words + pairs if w in _WORD_KEY}


def counted_noun(question: str) -> str:
    """The word naming what a "how many" question counts ("Combien de suspects ..." -> "suspects"), or ""."""
    m = _COUNT_NOUN.search(fold(question))
    return m.group(1) if m else ""


def wants_count(question: str) -> bool:
    """Is the question answered by a count ("combien", "how many", "quel est le bilan")?"""
    return bool(COUNT_RE.search(question))


_YEAR = re.compile(r"(1[0-9]|20)\d{2}")
# where a passage sentence pairs one figure with one year: "14,2 milliards en 2003 et 12 milliards en 2019"
CLAUSE_BREAK = re.compile(rf"[,;:]\s|[()]|\s(?:{alternatives('figures', 'conjunctions')})\s")


def figures_and_years(text: str) -> tuple[set[str], set[str]]:
    """The figures of a text other than years (written without a separator: "1,644" is no year), and its years."""
    values, years = set(), set()
    for m in NUMBER_RE.finditer(text):
        (years if _YEAR.fullmatch(m.group()) else values).update(numbers(m.group()))
    return values, years


def count_sentences(passage: str) -> list[tuple[str, str, set[int]]]:
    """Each sentence of the passage, the same with the sentence before it, and the counts it gives (read once
    for all the figures of an answer sentence)."""
    spans = list(split_sentences(passage))
    return [(passage[s:e], passage[spans[i - 1][0] if i else s:e], counts(passage[s:e]))
            for i, (s, e) in enumerate(spans)]


def count_owners(passage: str) -> list[tuple[int, str]]:
    """Each count of the passage with the name it belongs to, the last capitalised word before it in its
    sentence: in "La région de Briansk, voisine de l'Ukraine, en a compté 30 à elle seule, et celle de Kalouga
    25", 25 is Kalouga's, so "30 drones over Kaluga" is misplaced ("30 over Briansk" is not: Briansk is given
    no count, the name before 30 being "Ukraine")."""
    owners = []
    for m, sentence, _, _ in _counts(passage):
        before = [w for w in words(sentence[:m.start()]) if w[0].isupper()]
        if before:
            owners.append((parse_int(m.group(1)), before[-1]))
    return owners


