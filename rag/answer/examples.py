"""Example questions for a first screen, built from what the index holds (not written by hand per corpus)."""
from __future__ import annotations

import re
from collections.abc import Iterable

from rag.answer.prompting import Prompts
from rag.indexing.store import StoredChunk
from rag.language import alternatives
from rag.language.names import entities, exonyms
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
                score = (2 * (name in exonyms()) + _is_place(name, c.text) + (fold(name) in fold(c.meta.title))
                         + (name in in_sentence))
                if score > best.get(c.meta.dispatch_id, (0,))[0]:
                    question = templates[f.key].format(name=_as_written(name, c.text))
                    same = (f.key, min(name, *exonyms().get(name, ())))  # Birmanie and Myanmar: one story
                    best[c.meta.dispatch_id] = (score, c.meta.lang == lang, c.meta.date, question, same)
    ranked = sorted(best.values(), key=lambda x: (x[1], x[2]), reverse=True)
    out, stories = [], set()
    for *_, question, story in ranked:
        if story not in stories:
            stories.add(story)
            out.append(question)
    return out[:n]


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
        candidate = " ".join(w.strip(",.;:!?()«»\"'") for w in words[i:i + size])
        if fold(candidate) == folded:
            return candidate
    return folded.title()
