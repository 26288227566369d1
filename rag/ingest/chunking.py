"""Dispatch -> sentence-aware chunks inside paragraphs, each carrying offsets and typed metadata."""
from __future__ import annotations

import hashlib

from rag.ingest.dispatch import Dispatch
from rag.language.names import entities
from rag.language.sentences import split_sentences
from rag.language.words import count_tokens
from rag.reading.quotes import Quote, find_quotes
from rag.values import Chunk, ChunkMeta


def chunk_dispatch(d: Dispatch, max_tokens: int = 128, max_chars: int = 1500) -> list[Chunk]:
    """Pack whole sentences of one block into chunks of about `max_tokens`; never cross blocks; a sentence
    longer than `max_chars` is cut on word boundaries (or anywhere, when it has no spaces)."""
    doc_hash = d.content_hash
    # Speakers are found on the whole dispatch: "a-t-il déclaré" needs the sentences before the chunk.
    quotes = find_quotes(d.text)
    names = _names(f"{d.title}. {d.text}")
    chunks: list[Chunk] = []
    spans = [(pidx, block, start, end) for pidx, block in enumerate(b for b in d.blocks if b.kind != "heading")
             for start, end in _pack(d.text, block.start, block.end, max_tokens, max_chars)]
    for pidx, block, start, end in spans:
        cid = hashlib.sha1(f"{d.id}\x00{doc_hash}\x00{start}\x00{end}".encode()).hexdigest()[:24]
        own = tuple(Quote(q.start - start, q.end - start, q.text, q.speaker) for q in quotes
                    if start <= q.start and q.end <= end)
        meta = ChunkMeta(dispatch_id=d.id, start=start, end=end, paragraph=pidx, section=block.section,
                         is_caption=block.kind == "caption", title=d.title, date=d.date, lang=d.lang,
                         source=d.source, path=d.path, doc_hash=doc_hash, quotes=own, doc_names=names,
                         n_chunks=len(spans), **_item_fields(d))
        chunks.append(Chunk(cid, d.text[start:end], meta))
    return chunks


def _item_fields(d: Dispatch) -> dict[str, str]:
    """What a chunk keeps of its item's life (wire formats): version, when, correction, embargo, byline, place
    (a plain dispatch: the place of its dateline)."""
    i = d.item
    if i is None:
        return {"located": d.place} if d.place else {}
    return {"version": i.version, "version_time": i.version_time, "signal": i.signal, "embargo": i.embargo,
            "byline": i.byline, "located": i.located, "superseded": i.superseded}


def _names(text: str, limit: int = 2000) -> tuple[str, ...]:
    """The dispatch's names (no figures), sorted, at most `limit` characters of them as stored."""
    out, size = [], 0
    for name in sorted(e for e in entities(text) if not e.isdigit()):
        size += len(name) + 1
        if size > limit + 1:
            break
        out.append(name)
    return tuple(out)


def _pieces(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Sentences of text[start:end], each longer than max_chars cut on the last space before the limit."""
    out: list[tuple[int, int]] = []
    for s, e in split_sentences(text[start:end], start):
        while e - s > max_chars:
            cut = text.rfind(" ", s + max_chars // 2, s + max_chars)
            cut = cut if cut > s else s + max_chars
            out.append((s, cut))
            s = cut + 1 if text[cut:cut + 1] == " " else cut
            while s < e and text[s].isspace():
                s += 1
        if e > s:
            out.append((s, e))
    return out


def _pack(text: str, start: int, end: int, max_tokens: int, max_chars: int = 1500) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cur_start, cur_end, cur_tokens = -1, -1, 0
    for s, e in _pieces(text, start, end, max_chars):
        n = count_tokens(text[s:e])
        if cur_start >= 0 and (cur_tokens + n > max_tokens or e - cur_start > max_chars):
            spans.append((cur_start, cur_end))
            cur_start, cur_tokens = -1, 0
        if cur_start < 0:
            cur_start = s
        cur_end, cur_tokens = e, cur_tokens + n
    if cur_start >= 0:
        spans.append((cur_start, cur_end))
    return spans
