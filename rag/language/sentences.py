"""Sentence boundaries with offsets (abbreviations kept)."""
from __future__ import annotations

import re
from collections.abc import Iterator

from rag.language import entries

_ABBREV = set(entries("words", "abbreviations"))  # "M. Macron", "Gen. Syrsky": no sentence ends there


_SENT_END = re.compile(r"[.!?…]+[\"»”)]*\s+")


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
