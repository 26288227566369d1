"""Which language a text is in, and words copied untranslated from the other language."""
from __future__ import annotations

import re
from functools import cache, lru_cache

from . import LANGUAGES, table
from .names import lexicon
from .words import STOPWORDS, fold, words

# Words that mark a language strongly even in short questions, and its other marks (rag/language/data/<lang>/words.toml)
_LANG_HINTS = {lang: set(table(lang, "words")["hints"]) for lang in LANGUAGES}


def detect_language(text: str) -> str:
    """'fr' or 'en' by stopword and accent evidence; French wins ties (our corpus default)."""
    toks = [w.lower() for w in words(text)]
    score = {lang: sum(1 for t in toks if t in hints) for lang, hints in _LANG_HINTS.items()}
    for lang in LANGUAGES:
        score[lang] += sum(len(re.findall(m["pattern"], text.lower())) * m["weight"]
                           for m in table(lang, "words").get("marks", []))
    return max(LANGUAGES, key=score.get)  # the first language wins ties


# Another language than French or English is told by lingua (statistical models shipped in its wheel, no
# download) among the languages of data/languages.toml, when French and English function words are rare in the
# text: a text of at least this many lowercase words, the language at least this likely.
OWN_SHARE = 0.25  # this share of French or English function words: French or English, lingua is not asked
MIN_WORDS = 5  # fewer lowercase words (names, figures: 'Kyiv, Zelensky, Poutine et Trump'): too little to tell
MIN_CONFIDENCE = 0.9


def unsupported_language(text: str) -> str:
    """The code of the language the text is in when it is neither French nor English ('de', 'pl', ...: those
    of data/languages.toml), else ''. Asked only when French and English function words are rare in it."""
    written = words(text[:5000])
    if sum(1 for w in written if w[:1].islower()) < MIN_WORDS:
        return ""  # too short to tell: French or English, as detect_language says
    toks = [w.lower() for w in written]
    own = sum(1 for t in toks if any(t in marks for marks in _own_words().values())) / len(toks)
    if own >= OWN_SHARE:
        return ""
    top = _detector().compute_language_confidence_values(text[:5000])[0]
    code = top.language.iso_code_639_1.name.lower()
    return code if code not in LANGUAGES and top.value >= MIN_CONFIDENCE else ""


@cache
def _own_words() -> dict[str, frozenset[str]]:
    """Per language, its stopwords and hints (shared ones, 'a', 'on', count for both)."""
    return {code: frozenset(STOPWORDS[code] | _LANG_HINTS[code]) for code in _LANG_HINTS}


@cache
def _detector():
    """lingua's detector over French, English and the languages recognised (their trigram models: tens of MB,
    loaded on first use, which a French or English dispatch never needs)."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder
    codes = [*LANGUAGES, *table("", "languages")["unsupported"]]
    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in codes]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


_QUOTES = re.compile(r"«[^»]*»|“[^”]*”|\"[^\"]*\"")


@cache
def _function_words() -> dict[str, frozenset[str]]:
    """Per language, its stopwords and hints that the other language does not share ('a', 'on' are both)."""
    marks = _own_words()
    return {code: frozenset(m - set().union(*(o for c, o in marks.items() if c != code))) for code, m in marks.items()}


def in_other_language(sentence: str, lang: str) -> bool:
    """The sentence, outside its quotes, is clearly not in `lang`: at least 3 function words of the other
    language and more than twice as many as of `lang` ('Plus than 12,000 buildings have been destroyed'
    answering a French question). Names and quoted words in the other language do not count."""
    toks = [w.lower() for w in words(_QUOTES.sub(" ", sentence))]
    score = {code: sum(1 for t in toks if t in marks) for code, marks in _function_words().items()}
    other = max((code for code in score if code != lang), key=score.get, default=lang)
    return other != lang and score[other] >= 3 and score[other] > 2 * score.get(lang, 0)


_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-zàâäçéèêëîïôöùûüÿœæ][\w-]*(?![\w'’])")


@cache
def _dictionary(lang: str):
    """Word frequencies of a language (pyspellchecker's lists, shipped in the package: no download)."""
    from spellchecker import SpellChecker
    return SpellChecker(language=lang, case_sensitive=False, distance=1)


def _frequency(word: str, lang: str) -> float:
    d = _dictionary(lang)
    return d.word_usage_frequency(word) if word in d else 0.0


@lru_cache(maxsize=4)  # the same passages for every sentence of an answer
def _only_in(other: str, own: str) -> frozenset[str]:
    """The lower-case words of `other` that `own` does not have."""
    return frozenset({w.lower() for w in _LOWER_WORD.findall(other)} - {w.lower() for w in _LOWER_WORD.findall(own)})


def copied_foreign_words(sentence: str, lang: str, other: str, own: str = "") -> list[str]:
    """Words of the sentence, outside quotes and names, copied from `other` (passages in the other language)
    that `lang` does not use: unknown to its word list, or a thousand times rarer there than in the other
    language ('using a camion', 'un ballad'). A word the passages in `lang` (`own`) use is not foreign
    ('drones' in French dispatches), nor one of the lexicon (news words both languages use: 'drones'), nor one
    of four letters or fewer."""
    if lang not in LANGUAGES or not other:
        return []
    theirs = next(x for x in LANGUAGES if x != lang)
    copied = _only_in(other, own)
    found = [w for w in _LOWER_WORD.findall(_QUOTES.sub(" ", sentence))
             if len(w) > 4 and w in copied and fold(w) not in lexicon()]
    return [w for w in dict.fromkeys(found)
            if (mine := _frequency(w, lang)) == 0 or mine * 1000 < _frequency(w, theirs)]
