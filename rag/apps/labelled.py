"""Labelled (question, passage, answer sentence, right/wrong) rows built from a SQuAD-format file, for
measuring the answer checks (`rag judge --squad`) on questions nobody here wrote.

Each row is labelled by how it is built, not by a model: for a question, its own answer stated over the
sentence holding it (right); the answer of another question about the same paragraph, stated over a passage
that holds both (wrong: the value is in the passage, but not for what is asked, as "77 drones over Kalouga"
when 77 is the total and 25 the figure for Kalouga); the answer of a question about another article, stated
over the sentence holding it (wrong: the passage is about something else, as "the price of bread is 88
million euros" over a theft). The wrong rows are exactly those word overlap cannot tell from right ones.
Quote rows judge the extractive fallback the same way: the sentence holding the answer, another sentence of
the paragraph (a near miss), a sentence of another article.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from rag.apps.evaluation import Question, normalize, split_questions, squad_questions
from rag.language.sentences import split_sentences


@dataclass(frozen=True)
class Row:
    question: str
    passage: str
    sentence: str
    label: bool
    kind: str  # right | other_value (same passage, another question's answer) | other_topic; quote_*: see below
    lang: str
    id: str

    @property
    def quote(self) -> bool:
        """A passage sentence shown as the answer (judged at the quote stage), not a sentence of the model."""
        return self.kind.startswith("quote_")

    def to_dict(self) -> dict:
        return {"question": self.question, "passage": self.passage, "sentence": self.sentence,
                "label": self.label, "kind": self.kind, "lang": self.lang, "id": self.id, "quote": self.quote}


def squad_rows(path: str | Path, split: str, limit: int | None = None, seed: int = 0) -> list[Row]:
    """Rows for the answerable questions of a split (see split_questions): for each, a right row and, where
    they can be built, an other_value and an other_topic row. `limit` caps the number of questions."""
    questions, texts = squad_questions(path)
    by_dispatch: dict[str, list[Question]] = {}
    for q in questions:
        if q.answerable and q.evidence:
            by_dispatch.setdefault(q.evidence[0].dispatch, []).append(q)
    chosen = [q for q in split_questions(questions, split, seed) if q.answerable and q.evidence]
    rng = random.Random(seed)
    if limit and limit < len(chosen):
        chosen = rng.sample(chosen, limit)
    others = [q for q in questions if q.answerable and q.evidence]
    rows: list[Row] = []
    for q in chosen:
        rows += _rows_for(q, by_dispatch[q.evidence[0].dispatch], others, texts, rng)
    return rows


def _rows_for(q: Question, siblings: list[Question], others: list[Question], texts: dict[str, str],
              rng: random.Random) -> list[Row]:
    own, answer = q.evidence[0].quote, q.expected[0]
    out = [Row(q.question, own, restate(q.question, answer), True, "right", q.lang, q.id)]
    rival = next((s for s in rng.sample(siblings, len(siblings)) if _distinct(s, q)), None)
    if rival is not None:
        passage = _both(texts[q.evidence[0].dispatch], own, rival.evidence[0].quote)
        out[0] = Row(q.question, passage, restate(q.question, answer), True, "right", q.lang, q.id)
        out.append(Row(q.question, passage, restate(q.question, rival.expected[0]), False, "other_value", q.lang,
                       q.id))
    article = q.evidence[0].dispatch.rsplit("-", 1)[0]
    far = [o for o in rng.sample(others, min(len(others), 40)) if o.evidence[0].dispatch.rsplit("-", 1)[0] != article]
    if far:
        o = far[0]
        out.append(Row(q.question, o.evidence[0].quote, restate(q.question, o.expected[0]), False, "other_topic",
                       q.lang, q.id))
    return out + _quote_rows(q, texts[q.evidence[0].dispatch], far[0] if far else None, texts)


def _quote_rows(q: Question, text: str, far: Question | None, texts: dict[str, str]) -> list[Row]:
    """The extractive quote's rows: the sentence holding the answer (right), another sentence of the same
    paragraph that holds none of the expected answers (a near miss), a sentence of another article; each in
    its passage as retrieval gives it (the sentence with the one before and after it, about a chunk)."""
    own = q.evidence[0].quote
    out = [Row(q.question, around(text, own), own, True, "quote_right", q.lang, q.id)]
    answers = [normalize(x) for x in q.expected if normalize(x)]
    near = [text[s:e].strip() for s, e in split_sentences(text)]
    near = [x for x in near if x != own and len(x.split()) >= 6 and not any(a in normalize(x) for a in answers)]
    if near:
        out.append(Row(q.question, around(text, near[0]), near[0], False, "quote_other_sentence", q.lang, q.id))
    if far is not None:
        quote = far.evidence[0].quote
        out.append(Row(q.question, around(texts[far.evidence[0].dispatch], quote), quote, False,
                       "quote_other_topic", q.lang, q.id))
    return out


def around(text: str, sentence: str) -> str:
    """`sentence` with the sentences just before and after it in `text` (itself when it is not found)."""
    spans = [text[s:e].strip() for s, e in split_sentences(text)]
    if sentence not in spans:
        return sentence
    i = spans.index(sentence)
    return " ".join(spans[max(i - 1, 0):i + 2])


def _distinct(s: Question, q: Question) -> bool:
    """Another question of the paragraph whose answer is no answer to this one (neither holds the other)."""
    a, b = normalize(s.expected[0]), normalize(q.expected[0])
    if s.id == q.id or not a or not b or a in b or b in a:
        return False
    return not any(normalize(x) in a or a in normalize(x) for x in q.expected if normalize(x))


def _both(text: str, first: str, second: str) -> str:
    """The two sentences as one passage, in the order of the text (one, if they are the same)."""
    if first == second or second in first:
        return first
    if first in second:
        return second
    i, j = text.find(first), text.find(second)
    return f"{first} {second}" if i <= j else f"{second} {first}"


def restate(question: str, answer: str) -> str:
    """An answer sentence that names what is asked and gives the answer: "Combien de drones ont été abattus
    au-dessus de Kalouga : 25." (the model's own sentences restate the question the same way)."""
    return f"{question.strip().rstrip('?？ ').strip()} : {answer.strip()}."
