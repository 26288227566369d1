"""Understand the question once: a frozen `Query` every later step reads (nothing re-parses the string).

Question analysis needs neither retrieval nor a model: language, time frame and the filters it implies,
the quantity asked, names and content words are read from the text.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .figures import asked_quantities, wants_count
from .filters import Filters
from .text import content_terms, detect_language, entities
from .timeframe import Timeframe, parse_as_of, resolve


@dataclass(frozen=True)
class Query:
    text: str  # as asked
    standalone: str  # what is searched and answered: the question itself, or a follow-up made standalone
    lang: str
    follow_up: bool  # condensed from the conversation
    as_of: date  # "hier", "last week" count from this day
    timeframe: Timeframe | None  # the question's time expression and the dates it means
    filters: Filters  # the user's filters narrowed to the time frame (and to as_of when given)
    quantities: frozenset[str]  # quantities asked about: dead, injured, drones...
    wants_count: bool  # answered by a count ("combien", "how many", "quel est le bilan")
    names: frozenset[str]  # names and figures the question hinges on (folded)
    terms: frozenset[str]  # content words (folded, crudely stemmed)


def analyze(question: str, filters: Filters | dict | None = None, as_of: str | date | None = None,
            standalone: str | None = None) -> Query:
    """The Query for `question`; `standalone` is its rewrite when it was a follow-up in a conversation.

    An explicit `as_of` also hides dispatches dated after it, so a question can be replayed as of a past day.
    """
    text = standalone or question
    day = parse_as_of(as_of)
    flt = Filters.coerce(filters)
    frame = resolve(text, day)
    if frame:
        flt = flt.narrow(frame.start, frame.end)
    if as_of not in (None, ""):
        flt = flt.narrow(None, day)
    return Query(text=question, standalone=text, lang=detect_language(question), follow_up=text != question,
                 as_of=day, timeframe=frame, filters=flt, quantities=frozenset(asked_quantities(text)),
                 wants_count=wants_count(text), names=frozenset(entities(text)),
                 terms=frozenset(content_terms(text)))
