"""Words of a text: folding, tokens, stopwords, content terms, and sentences that cannot stand as claims."""
from __future__ import annotations

import re
import unicodedata

from rag.language import LANGUAGES, alternatives, entries, table

WORD_RE = re.compile(r"\w+(?:[-']\w+)*", re.UNICODE)


_ELISION = re.compile(rf"^(?:{alternatives('words', 'elision')})'(?=\w)", re.IGNORECASE)
# function words per language (rag/language/data/<lang>/words.toml)
STOPWORDS = {lang: set(table(lang, "words")["stopwords"]) for lang in LANGUAGES}
ALL_STOPWORDS = set().union(*STOPWORDS.values())


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
    stop = ALL_STOPWORDS
    for w in words(text):
        lw = w.lower()
        if lw in stop or (len(lw) < 3 and not lw.isdigit()):
            continue
        f = fold(lw)
        out.add(f if f.isdigit() else f[:prefix])
    return out


_DANGLING = set(entries("words", "dangling"))  # "a pris le nom de." was cut off


def looks_truncated(sentence: str) -> bool:
    toks = words(sentence)
    return not toks or fold(toks[-1]) in _DANGLING


def repeats_itself(sentence: str) -> bool:
    """'le premier échevin est le premier échevin': the same words said twice, nothing more."""
    toks = [fold(w) for w in words(sentence)]
    grams = [tuple(toks[i:i + 3]) for i in range(len(toks) - 2)]
    if len(grams) != len(set(grams)):
        return True
    content = [t for t in toks if t not in ALL_STOPWORDS and len(t) > 2]
    return len(content) >= 4 and len(set(content)) / len(content) < 0.6
