"""Figures in text, in digits or words, and figures written the reader's way."""
from __future__ import annotations

import re
from collections.abc import Iterable

from . import LANGUAGES, alternatives, entries, lexicon, table
from .words import WORD_RE, fold

NUMBER_RE = re.compile(r"\d+(?:[.,\s]\d{3})*(?:[.,]\d+)?")


def count_text(value: int, lang: str, noun: str = "") -> str:
    """A figure written for the reader: '2,719' in English, '2 719' in French, with its noun if any."""
    digits = f"{value:,}".replace(",", table(lang, "numbers")["group"])
    return f"{digits} {noun}" if noun else digits


def numbers(text: str) -> set[str]:
    """Numbers written in a text, normalised (spaces/thin spaces and thousands separators dropped)."""
    found = set()
    for m in NUMBER_RE.finditer(text):
        raw = re.sub(r"[\s\u202f\u00a0]", "", m.group())
        raw = re.sub(r"(?<=\d)[.,](?=\d{3}\b)", "", raw)
        found.add(raw.replace(",", "."))
    return found


# how each language writes figures: rag/language/data/<lang>/numbers.toml
_CARDINALS: dict[str, int] = lexicon("numbers")["cardinals"]
_ORDINALS: dict[str, int] = lexicon("numbers")["ordinals"]  # from 2 on ("premier", "first" name titles too)
NOT_CARDINALS = set(entries("numbers", "not_cardinals"))  # "Sept" is September, abbreviated
_DIGIT_ORDINAL = re.compile(rf"\b(\d+)\s?(?:{alternatives('numbers', 'ordinal_suffixes')})\b", re.I)


def figure_values(text: str) -> set[str]:
    """The figures a text states, whatever way they are written: '6', 'six' and 'six' -> '6'; ordinals
    '7th', 'seventh', 'septième', '7e' -> '7th' (cardinals and ordinals differ: 'second' is not '2')."""
    ordinal_digits = {m.start(1) for m in _DIGIT_ORDINAL.finditer(text)}
    out = {f"{int(m.group(1))}th" for m in _DIGIT_ORDINAL.finditer(text) if int(m.group(1)) > 1}
    for m in NUMBER_RE.finditer(text):
        if m.start() not in ordinal_digits:
            out |= numbers(m.group())
    for raw in WORD_RE.findall(text):
        if raw in NOT_CARDINALS:
            continue
        w = fold(raw)
        if w in _ORDINALS:
            out.add(f"{_ORDINALS[w]}th")
        elif all(part in _CARDINALS for part in w.split("-")):
            out.add(str(_compound(w.split("-"))))
    return out


def cardinal(word: str) -> int | None:
    """The value of a number written in words ('huit' -> 8, 'vingt-cinq' -> 25, 'twenty-five' -> 25), else None."""
    parts = fold(word).split("-")
    return _compound(parts) if all(p in _CARDINALS for p in parts) else None


def _alternatives(options: Iterable[str]) -> str:
    return "|".join(sorted(options, key=len, reverse=True))  # longest first: "dix-sept" before "dix"


_NOT_ALONE = set(entries("numbers", "not_alone"))
# Numbers in words that count by themselves (not "cent"/"mille"/"hundred" alone: "pour cent", "a thousand years")
CARDINAL_WORDS = (f"(?:{_alternatives(w for w, v in _CARDINALS.items() if v < 100 and w not in _NOT_ALONE)})"
                  f"(?:-(?:{_alternatives(_CARDINALS)}))*")


CARDINAL_RE = re.compile(rf"(?<![\w-])({CARDINAL_WORDS})(?![\w-])", re.IGNORECASE)


def _compound(parts: list[str]) -> int:
    """'vingt-cinq' -> 25, 'twenty-five' -> 25, 'quatre-vingt-dix' -> 90, 'deux-cents' -> 200."""
    total = 0
    for part in parts:
        v = _CARDINALS[part]
        if v >= 100 or (v == 20 and total == 4):  # multipliers, and French 'quatre-vingt'
            total = max(total, 1) * v
        else:
            total += v
    return total


# a figure with a separator: "1,700", "2 719", "1.700", "82.5", "82,5" (a bare "2025" needs no conversion)
_SEPARATED = re.compile(r"(?<![\w.,])\d{1,3}(?:[,. \u00a0\u202f]\d{3})+(?:[.,]\d+)?(?![\w]|[.,]\d)"
                        r"|(?<![\w.,])\d+[.,]\d+(?![\w]|[.,]\d)")


def _read_figure(raw: str, lang: str) -> tuple[int, str] | None:
    """(whole part, decimals) of a figure written the `lang` way; None when it cannot be read so."""
    figures = table(lang, "numbers")
    whole, _, decimals = raw.partition(figures["decimal"])
    digits = "".join(c for c in whole if c not in figures["thousands"])
    return (int(digits), decimals) if digits.isdigit() and (not decimals or decimals.isdigit()) else None


def _write_figure(whole: int, decimals: str, lang: str) -> str:
    text = count_text(whole, lang)
    return f"{text}{table(lang, 'numbers')['decimal']}{decimals}" if decimals else text


def localize_figures(sentence: str, lang: str, other: str, own: str = "") -> str:
    """Figures copied from a passage in the other language, written the way `lang` writes them ('82.5 percent'
    from an English passage is '82,5 %' in French; '2 719' from a French one is '2,719' in English). Only a
    figure found as such in `other` and not in `own` (the passages in `lang`) is read the other language's
    way: elsewhere '1,5' could be either."""
    if lang not in LANGUAGES or not other:
        return sentence
    source = next(x for x in LANGUAGES if x != lang)

    def convert(m: re.Match) -> str:
        raw = m.group()
        if raw not in other or raw in own or (value := _read_figure(raw, source)) is None:
            return raw
        return _write_figure(*value, lang)

    out = _SEPARATED.sub(convert, sentence)
    words = "|".join(table(source, "numbers")["percent"])  # "82.5 percent" -> "82,5 %"
    return re.sub(rf"(\d)\s*(?:{words})\b", lambda m: m.group(1) + table(lang, "numbers")["percent_written"], out)
