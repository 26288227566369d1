"""Dispatch -> sentence-aware chunks inside paragraphs, each carrying offsets and metadata."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from .attribution import find_quotes
from .dispatch import Dispatch, date_bounds
from .text import count_tokens, entities, split_sentences


@dataclass
class Chunk:
    id: str
    dispatch_id: str
    text: str  # == dispatch.text[start:end]
    start: int
    end: int
    paragraph: int
    section: str
    is_caption: bool
    title: str
    date: str
    lang: str
    source: str
    path: str
    doc_hash: str
    quotes: str = "[]"  # JSON [[start, end, speaker], ...], offsets within `text`
    doc_entities: str = ""  # names anywhere in the dispatch: a paragraph is about what its dispatch is about

    def metadata(self) -> dict:
        """Flat metadata as Chroma stores it (numbers for date range filters)."""
        date_min, date_max = date_bounds(self.date)
        return {
            "dispatch_id": self.dispatch_id, "start": self.start, "end": self.end,
            "paragraph": self.paragraph, "section": self.section, "is_caption": self.is_caption,
            "title": self.title, "date": self.date, "date_min": date_min, "date_max": date_max,
            "lang": self.lang, "source": self.source, "path": self.path, "doc_hash": self.doc_hash,
            "quotes": self.quotes, "doc_entities": self.doc_entities,
        }

    def embed_text(self) -> str:
        return embed_text(self.title, self.section, self.text)


def embed_text(title: str, section: str, text: str) -> str:
    """What gets embedded: title and section give the passage context the bare span lacks."""
    head = " — ".join(x for x in (title, section) if x)
    return f"{head}\n{text}" if head else text


def chunk_dispatch(d: Dispatch, max_tokens: int = 128) -> list[Chunk]:
    """Pack whole sentences of one block into chunks of about `max_tokens`; never cross blocks."""
    doc_hash = d.content_hash
    # Speakers are found on the whole dispatch: "a-t-il déclaré" needs the sentences before the chunk.
    quotes = find_quotes(d.text)
    names = " ".join(sorted(e for e in entities(f"{d.title}. {d.text}") if not e.isdigit()))[:2000]
    chunks: list[Chunk] = []
    for pidx, block in enumerate(b for b in d.blocks if b.kind != "heading"):
        for start, end in _pack(d.text, block.start, block.end, max_tokens):
            cid = hashlib.sha1(f"{d.id}\x00{doc_hash}\x00{start}\x00{end}".encode()).hexdigest()[:24]
            chunks.append(Chunk(
                id=cid, dispatch_id=d.id, text=d.text[start:end], start=start, end=end, paragraph=pidx,
                section=block.section, is_caption=block.kind == "caption", title=d.title, date=d.date,
                lang=d.lang, source=d.source, path=d.path, doc_hash=doc_hash,
                quotes=json.dumps([[q.start - start, q.end - start, q.speaker] for q in quotes
                                   if start <= q.start and q.end <= end], ensure_ascii=False),
                doc_entities=names,
            ))
    return chunks


def _pack(text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cur_start, cur_end, cur_tokens = -1, -1, 0
    for s, e in split_sentences(text[start:end], start):
        n = count_tokens(text[s:e])
        if cur_start >= 0 and cur_tokens + n > max_tokens:
            spans.append((cur_start, cur_end))
            cur_start, cur_tokens = -1, 0
        if cur_start < 0:
            cur_start = s
        cur_end, cur_tokens = e, cur_tokens + n
    if cur_start >= 0:
        spans.append((cur_start, cur_end))
    return spans
