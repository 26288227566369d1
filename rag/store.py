"""Chroma store (on-disk PersistentClient or a `chroma run` server) with idempotent, resumable upserts."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import EmbedderMismatch, StoreError
from .settings import Settings

BATCH = 256


@dataclass
class StoredChunk:
    id: str
    text: str
    meta: dict[str, Any]


def make_client(settings: Settings):
    """PersistentClient in settings.index_dir, or HttpClient when settings.chroma_host is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        Path(settings.index_dir).mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=settings.index_dir, settings=chroma_settings)
    except Exception as exc:  # noqa: BLE001 - chroma raises many types; the advice is the same
        where = f"server {settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else settings.index_dir
        raise StoreError(f"Cannot open the Chroma store at {where}: {exc}. "
                         "Check DQA_CHROMA_HOST/DQA_CHROMA_PORT, or that `chroma run` is up.") from exc


class DispatchStore:
    """One Chroma collection of chunks; we always pass our own embeddings (no Chroma default model)."""

    def __init__(self, settings: Settings, embedder_name: str, dim: int) -> None:
        self.client = make_client(settings)
        try:
            self.col = self.client.get_or_create_collection(
                settings.collection, embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedder": embedder_name, "dim": dim},
            )
        except Exception as exc:  # noqa: BLE001
            raise StoreError(f"Cannot open collection '{settings.collection}': {exc}") from exc
        built_with = (self.col.metadata or {}).get("embedder")
        if built_with and built_with != embedder_name:
            raise EmbedderMismatch(
                f"The index '{settings.collection}' was built with embedder '{built_with}', but "
                f"'{embedder_name}' is configured. Set DQA_EMBEDDER back, or use another DQA_COLLECTION / "
                "DQA_INDEX_DIR and re-ingest.")

    def count(self) -> int:
        return self.col.count()

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), BATCH):
            found.update(self.col.get(ids=list(ids[i:i + BATCH]), include=[])["ids"])
        return found

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str],
               metas: Sequence[dict[str, Any]]) -> None:
        for i in range(0, len(ids), BATCH):
            self.col.upsert(ids=list(ids[i:i + BATCH]), embeddings=vectors[i:i + BATCH].tolist(),
                            documents=list(texts[i:i + BATCH]), metadatas=list(metas[i:i + BATCH]))

    def dispatch_hashes(self, dispatch_id: str) -> set[str]:
        got = self.col.get(where={"dispatch_id": dispatch_id}, include=["metadatas"])
        return {m["doc_hash"] for m in got["metadatas"]}

    def delete_dispatch(self, dispatch_id: str, keep_hash: str | None = None) -> int:
        """Delete a dispatch's chunks (all, or all but those of version `keep_hash`); return how many."""
        where: dict[str, Any] = {"dispatch_id": dispatch_id}
        if keep_hash:
            where = {"$and": [where, {"doc_hash": {"$ne": keep_hash}}]}
        ids = self.col.get(where=where, include=[])["ids"]
        for i in range(0, len(ids), BATCH):
            self.col.delete(ids=ids[i:i + BATCH])
        return len(ids)

    def query(self, vector: np.ndarray, n: int, where: dict | None) -> list[tuple[StoredChunk, float]]:
        """Nearest chunks with cosine similarity (1 - distance)."""
        n = min(n, self.count())
        if n <= 0:
            return []
        res = self.col.query(query_embeddings=[vector.tolist()], n_results=n, where=where or None,
                             include=["documents", "metadatas", "distances"])
        return [(StoredChunk(i, d, m), 1.0 - float(dist)) for i, d, m, dist in
                zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0])]

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored embeddings of these chunks."""
        got = self.col.get(ids=list(ids), include=["embeddings"])
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"])}

    def iter_chunks(self, page: int = 2000) -> Iterator[StoredChunk]:
        offset = 0
        while True:
            got = self.col.get(include=["documents", "metadatas"], limit=page, offset=offset)
            for i, d, m in zip(got["ids"], got["documents"], got["metadatas"]):
                yield StoredChunk(i, d, m)
            if len(got["ids"]) < page:
                return
            offset += page

    def get(self, ids: Sequence[str]) -> list[StoredChunk]:
        got = self.col.get(ids=list(ids), include=["documents", "metadatas"])
        by_id = {i: StoredChunk(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}
        return [by_id[i] for i in ids if i in by_id]

    def dispatches(self) -> list[dict[str, Any]]:
        """One row per dispatch: id, title, date, lang, source, path, chunks."""
        rows: dict[str, dict[str, Any]] = {}
        for c in self.iter_chunks():
            m = c.meta
            row = rows.setdefault(m["dispatch_id"], {k: m.get(k, "") for k in
                                                     ("dispatch_id", "title", "date", "lang", "source", "path")})
            row["chunks"] = row.get("chunks", 0) + 1
        return sorted(rows.values(), key=lambda r: (r["date"], r["dispatch_id"]))
