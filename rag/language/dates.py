"""Dates of dispatches: a day or a whole month, as real `datetime.date` ranges (real month lengths)."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from rag.language import LANGUAGES, entries, table
from rag.language.words import fold, words

# months and days of each language: rag/language/data/<lang>/calendar.toml
MONTHS = {fold(name): i for lang in LANGUAGES for i, name in enumerate(table(lang, "calendar")["months"], 1)}
WEEKDAYS = {day: i for lang in LANGUAGES for i, day in enumerate(table(lang, "calendar")["weekdays"])}
_TODAY = set(entries("calendar", "today"))
_YESTERDAY = set(entries("calendar", "yesterday"))
_ISO_RE = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


@dataclass(frozen=True)
class Period:
    """The days a dispatch date covers: '2025-03-30' is one day, '2025-03' the whole of March."""

    start: date
    end: date
    text: str  # as written in the dispatch: YYYY-MM or YYYY-MM-DD

    @property
    def is_month(self) -> bool:
        return self.start != self.end

    @property
    def numbers(self) -> set[str]:
        """The figures a reader meets in the date: its year, and its day when it is one day."""
        return {str(self.start.year)} | (set() if self.is_month else {str(self.start.day)})

    def label(self, lang: str) -> str:
        """How a reader says it: '30 mars 2025' / 'March 30, 2025'; a month alone: 'mars 2025'."""
        said = table(lang, "calendar")
        month, year = said["months"][self.start.month - 1], self.start.year
        if self.is_month:
            return said["month"].format(month=month, year=year)
        day = said["first_day"] if self.start.day == 1 else str(self.start.day)
        return said["day"].format(day=day, month=month, year=year)


def clock_time(text: str) -> str:
    """'2025-06-18T14:05:00+02:00' -> '14:05' (the time as the agency wrote it); '' for a date alone."""
    m = re.match(r"\d{4}-\d{2}-\d{2}T(\d{2}:\d{2})", text or "")
    return m.group(1) if m else ""


def parse_period(text: str) -> Period | None:
    """'2025-03' -> all of March 2025, '2025-03-30' -> that day; None for '', or a date that does not exist."""
    m = _ISO_RE.fullmatch((text or "").strip())
    if not m or not m.group(2):
        return None
    y, mo, d = int(m.group(1)), int(m.group(2)), m.group(3)
    try:
        if d:
            day = date(y, mo, int(d))
            return Period(day, day, m.group(0))
        return Period(date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1]), m.group(0))
    except ValueError:  # month 13, 31 February...
        return None


def parse_bound(text: str, first: bool) -> date:
    """A filter bound 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD': its first day (first=True) or its last day.

    Raises ValueError when the text is not such a date."""
    m = _ISO_RE.fullmatch(text.strip())
    if not m:
        raise ValueError(text)
    y = int(m.group(1))
    mo = int(m.group(2)) if m.group(2) else (1 if first else 12)
    if m.group(3):
        return date(y, mo, int(m.group(3)))
    return date(y, mo, 1 if first else calendar.monthrange(y, mo)[1])


def days_meant(text: str, published: date) -> set[date]:
    """The days a dispatch's relative words name, read from its date: a weekday is its last occurrence on or
    before the dispatch day ("jeudi" in a dispatch of Thursday 8 May 2025 is 8 May, in one of Friday 9 May it
    is 8 May too), "today" the dispatch day, "yesterday" the day before."""
    toks = set(words(fold(text)))
    days = {published - timedelta((published.weekday() - WEEKDAYS[w]) % 7) for w in toks & WEEKDAYS.keys()}
    if toks & _TODAY:
        days.add(published)
    if toks & _YESTERDAY:
        days.add(published - timedelta(1))
    return days
