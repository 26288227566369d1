"""A text read once: its sentences, words, names, figures, counts and speakers, each computed on first use and
kept with the text. A passage and an answer sentence are read into one of these, and the checks take them:
no check re-splits or re-parses a raw string."""
from __future__ import annotations

import re
from functools import cached_property, lru_cache

from rag.language import alternatives
from rag.language.detect import detect_language
from rag.language.names import NameIndex, demonyms, entities, roles
from rag.language.numbers import figure_values
from rag.language.sentences import split_sentences
from rag.language.words import content_terms, fold, looks_truncated, repeats_itself, words
from rag.reading import figures as fig
from rag.reading.quotes import speakers

_SUFFIX = alternatives("words", "negation_suffix")  # "didn't"
_NEGATION = re.compile(rf"\b({alternatives('words', 'negation')})\b" + (rf"|(?:{_SUFFIX})\b" if _SUFFIX else ""))


def negates(text: str) -> bool:
    """The text denies something ("will not be represented", "n'a pas")."""
    return bool(_NEGATION.search(fold(text)))


class Reading:
    """What a text says, read once (see the module docstring). Equal texts share one Reading (see `read`)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Reading({self.text[:40]!r})"

    @cached_property
    def lang(self) -> str:
        return detect_language(self.text)

    @cached_property
    def sentences(self) -> tuple[tuple[int, int], ...]:
        return tuple(split_sentences(self.text))

    @cached_property
    def terms(self) -> frozenset[str]:
        """Content terms (folded, crudely stemmed) and every number."""
        return frozenset(content_terms(self.text))

    @cached_property
    def claim_terms(self) -> frozenset[str]:
        """Content terms, and "<not>" when the text denies: "the FDP will not be represented" restates the
        question's words, but its negation is a claim of its own."""
        return self.terms | ({"<not>"} if negates(self.text) else frozenset())

    @cached_property
    def entities(self) -> frozenset[str]:
        """Names and figures the text hinges on (folded)."""
        return frozenset(entities(self.text))

    @cached_property
    def names(self) -> frozenset[str]:
        return frozenset(e for e in self.entities if not e.isdigit())

    @cached_property
    def figure_values(self) -> frozenset[str]:
        """Figures however written: '6' = 'six'; ordinals as '7th'."""
        return frozenset(figure_values(self.text))

    @cached_property
    def figures(self) -> tuple[fig.Figure, ...]:
        """Counted quantities (the dead, drones...) in digits, with their quantity key."""
        return tuple(fig.figures(self.text))

    @cached_property
    def figure_keys(self) -> frozenset[str]:
        return frozenset(f.key for f in self.figures)

    @cached_property
    def counts(self) -> frozenset[int]:
        """Values of the numbers that count something (not years, ages, dates)."""
        return frozenset(fig.counts(self.text))

    @cached_property
    def count_sentences(self) -> tuple[tuple[str, str, set[int]], ...]:
        """Each sentence, the same with the sentence before it, and the counts it gives."""
        return tuple(fig.count_sentences(self.text))

    @cached_property
    def count_owners(self) -> tuple[tuple[int, str], ...]:
        """Each count with the name it belongs to (the last capitalised word before it in its sentence)."""
        return tuple(fig.count_owners(self.text))

    @cached_property
    def truncated(self) -> bool:
        """Stops mid-way ("a pris le nom de.")."""
        return looks_truncated(self.text)

    @cached_property
    def repeats(self) -> bool:
        """Says the same words twice."""
        return repeats_itself(self.text)

    @cached_property
    def speakers(self) -> frozenset[str]:
        """Folded names of who the text says claims it ("selon X", "X said")."""
        return frozenset(speakers(self.text))

    @cached_property
    def word_set(self) -> frozenset[str]:
        """Its words, folded."""
        return frozenset(fold(w) for w in words(self.text))

    @cached_property
    def dated_clauses(self) -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
        """Per clause of each sentence, the figures it gives (years aside) and its years: where a sentence pairs
        one figure with one year ("14,2 milliards en 2003 et 12 milliards en 2019")."""
        clauses = (c for s, e in self.sentences for c in fig.CLAUSE_BREAK.split(self.text[s:e]) if c)
        pairs = (fig.figures_and_years(c) for c in clauses)
        return tuple((frozenset(values), frozenset(years)) for values, years in pairs)

    @cached_property
    def figures_and_years(self) -> tuple[frozenset[str], frozenset[str]]:
        values, years = fig.figures_and_years(self.text)
        return frozenset(values), frozenset(years)

    @cached_property
    def counts_other_things(self) -> frozenset[int]:
        """Counts put with a noun naming no quantity we know nor people ("12 000 bâtiments")."""
        return frozenset(fig.counts_other_things(self.text))

    @cached_property
    def quantities(self) -> frozenset[str]:
        """Quantities the text names ('morts', 'blessés' -> dead, injured)."""
        return frozenset(fig.asked_quantities(self.text))

    @cached_property
    def demonyms(self) -> frozenset[str]:
        """Nationalities of people it counts ('soldats russes' -> russian)."""
        return frozenset(demonyms(self.text))

    @cached_property
    def roles(self) -> frozenset[str]:
        """What it says was done ('abattus' -> downed)."""
        return frozenset(roles(self.text))

    @cached_property
    def names_people(self) -> bool:
        """It names people counted ('personnes', 'soldiers')."""
        return bool(set(re.findall(r"[\w']+", fold(self.text))) & fig.PEOPLE)

    @cached_property
    def _names(self) -> NameIndex:
        return NameIndex(self.text)

    def coverage(self, names: set[str] | frozenset[str], similarity: float = 0.8) -> float:
        """Share of the names (folded) the text holds, under any of their spellings (1.0 for none)."""
        return self._names.coverage(names, similarity) if names else 1.0

    def holds(self, names: set[str] | frozenset[str], similarity: float = 0.8) -> set[str]:
        """The names (folded) this text holds, under any of their spellings."""
        return {n for n in names if self.coverage({n}, similarity) == 1.0}


@lru_cache(maxsize=4096)
def read(text: str) -> Reading:
    """The Reading of a text: read once, then shared by every check (and answer) that looks at it."""
    return Reading(text)
