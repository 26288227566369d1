"""Understand the question once: a frozen `Query` every later step reads (nothing re-parses the string).

Question analysis needs neither retrieval nor a model: language, time frame and the filters it implies,
the quantity asked, names and content words are read from the text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from rag.filters import Filters
from rag.language import alternatives, patterns
from rag.language.dates import MONTHS
from rag.language.detect import detect_language
from rag.language.names import capitalized, entities, exonyms, topic, translations
from rag.language.numbers import CARDINAL_WORDS
from rag.language.timeframe import Timeframe, parse_as_of, resolve
from rag.language.words import content_terms, fold, words
from rag.reading.figures import asked_quantities, wants_count


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
    wants: str  # kind of answer: length, duration, age, amount, share, count, date, rank, statement, person, place,
    # or "" (any)
    names: frozenset[str]  # names and figures the question hinges on (folded)
    terms: frozenset[str]  # content words (folded, crudely stemmed)
    # per question word with known other-language forms, the content terms of all its forms ("name": nom, name)
    bridge: tuple[frozenset[str], ...] = ()


# What a question asks for and what an answer of each kind holds: rag/language/data/<lang>/question.toml
KINDS = ("length", "duration", "age", "amount", "share", "count", "date", "rank", "statement", "person", "place")
_KIND_RE = patterns("question", "kinds")
_UNIT = patterns("question", "units", months="|".join(MONTHS), cardinals=CARDINAL_WORDS)


def answer_kind(question: str) -> str:
    """What kind of answer the question asks for ("" when it cannot tell)."""
    q = question.lower()
    return next((kind for kind in KINDS if re.search(_KIND_RE[kind], q)), "")  # first match wins


_LOOSE = {"date", "person", "place"}  # "quand": "dans un délai assez court"; "qui": "un sauveteur chinois"
# "quand" answered in words: a time, a period or an event placed in time, not necessarily a date
_WHEN = rf"\b({alternatives('question', 'when')})\b"


def measurable(query: Query) -> bool:
    """The answer is a quantity with a unit (a length, a duration, an age, an amount of money): a sentence
    without one does not answer, however close it is."""
    return query.wants in _UNIT and query.wants not in _LOOSE


def answers_kind(text: str, query: Query, strict: bool = False) -> bool:
    """Does the text hold an answer of the kind asked: a length, a duration, an age or an amount, a date or a
    time in words; with `strict`, a date or a name the question lacks (those can be answered in other words, so
    only the extractive choice favours them)."""
    if query.wants == "date" and not strict:  # not a date, but a time in words ("deux jours après le vote")
        return bool(re.search(_WHEN, fold(text))) or answers_kind(text, query, strict=True)
    if query.wants in _LOOSE and not strict:
        return True
    if query.wants == "date":  # a date the question does not give already ("en quel mois de l'année 2013")
        given = {n for n in query.names if n.isdigit()}
        return any(not (d := set(re.findall(r"\d+", m.group(0)))) or not d <= given
                   for m in re.finditer(_UNIT["date"], fold(text)))
    if query.wants in _UNIT:
        return bool(re.search(_UNIT[query.wants], fold(text)))
    if query.wants in ("person", "place"):
        return bool({n for n in capitalized(text) if not n.isdigit()} - query.names)
    return True


def other_spellings(text: str) -> set[str]:
    """Content terms of the other-language names of the text's words ('pope' -> 'pape'), so a question's words
    also match a passage in the other language."""
    alts = exonyms()
    return content_terms(" ".join(a for w in words(fold(text)) for a in alts.get(w, ())))


def bridge_terms(text: str) -> tuple[frozenset[str], ...]:
    """For each word of the text with other-language forms, the content terms of all its forms: a passage in
    the other language shares that word when it holds one of them."""
    groups = (frozenset(content_terms(" ".join((w, *alts)))) for w, alts in translations(text).items())
    return tuple(dict.fromkeys(g for g in groups if g))


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
    words_asked = text.replace(frame.phrase, " ") if frame else text  # "last week" is when, not what
    kind = answer_kind(text)  # "combien de temps" is a duration: no count question
    return Query(text=question, standalone=text, lang=detect_language(question), follow_up=text != question,
                 as_of=day, timeframe=frame, filters=flt, quantities=frozenset(asked_quantities(text)),
                 wants_count=wants_count(text) and kind not in _UNIT, wants=kind,
                 names=frozenset(entities(text) | topic(text)),
                 terms=frozenset(content_terms(words_asked) | other_spellings(words_asked)),
                 bridge=bridge_terms(words_asked))
