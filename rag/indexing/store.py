"""Chroma store (on-disk PersistentClient or a `chroma run` server) with idempotent, resumable upserts.

This is the only module that knows how chunk metadata is laid out in Chroma (flat keys, dates as day
numbers for range filters, quotes as JSON): everything else sees `ChunkMeta`.
"""
from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import DispatchQAError, EmbedderMismatch, StoreError, store_error
from rag.filters import Filters
from rag.reading.quotes import Quote
from rag.settings import Settings
from rag.values import ChunkMeta

BATCH = 256
_UNDATED = (0, 99991231)  # day numbers of an undated chunk: it passes every date filter


@dataclass(frozen=True)
class StoredChunk:
    id: str
    text: str
    meta: ChunkMeta


def day_number(d: date) -> int:
    """2025-03-30 -> 20250330: Chroma filters compare numbers, not dates."""
    return d.year * 10000 + d.month * 100 + d.day


def day_range(meta: ChunkMeta) -> tuple[int, int]:
    """First and last day numbers of a chunk's dispatch date (undated: every day)."""
    period = meta.period
    return (day_number(period.start), day_number(period.end)) if period else _UNDATED


def to_chroma(meta: ChunkMeta) -> dict[str, Any]:
    """Flat metadata as Chroma stores it."""
    lo, hi = day_range(meta)
    return {"dispatch_id": meta.dispatch_id, "start": meta.start, "end": meta.end, "paragraph": meta.paragraph,
            "section": meta.section, "is_caption": meta.is_caption, "title": meta.title, "date": meta.date,
            "date_min": lo, "date_max": hi, "lang": meta.lang, "source": meta.source, "path": meta.path,
            "doc_hash": meta.doc_hash, "doc_entities": "|".join(meta.doc_names),
            "quotes": json.dumps([[q.start, q.end, q.speaker] for q in meta.quotes], ensure_ascii=False),
            "n_chunks": meta.n_chunks, **{k: getattr(meta, k) for k in _ITEM_FIELDS if getattr(meta, k)}}


_ITEM_FIELDS = ("version", "version_time", "signal", "embargo", "byline", "located",
                "superseded")  # stored only when set


def from_chroma(m: dict[str, Any] | None, text: str) -> ChunkMeta:
    m = m or {}
    quotes = tuple(Quote(s, e, text[s:e], speaker) for s, e, speaker in json.loads(m.get("quotes") or "[]"))
    return ChunkMeta(dispatch_id=m.get("dispatch_id", ""), start=int(m.get("start", 0)), end=int(m.get("end", 0)),
                     paragraph=int(m.get("paragraph", 0)), section=m.get("section", ""),
                     is_caption=bool(m.get("is_caption")), title=m.get("title", ""), date=m.get("date", ""),
                     lang=m.get("lang", "fr"), source=m.get("source", ""), path=m.get("path", ""),
                     doc_hash=m.get("doc_hash", ""), quotes=quotes,
                     doc_names=_names(m.get("doc_entities") or ""), n_chunks=int(m.get("n_chunks") or 0),
                     **{k: str(m.get(k) or "") for k in _ITEM_FIELDS})


def _names(stored: str) -> tuple[str, ...]:
    """Names are stored '|'-separated (a name can have spaces); an index of schema 2 used spaces."""
    return tuple(n for n in (stored.split("|") if "|" in stored else stored.split()) if n)


def _chunks(got: dict[str, Any]) -> list[StoredChunk]:
    """A Chroma get() result (documents and metadatas included) as chunks."""
    return [StoredChunk(i, d, from_chroma(m, d)) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]


def where(filters: Filters) -> dict | None:
    """The filters as a Chroma `where` clause (None when they filter nothing)."""
    lo, hi = filters.bounds()
    clauses: list[dict] = []
    if lo:
        clauses.append({"date_max": {"$gte": day_number(lo)}})
    if hi:
        clauses.append({"date_min": {"$lte": day_number(hi)}})
    for key, values in (("lang", filters.lang), ("source", filters.source), ("dispatch_id", filters.dispatch_ids)):
        if values:
            clauses.append({key: {"$in": list(values)}})
    if filters.exclude_dispatch_ids:
        clauses.append({"dispatch_id": {"$nin": list(filters.exclude_dispatch_ids)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def make_client(settings: Settings, fresh: bool = False):
    """PersistentClient in settings.index_dir, or HttpClient when settings.chroma_host is set. `fresh`: a new
    on-disk client, not the one Chroma keeps per folder (whose in-memory index misses other processes' writes)."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        Path(settings.index_dir).mkdir(parents=True, exist_ok=True)
        if fresh:  # other clients of this process keep the old system until they refresh too
            SharedSystemClient._identifier_to_system.pop(str(settings.index_dir), None)
        return chromadb.PersistentClient(path=settings.index_dir, settings=chroma_settings)
    except Exception as exc:  # noqa: BLE001 - chroma raises many types; the advice is the same
        raise store_error(exc, describe(settings), "open") from exc


def describe(settings: Settings) -> str:
    if settings.chroma_host:
        return f"chroma server {settings.chroma_host}:{settings.chroma_port}"
    return f"chroma on disk {settings.index_dir}"


STAMP = ".dqa-changes"  # rewritten by every ingest and delete, so other processes notice them
WITHDRAWN_FILE = "withdrawn.json"  # items kill notices took out (on a server: the collection's metadata)
WITHDRAWN_KEY = "withdrawn"


class DispatchStore:
    """One Chroma collection of chunks; we always pass our own embeddings (no Chroma default model).

    Several processes may share an index (the UI and `dispatch-qa ingest`, app replicas on one Chroma
    server). Every write leaves a change stamp (a file in the index folder, or the collection's metadata on
    a server); before reading, a process that sees a stamp it did not write reopens the collection, so it
    answers from the other process's ingests and never from ids that a delete removed. `version` changes
    with every write, ours or another process's: what is cached from the store (BM25) follows it."""

    def __init__(self, settings: Settings, embedder_name: str, dim: int) -> None:
        self.settings, self.embedder_name, self.dim = settings, embedder_name, dim
        self.location = describe(settings)
        self._lock = threading.RLock()
        self._before_write = ""
        self.last_write: tuple[str, str] | None = None
        self._cache: dict[Hashable, tuple[str, Any]] = {}
        self._synced_at = 0.0
        # a folder that is not there (yet, or any more): what Chroma keeps in memory for that path is stale
        self._open(fresh=not settings.chroma_host and not Path(settings.index_dir).is_dir())
        self.version = self._stamp()

    def _open(self, fresh: bool) -> None:
        settings = self.settings
        self.client = make_client(settings, fresh)
        try:
            self.col = self.client.get_or_create_collection(
                settings.collection, embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedder": self.embedder_name, "dim": self.dim},
            )
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc, f"open collection '{settings.collection}' of") from exc
        built_with = (self.col.metadata or {}).get("embedder")
        if built_with and built_with != self.embedder_name:
            raise EmbedderMismatch(
                f"The index '{settings.collection}' was built with embedder '{built_with}', but "
                f"'{self.embedder_name}' is configured. Set DQA_EMBEDDER back, or use another DQA_COLLECTION / "
                "DQA_INDEX_DIR and re-ingest.", built_with, self.embedder_name)

    # -- change stamps ---------------------------------------------------------------------------
    def _stamp(self) -> str:
        if self.settings.chroma_host:
            return str((self.col.metadata or {}).get("changes", ""))
        try:
            return (Path(self.settings.index_dir) / STAMP).read_text()
        except OSError:
            return ""

    def _sync(self, force: bool = False) -> None:
        """Reopen when another process has written since we last looked; say so when the folder is gone. On a
        server the stamp is read again after `server_sync_seconds` (always before a write: `force`)."""
        if not self.settings.chroma_host and not Path(self.settings.index_dir).is_dir():
            raise StoreError(f"The index folder {self.settings.index_dir} no longer exists (deleted while Dispatch "
                             "QA was running). Restart, or ingest again to build a new index there.", self.location)
        if self.settings.chroma_host:
            now = time.monotonic()
            if not force and now - self._synced_at < self.settings.server_sync_seconds:
                return  # read a moment ago (the same question): no round trip for each store call
            self.col = self.client.get_collection(self.settings.collection)  # fresh metadata
            self._synced_at = now
        stamp = self._stamp()
        if stamp != self.version:
            if not self.settings.chroma_host:
                self._open(fresh=True)
            self.version = stamp

    def _changed(self) -> None:
        """After our own write: a new stamp for the others, and for what we cache ourselves."""
        stamp = uuid.uuid4().hex
        if self.settings.chroma_host:
            self.col.modify(metadata={**(self.col.metadata or {}), "changes": stamp})
        else:
            tmp = Path(self.settings.index_dir) / f"{STAMP}.{os.getpid()}"
            tmp.write_text(stamp)
            os.replace(tmp, Path(self.settings.index_dir) / STAMP)
        self.version = stamp
        # (stamp before, stamp after) our last write: a cache that was at `before` can move to `after`
        self.last_write = (self._before_write, stamp)

    @contextmanager
    def _reading(self, action: str, force: bool = False) -> Iterator[None]:
        """A read, after catching up with other processes; a stale in-memory index is reopened and retried by
        the caller (ids another process deleted: 'Error finding id')."""
        with self._lock:
            try:
                self._sync(force)
                yield
            except DispatchQAError:
                raise
            except Exception as exc:  # noqa: BLE001 - chroma, httpx and OS errors, mapped to one sentence
                raise self._error(exc, action) from exc

    def _read(self, action: str, fn: Callable[[], Any]) -> Any:
        try:
            with self._reading(action):
                return fn()
        except StoreError as exc:
            if "Error finding id" not in str(exc.__cause__):
                raise
        with self._lock:  # another process changed the index without a stamp (an older release): reopen once
            self._open(fresh=not self.settings.chroma_host)
        with self._reading(action):
            return fn()

    @contextmanager
    def _writing(self, action: str) -> Iterator[None]:
        """A write: like a read, and a new change stamp afterwards (also when the write failed half way)."""
        with self._reading(action, force=True):
            self._before_write = self.version
            # A stamp before the write too: a process killed during or right after it leaves a stamp no cache
            # has seen, so the others catch up (the stamp after it would never be written).
            self._changed_safely()
            try:
                yield
            finally:
                self._changed_safely()

    def _changed_safely(self) -> None:
        with suppress(Exception):  # the write happened; a missing stamp only delays the others' refresh
            self._changed()

    def _error(self, exc: Exception, action: str) -> StoreError:
        return store_error(exc, self.location, action, None if self.settings.chroma_host else self.settings.index_dir)

    # -- reads -----------------------------------------------------------------------------------
    def current_version(self) -> str:
        """The change stamp after catching up with other processes: what is cached from the store follows it."""
        with self._reading("read"):
            return self.version

    def count(self) -> int:
        return self._read("count the chunks of", lambda: self.col.count())

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        def run() -> set[str]:
            found: set[str] = set()
            for i in range(0, len(ids), BATCH):
                found.update(self.col.get(ids=list(ids[i:i + BATCH]), include=[])["ids"])
            return found
        return self._read("read", run)

    # -- withdrawn items (kill notices) ---------------------------------------------------------------
    def withdrawn(self) -> dict[str, dict[str, str]]:
        """Items a kill notice took out: id -> {title, date, at} (kept so lists and old answers can say so)."""
        with self._reading("read"):
            if self.settings.chroma_host:
                raw = str((self.col.metadata or {}).get(WITHDRAWN_KEY, "") or "{}")
            else:
                path = Path(self.settings.index_dir) / WITHDRAWN_FILE
                raw = path.read_text(encoding="utf-8") if path.is_file() else "{}"
        try:
            marks = json.loads(raw)
        except ValueError:
            return {}
        return marks if isinstance(marks, dict) else {}

    def mark_withdrawn(self, dispatch_id: str, record: dict[str, str] | None) -> None:
        """Record (or, with None, forget) that an item was withdrawn."""
        marks = self.withdrawn()
        if record is None and dispatch_id not in marks:
            return
        if record is None:
            marks.pop(dispatch_id)
        else:
            marks[dispatch_id] = record
        raw = json.dumps(marks, ensure_ascii=False, sort_keys=True)
        with self._writing("record a withdrawn item in"):
            if self.settings.chroma_host:
                self.col.modify(metadata={**(self.col.metadata or {}), WITHDRAWN_KEY: raw})
            else:
                tmp = Path(self.settings.index_dir) / f"{WITHDRAWN_FILE}.{os.getpid()}"
                tmp.write_text(raw, encoding="utf-8")
                os.replace(tmp, Path(self.settings.index_dir) / WITHDRAWN_FILE)

    def dispatch_hashes(self, dispatch_ids: Sequence[str]) -> dict[str, set[str]]:
        """The current versions (content hashes) stored for each of these dispatches (absent: none stored);
        earlier versions of an item, kept searchable as such, are not among them."""
        out: dict[str, set[str]] = {}
        for m in self._metadata_of(dispatch_ids):
            if not m.get("superseded"):
                out.setdefault(m["dispatch_id"], set()).add(m["doc_hash"])
        return out

    def version_times(self, dispatch_ids: Sequence[str]) -> dict[str, str]:
        """When the current version of each of these items was made (ISO 8601), for those a wire format dated."""
        out: dict[str, str] = {}
        for m in self._metadata_of(dispatch_ids):
            if m.get("version_time") and not m.get("superseded"):
                out[m["dispatch_id"]] = max(out.get(m["dispatch_id"], ""), str(m["version_time"]))
        return out

    def _metadata_of(self, dispatch_ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        unique = sorted(set(dispatch_ids))
        for i in range(0, len(unique), 100):
            part = unique[i:i + 100]
            got = self._read("read", lambda p=part: self.col.get(where={"dispatch_id": {"$in": p}},
                                                                 include=["metadatas"]))
            yield from got["metadatas"]

    def query(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[tuple[StoredChunk, float]]:
        """Nearest chunks with cosine similarity (1 - distance)."""
        def run() -> list[tuple[StoredChunk, float]]:
            k = min(n, self.col.count())
            if k <= 0:
                return []
            res = self.col.query(query_embeddings=[vector.tolist()], n_results=k,
                                 where=where(filters) if filters else None,
                                 include=["documents", "metadatas", "distances"])
            return [(StoredChunk(i, d, from_chroma(m, d)), 1.0 - float(dist)) for i, d, m, dist in
                    zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0])]
        return self._read("search", run)

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored embeddings of these chunks (those still there)."""
        if not ids:
            return {}
        got = self._read("read", lambda: self.col.get(ids=list(ids), include=["embeddings"]))
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"])}

    def _pages(self, include: list[str], page: int) -> Iterator[dict[str, Any]]:
        """The whole collection, `page` chunks per Chroma call."""
        offset = 0
        while True:
            got = self._read("read", lambda o=offset: self.col.get(include=include, limit=page, offset=o))
            yield got
            if len(got["ids"]) < page:
                return
            offset += page

    def iter_chunks(self, page: int = 2000) -> Iterator[StoredChunk]:
        for got in self._pages(["documents", "metadatas"], page):
            yield from _chunks(got)

    def all_ids(self, page: int = 20000) -> set[str]:
        """Every chunk id in the collection (ids only: cheap, to compare with what a process has cached)."""
        return {i for got in self._pages([], page) for i in got["ids"]}

    def chunks_of(self, dispatch_id: str) -> list[StoredChunk]:
        return _chunks(self._read("read", lambda: self.col.get(where={"dispatch_id": dispatch_id},
                                                               include=["documents", "metadatas"])))

    def get(self, ids: Sequence[str]) -> list[StoredChunk]:
        if not ids:
            return []
        got = self._read("read", lambda: self.col.get(ids=list(ids), include=["documents", "metadatas"]))
        by_id = {c.id: c for c in _chunks(got)}
        return [by_id[i] for i in ids if i in by_id]

    # -- writes ----------------------------------------------------------------------------------
    def upsert(self, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str],
               metas: Sequence[ChunkMeta]) -> None:
        with self._writing("write to"):
            for i in range(0, len(ids), BATCH):
                self.col.upsert(ids=list(ids[i:i + BATCH]), embeddings=vectors[i:i + BATCH].tolist(),
                                documents=list(texts[i:i + BATCH]),
                                metadatas=[to_chroma(m) for m in metas[i:i + BATCH]])

    def delete_dispatch(self, dispatch_id: str, keep_hash: str | None = None) -> list[str]:
        """Delete a dispatch's chunks (all, or all but those of version `keep_hash`); return their ids."""
        clause: dict[str, Any] = {"dispatch_id": dispatch_id}
        if keep_hash:
            clause = {"$and": [clause, {"doc_hash": {"$ne": keep_hash}}]}
        ids = self._read("read", lambda: self.col.get(where=clause, include=[])["ids"])
        if not ids:
            return []
        with self._writing("delete from"):
            for i in range(0, len(ids), BATCH):
                self.col.delete(ids=ids[i:i + BATCH])
        return ids

    def supersede(self, dispatch_id: str, keep_hash: str, when: str) -> int:
        """Mark the current chunks of a dispatch but those of version `keep_hash` as an earlier version, replaced
        at `when` (they stay searchable as such); return how many."""
        clause = {"$and": [{"dispatch_id": dispatch_id}, {"doc_hash": {"$ne": keep_hash}}]}
        got = self._read("read", lambda: self.col.get(where=clause, include=["documents", "metadatas"]))
        old = [c for c in _chunks(got) if not c.meta.superseded]
        if not old:
            return 0
        marked = [StoredChunk(c.id, c.text, replace(c.meta, superseded=when)) for c in old]
        with self._writing("write to"):
            for i in range(0, len(marked), BATCH):
                part = marked[i:i + BATCH]
                self.col.update(ids=[c.id for c in part], metadatas=[to_chroma(c.meta) for c in part])
        return len(marked)

    def cached(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """compute(), kept until the next change stamp (ours or another process's): whole-collection summaries
        (the dispatch list, example questions) are read once per change, not at every status line."""
        version = self.current_version()
        hit = self._cache.get(key)
        if hit is None or hit[0] != version:
            hit = self._cache[key] = (version, compute())
        return hit[1]

    def dispatches(self) -> list[dict[str, Any]]:
        """One row per dispatch: id, title, date, lang, source, path, chunks (of its current version),
        `earlier_versions` (an item's versions a newer one replaced, still searchable as such), `embargo` (when
        the item's embargo ends, ISO 8601; '' for none), and `complete`:
        False when a write or a delete was cut short (chunks missing, or two versions side by side); ingest or
        delete finishes it."""
        return [dict(row) for row in self.cached("dispatches", self._dispatch_rows)]

    def _dispatch_rows(self) -> list[dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        versions: dict[str, set[str]] = {}
        expected: dict[str, int] = {}
        earlier: dict[str, set[str]] = {}
        for c in self.iter_chunks():
            m = c.meta
            if m.superseded:
                earlier.setdefault(m.dispatch_id, set()).add(m.doc_hash)
                continue
            row = rows.setdefault(m.dispatch_id, {"dispatch_id": m.dispatch_id, "title": m.title, "date": m.date,
                                                  "lang": m.lang, "source": m.source, "path": m.path, "chunks": 0,
                                                  "embargo": m.embargo})
            row["chunks"] += 1
            versions.setdefault(m.dispatch_id, set()).add(m.doc_hash)
            expected[m.dispatch_id] = max(expected.get(m.dispatch_id, 0), m.n_chunks)
        for did, row in rows.items():
            row["complete"] = len(versions[did]) == 1 and (expected[did] in (0, row["chunks"]))
            row["earlier_versions"] = len(earlier.get(did, ()))
        return sorted(rows.values(), key=lambda r: (r["date"], r["dispatch_id"]))
