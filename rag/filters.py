"""Metadata filters of a search: date range, languages, sources, dispatch ids (kept, or left out)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from rag.errors import ConfigError
from rag.language.dates import Period, parse_bound

LANGUAGES = ("fr", "en")  # the languages dispatches are indexed in


@dataclass(frozen=True)
class Filters:
    """Dates are YYYY, YYYY-MM or YYYY-MM-DD, inclusive; a dispatch dated by month overlaps a range."""

    date_from: str = ""
    date_to: str = ""
    lang: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    dispatch_ids: list[str] = field(default_factory=list)
    # dispatches never searched (an evaluation asks a question with the one holding its answer left out)
    exclude_dispatch_ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bounds()  # a malformed date is a configuration error now, not a traceback later

    @classmethod
    def coerce(cls, value: Filters | dict[str, Any] | None) -> Filters:
        """The filters a user gave, checked: a ConfigError says what is wrong with them."""
        if value is None:
            return cls()
        if isinstance(value, Filters):
            return value.checked()
        unknown = set(value) - {"date_from", "date_to", "lang", "source", "dispatch_ids", "exclude_dispatch_ids"}
        if unknown:
            raise ConfigError(f"Unknown filter(s): {', '.join(sorted(unknown))}. "
                              "Use date_from, date_to, lang, source, dispatch_ids, exclude_dispatch_ids.")
        return cls(date_from=value.get("date_from", "") or "", date_to=value.get("date_to", "") or "",
                   lang=_as_list(value.get("lang")), source=_as_list(value.get("source")),
                   dispatch_ids=_as_list(value.get("dispatch_ids")),
                   exclude_dispatch_ids=_as_list(value.get("exclude_dispatch_ids"))).checked()

    def checked(self) -> Filters:
        """These filters, or a ConfigError when they can match nothing for a reason the user can fix: a date
        range that ends before it starts, a language no dispatch is indexed in."""
        lo, hi = self.bounds()
        if lo and hi and lo > hi:
            raise ConfigError(f"The date range ends before it starts (date_from {self.date_from} is after date_to "
                              f"{self.date_to}): no dispatch can match; swap them.", setting="date_from")
        if other := [code for code in self.lang if code not in LANGUAGES]:
            raise ConfigError(f"lang {', '.join(map(repr, other))}: dispatches are indexed in "
                              f"{' and '.join(LANGUAGES)} only, so no dispatch can match.", setting="lang")
        return self

    def bounds(self) -> tuple[date | None, date | None]:
        """First and last day of the range (None: open)."""
        lo = _bound("date_from", self.date_from, first=True)
        hi = _bound("date_to", self.date_to, first=False)
        return lo, hi

    @property
    def is_empty(self) -> bool:
        return not (self.date_from or self.date_to or self.lang or self.source or self.dispatch_ids
                    or self.exclude_dispatch_ids)

    def narrow(self, start: date | None, end: date | None) -> Filters:
        """These filters with the date range intersected with [start, end]."""
        lo, hi = self.bounds()
        lo = max(lo, start) if lo and start else (lo or start)
        hi = min(hi, end) if hi and end else (hi or end)
        return replace(self, date_from=lo.isoformat() if lo else "", date_to=hi.isoformat() if hi else "")

    def admits(self, period: Period | None, lang: str, source: str, dispatch_id: str) -> bool:
        """Does a chunk with this date, language, source and dispatch pass? Undated chunks pass dates."""
        lo, hi = self.bounds()
        if period and ((lo and period.end < lo) or (hi and period.start > hi)):
            return False
        return ((not self.lang or lang in self.lang) and (not self.source or source in self.source)
                and (not self.dispatch_ids or dispatch_id in self.dispatch_ids)
                and dispatch_id not in self.exclude_dispatch_ids)


def _bound(name: str, value: object, first: bool) -> date | None:
    """One end of the date range, or a ConfigError quoting the value and saying what is wrong with it."""
    if not value:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"Date filter {name} must be text (YYYY, YYYY-MM or YYYY-MM-DD), not "
                          f"{type(value).__name__}.", setting=name)
    try:
        return parse_bound(value, first=first)
    except ValueError as exc:
        why = "" if str(exc) == value else f" ({exc})"
        raise ConfigError(f"Date filter {name} '{value}' is not a real date{why}; write YYYY, YYYY-MM or "
                          "YYYY-MM-DD, for example 2025-03 or 2025-03-30.", setting=name) from exc


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    return list(value or [])
