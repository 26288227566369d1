"""Small pure text helpers shared along the pipeline: folding, tokens, sentences, language."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from difflib import SequenceMatcher
from functools import cache, lru_cache
from pathlib import Path

WORD_RE = re.compile(r"\w+(?:[-']\w+)*", re.UNICODE)
_ELISION = re.compile(r"^(?:[ldjmnstc]|qu|jusqu|lorsqu|puisqu)'(?=\w)", re.IGNORECASE)
NUMBER_RE = re.compile(r"\d+(?:[.,\s]\d{3})*(?:[.,]\d+)?")

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

# Words that mark a language strongly even in short questions.
_LANG_HINTS = {
    "fr": {"le", "la", "les", "des", "du", "est", "une", "dans", "pour", "qui", "que", "combien", "quel",
           "quelle", "au-dessus", "selon", "été", "ont", "pas", "avec", "sur", "et", "en", "à"},
    "en": {"the", "of", "and", "is", "was", "were", "how", "many", "what", "who", "which", "did", "over",
           "with", "for", "said", "has", "have", "to", "in", "on", "according"},
}

# Capitalised words that are not names: months and days (English capitalises them).
_CALENDAR = set("january february march april may june july august september october november december monday "
                "tuesday wednesday thursday friday saturday sunday janvier fevrier avril juin juillet aout septembre "
                "octobre novembre decembre lundi mardi mercredi jeudi vendredi samedi dimanche".split())
_ABBREV = {"m", "mm", "mme", "mr", "mrs", "ms", "dr", "st", "gen", "col", "lt", "sgt", "etc", "vs", "no", "p"}
_SENT_END = re.compile(r"[.!?…]+[\"»”)]*\s+")


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


def count_text(value: int, lang: str, noun: str = "") -> str:
    """A figure written for the reader: '2,719' in English, '2 719' in French, with its noun if any."""
    digits = f"{value:,}" if lang == "en" else f"{value:,}".replace(",", "\u00a0")
    return f"{digits} {noun}" if noun else digits


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


def numbers(text: str) -> set[str]:
    """Numbers written in a text, normalised (spaces/thin spaces and thousands separators dropped)."""
    found = set()
    for m in NUMBER_RE.finditer(text):
        raw = re.sub(r"[\s\u202f\u00a0]", "", m.group())
        raw = re.sub(r"(?<=\d)[.,](?=\d{3}\b)", "", raw)
        found.add(raw.replace(",", "."))
    return found


_CARDINALS = {
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11,
    "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20, "vingts": 20, "trente": 30,
    "quarante": 40, "cinquante": 50, "soixante": 60, "cent": 100, "cents": 100, "mille": 1000,
    "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
    "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100, "thousand": 1000, "dozen": 12,
}
# Ordinals from 2 on ("first"/"premier" also name titles: "Premier ministre", "first lady").
_ORDINALS = {
    "second": 2, "seconde": 2, "deuxieme": 2, "third": 3, "troisieme": 3, "fourth": 4, "quatrieme": 4, "fifth": 5,
    "cinquieme": 5, "sixth": 6, "sixieme": 6, "seventh": 7, "septieme": 7, "eighth": 8, "huitieme": 8,
    "ninth": 9, "neuvieme": 9, "tenth": 10, "dixieme": 10, "eleventh": 11, "onzieme": 11, "twelfth": 12,
    "douzieme": 12,
}
_DIGIT_ORDINAL = re.compile(r"\b(\d+)\s?(?:e|eme|ème|er|re|ère|st|nd|rd|th)\b", re.I)
_ONE_WORDS = {"un", "une", "one", "single", "seul", "seule", "lone"}


def figure_values(text: str) -> set[str]:
    """The figures a text states, whatever way they are written: '6', 'six' and 'six' -> '6'; ordinals
    '7th', 'seventh', 'septième', '7e' -> '7th' (cardinals and ordinals differ: 'second' is not '2')."""
    ordinal_digits = {m.start(1) for m in _DIGIT_ORDINAL.finditer(text)}
    out = {f"{int(m.group(1))}th" for m in _DIGIT_ORDINAL.finditer(text) if int(m.group(1)) > 1}
    for m in NUMBER_RE.finditer(text):
        if m.start() not in ordinal_digits:
            out |= numbers(m.group())
    for raw in WORD_RE.findall(text):
        if raw == "Sept":  # September, abbreviated
            continue
        w = fold(raw)
        if w in _ORDINALS:
            out.add(f"{_ORDINALS[w]}th")
        elif all(part in _CARDINALS for part in w.split("-")):
            out.add(str(_compound(w.split("-"))))
    return out


def cardinal(word: str) -> int | None:
    """The value of a number written in words ('huit' -> 8, 'vingt-cinq' -> 25, 'twenty-five' -> 25), else None."""
    parts = fold(word).split("-")
    return _compound(parts) if all(p in _CARDINALS for p in parts) else None


def _alternatives(options: Iterable[str]) -> str:
    return "|".join(sorted(options, key=len, reverse=True))  # longest first: "dix-sept" before "dix"


# Numbers in words that count by themselves (not "cent"/"mille"/"hundred" alone: "pour cent", "a thousand years")
CARDINAL_WORDS = (f"(?:{_alternatives(w for w, v in _CARDINALS.items() if v < 100 and w != 'dozen')})"
                  f"(?:-(?:{_alternatives(_CARDINALS)}))*")
CARDINAL_RE = re.compile(rf"(?<![\w-])({CARDINAL_WORDS})(?![\w-])", re.IGNORECASE)


def _compound(parts: list[str]) -> int:
    """'vingt-cinq' -> 25, 'twenty-five' -> 25, 'quatre-vingt-dix' -> 90, 'deux-cents' -> 200."""
    total = 0
    for part in parts:
        v = _CARDINALS[part]
        if v >= 100 or (v == 20 and total == 4):  # multipliers, and French 'quatre-vingt'
            total = max(total, 1) * v
        else:
            total += v
    return total


def unsupported_figures(sentence: str, passage: str) -> set[str]:
    """Figures of the sentence the passage does not state ('1' is also stated by 'une personne', 'one')."""
    missing = figure_values(sentence) - figure_values(passage)
    if "1" in missing and {fold(w) for w in words(passage)} & _ONE_WORDS:
        missing.discard("1")
    return missing


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


def detect_language(text: str) -> str:
    """'fr' or 'en' by stopword and accent evidence; French wins ties (our corpus default)."""
    toks = [w.lower() for w in words(text)]
    score = {lang: sum(1 for t in toks if t in hints) for lang, hints in _LANG_HINTS.items()}
    score["fr"] += len(re.findall(r"[éèêàùçôîœ]", text.lower())) * 0.5
    score["fr"] += len(re.findall(r"\b[ldjqnsc]'", text.lower()))
    return "en" if score["en"] > score["fr"] else "fr"


_QUOTES = re.compile(r"«[^»]*»|“[^”]*”|\"[^\"]*\"")


@cache
def _function_words() -> dict[str, frozenset[str]]:
    """Per language, its stopwords and hints that the other language does not share ('a', 'on' are both)."""
    marks = {code: STOPWORDS[code] | _LANG_HINTS[code] for code in _LANG_HINTS}
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
    if lang not in ("fr", "en") or not other:
        return []
    theirs = "en" if lang == "fr" else "fr"
    copied = _only_in(other, own)
    found = [w for w in _LOWER_WORD.findall(_QUOTES.sub(" ", sentence))
             if len(w) > 4 and w in copied and fold(w) not in lexicon()]
    return [w for w in dict.fromkeys(found)
            if (mine := _frequency(w, lang)) == 0 or mine * 1000 < _frequency(w, theirs)]


# a figure with a separator: "1,700", "2 719", "1.700", "82.5", "82,5" (a bare "2025" needs no conversion)
_SEPARATED = re.compile(r"(?<![\w.,])\d{1,3}(?:[,. \u00a0\u202f]\d{3})+(?:[.,]\d+)?(?![\w]|[.,]\d)"
                        r"|(?<![\w.,])\d+[.,]\d+(?![\w]|[.,]\d)")
_GROUPS = {"en": ", \u00a0\u202f", "fr": ". \u00a0\u202f"}  # thousands separators; the decimal mark is the other


def _read_figure(raw: str, lang: str) -> tuple[int, str] | None:
    """(whole part, decimals) of a figure written the `lang` way; None when it cannot be read so."""
    mark = "." if lang == "en" else ","
    whole, _, decimals = raw.partition(mark)
    digits = "".join(c for c in whole if c not in _GROUPS[lang])
    return (int(digits), decimals) if digits.isdigit() and (not decimals or decimals.isdigit()) else None


def _write_figure(whole: int, decimals: str, lang: str) -> str:
    text = count_text(whole, lang)
    return f"{text}{'.' if lang == 'en' else ','}{decimals}" if decimals else text


def localize_figures(sentence: str, lang: str, other: str, own: str = "") -> str:
    """Figures copied from a passage in the other language, written the way `lang` writes them ('82.5 percent'
    from an English passage is '82,5 %' in French; '2 719' from a French one is '2,719' in English). Only a
    figure found as such in `other` and not in `own` (the passages in `lang`) is read the other language's
    way: elsewhere '1,5' could be either."""
    if lang not in _GROUPS or not other:
        return sentence
    source = "en" if lang == "fr" else "fr"

    def convert(m: re.Match) -> str:
        raw = m.group()
        if raw not in other or raw in own or (value := _read_figure(raw, source)) is None:
            return raw
        return _write_figure(*value, lang)

    out = _SEPARATED.sub(convert, sentence)
    if lang == "fr":
        return re.sub(r"(\d)\s*(?:percent|per cent)\b", "\\1\u00a0%", out)
    return re.sub(r"(\d)\s*pour\s?cents?\b", r"\1 percent", out)


def split_sentences(text: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """Yield (start, end) offsets of sentences in `text`, shifted by `start`; abbreviations kept."""
    pos = 0
    for m in _SENT_END.finditer(text):
        end = m.end()
        before = text[pos:m.start()].rsplit(maxsplit=1)
        last = before[-1].lower().strip("(\"«") if before else ""
        if last.rstrip(".") in _ABBREV or re.fullmatch(r"[A-Z]", last.rstrip(".") or "x"):
            continue
        nxt = text[end:end + 1]
        if nxt and nxt.islower():
            continue
        seg_end = len(text[:end].rstrip())
        if seg_end > pos:
            yield start + pos, start + seg_end
        pos = end
    tail_end = len(text.rstrip())
    if tail_end > pos:
        yield start + pos, start + tail_end


_QUESTION_WORDS = {"who", "what", "when", "where", "why", "how", "which", "whom", "qui", "que", "quoi", "quel",
                   "quelle",
                   "quels", "quelles", "quand", "comment", "combien", "pourquoi", "où", "est-ce", "selon",
                   "according", "did", "does", "is", "are", "was", "were", "le", "la", "les", "et", "and", "in",
                   "en", "de", "du", "des", "the", "a", "an", "m", "mm", "mme", "mr", "mrs", "ms"}


_CENTURY = re.compile(r"^[IVXL]+(e|er|eme|ème|th|st|nd|rd)$")  # "XXème siècle", "XIXe", "XXth century"


def entities(text: str) -> set[str]:
    """Names and figures a claim hinges on: runs of capitalised words ('united states', 'min aung hlaing'; a
    sentence's first word only when the next one is capitalised too), and numbers. Demonyms and nationality
    adjectives ('Canadian', 'Dutch') are not names: see demonyms()."""
    out: set[str] = set()
    for s, e in split_sentences(text):
        for c, clause in enumerate(_CLAUSE_BREAK.split(text[s:e])):  # 'la Défense, Alexandre Bogomaz': two names
            toks = words(clause)
            run: list[str] = []
            for i, tok in enumerate(toks + [""]):
                name = (tok[:1].isupper() and len(tok) > 1 and tok.lower() not in _QUESTION_WORDS
                        and fold(tok) not in demonym_groups() and fold(tok) not in _CALENDAR
                        and not _CENTURY.match(tok))
                if name and (i > 0 or c > 0 or (i + 1 < len(toks) and toks[i + 1][:1].isupper())):
                    run.append(fold(tok))
                    continue
                if run:
                    out.add(" ".join(run))
                run = []
    return out | numbers(text)


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


_PEOPLE = set(
    "soldat soldats militaires combattants troupes civils personnes prisonniers otages ressortissants touristes "
    "migrants journalistes habitants victimes soldier soldiers troops fighters servicemen civilians people "
    "prisoners hostages nationals citizens tourists migrants journalists residents victims".split())


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
_LINKS = {"de", "des", "du", "d", "la", "le", "les", "l", "et", "of", "the", "and", "for", "pour"}


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


def _equivalents(name: str) -> dict[str, tuple[str, ...]]:
    """Each word of a data file of groups ('a = b = c' per line, '#' comments) -> the others of its group."""
    out: dict[str, tuple[str, ...]] = {}
    for line in (Path(__file__).parent / "data" / name).read_text(encoding="utf-8").splitlines():
        names = [n.strip() for n in line.split("=")] if not line.startswith("#") else []
        for n in names:
            out[n] = tuple(m for m in names if m and m != n)
    return out


def entity_coverage(claim_entities: set[str] | frozenset[str], text: str, similarity: float = 0.8) -> float:
    """Share of the entities found in `text` (1.0 when there are none), under any of their spellings."""
    if not claim_entities:
        return 1.0
    unhyphened = _HYPHEN.sub(" ", text)  # 'Tite-Live' is 'Tite Live', 'Nouvelle-Amsterdam' holds 'Amsterdam'
    toks = folded_tokens(unhyphened)
    folded = f" {' '.join(words(fold(unhyphened)))} "
    short = acronyms(unhyphened) if any(_ACRONYM.fullmatch(e) for e in claim_entities) else set()

    def found(e: str) -> bool:
        alts = {_HYPHEN.sub(" ", a) for a in (e, *exonyms().get(e, ()))}
        e = _HYPHEN.sub(" ", e)
        if any(fuzzy_found(a, toks, similarity) if " " not in a else f" {a} " in folded for a in alts):
            return True
        if e in short:
            return True
        parts = e.split()
        if len(parts) < 2:
            return False
        if e in exonyms():  # 'united states': all its words, as before the names were grouped
            return all(fuzzy_found(p, toks, similarity) for p in parts)
        if fuzzy_found(parts[-1], toks, similarity):  # a person named by surname: 'Carney' for 'Mark Carney'
            return True
        # a place named with common words, in the other language: 'Apollo Gallery' is the 'galerie d'Apollon'
        common = lexicon()
        return any(p not in common for p in parts) and all(
            fuzzy_found(p, toks, similarity) or any(fuzzy_found(t, toks, similarity) for t in common.get(p, ()))
            for p in parts)

    return sum(found(e) for e in claim_entities) / len(claim_entities)
