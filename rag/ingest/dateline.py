"""The dateline a news agency opens its copy with, read for the agency and the day it gives.

AFP: "LYON, 2 novembre 2025 (AFP) - ...", "Kyiv, March 13, 2025 (AFP) - ..."; Reuters: "LONDON, July 14
(Reuters) - ..."; AP: "WASHINGTON (AP) — ...", "GROSSETO, Italy (AP) -- ...". A dispatch whose header names
no agency or date takes them from there (a header, or a ninjs / NewsML-G2 field, says it better and wins).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rag.language import alternatives
from rag.language.timeframe import written_day

# place, then an optional ", date", then "(AGENCY)" and a dash. The place is a few capitalised words, linking
# words between them ("Rio de Janeiro", "NEW YORK", "Saint-Denis"): a sentence ("Le président (LR) -") is not
# one. The agency is a short name in brackets ("AFP", "Reuters", "AP", "dpa", "AFP/Reuters").
_LINK = rf"(?:{alternatives('names', 'dateline_links')})"
_WORD = r"[A-ZÀ-ÖØ-Þ][\w'’.-]*"
_DATELINE = re.compile(rf"^[ \t]*(?P<place>{_WORD}(?:[ \t]+(?:{_LINK}[ \t]+)?{_WORD}){{0,4}})"
                       r"(?:,[ \t]*(?P<when>[^()\n]{3,40}?))?"
                       r"[ \t]*\((?P<agency>[A-Za-zÀ-ÿ][\w .&/-]{1,30})\)[ \t]*[-–—]")


@dataclass(frozen=True)
class Dateline:
    agency: str
    day: str = ""  # YYYY-MM-DD when the dateline gives a whole date ("July 14" alone gives none)
    place: str = ""  # as written: "LYON", "Kyiv", "GROSSETO, Italy"
    end: int = 0  # where the story starts after it (past its dash)


def read_dateline(paragraph: str) -> Dateline | None:
    """The agency, day and place of the dateline `paragraph` opens with; None when it opens with none."""
    m = _DATELINE.match(paragraph)
    if not m:
        return None
    when, place = (m["when"] or "").strip(), m["place"]
    if when and not re.search(r"\d", when):  # AP's "GROSSETO, Italy (AP)": a country, not a date
        when, place = "", f"{place}, {when}"
    day = written_day(when)
    end = m.end() + len(paragraph[m.end():]) - len(paragraph[m.end():].lstrip(" \t-–—"))
    return Dateline(m["agency"].strip(), day.isoformat() if day else "", place, end)
