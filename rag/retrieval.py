"""Hybrid retrieval: dense (Chroma) + BM25 per language with its own stemmer, RRF fusion, filters, dedup."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np

from .embedding import Embedder
from .settings import Settings
from .store import DispatchStore, StoredChunk
from .text import fold, numbers

RRF_K = 60
STEMMERS = {"fr": "french", "en": "english"}


@dataclass
class Filters:
    """Metadata filters; dates are YYYY-MM or YYYY-MM-DD, inclusive; a dispatch dated by month overlaps."""

    date_from: str = ""
    date_to: str = ""
    lang: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    dispatch_ids: list[str] = field(default_factory=list)

    @classmethod
    def coerce(cls, value: "Filters | dict | None") -> "Filters":
        if value is None:
            return cls()
        if isinstance(value, Filters):
            return value
        as_list = lambda v: [v] if isinstance(v, str) and v else list(v or [])  # noqa: E731
        return cls(date_from=value.get("date_from", "") or "", date_to=value.get("date_to", "") or "",
                   lang=as_list(value.get("lang")), source=as_list(value.get("source")),
                   dispatch_ids=as_list(value.get("dispatch_ids")))

    def narrow(self, start: date | None, end: date | None) -> "Filters":
        """These filters with the date range intersected with [start, end]."""
        lo, hi = self._bounds()
        lo = max(lo, _as_num(start)) if start else lo
        hi = min(hi, _as_num(end)) if end else hi
        return replace(self, date_from=_num_str(lo) if lo > 0 else "", date_to=_num_str(hi) if hi < 99991231 else "")

    def _bounds(self) -> tuple[int, int]:
        lo = _date_num(self.date_from, first=True) if self.date_from else 0
        hi = _date_num(self.date_to, first=False) if self.date_to else 99991231
        return lo, hi

    def where(self) -> dict | None:
        """The same filter as a Chroma `where` clause."""
        lo, hi = self._bounds()
        clauses: list[dict] = []
        if lo > 0:
            clauses.append({"date_max": {"$gte": lo}})
        if hi < 99991231:
            clauses.append({"date_min": {"$lte": hi}})
        for key, values in (("lang", self.lang), ("source", self.source), ("dispatch_id", self.dispatch_ids)):
            if values:
                clauses.append({key: {"$in": list(values)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def match(self, meta: dict[str, Any]) -> bool:
        lo, hi = self._bounds()
        return (meta.get("date_max", 99991231) >= lo and meta.get("date_min", 0) <= hi
                and (not self.lang or meta.get("lang") in self.lang)
                and (not self.source or meta.get("source") in self.source)
                and (not self.dispatch_ids or meta.get("dispatch_id") in self.dispatch_ids))


def _as_num(d: date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def _num_str(n: int) -> str:
    return f"{n // 10000:04d}-{n // 100 % 100:02d}-{n % 100:02d}"


def _date_num(date: str, first: bool) -> int:
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", date.strip())
    if not m:
        from .errors import ConfigError
        raise ConfigError(f"Date filter '{date}' is not YYYY, YYYY-MM or YYYY-MM-DD.")
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    mo_n = int(mo) if mo else (1 if first else 12)
    d_n = int(d) if d else (1 if first else 31)
    return y * 10000 + mo_n * 100 + d_n


@dataclass
class Passage:
    """A retrieved chunk with its scores; `number` is its [n] in the prompt once selected."""

    id: str
    text: str
    meta: dict[str, Any]
    score: float = 0.0
    dense: float = 0.0
    bm25: float = 0.0
    number: int = 0

    @property
    def dispatch_id(self) -> str:
        return self.meta.get("dispatch_id", "")

    @property
    def is_caption(self) -> bool:
        return bool(self.meta.get("is_caption"))

    @property
    def day(self) -> date | None:
        """The (last) day of its dispatch, None if undated; days past the 28th read as the 28th."""
        n = int(self.meta.get("date_max") or 0)
        return date(n // 10000, n // 100 % 100, min(n % 100, 28)) if 0 < n < 99991231 else None


class _BM25:
    """One llama-index BM25Retriever per language, each with the right Snowball stemmer.

    Built in memory from the store (never reloaded from disk, where llama-index would silently
    fall back to an English stemmer), and rebuilt when the store changes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: int | None = None
        self._by_lang: dict[str, Any] = {}
        self._meta: dict[str, StoredChunk] = {}
        self._ids: dict[str, list[str]] = {}

    def invalidate(self) -> None:
        with self._lock:
            self._version = None

    def search(self, store: DispatchStore, query: str, n: int, filters: Filters) -> list[tuple[StoredChunk, float]]:
        with self._lock:
            version = store.count()
            if version != self._version:
                self._build(store)
                self._version = version
            out: list[tuple[StoredChunk, float]] = []
            for lang, retriever in self._by_lang.items():
                out.extend(self._search_one(retriever, query, n, filters, lang))
            return out

    def _build(self, store: DispatchStore) -> None:
        import Stemmer
        from llama_index.core.schema import TextNode
        from llama_index.retrievers.bm25 import BM25Retriever

        self._meta = {c.id: c for c in store.iter_chunks()}
        groups: dict[str, list[TextNode]] = {}
        for c in self._meta.values():
            lang = c.meta.get("lang", "fr") if c.meta.get("lang") in STEMMERS else "fr"
            groups.setdefault(lang, []).append(TextNode(id_=c.id, text=fold(c.text)))
        self._by_lang = {
            lang: BM25Retriever.from_defaults(nodes=nodes, stemmer=Stemmer.Stemmer(STEMMERS[lang]),
                                              language=lang, similarity_top_k=len(nodes))
            for lang, nodes in groups.items()
        }
        self._ids = {lang: [row["node_id"] for row in r.corpus] for lang, r in self._by_lang.items()}

    def _search_one(self, retriever: Any, query: str, n: int, filters: Filters, lang: str):
        ids = self._ids[lang]
        if filters.where() is None:  # no filter: skip a Python pass over every chunk
            mask = None
        else:
            mask = [int(filters.match(self._meta[i].meta)) for i in ids]
            if not any(mask):
                return []
        retriever.corpus_weight_mask = mask
        retriever.similarity_top_k = min(n, len(ids))
        from llama_index.core.schema import QueryBundle
        if not re.search(r"\w\w", query):
            return []
        hits = retriever.retrieve(QueryBundle(fold(query)))
        return [(self._meta[h.node.node_id], float(h.score)) for h in hits
                if h.score and h.score > 0 and filters.match(self._meta[h.node.node_id].meta)]


class Retriever:
    def __init__(self, store: DispatchStore, embedder: Embedder, settings: Settings) -> None:
        self.store, self.embedder, self.settings = store, embedder, settings
        self.bm25 = _BM25()

    def invalidate(self) -> None:
        self.bm25.invalidate()

    def retrieve(self, query: str, k: int | None = None, filters: Filters | dict | None = None,
                 as_of: date | None = None) -> list[Passage]:
        """Top-k passages: dense and BM25 candidates fused by RRF, captions demoted, near-duplicates collapsed,
        and (if recency_half_life_days > 0) older dispatches demoted relative to `as_of`."""
        k = k or self.settings.top_k
        flt = Filters.coerce(filters)
        n = max(self.settings.candidates, k * 3)
        qvec = self.embedder.embed_query(query)
        dense = self.store.query(qvec, n, flt.where())
        sparse = self.bm25.search(self.store, query, n, flt)
        passages = fuse(dense, sparse, self.settings.caption_weight)
        if self.settings.recency_half_life_days > 0:
            passages = recency_boost(passages, as_of or date.today(), self.settings.recency_half_life_days)
        self._fill_dense(passages, qvec)
        return dedup(passages, self.settings.dedup_threshold, limit=k)

    def _fill_dense(self, passages: list[Passage], qvec: np.ndarray) -> None:
        """BM25-only hits lack a cosine; take their stored vectors so relevance gating treats every passage alike."""
        missing = [p for p in passages if p.dense == 0.0]
        if missing:
            stored = self.store.vectors([p.id for p in missing])
            for p in missing:
                if p.id in stored:
                    p.dense = float(stored[p.id] @ qvec)


def fuse(dense: list[tuple[StoredChunk, float]], sparse: list[tuple[StoredChunk, float]],
         caption_weight: float = 0.5) -> list[Passage]:
    """Reciprocal-rank fusion of the dense list and the BM25 list (each ranked by its own score)."""
    by_id: dict[str, Passage] = {}
    for rank, (c, cos) in enumerate(dense):
        p = by_id.setdefault(c.id, Passage(c.id, c.text, c.meta))
        p.dense = cos
        p.score += 1.0 / (RRF_K + rank + 1)
    for rank, (c, s) in enumerate(sorted(sparse, key=lambda x: -x[1])):
        p = by_id.setdefault(c.id, Passage(c.id, c.text, c.meta))
        p.bm25 = s
        p.score += 1.0 / (RRF_K + rank + 1)
    for p in by_id.values():
        if p.is_caption:
            p.score *= caption_weight  # photo captions describe pictures; body text states the facts
    return sorted(by_id.values(), key=lambda p: -p.score)


def recency_boost(passages: list[Passage], as_of: date, half_life_days: float) -> list[Passage]:
    """Halve a passage's fused score every `half_life_days` of age (undated ones are left alone)."""
    now = _as_num(as_of)
    for p in passages:
        dmax = int(p.meta.get("date_max") or 0)
        if 0 < dmax <= now:  # undated (date_max 99991231) and future-dated passages keep their score
            p.score *= 0.5 ** (max((as_of - p.day).days, 0) / half_life_days)
    return sorted(passages, key=lambda p: -p.score)


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
        twin = next((i for i, (k, other) in enumerate(kept) if jaccard(sh, other) >= threshold), None)
        if twin is None:
            kept.append((p, sh))
        elif numbers(p.text) != numbers(kept[twin][0].text):
            kept.append((p, sh))
        elif _date_key(p) > _date_key(kept[twin][0]):  # same facts, newer dispatch: it takes the place
            kept[twin] = (p, sh)
    return [p for p, _ in kept]


def _date_key(p: Passage) -> int:
    return int(p.meta.get("date_max") or 0) if int(p.meta.get("date_max") or 0) < 99991231 else 0
