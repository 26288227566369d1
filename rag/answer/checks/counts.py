"""A question answered by a count ("combien", "how many", "quel est le bilan"): the sentence gives a count of
what is asked, about what the question names, of the people and the action asked."""
from __future__ import annotations

from rag.answer.checks.base import Check, Claim, Source, Verdict, register
from rag.answer.checks.figures import misplaced
from rag.answer.query import Query
from rag.language.names import translations
from rag.reading import figures as fig
from rag.reading.reading import Reading, read


class CountCheck(Check):
    """Checks that apply to count questions only."""

    def applies(self, query: Query) -> bool:
        return query.wants_count


@register
class CountGiven(CountCheck):
    name = "count_given"
    stages = ("answer",)
    summary = "A count question is answered by a sentence that gives a count, in digits or words."
    cases = [
        {"sentence": "La région de Briansk en a compté 30.", "question": "Combien de drones au-dessus de Briansk ?",
         "passage": "La région de Briansk en a compté 30.", "ok": True},
        {"sentence": "Des drones ont visé la région de Briansk.", "question": "Combien de drones au-dessus de "
         "Briansk ?", "passage": "Des drones ont visé la région de Briansk.", "ok": False},
    ]

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        return self.holds() if claim.read.counts else self.fails("no_count")


@register
class CountOfQuantity(CountCheck):
    name = "count_quantity"
    stages = ("answer",)
    summary = ("The count is of the quantity asked: 'missing' asked, the death toll does not answer; the dead "
               "asked, '12 000 bâtiments' is a count of other things.")
    cases = [
        {"sentence": "Le séisme a fait 1 644 morts.", "question": "Combien de disparus ?",
         "passage": "Le séisme a fait 1 644 morts.", "ok": False},
        {"sentence": "Plus de 12 000 bâtiments ont été détruits.", "question": "Combien de morts ?",
         "passage": "Plus de 12 000 bâtiments ont été détruits.", "ok": False},
        {"sentence": "Le séisme a fait 1 644 morts.", "question": "Combien de morts ?",
         "passage": "Le séisme a fait 1 644 morts.", "ok": True},
    ]

    def applies(self, query: Query) -> bool:
        return query.wants_count and bool(query.quantities)

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        keys = claim.read.figure_keys
        if keys and not query.quantities & keys:
            return self.fails("other_quantity", quantity=sorted(keys)[0])
        if not keys and claim.read.counts_other_things:
            return self.fails("other_things", figure=min(claim.read.counts_other_things))
        return self.holds()


@register
class CountPlaced(CountCheck):
    name = "count_placed"
    stages = ("answer",)
    summary = ("The count is the one the cited passage gives for what the question names: asked about Briansk, "
               "77 was the total over Russia, 30 the count over Briansk.")
    cases = [
        {"sentence": "77 drones ont été abattus.", "question": "Combien de drones au-dessus de Briansk ?",
         "passage": "77 drones ont été abattus au total. La région de Briansk en a compté 30.", "ok": False},
        {"sentence": "30 drones ont été abattus.", "question": "Combien de drones au-dessus de Briansk ?",
         "passage": "77 drones ont été abattus au total. La région de Briansk en a compté 30.", "ok": True},
    ]

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        here = source.read.holds({n for n in query.names if not n.isdigit()})
        found = misplaced(claim.read, source.read, here)
        return self.fails("count_elsewhere", source, figure=found) if found else self.holds(source)


@register
class CountSubject(CountCheck):
    name = "count_subject"
    stages = ("answer",)
    summary = ("The count is of the people and the action asked: 'soldats russes' asked, the 430 were Ukrainian "
               "fighters; drones 'launched' asked, the 77 were shot down.")
    cases = [
        {"sentence": "430 soldats ont été faits prisonniers.", "question": "Combien de soldats russes ont été "
         "faits prisonniers ?", "passage": "430 combattants ukrainiens ont été faits prisonniers.", "ok": False},
        {"sentence": "430 combattants ont été faits prisonniers.", "question": "Combien de soldats ukrainiens ont "
         "été faits prisonniers ?", "passage": "430 combattants ukrainiens ont été faits prisonniers.", "ok": True},
    ]

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        found = other_subject(read(query.standalone), claim.read, source.read)
        return self.fails("count_other_subject", source, figure=found) if found else self.holds(source)


def other_subject(question: Reading, claim: Reading, passage: Reading) -> str:
    """A figure of the claim the passage gives for another nationality or another action than the question
    asks about ("" when none), judged on the passage sentences stating it."""
    wanted_people, wanted_action = question.demonyms, question.roles
    if not (wanted_people or wanted_action):
        return ""
    for value in sorted(claim.counts):
        for where, _, found in passage.count_sentences:
            if value not in found:
                continue
            people, action = read(where).demonyms, read(where).roles
            if (wanted_people and people and not wanted_people & people) or \
               (wanted_action and action and not wanted_action & action):
                return str(value)
    return ""


@register
class CountThing(CountCheck):
    name = "count_thing"
    stages = ("answer", "quote")
    summary = ("The question counts a thing it names ('combien de suspects'): the passage must give the "
               "sentence's count in a sentence (or the one before it) naming that thing, in either language ('quatre "
               "malfaiteurs ont volé' counts no suspects arrested); a sentence with no count we read must name "
               "the thing itself ('combien de visiteurs': not 'une cinquantaine de chefs d'Etat').")
    cases = [
        {"sentence": "Un commando de quatre malfaiteurs a été arrêté.", "question": "Combien de suspects ont été "
         "arrêtés ?", "passage": "Un commando de quatre malfaiteurs a volé huit bijoux.", "ok": False},
        {"sentence": "Deux suspects ont été arrêtés.", "question": "Combien de suspects ont été arrêtés ?",
         "passage": "Deux suspects ont été arrêtés samedi.", "ok": True},
    ]

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        if counts_something_else(read(query.standalone), claim.read, source.read):
            return self.fails("count_other_thing", source, thing=fig.counted_noun(query.standalone))
        return self.holds(source)


def counts_something_else(question: Reading, claim: Reading, passage: Reading) -> bool:
    """The question counts a thing it names, and the passage gives the claim's counts only in sentences (with
    the sentence before each) that do not name it, nor its other-language form. Quantities we know (the dead,
    the injured...) and people are left to the checks on quantities."""
    noun = fig.counted_noun(question.text)
    if not noun or noun in fig.PEOPLE or question.quantities:
        return False
    forms = [read(f).terms for f in (noun, *translations(noun).get(noun, ()))]
    if not claim.counts:  # a count we do not read ("une cinquantaine de chefs d'Etat"): it must name the thing
        return not any(f <= claim.terms for f in forms)
    for value in claim.counts:
        stated = [read(with_before).terms for _, with_before, found in passage.count_sentences if value in found]
        if stated and not any(f <= terms for f in forms for terms in stated):
            return True
    return False


@register
class QuoteGivesCount(CountCheck):
    name = "quote_count"
    stages = ("quote",)
    summary = ("A quote answering a count question gives a count: in digits, in words ('trois personnes', 'une "
               "personne a été tuée') or as an order of magnitude ('des centaines d'actionnaires').")
    cases = [
        {"sentence": "Les forces russes ont repris la ville de Soudja.", "question": "Combien de drones au-dessus "
         "de Koursk ?", "passage": "Les forces russes ont repris la ville de Soudja.", "ok": False},
        {"sentence": "Des centaines de petits actionnaires ont vendu.", "question": "Combien d'actionnaires ont "
         "vendu ?", "passage": "Des centaines de petits actionnaires ont vendu.", "ok": True},
    ]

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        return self.holds(source) if fig.states_count(claim.text) else self.fails("no_count", source)


@register
class QuoteNamesCounted(CountCheck):
    name = "quote_names_counted"
    stages = ("quote",)
    summary = ("A quote for a count of a quantity we know names that quantity or the people counted, itself or "
               "in the passage sentence before its count: 'how many people were evacuated' is not answered by 'a "
               "Category 3 storm with winds of 120 miles per hour'.")
    cases = [
        {"sentence": "Milton made landfall as a Category 3 storm with winds of 120 miles per hour.",
         "question": "How many people were evacuated?", "passage": "Milton made landfall as a Category 3 storm "
         "with winds of 120 miles per hour.", "ok": False},
        {"sentence": "More than 5,000 people were evacuated.", "question": "How many people were evacuated?",
         "passage": "More than 5,000 people were evacuated.", "ok": True},
    ]

    def applies(self, query: Query) -> bool:
        return query.wants_count and bool(query.quantities)

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        if names_what_is_counted(query.quantities, claim.read, source.read):
            return self.holds(source)
        return self.fails("count_unnamed", source)


def names_what_is_counted(quantities: frozenset[str], claim: Reading, passage: Reading) -> bool:
    """The claim names the quantity or the people counted, itself or in the passage sentence before the one
    stating its count ("77 drones abattus. La région de Briansk en a compté 30")."""
    def names(text: Reading) -> bool:
        return bool(text.quantities & quantities or text.names_people)
    if names(claim):
        return True
    return any(found & claim.counts and names(read(with_before)) for _, with_before, found in passage.count_sentences)
