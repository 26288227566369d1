"""Support stage, figures: each figure of the sentence is stated by the passage, for the same thing, name and
year."""
from __future__ import annotations

from rag.answer.checks.base import Check, Claim, Source, Verdict, register
from rag.answer.query import Query
from rag.language import entries
from rag.reading.reading import Reading, read

_ONE_WORDS = set(entries("figures", "one_words"))  # "un seul", "a lone": the figure 1 in words


@register
class FiguresStated(Check):
    name = "figures_stated"
    stages = ("support",)
    effect = "cap"
    summary = ("Every figure of the sentence, in digits or words ('six' = '6'; 'seventh' is not 'second'), is "
               "in the passage, or in what it states without writing it (the date its 'jeudi' means, the "
               "question's figures its story gives elsewhere).")
    cases = [
        {"sentence": "30 drones au-dessus de Briansk.", "passage": "La région de Briansk en a compté 30.",
         "ok": True},
        {"sentence": "31 drones au-dessus de Briansk.", "passage": "La région de Briansk en a compté 30.",
         "ok": False},
    ]

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        missing = unsupported_figures(claim.read, source.with_stated)
        return self.fails("figure_missing", source, figure=sorted(missing)[0]) if missing else self.holds(source)


def unsupported_figures(claim: Reading, passage: Reading) -> set[str]:
    """Figures of the claim the passage does not state ('1' is also stated by 'une personne', 'one')."""
    missing = set(claim.figure_values - passage.figure_values)
    if "1" in missing and passage.word_set & _ONE_WORDS:
        missing.discard("1")
    return missing


@register
class FiguresPlaced(Check):
    name = "figures_placed"
    stages = ("support",)
    effect = "cap"
    summary = ("A figure the passage states for something else does not support the sentence: another "
               "quantity ('2 719 blessés' for '2,719 dead'), another thing counted ('24 bâtiments' for 24 dead), "
               "or another name ('77 drones over Bryansk' when 77 was the total and 30 the count over Bryansk).")
    cases = [
        {"sentence": "77 drones ont été abattus au-dessus de Briansk.",
         "passage": "77 drones ont été abattus au total. La région de Briansk en a compté 30.", "ok": False},
        {"sentence": "30 drones ont été abattus au-dessus de Briansk.",
         "passage": "77 drones ont été abattus au total. La région de Briansk en a compté 30.", "ok": True},
    ]

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        here = source.read.holds(claim.read.names)
        found = misplaced(claim.read, source.read, here)
        return self.fails("figure_elsewhere", source, figure=found) if found else self.holds(source)


def misplaced(claim: Reading, passage: Reading, names_here: set[str] | None = None) -> str:
    """A figure of the claim that the passage states for something else ("" when none), in any language: the
    passage's 2,719 counts the dead, the claim says 2 719 injured; or the claim puts the figure with a name
    ("77 drones over Bryansk") while the passage sentence stating it does not name it (77 was the total, 30
    were over Bryansk). `names_here`: the claim's names that the passage holds."""
    stated = passage.figures
    for f in claim.figures:
        same = [g for g in stated if g.value == f.value]
        if same and all(g.key != f.key for g in same):
            return f.text
    other = claim.counts_other_things & {g.value for g in stated}  # "24 bâtiments", the passage's 24 are the dead
    if other:
        return str(min(other))
    values = claim.counts
    if not names_here or not values:
        return ""
    given = {n: {v for v, owner in passage.count_owners if read(owner).coverage({n}) == 1.0} for n in names_here}
    for value in sorted(values):
        where = [s for s, _, found in passage.count_sentences if value in found]
        if where and not any(read(w).coverage(set(names_here)) > 0 for w in where):
            return str(value)
        if any(own and value not in own for own in given.values()):  # the passage gives that name another count
            return str(value)
    return ""


@register
class FiguresDated(Check):
    name = "figures_dated"
    stages = ("support",)
    effect = "cap"
    summary = ("A figure given for a year the passage gives it another year is unsupported: '14,2 milliards en "
               "2019' from '14,2 milliards d'euros en 2003 et 12 milliards d'euros en 2019'.")
    cases = [
        {"sentence": "Le chiffre d'affaires était de 14,2 milliards en 2019.",
         "passage": "Il était de 14,2 milliards d'euros en 2003 et de 12 milliards d'euros en 2019.", "ok": False},
        {"sentence": "Le chiffre d'affaires était de 12 milliards en 2019.",
         "passage": "Il était de 14,2 milliards d'euros en 2003 et de 12 milliards d'euros en 2019.", "ok": True},
    ]

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        found = misdated(claim.read, source.read)
        return self.fails("figure_other_year", source, figure=found) if found else self.holds(source)


def misdated(claim: Reading, passage: Reading) -> str:
    """A figure the claim gives for one year while the passage gives it for another year, and that year another
    figure ("" when none). Only a claim naming one year is read; a figure the passage also states without a
    year is left alone."""
    values, years = claim.figures_and_years
    if len(years) != 1:
        return ""
    year = next(iter(years))
    clauses = passage.dated_clauses
    others_that_year = any(year in ys and vals - values for vals, ys in clauses)
    for v in sorted(values):
        holding = [ys for vals, ys in clauses if v in vals]
        if holding and others_that_year and all(ys and year not in ys for ys in holding):
            return v
    return ""
