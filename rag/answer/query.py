"""Understand the question once: a frozen `Query` every later step reads (nothing re-parses the string).

Question analysis needs neither retrieval nor a model: language, time frame and the filters it implies,
the quantity asked, names and content words are read from the text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from rag.filters import Filters
from rag.language.dates import MONTHS
from rag.language.detect import detect_language
from rag.language.names import capitalized, entities, exonyms, translations
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


# ordinals past the first ("premier ministre", "first lady" rank nothing); folded forms in answers
_ORDINAL_ASKED = (r"deuxième|seconde?|\w+ième|derni(er|ère)|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|"
                  r"\d+(e|ème|nd|rd|th)")
_ORDINAL = (r"premiere?s?|seconde?s?|\w+iemes?|derniere?s?|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|"
            r"tenth|eleventh|twelfth|\w+teenth|\w+tieth|last|\d+(e|eme|er|ere|st|nd|rd|th)")

_KINDS = [  # first match wins: "combien de temps" is a duration, not a count
    # "how long is the front line" is a length; "how long did it last" a duration
    ("length", r"\bhow long (is|was|are|were|will be)\b|\bhow far\b|\b(sur )?quelle (est la )?(longueur|distance)\b"
               r"|\blong de combien\b"),
    ("duration", r"\b(durée|combien de temps|pendant combien|how long|duration|"
                 r"for how many (days|weeks|months|years))"),
    ("age", r"\b(quel âge|quel age|âgée? de combien|how old|what age)\b"),
    # money: "prix" is left out (le prix Goncourt is a prize, not a price)
    ("amount", r"\b(salaires?|salary|salaries|wages?|rémunération|coût|coûte|coûté|coûtera|costs?|cost of|"
               r"price of|montant|amount of money|how much money|combien d'argent|budget)\b"),
    # a share is a percentage or a fraction, not the count it is a share of ("part de marché": not units sold)
    ("share", r"\b(parts? de marché|market share|pourcentage|quelle part|quelle proportion|quel taux|taux d[e']|"
              r"what percentage|what share|what proportion|what rate|what was the turnout)\b"),
    ("count", r"\b(combien|how many|how much)\b"),
    ("date", r"\b(quand|à quelle date|a quelle date|en quelle année|quel jour|when|what date|what day|which year|"
             r"in what year|what year|quel mois|which month|what month|quel siècle|à quelle époque|what century)\b"),
    # a rank in a result ("which party came second"): the winner's sentence is true, cited and no answer
    ("rank", r"\b(arrivée?s?|arrive|arrivent|terminée?s?|termine|terminent|finie?s?|classée?s?|placée?s?|came|comes|"
             r"finished|finishes|ranked|placed|ended)\s+(en\s+|in\s+)?(" + _ORDINAL_ASKED + r")\b|"
             r"\b(" + _ORDINAL_ASKED + r") (place|position|rang)\b|\brunners?-up\b|\bà quel(le)? (place|rang)\b|"
             r"\ben quelle position\b|\bwhere did \w+( \w+)? (finish|rank|place|end up)\b"),
    # what a named person said: a passage must show that person speaking
    ("statement", r"^\s*(what did|what has|what have|qu'a|qu'ont|qu'a-t-(il|elle)|qu'est-ce que)\b.*\b(say|said|tell|"
                  r"told|declare|declared|state|stated|dit|déclaré|affirmé|répondu|estimé|assuré)\b"),
    ("person", r"^\s*(qui|who|whom)\b|\b(qui est|who is|who was|quel nom|what name|what is the name)\b"),
    ("place", r"^\s*(où|ou|where)\b|\b(dans quelle ville|dans quel pays|in which (city|country|town)|"
              r"in what (city|country)|quel pays|which country|what country)\b"),
]
_UNIT = {
    "duration": r"\b\d+\s*(jours?|semaines?|mois|ans|annees?|heures?|minutes?|secondes?|seconds?|days?|weeks?|"
                r"months?|years?|hours?)\b|(?<![\w-])(" + CARDINAL_WORDS + r")\s+"
                r"(jours|semaines|mois|ans|annees|heures|minutes|secondes|days|weeks|months|years|hours|seconds)\b"
                r"|\b(un|une|a|an|one)\s+(jour|journee|semaine|mois|an|annee|heure|minute|day|week|month|year|hour)\b",
    "age": r"\b\d+\s*(ans|years?|-year-old)\b",
    "length": r"\d\s*(km|kilometres?|kilometers?|miles?|metres?|meters?|m)\b",
    "amount": r"\d\s*(€|\$|£|euros?|dollars?|francs?|livres?|pounds?|yens?|yuans?|roubles?|rubles?|hryvnias?)\b|"
              r"(€|\$|£)\s*\d|\d\s*(millions?|milliards?|billions?|bn)\s+(d'|de\s+|of\s+)?(euros?|dollars?|francs?|"
              r"livres?|pounds?|yens?|yuans?|roubles?|rubles?)",
    "rank": r"\b(" + _ORDINAL + r"|runners?-up|derriere|devant|behind|ahead|suivie?s? (de|par)|followed by|"
            r"podium)\b",  # not "place" alone: "took place"
    "share": r"\d\s*%|\d\s*(pour ?cents?|percent|per ?cent|points?)\b|\b(moitie|half|tiers|third|quarts?|quarters?)\b",
    "date": r"\b(1[0-9]|20)\d{2}\b|\b\d{1,2}(er)?\s+(" + "|".join(MONTHS) + r")\b|\b(" + "|".join(MONTHS) + r")\s+\d"
            r"|\b(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|friday|"
            r"saturday|sunday|hier|yesterday|aujourd'hui|today)\b"
            r"|\b[xvi]+(e|eme|er)? siecles?\b|\b\d{1,2}(st|nd|rd|th) century\b",
}


def answer_kind(question: str) -> str:
    """What kind of answer the question asks for ("" when it cannot tell)."""
    q = question.lower()
    return next((kind for kind, pattern in _KINDS if re.search(pattern, q)), "")


_LOOSE = {"date", "person", "place"}  # "quand": "dans un délai assez court"; "qui": "un sauveteur chinois"
# "quand" answered in words: a time, a period or an event placed in time, not necessarily a date
_WHEN = (r"\b(depuis|apres|avant|pendant|durant|lors|quand|lorsque|moment|fin|debut|milieu|epoque|periode|delai|"
         r"jours?|semaines?|mois|ans?|annees?|siecles?|decennies?|matin|soir|nuit|recemment|bientot|prochaine?s?|"
         r"derniere?s?|since|after|before|during|when|while|until|time|ago|days?|weeks?|months?|years?|centur(y|ies)|"
         r"decades?|morning|evening|night|recently|soon|next|last|end|beginning|early|late)\b")


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
                 wants_count=wants_count(text) and kind not in _UNIT, wants=kind, names=frozenset(entities(text)),
                 terms=frozenset(content_terms(words_asked) | other_spellings(words_asked)),
                 bridge=bridge_terms(words_asked))
