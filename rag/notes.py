"""News notes on a checked answer: who said what, and figures that differ between story versions or sources."""
from __future__ import annotations

from dataclasses import replace

from .attribution import attributed, names_speaker, speaker_of
from .citations import AnswerSentence
from .evidence import Evidence
from .figures import figures
from .prompting import Prompts
from .query import Query
from .settings import Settings
from .versions import Disagreement, disagreements, quantity_labels


def attribute_quotes(sentences: list[AnswerSentence], evidence: list[Evidence], template: str,
                     min_share: float = 0.5) -> list[AnswerSentence]:
    """A sentence that reports someone's quoted words says whose they are ("Selon Marco Rubio, ...")."""
    by_number = {e.number: e for e in evidence}
    out = []
    for sent in sentences:
        quotes = [q for n in sent.cites for q in by_number[n].meta.quotes] if sent.supported else []
        speaker = speaker_of(sent.text, quotes, min_share) if quotes else ""
        if speaker:
            text = sent.text if names_speaker(sent.text, speaker) else attributed(sent.text, speaker, template)
            sent = replace(sent, text=text, speaker=speaker)
        out.append(sent)
    return out


def figure_notes(sentences: list[AnswerSentence], evidence: list[Evidence], query: Query, prompts: Prompts,
                 lang: str, s: Settings) -> tuple[list[AnswerSentence], list[Disagreement]]:
    """When the passages give different values of a quantity the answer is about (a toll updated
    between two versions, or two sources disagreeing), the answer leads with the newest value and
    names the other, each with its own citation; sentences stating either value alone are dropped."""
    keys = query.quantities or {f.key for sent in sentences if sent.supported for f in figures(sent.text)}
    found = disagreements(evidence, keys, s.story_days, s.story_overlap, s.max_earlier)
    if not found:
        return sentences, []
    labels = quantity_labels(prompts.get("quantities", lang))
    notes: list[AnswerSentence] = []
    for d in found:
        def lines(kind: str, old: str, old_date: str, d: Disagreement = d) -> list[str]:
            return prompts.get(kind, lang).format(
                label=labels.get(d.key, d.key), new=d.newer.text, old=old, new_date=d.newer_date or "?",
                old_date=old_date or "?").split("\n")

        first, second = lines("contradiction" if d.same_day else "versions", d.older.text, d.older_date)[:2]
        notes += [AnswerSentence(first, [d.newer_passage], 1.0, True),
                  AnswerSentence(second, [d.older_passage], 1.0, True)]
        # still older versions: "Une version antérieure, du 2025-03-29, donnait 1.644 morts."
        notes += [AnswerSentence(lines("versions", f.text, day)[1], [n], 1.0, True) for f, n, day in d.earlier]
        # superseded by the note, which gives both values
        sentences = [replace(sent, supported=False) if sent.supported and any(f.key == d.key for f in
                                                                               figures(sent.text)) else sent
                     for sent in sentences]
    return notes + sentences, found
