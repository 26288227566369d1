"""Support stage, names: each name of the sentence is where it must be for the passage to say it."""
from __future__ import annotations

from rag.answer.checks.base import Check, Claim, Source, Verdict, register
from rag.answer.query import Query
from rag.reading.reading import read


@register
class NamesStated(Check):
    name = "names_stated"
    stages = ("support",)
    effect = "cap"
    summary = ("Every name of the sentence is in the passage. A name the question brought may come from the "
               "passage's dispatch (a paragraph is about what its dispatch is about); a name the sentence brings "
               "itself ('Alexandre Bogomaz est le gouverneur') must be in the passage or beside it (its title, "
               "its quoted speakers); the speaker of 'selon X', 'X said' must be in the passage itself.")
    cases = [
        {"sentence": "30 drones au-dessus de Briansk.", "passage": "La région de Briansk en a compté 30.",
         "ok": True},
        {"sentence": "30 drones au-dessus de Moscou.", "passage": "La région de Briansk en a compté 30.",
         "ok": False},
        {"sentence": "Selon Dmitri Peskov, un appel est possible.", "passage": "Un appel est possible, a dit "
         "Vladimir Poutine.", "ok": False},
    ]

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        names = claim.read.names
        if not names:
            return self.holds(source)
        strict = claim.read.speakers & names
        question = read(query.standalone) if query.standalone else None
        asked = {n for n in names - strict if question is None or question.coverage({n}) == 1.0}
        new = names - strict - asked
        for group, where, reason in ((strict, source.read, "speaker_missing"), (asked, source.with_context,
                                     "name_missing"), (new, source.with_near, "name_missing")):
            absent = sorted(n for n in group if where.coverage({n}) < 1.0)
            if absent:
                return self.fails(reason, source, name=absent[0])
        return self.holds(source)
