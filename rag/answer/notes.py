"""News notes on a checked answer: who said what, and figures that differ between story versions or sources."""
from __future__ import annotations

from dataclasses import replace

from rag.answer.prompting import Prompts, date_label
from rag.answer.versions import Disagreement
from rag.language.dates import clock_time, parse_period
from rag.language.numbers import count_text
from rag.reading.quotes import attributed, names_speaker, speaker_of
from rag.values import AnswerSentence, Evidence


def attribute_quote(sentence: AnswerSentence, evidence: list[Evidence], template: str,
                    min_share: float = 0.5) -> AnswerSentence:
    """A sentence that reports someone's quoted words says whose they are ("Selon Marco Rubio, ...")."""
    by_number = {e.number: e for e in evidence}
    quotes = [q for n in sentence.cites for q in by_number[n].meta.quotes] if sentence.supported else []
    speaker = speaker_of(sentence.text, quotes, min_share) if quotes else ""
    if not speaker:
        return sentence
    text = sentence.text if names_speaker(sentence.text, speaker) else attributed(sentence.text, speaker, template)
    return replace(sentence, text=text, speaker=speaker)


def correction_note(e: Evidence, prompts: Prompts, lang: str) -> AnswerSentence | None:
    """'Source corrigée par l'agence le 18 juin 2025 14:05 [1].' for a passage of an item its agency sent as
    a correction (NewsML-G2 sig:correction), else None."""
    if e.meta.signal != "correction":
        return None
    return AnswerSentence(prompts.get("corrected", lang).strip().format(when=_time_label(e.meta.version_time, lang,
                                                                                         prompts)),
                          [e.number], 1.0, True)


def _time_label(value: str, lang: str, prompts: Prompts) -> str:
    """A date ('18 juin 2025'), or an item version's time ('18 juin 2025 14:05'); 'date inconnue' when empty."""
    return f"{date_label(parse_period(value[:10]), lang, prompts)} {clock_time(value)}".strip()


def version_note(d: Disagreement, prompts: Prompts, lang: str) -> list[AnswerSentence]:
    """'Selon la dépêche la plus récente (1er avril 2025), le bilan est de 2 719 morts [1]. Une version
    antérieure (30 mars 2025) donnait 1 700 morts [2].', in the answer's language, each value cited."""
    label, _, noun = prompts.table("quantities", lang).get(d.key, d.key).partition("|")

    def when(day: str) -> str:
        return _time_label(day, lang, prompts)

    def lines(kind: str, old_value: int, old_date: str) -> list[str]:
        return prompts.get(kind, lang).format(
            label=label.strip(), new=count_text(d.newer.value, lang, noun.strip()), new_date=when(d.newer_date),
            old=count_text(old_value, lang, noun.strip()), old_date=when(old_date)).split("\n")

    first, second = lines("contradiction" if d.same_day else "versions", d.older.value, d.older_date)[:2]
    notes = [AnswerSentence(first, [d.newer_passage], 1.0, True), AnswerSentence(second, [d.older_passage], 1.0, True)]
    # still older versions: "Une version antérieure (29 mars 2025) donnait 1 644 morts."
    return notes + [AnswerSentence(lines("versions", f.value, day)[1], [n], 1.0, True) for f, n, day in d.earlier]
