"""Story versions and contradictions: figures (death tolls, counts) that differ between passages.

Wire stories are updated: "1.644 morts" on Saturday becomes "2,719 dead" on Tuesday. When the passages
an answer rests on give different values for the same quantity, the answer must not pick one silently:
it gives the latest and names the earlier version (different dates), or says the sources diverge
(same date), citing both sides.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from rag.language.names import entities
from rag.reading.figures import Figure, figures
from rag.values import Evidence


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


def _when(e: Evidence) -> str:
    """When a passage's text was written: the time of its item's version when a wire format gives one (two
    versions of one item on one day are versions, not two sources), else its dispatch date."""
    return e.meta.version_time or e.meta.date


def _order(when: str) -> str:
    """A `_when` value comparable as text: times in UTC, dates as they are."""
    try:
        t = datetime.fromisoformat(when) if "T" in when else None
    except ValueError:
        t = None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC).isoformat() if t else when


def _version(e: Evidence) -> tuple[str, str]:
    """One version of one dispatch: its passages never disagree with one another (a dispatch gives several
    counts); two versions of one item do."""
    return e.meta.dispatch_id, e.meta.doc_hash


def _story_names(e: Evidence) -> set[str]:
    return set(e.meta.doc_names) or {n for n in entities(e.text) if not n.isdigit()}


def same_story(a: Evidence, b: Evidence, max_days: int = 14, min_overlap: float = 0.3) -> bool:
    """Two passages report the same story: dispatches close in time that name mostly the same people and
    places (overlap of their names over the smaller set; 'Mandalay', 'Min Aung Hlaing' cross languages).
    Two versions of one item are one story."""
    if a.dispatch_id == b.dispatch_id:
        return True
    da, db = a.day, b.day
    if da and db and abs((da - db).days) > max_days:
        return False
    na, nb = _story_names(a), _story_names(b)
    if not na or not nb:
        return True  # nothing to tell them apart: they passed the same relevance gate
    return len(na & nb) / min(len(na), len(nb)) >= min_overlap


def disagreements(passages: list[Evidence], keys: set[str] | frozenset[str], max_days: int = 14,
                  min_overlap: float = 0.3, max_earlier: int = 2) -> list[Disagreement]:
    """For each quantity in `keys`, the newest value and the latest differing value before it (or of the same
    day) in the same story.

    `passages` are the evidence of the answer, all about the question; passages
    of one dispatch never disagree with themselves (a dispatch can give several counts), nor do two
    different stories (the tolls of two earthquakes are not versions of one another)."""
    out = []
    for key in sorted(keys):
        found = [(_when(p), p.number, p, f) for p in passages for f in figures(p.text) if f.key == key]
        found.sort(key=lambda x: (_order(x[0]), -x[1]))  # oldest first; equal dates: better-ranked last
        for new_date, new_n, new_p, new_f in reversed(found):  # the newest figure that has another version
            older = [x for x in found if x[3].value != new_f.value and _version(x[2]) != _version(new_p)
                     and _order(x[0]) <= _order(new_date) and same_story(x[2], new_p, max_days, min_overlap)]
            if older:  # the version just before the newest ("the toll rose from X to Y"), then older values
                old_date, old_n, _, old_f = older[-1]
                earlier, seen = [], {new_f.value, old_f.value}
                for date_, n, _, f in reversed(older[:-1]):
                    if f.value not in seen and len(earlier) < max_earlier:
                        earlier.append((f, n, date_))
                        seen.add(f.value)
                out.append(Disagreement(key, new_f, old_f, new_n, old_n, new_date, old_date, earlier))
                break
    return out


def quantity_labels(spec: str) -> dict[str, str]:
    """'dead = le bilan' lines (prompts/quantities.<lang>.txt) -> {'dead': 'le bilan'}."""
    pairs = (line.split("=", 1) for line in spec.splitlines() if "=" in line and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}
