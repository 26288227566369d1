"""Time expressions in questions ("hier", "la semaine dernière", "en mars 2025", "last month") -> date ranges,
relative to an `as_of` date (default: today)."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from rag.errors import ConfigError
from rag.language import entries, fill, lexicon, patterns
from rag.language.dates import MONTHS
from rag.language.words import fold

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
# time expressions of each language: rag/language/data/<lang>/time.toml
_UNITS: dict[str, int] = lexicon("time")["day_units"]  # "il y a 3 jours", "3 weeks ago"
_RELATIVE = patterns("time", "relative")


@dataclass(frozen=True)
class Timeframe:
    start: date
    end: date
    phrase: str  # the words of the question it comes from

    def describe(self) -> str:
        return f"{self.phrase} → {self.start.isoformat()}..{self.end.isoformat()}"


def parse_as_of(value: str | date | None) -> date:
    """None -> today; 'YYYY-MM-DD' -> that date; anything else is a configuration error."""
    if value is None or value == "":
        return date.today()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"as_of '{value}' is not a date (YYYY-MM-DD).") from exc


def _month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _year(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _week_of(d: date) -> tuple[date, date]:
    start = d - timedelta(days=d.weekday())
    return start, start + timedelta(days=6)


def _past_year(month: int, day: int, as_of: date) -> int:
    """A month (and day) named without a year is the latest one not after as_of."""
    return as_of.year if (month, day) <= (as_of.month, as_of.day) else as_of.year - 1


# Words before a date that make it the subject of the question, not the time of the news: "the war began in
# 2022", "delayed until May 2026", "refer to 2 April", "depuis 2014", "né le 14 septembre".
_NOT_THE_NEWS = set(entries("time", "not_the_news"))
HISTORY_DAYS = 730  # a date this long before as_of is history the question is about, not the news' date


def resolve(question: str, as_of: date) -> Timeframe | None:
    """The date range the news asked about happened in, or None.

    Relative expressions ("hier", "last week") always are; a date or a year is only when it reads as the time
    of the news: not after a word making it the subject ("began in 2022", "until May 2026"), not in the future
    of as_of, not history (more than HISTORY_DAYS before it). Those dates filter nothing."""
    q = fold(question)
    rel = {name: rf"\b(?:{pattern})\b" for name, pattern in _RELATIVE.items()}
    units = "|".join(sorted(_UNITS, key=len, reverse=True))
    rules = [
        (rel["day_before_yesterday"], lambda m: (as_of - timedelta(2),) * 2),
        (rel["yesterday"], lambda m: (as_of - timedelta(1),) * 2),
        (rel["today"], lambda m: (as_of, as_of)),
        (rel["last_week"], lambda m: _week_of(as_of - timedelta(7))),
        (rel["this_week"], lambda m: (_week_of(as_of)[0], as_of)),
        (rel["last_month"],
         lambda m: _month_range(*((as_of.year, as_of.month - 1) if as_of.month > 1 else (as_of.year - 1, 12)))),
        (rel["this_month"], lambda m: (as_of.replace(day=1), as_of)),
        (rel["last_year"], lambda m: _year(as_of.year - 1)),
        (rel["this_year"], lambda m: (date(as_of.year, 1, 1), as_of)),
        (_fill(r"\b(?:{within_last}) (\d+) ({units})\b|\b(\d+) ({units_before_ago}) (?:{ago})\b", units=units),
         lambda m: (as_of - timedelta(int(m.group(1) or m.group(3)) * _UNITS[m.group(2) or m.group(4)]), as_of)),
        (_DAY_MONTH, lambda m: _day(int(m.group(1)), MONTHS[m.group(2)], m.group(3), as_of)),
        (_MONTH_DAY, lambda m: _day(int(m.group(2)), MONTHS[m.group(1)], m.group(3), as_of)),
        (_fill(r"\b(?:{month_opener})?({month}) (\d{4})\b"),
         lambda m: _month_range(int(m.group(2)), MONTHS[m.group(1)])),
        (_fill(r"\b(?:{in_month}) ({month})\b"),
         lambda m: _month_range(_past_year(MONTHS[m.group(1)], 1, as_of), MONTHS[m.group(1)])),
        (_fill(r"\b(?:{in_year}) ((?:19|20)\d{2})\b"), lambda m: _year(int(m.group(1)))),
    ]
    for i, (pattern, make) in enumerate(rules):
        m = re.search(pattern, q)
        if m:
            try:
                start, end = make(m)
            except (ValueError, KeyError):  # "31 février": not a date, so no time filter
                continue
            if i >= _FIRST_ABSOLUTE and not _news_time(q[:m.start()], start, end, as_of):
                return None
            source = question if len(question) == len(q) else q  # folding can change lengths (ligatures)
            return Timeframe(start, end, source[m.start():m.end()].strip())
    return None


def _fill(template: str, **given: str) -> str:
    """A date pattern with the languages' words in it (and the month names as {month})."""
    return fill("time", template, month=_MONTH, **given)


_FIRST_ABSOLUTE = 10  # rules before this one are relative to as_of ("hier", "last week", "3 days ago")
# a day, its year optional: "le 1er mai 2025", "13 mars"; "March 13th", "May 2 2025"
_DAY_MONTH = _fill(r"\b(?:{day_article})?(\d{1,2})(?:{day_suffix})? ({month})(?: (\d{4}))?\b")
_MONTH_DAY = _fill(r"\b({month}) (\d{1,2})(?:{month_day_suffix})?(?:,? (\d{4}))?\b")  # "March 13, 2025" (AP)


def written_day(text: str) -> date | None:
    """A whole date as a dateline writes it ("2 novembre 2025", "1er mai 2025", "March 13, 2025"), read with
    the patterns of a question's dates; None for a day without its year ("July 14") or no real date."""
    folded = " ".join(fold(text).replace(",", " ").split())
    for pattern, day, month in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        m = re.fullmatch(pattern, folded)
        if m and m.group(3):
            try:
                return date(int(m.group(3)), MONTHS[m.group(month)], int(m.group(day)))
            except ValueError:  # "31 février 2025"
                return None
    return None


def _news_time(before: str, start: date, end: date, as_of: date) -> bool:
    cue = set(re.findall(r"[\w']+", before)[-3:]) & _NOT_THE_NEWS
    return not cue and start <= as_of and (as_of - end).days <= HISTORY_DAYS


def _day(day: int, month: int, year: str | None, as_of: date) -> tuple[date, date]:
    """A day named without a year is the nearest such day to as_of, before or after it ("2 April" asked on
    28 March is the coming one)."""
    if year:
        d = date(int(year), month, day)
        return d, d
    options = []
    for y in (as_of.year - 1, as_of.year, as_of.year + 1):
        try:
            options.append(date(y, month, day))
        except ValueError:  # 29 February
            continue
    d = min(options, key=lambda x: (abs((x - as_of).days), x > as_of))
    return d, d
