"""One language on screen: an answer sentence is in the question's language, not copied from a passage in the
other one."""
from __future__ import annotations

from rag.answer.checks.base import Check, Claim, Source, Verdict, register
from rag.answer.query import Query
from rag.language.detect import copied_foreign_words, in_other_language


@register
class OneLanguage(Check):
    name = "one_language"
    stages = ("language",)
    uses = ("copied_words_tolerated",)
    summary = ("A sentence clearly written in the other language ('More than 12,000 buildings have been "
               "destroyed' for a French question) is left out, and so is one carrying more than "
               "copied_words_tolerated words copied untranslated from a passage in the other language ('the "
               "thieves used a camion and a disqueuse'): words those passages have, the answer language's "
               "passages do not, and its word list does not know (or knows a thousand times less).")
    cases = [
        {"sentence": "More than 12,000 buildings have been destroyed.", "question": "Combien de bâtiments ont été "
         "détruits ?", "passage": "More than 12,000 buildings have been destroyed.", "ok": False},
        {"sentence": "Plus de 12 000 bâtiments ont été détruits.", "question": "Combien de bâtiments ont été "
         "détruits ?", "passage": "More than 12,000 buildings have been destroyed.", "ok": True},
    ]

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        lang = query.lang
        if in_other_language(claim.text, lang):
            return self.fails("other_language")
        other, own = claim.passages.by_language if claim.passages else ("", "")
        copied = copied_foreign_words(claim.text, lang, other, own)
        if len(copied) > self.copied_words_tolerated:
            return self.fails("copied_words", words=", ".join(copied))
        return self.holds()
