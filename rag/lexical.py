"""BM25 over the stored chunks, one index per language with its own Snowball stemmer."""
from __future__ import annotations

import logging
import re
import threading
from typing import Any

from .filters import Filters
from .store import DispatchStore, StoredChunk
from .text import fold

STEMMERS = {"fr": "french", "en": "english"}


class LexicalIndex:
    """One llama-index BM25Retriever per language, each with the right Snowball stemmer.

    Built in memory from the store (never reloaded from disk, where llama-index would silently
    fall back to an English stemmer), and rebuilt when the store's change stamp moves.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: str | None = None
        self._by_lang: dict[str, Any] = {}
        self._chunks: dict[str, StoredChunk] = {}
        self._ids: dict[str, list[str]] = {}

    def invalidate(self) -> None:
        with self._lock:
            self._version = None

    def search(self, store: DispatchStore, query: str, n: int, filters: Filters) -> list[tuple[StoredChunk, float]]:
        with self._lock:
            version = store.current_version()  # changes with every ingest or delete, ours or another process's
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

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG: "Building index..."

        self._chunks = {c.id: c for c in store.iter_chunks()}
        groups: dict[str, list[TextNode]] = {}
        for c in self._chunks.values():
            lang = c.meta.lang if c.meta.lang in STEMMERS else "fr"
            groups.setdefault(lang, []).append(TextNode(id_=c.id, text=fold(c.text)))
        self._by_lang = {
            lang: BM25Retriever.from_defaults(nodes=nodes, stemmer=Stemmer.Stemmer(STEMMERS[lang]),
                                              language=lang, similarity_top_k=len(nodes))
            for lang, nodes in groups.items()
        }
        self._ids = {lang: [row["node_id"] for row in r.corpus] for lang, r in self._by_lang.items()}

    def _admits(self, filters: Filters, chunk_id: str) -> bool:
        m = self._chunks[chunk_id].meta
        return filters.admits(m.period, m.lang, m.source, m.dispatch_id)

    def _search_one(self, retriever: Any, query: str, n: int, filters: Filters, lang: str):
        from llama_index.core.schema import QueryBundle

        ids = self._ids[lang]
        if filters.is_empty:  # no filter: skip a Python pass over every chunk
            mask = None
        else:
            mask = [int(self._admits(filters, i)) for i in ids]
            if not any(mask):
                return []
        retriever.corpus_weight_mask = mask
        retriever.similarity_top_k = min(n, len(ids))
        if not re.search(r"\w\w", query):
            return []
        hits = retriever.retrieve(QueryBundle(fold(query)))
        return [(self._chunks[h.node.node_id], float(h.score)) for h in hits
                if h.score and h.score > 0 and self._admits(filters, h.node.node_id)]
