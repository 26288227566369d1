"""Words of a text: folding, tokens, stopwords, content terms, and sentences that cannot stand as claims."""
from __future__ import annotations

import re
import unicodedata

WORD_RE = re.compile(r"\w+(?:[-']\w+)*", re.UNICODE)


_ELISION = re.compile(r"^(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu)'(?=\w)", re.IGNORECASE)


STOPWORDS = {
    "fr": set(
        "le la les l un une des de du d et en à au aux a ce ces cet cette que qui quoi dont où est sont été "
        "être avoir ont il elle ils elles on nous vous se sa son ses leur leurs pour par sur dans avec sans "
        "ne pas plus mais ou donc or ni car y lui eux je tu me te mon ma mes ton ta tes notre nos votre vos "
        "qu s c n j m t comme aussi tout tous toute toutes très entre après avant depuis lors selon quel "
        "quelle quels quelles combien comment pourquoi quand".split()
    ).union({"a-t-il", "a-t-elle", "est-ce"}),
    "en": set(
        "the a an and or of to in on at by for with from as is are was were be been being it its this that "
        "these those he she they we you i his her their our your not no but if then than so do does did "
        "has have had will would can could which who whom whose what when where why how many much there "
        "about after before over into under also said says".split()
    ),
}


def fold(text: str) -> str:
    """Lowercase and strip accents so 'Kiev' == 'kiev' and 'défense' == 'defense'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Words, a French elided article or pronoun taken off ("l'Ukraine" -> "Ukraine", "d'Henri" -> "Henri"),
    so that names after it are names and words match their plain form."""
    return [_ELISION.sub("", w) for w in WORD_RE.findall(text)]


def count_tokens(text: str) -> int:
    """Cheap token estimate (~ subword tokens) used for chunk sizing and prompt budgets; never fewer than one
    token per 3.5 characters, so a long run without spaces is not counted as one word."""
    n_words = len(WORD_RE.findall(text))
    n_punct = len(re.findall(r"[^\w\s]", text))
    return int(max(n_words * 1.3 + n_punct * 0.5, len(text) / 3.5)) + 1


def content_terms(text: str, prefix: int = 5) -> set[str]:
    """Folded, crudely stemmed content words (and every number) of a text, for overlap scores."""
    out: set[str] = set()
    stop = STOPWORDS["fr"] | STOPWORDS["en"]
    for w in words(text):
        lw = w.lower()
        if lw in stop or (len(lw) < 3 and not lw.isdigit()):
            continue
        f = fold(lw)
        out.add(f if f.isdigit() else f[:prefix])
    return out


# Words a sentence cannot end on: "a pris le nom de." was cut off.
_DANGLING = set(
    "de du des le la les l d un une au aux a à et ou pour par sur dans avec en que qui dont son sa ses leur leurs "
    "ce cette ces est sont ont été the an of to in on at by for with and or from as is are was were his her "
    "their its this that these those has have had be been".split())


def looks_truncated(sentence: str) -> bool:
    toks = words(sentence)
    return not toks or fold(toks[-1]) in _DANGLING


def repeats_itself(sentence: str) -> bool:
    """'le premier échevin est le premier échevin': the same words said twice, nothing more."""
    toks = [fold(w) for w in words(sentence)]
    grams = [tuple(toks[i:i + 3]) for i in range(len(toks) - 2)]
    if len(grams) != len(set(grams)):
        return True
    content = [t for t in toks if t not in STOPWORDS["fr"] | STOPWORDS["en"] and len(t) > 2]
    return len(content) >= 4 and len(set(content)) / len(content) < 0.6
