"""Evidence gate: which retrieved passages are close enough to the question to answer from.

A refusal costs less than a wrong cited answer, so a passage must be similar to the question and, when
the question names people, places or figures, hold them. Passages that pass are numbered [1]..[m]:
these numbers are the ones the prompt shows and the model cites.
"""
from __future__ import annotations

import re
from dataclasses import replace

from rag.answer.query import Query
from rag.language.names import entity_coverage, exonyms, fuzzy_found
from rag.language.words import content_terms, fold, words
from rag.reading.figures import figures
from rag.retrieval import Retriever
from rag.settings import Settings
from rag.values import Evidence, Passage


def other_language_figures(query: Query, passages: list[Passage], retriever: Retriever) -> list[Passage]:
    """For a question about a count, up to two passages in the other language that give that count.

    Retrieval ranks one language first; a toll updated in an English dispatch after a French one
    would otherwise never be compared with it."""
    flt = query.filters
    present = {p.meta.lang for p in passages}
    other = [lang for lang in ("fr", "en") if lang not in present and (not flt.lang or lang in flt.lang)]
    if not query.quantities or not other or not passages:
        return []
    seen = {p.id for p in passages}
    found = retriever.retrieve(query.standalone, k=len(passages), filters=replace(flt, lang=other), as_of=query.as_of)
    return [p for p in found if p.id not in seen and query.quantities & {f.key for f in figures(p.text)}][:2]


def select(query: Query, passages: list[Passage], floor: float, margin: float, s: Settings) -> list[Evidence]:
    """Passages relevant enough to answer from, numbered 1..m; empty -> refusal, no generation.

    Dense similarity alone cannot tell "the Myanmar quake" from "the Turkey quake", so when the
    question names entities or figures, a passage must also contain them (transliterations allowed). The
    other passages of a story found relevant may answer without restating the question (sibling_relevant).
    """
    kept = [p for p in passages if relevant(query, p, floor, margin, s)]
    by_story: dict[str, list[Passage]] = {}
    for p in kept:
        by_story.setdefault(_story(p), []).append(p)
    ids = {p.id for p in kept}
    kept += [p for p in passages if p.id not in ids and _story(p) in by_story
             and sibling_relevant(query, p, by_story[_story(p)], floor, s)]
    order = {p.id: i for i, p in enumerate(passages)}  # retrieval order, siblings in their place
    return [Evidence(i, p) for i, p in enumerate(sorted(kept, key=lambda p: order[p.id]), 1)]


def alone(e: Evidence, text: str) -> Evidence:
    """The passage cut to one span of it, under the same number (what the model cites stays valid)."""
    return replace(e, passage=replace(e.passage, text=text))


def story_figures(query: Query, e: Evidence, evidence: list[Evidence]) -> str:
    """The question's figures ("en 2005") that another passage of the same story states and this one does
    not: a sentence restating them with this passage's fact ("3,9 % du marché en 2005") rests on the story."""
    story = [x.text for x in evidence if x.number != e.number and _story(x.passage) == _story(e.passage)]
    own = set(re.findall(r"\d+", e.text))
    return " ".join(sorted(n for n in query.names if n.isdigit() and n not in own
                           and any(re.search(rf"(?<!\d){n}(?!\d)", x) for x in story)))


def _story(p: Passage) -> str:
    """What a passage is part of: its dispatch, or the story its title names (a long story filed in parts,
    an article split by paragraph)."""
    return f"title:{fold(p.meta.title)}" if p.meta.title.strip() else f"id:{p.dispatch_id}"


def _context(p: Passage) -> str:
    m = p.meta
    return " ".join([p.text, m.title, m.date, m.section, " ".join(m.doc_names)])


def sibling_relevant(query: Query, p: Passage, anchors: list[Passage], floor: float, s: Settings) -> bool:
    """Another passage of a story already found relevant, close to the question though it does not restate
    it: a story states its subject once ("UAZ ... en 2005") and the answer a paragraph later ("sa part de
    marché ... 3,9 %"). It must share a word of the question besides its names. When the question names people,
    places or figures, it must hold one of them (so all of them when the question names one thing: the Kursk
    paragraph of a story on Briansk and Kursk does not answer about Briansk) and every person named in full;
    the story's relevant passages may hold the rest."""
    if p.dense < floor:
        return False
    context = _context(p)
    names = _names(query)
    found = content_terms(p.text)
    if p.meta.lang and p.meta.lang != query.lang:
        shares = any(forms & found for forms in query.bridge)
    else:  # a word of the question besides its names: the title names the story in every passage of it
        shares = bool((query.terms - content_terms(" ".join(names))) & found)
    if not (shares and names):
        return shares
    story = " ".join([context, *(a.text for a in anchors)])
    need = 1.0 if len(names) <= s.few_names else s.names_share
    people = _people(names)
    return (entity_coverage(names, context, s.name_similarity) > 0
            and entity_coverage(people, context, s.name_similarity) == 1.0
            and entity_coverage(names, story, s.name_similarity) >= need
            and (query.wants != "statement" or speaks(p, names, s.name_similarity)))


def _names(query: Query) -> set[str]:
    """The question's names a passage must hold: the year, not other figures, names an event."""
    return {n for n in query.names if not n.isdigit() or _is_year(n)}


def _people(names: set[str]) -> set[str]:
    """A person named in full ("Angela Merkel") is who the question is about: never optional."""
    return {n for n in names if " " in n and n not in exonyms()}


def _is_year(n: str) -> bool:
    return len(n) == 4 and 1900 <= int(n) <= 2100


# Reporting verbs of speech, French and English, folded ("a declare", "said", "selon").
_SPEECH = (r"(said|says|told|tells|added|stated|declared|warned|wrote|insisted|argued|announced|explained|noted|"
           r"replied|asked|urged|promised|admitted|acknowledged|confirmed|denied|claimed|posted|according to|"
           r"a declare|a dit|a affirme|a estime|a assure|a juge|a souligne|a ajoute|a annonce|a explique|a averti|"
           r"a prevenu|a indique|a repondu|a lance|a insiste|a martele|a plaide|a resume|a precise|a rappele|"
           r"a reconnu|a denonce|a reagi|a ecrit|a conclu|a poursuivi|a confie|a admis|a promis|a demande|"
           r"a appele|a exhorte|a mis en garde|a critique|a salue|a qualifie|a accuse|a defendu|a fustige|a evoque|"
           r"a reclame|a exige|a menace|a regrette|a dementi|a nie|criticized|criticised|praised|accused|called|"
           r"described|defended|condemned|demanded|threatened|vowed|pledged|rejected|welcomed|suggested|predicted|"
           r"stressed|emphasized|emphasised|cautioned|responded|commented|declare|affirme|estime|assure|selon)")


_SPEECH_RE = re.compile(rf"\b{_SPEECH}\b")
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
    """One of the question's names (not a place or a body) speaks in the passage: the speaker of one of its
    quotes, or named in a sentence that reports speech. "What did Merkel say" is not answered by a
    passage where Merkel only appears."""
    people = {n for n in names if not any(ch.isdigit() for ch in n) and n not in exonyms()}
    people = {n for n in people if " " in n} or people  # "Angela Merkel", not the "Charlevoix" she was at
    if not people:
        return True
    if any(q.speaker and entity_coverage({n}, q.speaker, similarity) == 1.0 for q in p.meta.quotes for n in people):
        return True
    surnames = {name.split()[-1] for n in people for name in (n, *exonyms().get(n, ()))}
    return any(fuzzy_found(surname, near, similarity) for near in _speakers_near_verbs(p.text) for surname in surnames)


def relevant(query: Query, p: Passage, floor: float, margin: float, s: Settings) -> bool:
    """Close enough to the question and, when it names people, places or bodies, naming them too (figures
    in the question are what is asked about, not what a passage must repeat)."""
    m = p.meta
    context = _context(p)
    names = _names(query)
    if names:
        need = 1.0 if len(names) <= s.few_names else s.names_share
        people = _people(names)
        return (p.dense >= floor and entity_coverage(names, context, s.name_similarity) >= need
                and entity_coverage(people, context, s.name_similarity) == 1.0
                and (query.wants != "statement" or speaks(p, names, s.name_similarity)))
    # no name to check: a clearly closer passage, or one holding most of the question's words
    if p.dense >= floor + margin:
        return True
    if m.lang and m.lang != query.lang:
        # In the other language only the question's words with a known other-language form can be shared
        # ("pope" -> "pape", "name" -> "nom"): most of those, or none can tell.
        found = content_terms(context)
        shared = sum(bool(forms & found) for forms in query.bridge)
        return p.dense >= floor and bool(query.bridge) and shared >= s.terms_share * len(query.bridge)
    shared = len(query.terms & content_terms(context))
    return p.dense >= floor and len(query.terms) >= 2 and (
        shared >= s.terms_share * len(query.terms) or (p.dense >= floor + margin / 2 and shared >= s.terms_min))
