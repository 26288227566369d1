"""Figures in text, in digits or words, and figures written the reader's way."""
from __future__ import annotations

import re
from collections.abc import Iterable

from .words import WORD_RE, fold

NUMBER_RE = re.compile(r"\d+(?:[.,\s]\d{3})*(?:[.,]\d+)?")


def count_text(value: int, lang: str, noun: str = "") -> str:
    """A figure written for the reader: '2,719' in English, '2 719' in French, with its noun if any."""
    digits = f"{value:,}" if lang == "en" else f"{value:,}".replace(",", "\u00a0")
    return f"{digits} {noun}" if noun else digits


def numbers(text: str) -> set[str]:
    """Numbers written in a text, normalised (spaces/thin spaces and thousands separators dropped)."""
    found = set()
    for m in NUMBER_RE.finditer(text):
        raw = re.sub(r"[\s\u202f\u00a0]", "", m.group())
        raw = re.sub(r"(?<=\d)[.,](?=\d{3}\b)", "", raw)
        found.add(raw.replace(",", "."))
    return found


_CARDINALS = {
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11,
    "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20, "vingts": 20, "trente": 30,
    "quarante": 40, "cinquante": 50, "soixante": 60, "cent": 100, "cents": 100, "mille": 1000,
    "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
    "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100, "thousand": 1000, "dozen": 12,
}


# Ordinals from 2 on ("first"/"premier" also name titles: "Premier ministre", "first lady").
_ORDINALS = {
    "second": 2, "seconde": 2, "deuxieme": 2, "third": 3, "troisieme": 3, "fourth": 4, "quatrieme": 4, "fifth": 5,
    "cinquieme": 5, "sixth": 6, "sixieme": 6, "seventh": 7, "septieme": 7, "eighth": 8, "huitieme": 8,
    "ninth": 9, "neuvieme": 9, "tenth": 10, "dixieme": 10, "eleventh": 11, "onzieme": 11, "twelfth": 12,
    "douzieme": 12,
}


_DIGIT_ORDINAL = re.compile(r"\b(\d+)\s?(?:e|eme|ème|er|re|ère|st|nd|rd|th)\b", re.I)


def figure_values(text: str) -> set[str]:
    """The figures a text states, whatever way they are written: '6', 'six' and 'six' -> '6'; ordinals
    '7th', 'seventh', 'septième', '7e' -> '7th' (cardinals and ordinals differ: 'second' is not '2')."""
    ordinal_digits = {m.start(1) for m in _DIGIT_ORDINAL.finditer(text)}
    out = {f"{int(m.group(1))}th" for m in _DIGIT_ORDINAL.finditer(text) if int(m.group(1)) > 1}
    for m in NUMBER_RE.finditer(text):
        if m.start() not in ordinal_digits:
            out |= numbers(m.group())
    for raw in WORD_RE.findall(text):
        if raw == "Sept":  # September, abbreviated
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


# Numbers in words that count by themselves (not "cent"/"mille"/"hundred" alone: "pour cent", "a thousand years")
CARDINAL_WORDS = (f"(?:{_alternatives(w for w, v in _CARDINALS.items() if v < 100 and w != 'dozen')})"
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


_GROUPS = {"en": ", \u00a0\u202f", "fr": ". \u00a0\u202f"}  # thousands separators; the decimal mark is the other


def _read_figure(raw: str, lang: str) -> tuple[int, str] | None:
    """(whole part, decimals) of a figure written the `lang` way; None when it cannot be read so."""
    mark = "." if lang == "en" else ","
    whole, _, decimals = raw.partition(mark)
    digits = "".join(c for c in whole if c not in _GROUPS[lang])
    return (int(digits), decimals) if digits.isdigit() and (not decimals or decimals.isdigit()) else None


def _write_figure(whole: int, decimals: str, lang: str) -> str:
    text = count_text(whole, lang)
    return f"{text}{'.' if lang == 'en' else ','}{decimals}" if decimals else text


def localize_figures(sentence: str, lang: str, other: str, own: str = "") -> str:
    """Figures copied from a passage in the other language, written the way `lang` writes them ('82.5 percent'
    from an English passage is '82,5 %' in French; '2 719' from a French one is '2,719' in English). Only a
    figure found as such in `other` and not in `own` (the passages in `lang`) is read the other language's
    way: elsewhere '1,5' could be either."""
    if lang not in _GROUPS or not other:
        return sentence
    source = "en" if lang == "fr" else "fr"

    def convert(m: re.Match) -> str:
        raw = m.group()
        if raw not in other or raw in own or (value := _read_figure(raw, source)) is None:
            return raw
        return _write_figure(*value, lang)

    out = _SEPARATED.sub(convert, sentence)
    if lang == "fr":
        return re.sub(r"(\d)\s*(?:percent|per cent)\b", "\\1\u00a0%", out)
    return re.sub(r"(\d)\s*pour\s?cents?\b", r"\1 percent", out)
