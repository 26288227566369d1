"""Example questions for a first screen, built from what the index holds (not written by hand per corpus)."""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from rag.answer.prompting import Prompts, date_label
from rag.indexing.store import StoredChunk
from rag.language import alternatives
from rag.language.names import TITLES, english_forms, entities, exonyms
from rag.language.words import fold
from rag.reading.figures import figures


def example_questions(chunks: Iterable[StoredChunk], prompts: Prompts, lang: str, n: int = 3) -> list[str]:
    """For the newest dispatches with a counted figure (a toll, drones, injured...): the question of that
    quantity, headline style, with the place the sentence states it for ("Briansk : combien de drones ont
    été abattus ?"). One per dispatch; dispatches in the reader's language first, then the newest."""
    templates = prompts.table("examples", lang)
    best: dict[str, tuple[int, bool, str, str, tuple[str, str]]] = {}  # score, reader's language, date, question, story
    for c in chunks:
        if c.meta.is_caption:
            continue
        names = [e for e in dict.fromkeys(_names_in_order(c.text)) if not any(ch.isdigit() for ch in e)]
        for f in figures(c.text):
            if f.key not in templates:
                continue
            in_sentence = entities(f.sentence)
            for name in names:  # a place of this passage: known to the exonyms, after a preposition, in the title
                place = 2 * (name in exonyms()) + _is_place(name, c.text)
                if not place:  # a person ("Valery Gerasimov : combien de prisonniers ?") is no headline topic
                    continue
                score = place + (fold(name) in fold(c.meta.title)) + (name in in_sentence)
                if score > best.get(c.meta.dispatch_id, (0,))[0]:
                    question = templates[f.key].format(name=_in_language(_as_written(name, c.text), c.meta.lang,
                                                                         lang))
                    same = (f.key, min(name, *exonyms().get(name, ())))  # Birmanie and Myanmar: one story
                    best[c.meta.dispatch_id] = (score, c.meta.lang == lang, c.meta.date, question, same)
    ranked = sorted(best.values(), key=lambda x: (x[1], x[2]), reverse=True)
    out, stories = [], set()
    for *_, question, story in ranked:
        if story not in stories:
            stories.add(story)
            out.append(question)
    return out[:n]


def follow_ups(dispatches: Sequence[Sequence[StoredChunk]], cited: set[str], prompts: Prompts, lang: str,
               asked: Iterable[str], n: int = 3) -> list[str]:
    """Questions an answer's dispatches (in the order it cites them) answer beyond it, headline style: what a
    person they quote said, a count stated for a place (the examples' templates), what happened at a place they
    report from on the dispatch's day (the day narrows the search to it: "Chine : que s'est-il passé ?" found
    another story). The passages the answer did not cite come first, in reading order; a name the conversation
    already asked about (`asked`: its questions and the answer), under any of its spellings, is not offered
    again, nor twice."""
    templates = {**prompts.table("examples", lang), **prompts.table("followups", lang)}
    known = " ".join(fold(q) for q in asked)
    out: list[str] = []
    offered: set[str] = set()
    for chunks in dispatches:
        places = _places(" ".join(c.text for c in chunks))
        for c in sorted((c for c in chunks if not c.meta.is_caption), key=lambda c: (c.id in cited, c.meta.start)):
            for key, name in _topics(c.text, c.meta.quotes, templates, places):
                forms = {fold(name), *exonyms().get(fold(name), ())}  # Birmanie asked: not Myanmar either
                if forms & offered or any(re.search(rf"\b{re.escape(f)}\b", known) for f in forms):
                    continue
                if key == "place" and c.meta.period is None:  # its day is what makes the question about it
                    continue
                offered |= forms
                out.append(templates[key].format(name=_in_language(name, c.meta.lang, lang),
                                                 date=date_label(c.meta.period, lang)))
                if len(out) == n:
                    return out
    return out


def _places(text: str) -> set[str]:
    """The places a dispatch reports from: names known as places (the exonyms), or written after a place
    preposition at least twice ('à Kherson' ... 'de Kherson'); once is often a capitalised noun ('de la Défense')."""
    names = [e for e in entities(text) if not any(ch.isdigit() for ch in e)]
    prep = rf"\b({_PLACE_PREPOSITIONS})\s+({_PLACE_ARTICLES})?"
    folded = fold(text)
    return {n for n in names if n in exonyms() or len(re.findall(prep + re.escape(n) + r"\b", folded)) >= 2}


def _topics(text: str, quotes: Sequence[Any], templates: dict[str, str],
            places: set[str]) -> Iterator[tuple[str, str]]:
    """What a passage offers to ask about: (template key, name as written), people quoted first, then counts,
    then places."""
    for q in quotes:
        words = fold(q.speaker).split()
        # a person's name: not "un diplomate européen", nor a title and one word ("Governor Ron": a name cut short)
        if q.speaker[:1].isupper() and entities(q.speaker) and not (len(words) == 2 and words[0] in TITLES):
            yield "speaker", q.speaker
    names = [e for e in _names_in_order(text) if not any(ch.isdigit() for ch in e)]
    for f in figures(text):
        for name in entities(f.sentence) & set(names):
            if f.key in templates and name in places:
                yield f.key, _as_written(name, text)
    for name in names:
        if name in places and _is_place(name, text):
            yield "place", _as_written(name, text)


def _in_language(name: str, written_in: str, lang: str) -> str:
    """A place as a question in `lang` names it: a French dispatch's 'Kalouga' is 'Kaluga' in English (the
    exonyms give English forms; a French one is left as the English dispatch writes it)."""
    folded = fold(name)
    if lang == "en" and written_in == "fr" and folded in english_forms():
        return english_forms()[folded].title()
    return name


def _names_in_order(text: str) -> list[str]:
    found = entities(text)
    return sorted(found, key=lambda e: fold(text).find(e.split()[0]))


_PLACE_PREPOSITIONS = alternatives("names", "place_prepositions")
_PLACE_ARTICLES = alternatives("names", "place_articles")


def _is_place(name: str, sentence: str) -> bool:
    """The name follows a place preposition ('à Kherson', 'en Birmanie', 'over Bryansk', 'de Briansk')."""
    return bool(re.search(rf"\b({_PLACE_PREPOSITIONS})\s+({_PLACE_ARTICLES})?{re.escape(name)}\b", fold(sentence)))


def _as_written(folded: str, sentence: str) -> str:
    """The name as the sentence writes it ('birmanie' -> 'Birmanie')."""
    words = sentence.split()
    size = len(folded.split())
    for i in range(len(words) - size + 1):
        candidate = re.sub(r"^\w['’]", "", " ".join(w.strip(",.;:!?()«»\"'") for w in words[i:i + size]))
        if fold(candidate) == folded:
            return candidate
    return folded.title()
