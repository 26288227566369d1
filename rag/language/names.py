"""Names in text (runs of capitalised words), their other spellings and languages, and whether a text holds them."""
from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import cache, lru_cache
from pathlib import Path

from . import alternatives, entries
from .numbers import numbers
from .sentences import split_sentences
from .words import fold, words

# Capitalised words that are no names (months and days, question words, titles): data/<lang>/names.toml
_CALENDAR = set(entries("names", "calendar"))
_QUESTION_WORDS = set(entries("names", "not_names"))
_CENTURY = re.compile(rf"^[IVXL]+({alternatives('names', 'century_suffixes')})$")  # "XXème siècle", "XIXe", "XXth"
TITLES = set(entries("names", "titles"))  # "pope", "president": before a name, not part of it
_POSSESSIVE = re.compile(r"['’]s$")


def entities(text: str) -> set[str]:
    """Names and figures a claim hinges on: runs of capitalised words ('united states', 'min aung hlaing'; a
    sentence's first word only when the next one is capitalised too), and numbers. Demonyms and nationality
    adjectives ('Canadian', 'Dutch') are not names: see demonyms()."""
    out: set[str] = set()
    for s, e in split_sentences(text):
        for c, clause in enumerate(_CLAUSE_BREAK.split(text[s:e])):  # 'la Défense, Alexandre Bogomaz': two names
            toks = words(clause)
            run: list[str] = []
            for i, raw in enumerate(toks + [""]):
                tok, ends = name_part(raw)
                acronym = tok.isupper() and (i > 0 or c > 0)  # 'the WHO': not the question word 'who'
                name = (tok[:1].isupper() and len(tok) > 1 and (acronym or tok.lower() not in _QUESTION_WORDS)
                        and fold(tok) not in demonym_groups() and fold(tok) not in _CALENDAR
                        and not _CENTURY.match(tok))
                if name and (i > 0 or c > 0 or (i + 1 < len(toks) and toks[i + 1][:1].isupper())):
                    run.append(fold(tok))
                    if not ends:
                        continue
                if run:
                    out.add(" ".join(untitled(run)))
                run = []
    return out | numbers(text)


# A headline-style question's topic: capitalised words, then a colon ("Briansk : combien …", "Gaza: how many …")
_TOPIC = re.compile(r"^\s*((?:[A-ZÀ-Ý][\w'’.-]*\s*){1,4}):")


def topic(question: str) -> set[str]:
    """The name a question opens with, headline style ('Briansk : combien de drones ?' -> {'briansk'}): the
    first word of a sentence is a name for entities() only when the next one is capitalised too."""
    m = _TOPIC.match(question)
    toks = m.group(1).split() if m else []
    if not toks or any(fold(t) in _QUESTION_WORDS or fold(t) in demonym_groups() for t in toks):
        return set()
    return {" ".join(untitled([fold(t) for t in toks]))}


def name_part(tok: str) -> tuple[str, bool]:
    """The part of a word that can be (part of) a name, and whether the name ends with it: a possessive ends
    its name ("Microsoft's Xbox": two names), a lowercase word hyphened to a name is no part of it ("New
    York-area" is "New York", "Russian-backed" is "Russian")."""
    if _POSSESSIVE.search(tok):
        return tok[:-2], True
    parts = _HYPHEN.split(tok)
    if len(parts) > 1 and tok[:1].isupper() and not all(p[:1].isupper() for p in parts):
        kept = []
        for p in parts:
            if not p[:1].isupper():
                break
            kept.append(p)
        return "-".join(kept), True
    return tok, False


def initials(name: str) -> str:
    """'world health organization' -> 'who' (folded; linking words give none: 'bank of japan' -> 'bj')."""
    return "".join(p[0] for p in name.split() if p not in _LINKS)


def untitled(run: list[str]) -> list[str]:
    """A name without the titles before it ("pope leo xiv" -> "leo xiv", "prime minister keir starmer" ->
    "keir starmer"), which news writes with or without them; a title and one word stay ("president trump",
    "premier league": the word alone may not be a name)."""
    while len(run) > 2 and run[0] in TITLES:
        run = run[1:]
    return run


_CLAUSE_BREAK = re.compile(r"[,;:()«»\"“”]")


@cache
def _word_groups(name: str) -> dict[str, str]:
    """rag/data/<name>: each line 'head = other = other', every word mapped to the line's first one."""
    out: dict[str, str] = {}
    for line in (Path(__file__).parent / "data" / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            names = [n.strip() for n in line.split("=")]
            out.update(dict.fromkeys(names, names[0]))
    return out


def demonym_groups() -> dict[str, str]:
    """'ukrainiens' -> 'ukrainian' (rag/data/demonyms.txt)."""
    return _word_groups("demonyms.txt")


def role_groups() -> dict[str, str]:
    """'abattus' -> 'downed' (rag/data/roles.txt)."""
    return _word_groups("roles.txt")


def roles(text: str) -> set[str]:
    """What the text says was done ('77 drones ont été abattus' -> {'downed'})."""
    groups = role_groups()
    return {groups[w] for w in (fold(t) for t in words(text)) if w in groups}


_PEOPLE = set(entries("names", "people"))


def demonyms(text: str) -> set[str]:
    """The nationalities of people a text counts: 'soldats russes', 'Ukrainian fighters' -> {'russian',
    'ukrainian'}; 'ministère russe' or 'drones ukrainiens' are not people."""
    groups = demonym_groups()
    toks = [fold(t) for t in words(text)]
    found = set()
    for i, w in enumerate(toks):
        if w in groups and ((i > 0 and toks[i - 1] in _PEOPLE) or (i + 1 < len(toks) and toks[i + 1] in _PEOPLE)):
            found.add(groups[w])
    return found


def capitalized(text: str) -> set[str]:
    """Folded capitalised words of a text, sentence-initial ones included ('JJ a gagné' -> {'jj'})."""
    return {fold(t) for t in words(text) if t[0].isupper() and fold(t) not in _QUESTION_WORDS}


def fuzzy_found(term: str, haystack_tokens: set[str], similarity: float = 0.8) -> bool:
    """True if `term` (folded) is in the tokens, allowing transliteration variants (Bryansk ~ Briansk)."""
    if term in haystack_tokens or (not term.isdigit() and any(t.startswith(term[:5]) for t in haystack_tokens
                                                             if len(term) >= 5)):
        return True
    if term.isdigit() or len(term) < 5:
        return False
    return any(abs(len(t) - len(term)) <= 2 and SequenceMatcher(None, term, t).ratio() >= similarity
               for t in haystack_tokens)


def folded_tokens(text: str) -> set[str]:
    return {fold(w) for w in words(text)} | numbers(text)


_HYPHEN = re.compile(r"[-\u2010\u2011]")


_ACRONYM = re.compile(r"[a-z]{2,5}")


_LINKS = set(entries("names", "links"))


def acronyms(text: str) -> set[str]:
    """Folded initials of the names in `text`: 'les Jeux olympiques' -> 'jo', 'Organisation des Nations unies'
    -> 'onu', so that a question saying 'JO' finds a passage saying it in full. A name starts with a
    capitalised word; the words after it (linking words skipped) add their initials while they have three
    letters or more."""
    out: set[str] = set()
    for s, e in split_sentences(text):
        toks = words(text[s:e])
        for i, tok in enumerate(toks):
            if not tok[:1].isupper():
                continue
            initials = fold(tok[0])
            for nxt in toks[i + 1:i + 8]:
                if fold(nxt) in _LINKS:
                    continue
                if len(nxt) < 3 or not nxt[:1].isalpha():
                    break
                initials += fold(nxt[0])
                if len(initials) > 5:
                    break
                out.add(initials)
    return out


@lru_cache(maxsize=1)
def exonyms() -> dict[str, tuple[str, ...]]:
    """Other spellings of a place or body across French and English (rag/data/exonyms.txt): 'birmanie' ->
    ('myanmar', 'burma')."""
    return _equivalents("exonyms.txt")


@lru_cache(maxsize=1)
def english_forms() -> dict[str, str]:
    """A place's French form -> its English one, from the exonyms written French first ('russie' -> 'russia')."""
    return {names[0]: names[1] for names in _groups("exonyms.txt") if len(names) > 1}


@lru_cache(maxsize=1)
def lexicon() -> dict[str, tuple[str, ...]]:
    """Common news words in the other language (rag/data/lexicon.txt): 'elu' -> ('elue', 'elus', 'elected',
    'elect')."""
    return _equivalents("lexicon.txt")


def translations(text: str) -> dict[str, tuple[str, ...]]:
    """Each word of the text that the exonyms or the lexicon know -> its other forms ('Quel émissaire est
    arrivé à Moscou' -> emissaire: envoy, envoys...; arrive: arrived, landed...; moscou: moscow): the question
    as the other language would word it, crudely."""
    names, common = exonyms(), lexicon()
    out = {w: (*names.get(w, ()), *common.get(w, ())) for w in words(fold(text))}
    return {w: alts for w, alts in out.items() if alts}


def _groups(name: str) -> list[list[str]]:
    """The groups of a data file ('a = b = c' per line, in its order; '#' comments)."""
    lines = (Path(__file__).parent / "data" / name).read_text(encoding="utf-8").splitlines()
    return [[n.strip() for n in line.split("=")] for line in lines if line.strip() and not line.startswith("#")]


def _equivalents(name: str) -> dict[str, tuple[str, ...]]:
    """Each word of a data file of groups -> the others of its group."""
    out: dict[str, tuple[str, ...]] = {}
    for names in _groups(name):
        for n in names:
            out[n] = tuple(m for m in names if m and m != n)
    return out


def entity_coverage(claim_entities: set[str] | frozenset[str], text: str, similarity: float = 0.8) -> float:
    """Share of the entities found in `text` (1.0 when there are none), under any of their spellings."""
    if not claim_entities:
        return 1.0
    return NameIndex(text).coverage(claim_entities, similarity)


class NameIndex:
    """A text's words as names are looked up in it (read once per text: see rag.reading.Reading)."""

    def __init__(self, text: str) -> None:
        self.unhyphened = _HYPHEN.sub(" ", text)  # 'Tite-Live' is 'Tite Live', 'Nouvelle-Amsterdam' holds 'Amsterdam'
        self.toks = folded_tokens(self.unhyphened)
        self.folded = f" {' '.join(words(fold(self.unhyphened)))} "
        self._short: set[str] | None = None
        self._upper: set[str] | None = None

    def upper(self) -> set[str]:
        """Words written in capitals ('WHO', 'FIFA'), folded: where a name's initials stand for it."""
        if self._upper is None:
            self._upper = {fold(w) for w in words(self.unhyphened) if len(w) >= 2 and w.isupper()}
        return self._upper

    def short(self) -> set[str]:
        if self._short is None:
            self._short = acronyms(self.unhyphened)
        return self._short

    def coverage(self, claim_entities: set[str] | frozenset[str], similarity: float = 0.8) -> float:
        """Share of the entities the text holds (1.0 when there are none), under any of their spellings."""
        if not claim_entities:
            return 1.0
        short = self.short() if any(_ACRONYM.fullmatch(e) for e in claim_entities) else set()
        return sum(self._found(e, short, similarity) for e in claim_entities) / len(claim_entities)

    def _found(self, e: str, short: set[str], similarity: float) -> bool:
        toks = self.toks
        alts = {_HYPHEN.sub(" ", a) for a in (e, *exonyms().get(e, ()))}
        e = _HYPHEN.sub(" ", e)
        if any(fuzzy_found(a, toks, similarity) if " " not in a else f" {a} " in self.folded for a in alts):
            return True
        if e in short:
            return True
        parts = e.split()
        if len(parts) < 2:
            return False
        if initials(e) in self.upper():  # 'World Health Organization': WHO
            return True
        if e in exonyms():  # 'united states': all its words, as before the names were grouped
            return all(fuzzy_found(p, toks, similarity) for p in parts)
        if fuzzy_found(parts[-1], toks, similarity):  # a person named by surname: 'Carney' for 'Mark Carney'
            return True
        # a place named with common words, in the other language: 'Apollo Gallery' is the 'galerie d'Apollon'
        common = lexicon()
        return any(p not in common for p in parts) and all(
            fuzzy_found(p, toks, similarity) or any(fuzzy_found(t, toks, similarity) for t in common.get(p, ()))
            for p in parts)
