"""Dates of dispatches: a day or a whole month, as real `datetime.date` ranges (real month lengths)."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from rag.language.words import fold, words

MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
}
MONTH_NAMES = {
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}
WEEKDAYS = {
    "lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4, "samedi": 5, "dimanche": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}
_TODAY = {"aujourd'hui", "aujourd", "today", "tonight"}  # with a typographic apostrophe: "aujourd", "hui"
_YESTERDAY = {"hier", "yesterday"}
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

    def label(self, lang: str) -> str:
        """How a reader says it: '30 mars 2025' / 'March 30, 2025'; a month alone: 'mars 2025'."""
        month = MONTH_NAMES.get(lang, MONTH_NAMES["en"])[self.start.month - 1]
        if self.is_month:
            return f"{month} {self.start.year}"
        if lang == "fr":
            day = "1er" if self.start.day == 1 else str(self.start.day)
            return f"{day} {month} {self.start.year}"
        return f"{month} {self.start.day}, {self.start.year}"


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
