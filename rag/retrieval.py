"""Hybrid retrieval: dense (Chroma) + BM25 per language, RRF fusion, filters, recency, dedup."""
from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from rag.errors import ConfigError
from rag.filters import Filters
from rag.indexing.embedding import Embedder
from rag.indexing.lexical import LexicalIndex
from rag.indexing.store import DispatchStore, StoredChunk
from rag.ingest.item import iso_time
from rag.language.detect import detect_language
from rag.language.numbers import numbers
from rag.language.words import fold
from rag.settings import Settings
from rag.values import Passage


def lexical_folder(settings: Settings) -> Path:
    """Where this process keeps the BM25 index: beside the on-disk store (shared by the processes using it);
    for a Chroma server, a copy in this process's index_dir, kept in step with the server's collection."""
    if settings.chroma_host:
        return Path(settings.index_dir) / f"lexical-{settings.chroma_host}-{settings.chroma_port}-{settings.collection}"
    return Path(settings.index_dir) / f"lexical-{settings.collection}"


K_LIMIT = 50  # as the top_k setting's bound


def _check_k(k: object) -> int:
    """k as passed to retrieve/ask, or a ConfigError saying what it must be."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= K_LIMIT:
        raise ConfigError(f"k (passages to retrieve) must be a whole number from 1 to {K_LIMIT}, not {k!r}.",
                          setting="k")
    return k


class Retriever:
    def __init__(self, store: DispatchStore, embedder: Embedder, settings: Settings) -> None:
        self.store, self.embedder, self.settings = store, embedder, settings
        self.lexical = LexicalIndex(lexical_folder(settings))

    def now(self) -> datetime:
        """The time embargoes end by: the `now` setting, else the computer's clock."""
        return iso_time(self.settings.now) if self.settings.now else datetime.now(UTC)

    def lexical_search(self, query: str, n: int, flt: Filters | None = None) -> list[tuple[str, float]]:
        return self.lexical.search(self.store, query, n, flt or Filters())

    def retrieve(self, query: str, k: int | None = None, filters: Filters | None = None,
                 as_of: date | None = None, timings: dict[str, float] | None = None) -> list[Passage]:
        """Top-k passages: dense and BM25 candidates fused by RRF, captions demoted, near-duplicates collapsed,
        and (if recency_half_life_days > 0) older dispatches demoted relative to `as_of`. `timings`, when
        given, receives the seconds of each stage (embed, dense, bm25, fusion)."""
        s = self.settings
        k = _check_k(s.top_k if k is None else k)
        flt = filters or Filters()
        n = max(s.candidates, k * 3)
        clock = _Clock(timings)
        qvec = self.embedder.embed_query(query)
        clock.lap("embed")
        dense = self.store.query(qvec, n, flt)
        clock.lap("dense")
        sparse = self.sparse(query, n, flt, {c.id: c for c, _ in dense})
        clock.lap("bm25")
        passages = fuse(dense, sparse, s.caption_weight, s.rrf_k, detect_language(query))
        passages = behind_current(passages, s.earlier_version_weight)
        passages = [p for p in passages if not under_embargo(p, self.now())]
        if s.recency_half_life_days > 0:
            passages = recency_boost(passages, as_of or date.today(), s.recency_half_life_days)
        passages = dedup(self._fill_dense(passages, qvec), s.dedup_threshold, limit=k)
        clock.lap("fusion")
        return passages

    def sparse(self, query: str, n: int, flt: Filters,
               known: dict[str, StoredChunk]) -> list[tuple[StoredChunk, float]]:
        """BM25 hits as chunks: those the dense search did not return are read from the store (a chunk another
        process deleted a moment ago is simply left out)."""
        hits = self.lexical.search(self.store, query, n, flt)
        fetched = {c.id: c for c in self.store.get([i for i, _ in hits if i not in known])}
        chunks = {**fetched, **known}
        return [(chunks[i], score) for i, score in hits if i in chunks]

    def _fill_dense(self, passages: list[Passage], qvec: np.ndarray) -> list[Passage]:
        """BM25-only hits lack a cosine; take their stored vectors so relevance gating treats every passage alike."""
        missing = [p.id for p in passages if p.dense == 0.0]
        stored = self.store.vectors(missing) if missing else {}
        return [replace(p, dense=float(stored[p.id] @ qvec)) if p.id in stored else p for p in passages]


def under_embargo(p: Passage, now: datetime) -> bool:
    """The item the passage belongs to may not be published yet (its embargo ends after `now`)."""
    return embargo_holds(p.meta.embargo, now)


def embargo_holds(embargo: str, now: datetime) -> bool:
    """An embargo (ISO 8601; '' for none) that ends after `now`."""
    until = iso_time(embargo) if embargo else None
    return until is not None and until > now


class _Clock:
    """Seconds between laps, written into `into` (nothing when it is None)."""

    def __init__(self, into: dict[str, float] | None) -> None:
        self.into, self.last = into, time.perf_counter()

    def lap(self, name: str) -> None:
        if self.into is not None:
            now = time.perf_counter()
            self.into[name] = now - self.last
            self.last = now


def fuse(dense: list[tuple[StoredChunk, float]], sparse: list[tuple[StoredChunk, float]],
         caption_weight: float = 0.5, rrf_k: int = 60, lang: str = "") -> list[Passage]:
    """Reciprocal-rank fusion of the dense list and the BM25 list (each ranked by its own score).

    BM25 cannot match words across languages, so a passage in another language than the question (`lang`)
    counts its dense rank in place of its BM25 rank when that is better: a French question about the Los
    Angeles fires ranked the English passage that answers first by meaning, but below French passages on
    other stories that share its words ("ont été détruits")."""
    chunks: dict[str, StoredChunk] = {}
    by_meaning: dict[str, float] = {}
    by_words: dict[str, float] = {}
    cos: dict[str, float] = {}
    bm25: dict[str, float] = {}
    for rank, (c, value) in enumerate(dense):
        chunks[c.id], cos[c.id] = c, value
        by_meaning[c.id] = 1.0 / (rrf_k + rank + 1)
    for rank, (c, value) in enumerate(sorted(sparse, key=lambda x: -x[1])):
        chunks.setdefault(c.id, c)
        bm25[c.id] = value
        by_words[c.id] = 1.0 / (rrf_k + rank + 1)
    out = []
    for cid, c in chunks.items():
        meaning, lexical = by_meaning.get(cid, 0.0), by_words.get(cid, 0.0)
        if lang and c.meta.lang and c.meta.lang != lang:
            lexical = max(lexical, meaning)
        # photo captions describe pictures; body text states the facts
        score = (meaning + lexical) * (caption_weight if c.meta.is_caption else 1.0)
        out.append(Passage(cid, c.text, c.meta, score, cos.get(cid, 0.0), bm25.get(cid, 0.0)))
    return sorted(out, key=lambda p: -p.score)


def behind_current(passages: list[Passage], weight: float) -> list[Passage]:
    """An item's earlier versions stay searchable (what it said before), behind its current text: their
    fused score times `weight`."""
    if not any(p.meta.superseded for p in passages):
        return passages
    out = [replace(p, score=p.score * weight) if p.meta.superseded else p for p in passages]
    return sorted(out, key=lambda p: -p.score)


def recency_boost(passages: list[Passage], as_of: date, half_life_days: float) -> list[Passage]:
    """Halve a passage's fused score every `half_life_days` of age (undated and future ones are left alone)."""
    out = []
    for p in passages:
        day = p.day
        if day is not None and day <= as_of:
            p = replace(p, score=p.score * 0.5 ** ((as_of - day).days / half_life_days))
        out.append(p)
    return sorted(out, key=lambda p: -p.score)


def _newer(a: Passage, b: Passage) -> bool:
    """`a` is the newer telling of the same facts: the current version of an item (b an earlier one), or a
    dispatch of a later day."""
    if bool(a.meta.superseded) != bool(b.meta.superseded):
        return not a.meta.superseded
    return (a.day or date.min) > (b.day or date.min)


def shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    toks = re.findall(r"\w+", fold(text))
    return {tuple(toks[i:i + n]) for i in range(max(len(toks) - n + 1, 1))}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def dedup(passages: list[Passage], threshold: float = 0.8, limit: int | None = None) -> list[Passage]:
    """Collapse near-identical passages (wire updates repeat paragraphs) into the newest version, at the
    better rank; stop once `limit` are kept. Versions whose figures differ are all kept: the answer must
    see that the toll changed."""
    kept: list[tuple[Passage, set]] = []
    for p in passages:
        if limit is not None and len(kept) >= limit:
            break
        sh = shingles(p.text)
        twin = next((i for i, (_, other) in enumerate(kept) if jaccard(sh, other) >= threshold), None)
        if twin is None or numbers(p.text) != numbers(kept[twin][0].text):
            kept.append((p, sh))
        elif _newer(p, kept[twin][0]):  # same facts, newer dispatch or current version: it takes the place
            kept[twin] = (p, sh)
    return [p for p, _ in kept]
