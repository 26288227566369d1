"""Who said what: quoted speech in a dispatch and its speaker ("...", a déclaré Marco Rubio)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from rag.language import alternatives
from rag.language.names import entities
from rag.language.sentences import split_sentences
from rag.language.words import content_terms, fold

# what the languages say of reported speech: rag/language/data/<lang>/speech.toml
_SAY = alternatives("speech", "say")
_QUOTE = r"[\"«“]\s*(?P<q>[^\"«»“”]{3,}?)\s*[\"»”]"
_PRONOUN = re.compile(rf"(?i)^({alternatives('speech', 'pronouns')})$")
_NOT_SPEAKER = re.compile(rf"(?i)^({alternatives('speech', 'not_speaker')})\b")
_WHEN = re.compile(rf"(?i)^(?:(?:{alternatives('speech', 'time_words')})(?:\s+|$))+")
_PHRASE = r"[^,.;:\"«»“”\n]"

# "quote", a déclaré X / "quote", said X
# (and its apposition: "a déclaré la ministre de la Culture, Rachida Dati, qui ...")
_AFTER = re.compile(rf"{_QUOTE}\s*,?\s*(?:{_SAY})\s+(?P<s>{_PHRASE}+)(?:,\s*(?P<a>{_PHRASE}+))?")
# "quote," Los Angeles County fire chief Anthony Marrone told reporters
_SUBJECT_FIRST = alternatives("speech", "subject_then_verb")
_AFTER_SUBJECT = (re.compile(rf"{_QUOTE}\s*,?\s*(?P<s>{_PHRASE}{{2,80}}?)\s+(?:{_SUBJECT_FIRST})\b")
                  if _SUBJECT_FIRST else None)
# Le porte-parole du Kremlin, Dmitri Peskov, a jugé possible ... "quote"  (the speaker opens the sentence)
_BEFORE = re.compile(rf"(?m)(?:^|(?<=[.!?] ))(?P<s>[^.;:\"«»“”\n]{{2,80}}?)\s+(?:{_SAY})\b"
                     rf"[^\"«“.]{{0,80}}{_QUOTE}")
_SELON = re.compile(rf"(?i:{alternatives('speech', 'according')})\s+(?P<s>{_PHRASE}{{2,60}}?)\s*,\s*{_QUOTE}")
_SPEAKER_STOP = re.compile(rf"(?:^|\s+)(?:{alternatives('speech', 'speaker_stop')})\b.*$", re.S)
_PERSON = re.compile(rf"\b(?!(?:{alternatives('speech', 'not_name_openers')})\b)"
                     r"[A-ZÉÈ][a-zéèëïôç'-]+(?:\s+[A-ZÉÈ][a-zéèëïôç'-]+)+\b")
_PRONOUN_SAY = alternatives("speech", "pronoun_say")


@dataclass(frozen=True)
class Quote:
    start: int  # offsets of the quoted words within the text
    end: int
    text: str
    speaker: str


def _clean_speaker(raw: str) -> str | None:
    """A person's name inside the speaker phrase if there is one, else the phrase ("un diplomate européen");
    "" when the speaker is a pronoun to resolve ("a-t-il déclaré"); None when this is not a speaker at all."""
    names = [m.group(0) for m in _PERSON.finditer(raw)]
    if names:
        return names[-1]
    phrase = _SPEAKER_STOP.sub("", _WHEN.sub("", raw.strip())).strip(" ,")
    words = phrase.split()
    if not words or _PRONOUN.match(words[0]):
        return ""
    return None if _NOT_SPEAKER.match(phrase) or len(words) > 8 else phrase


def _previous_person(text: str, pos: int) -> str:
    """For "a-t-il déclaré": the person named last in the sentence before the quote, else the person
    named most often before it (by surname; the latest on ties)."""
    before = text[:pos].rstrip()
    sentences = list(split_sentences(before))
    if sentences:
        s, e = sentences[-1]
        names = [m.group(0) for m in _PERSON.finditer(before[s:e])]
        if names:
            return " ".join(names[-1].split()[-2:])
    names = [" ".join(m.group(0).split()[-2:]) for m in _PERSON.finditer(before)]
    surnames = [n.split()[-1] for n in names]
    return max(reversed(names), key=lambda n: surnames.count(n.split()[-1])) if names else ""


def find_quotes(text: str) -> list[Quote]:
    """Quoted passages of a dispatch with their speaker when the dispatch names one."""
    found: dict[tuple[int, int], Quote] = {}
    for pattern in (p for p in (_AFTER, _AFTER_SUBJECT, _BEFORE, _SELON) if p):
        for m in pattern.finditer(text):
            speaker = _clean_speaker(m.group("s"))
            named = _PERSON.match(m.group("a") or "") if "a" in m.groupdict() else None
            if named and not _PERSON.search(m.group("s")):  # a title, then the person's name
                speaker = named.group(0)
            if speaker == "":
                speaker = _previous_person(text, m.start())
            span = (m.start("q"), m.end("q"))
            if speaker and span not in found:
                found[span] = Quote(span[0], span[1], m.group("q"), speaker)
    # "..., a-t-il déclaré": the pronoun form has no name after the verb
    for m in re.finditer(rf"{_QUOTE}\s*,?\s*(?:{_PRONOUN_SAY})\s+\w+", text) if _PRONOUN_SAY else ():
        span = (m.start("q"), m.end("q"))
        if span not in found and (speaker := _previous_person(text, m.start())):
            found[span] = Quote(span[0], span[1], m.group("q"), speaker)
    return sorted(found.values(), key=lambda q: q.start)


def speaker_of(claim: str, quotes: list[Quote] | tuple[Quote, ...], min_share: float = 0.5) -> str:
    """The speaker whose quote carries most of the claim's content words ("" if the claim is not a quote).

    A claim built mostly from a quote is someone's statement, not a fact the dispatch asserts."""
    terms = content_terms(claim)
    if not terms:
        return ""
    best, share = "", 0.0
    for q in quotes:
        s = len(terms & content_terms(q.text)) / len(terms)
        if s > share:
            best, share = q.speaker, s
    return best if share >= min_share else ""


def names_speaker(claim: str, speaker: str) -> bool:
    """True if the claim already says who speaks (surname or description present, or 'selon ...')."""
    c = fold(claim)
    key = fold(speaker.split()[-1]) if _PERSON.search(speaker) else fold(speaker)
    return key in c or bool(_ACCORDING.match(c))


_ACCORDING = re.compile(rf"({alternatives('speech', 'according_folded')})\b")
_LOWER_FIRST = re.compile(rf"^({alternatives('speech', 'sentence_openers')})\b")


def attributed(claim: str, speaker: str, template: str) -> str:
    """'La balle est dans le camp russe.' -> 'Selon Marco Rubio, la balle est dans le camp russe.'"""
    if _LOWER_FIRST.match(claim):
        claim = claim[0].lower() + claim[1:]
    return template.format(speaker=speaker, claim=claim)


# "selon X", "according to X", "X said": who the sentence says claims it.
_NAME = r"((?:[A-ZÉÈ][\w'-]+\s?){1,4})"
_SPEAKERS = [re.compile(rf"\b(?:{alternatives('speech', 'according_cased')})\s+"
                        rf"(?:{alternatives('speech', 'articles_before_speaker')})?[^,.]*?{_NAME}"),
             re.compile(rf"{_NAME}\s*,?\s+(?:{alternatives('speech', 'said_by_name')})\b")]


def speakers(sentence: str) -> set[str]:
    """Folded names of who the sentence says claims it."""
    found: set[str] = set()
    for pattern in _SPEAKERS:
        for m in pattern.finditer(sentence):
            found |= {e for e in entities("x " + m.group(1)) if not e.isdigit()}
    return found
