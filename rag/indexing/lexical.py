"""BM25 over the stored chunks, persisted next to the store and kept in step with it without full rebuilds.

One bm25s index per language (French and English Snowball stemmers) over the chunks of a *main* build,
saved on disk and loaded memory-mapped, plus a small *delta* of the chunks added since, rebuilt in memory
from a journal; deleted chunks are masked until the next main build. Ingest and delete only append to the
journal (under a file lock: several processes may share the folder); the delta is rebuilt at the next search.
The state records the store's change stamp it reflects: a process that opens the index, or sees another
process's writes, compares it with the store's and, when they differ (another process, a crash between the
two writes), catches up by the difference of chunk ids. When the delta or the deleted grow large, a new main
index is built from the store in a background thread (searches go on over the old one) and swapped in with
the journal lines written meanwhile.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.filters import Filters
from rag.indexing.store import DispatchStore, StoredChunk, day_number, day_range
from rag.language.detect import detect_language
from rag.language.names import translations
from rag.language.words import fold
from rag.values import ChunkMeta

STEMMERS = {"fr": "french", "en": "english"}
SCHEMA = 2  # 2: arrays as .npy files, memory-mapped
MERGE_SHARE, MERGE_MIN = 0.05, 2000  # build a new main index when the delta or the deleted exceed this
JOURNAL = "journal.jsonl"
log = logging.getLogger("rag")


@dataclass
class Segment:
    """One bm25s index over some chunks of one language, with what filters need per chunk."""

    model: object
    ids: np.ndarray  # chunk ids, in index order
    dmin: np.ndarray  # day numbers (Filters compare dates)
    dmax: np.ndarray
    source: np.ndarray
    dispatch: np.ndarray

    ARRAYS = ("ids", "dmin", "dmax", "source", "dispatch")

    def mask(self, filters: Filters, dead: np.ndarray | None) -> np.ndarray | None:
        """1 for the chunks a search may return, None when all may; `dead` marks deleted chunks."""
        keep = np.ones(len(self.ids), dtype=bool) if dead is None else ~dead
        lo, hi = filters.bounds()
        if lo:
            keep &= self.dmax >= day_number(lo)
        if hi:
            keep &= self.dmin <= day_number(hi)
        if filters.source:
            keep &= np.isin(self.source, filters.source)
        if filters.dispatch_ids:
            keep &= np.isin(self.dispatch, filters.dispatch_ids)
        if filters.exclude_dispatch_ids:
            keep &= ~np.isin(self.dispatch, filters.exclude_dispatch_ids)
        return None if keep.all() else keep.astype(np.float32)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save(str(folder), show_progress=False)
        for name in self.ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> Segment:
        """Memory-mapped: opening a million-chunk index reads almost nothing."""
        model = _bm25s().BM25.load(str(folder), mmap=True, show_progress=False)
        arrays = [np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in cls.ARRAYS]
        return cls(model, *arrays)


def _docs(chunks: Iterable[StoredChunk]) -> dict[str, list[StoredChunk]]:
    by_lang: dict[str, list[StoredChunk]] = {}
    for c in chunks:
        by_lang.setdefault(c.meta.lang if c.meta.lang in STEMMERS else "fr", []).append(c)
    return by_lang


def _bm25s():
    import bm25s
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG: "Building index..."
    return bm25s


def _tokenize(texts: list[str], lang: str):
    import Stemmer
    bm25s = _bm25s()
    return bm25s.tokenize([fold(t) for t in texts], stopwords=lang, stemmer=Stemmer.Stemmer(STEMMERS[lang]),
                          show_progress=False)


def build_segment(chunks: list[StoredChunk], lang: str) -> Segment:
    model = _bm25s().BM25()
    model.index(_tokenize([c.text for c in chunks], lang), show_progress=False)
    return Segment(model, np.array([c.id for c in chunks]), *_meta_arrays(chunks))


def build_segments(chunks: Iterable[StoredChunk]) -> dict[str, Segment]:
    return {lang: build_segment(cs, lang) for lang, cs in _docs(chunks).items()}


def _meta_arrays(chunks: list[StoredChunk]) -> tuple[np.ndarray, ...]:
    bounds = [day_range(c.meta) for c in chunks]
    return (np.array([b[0] for b in bounds], dtype=np.int64), np.array([b[1] for b in bounds], dtype=np.int64),
            np.array([c.meta.source for c in chunks]), np.array([c.meta.dispatch_id for c in chunks]))


class LexicalIndex:
    """Persisted BM25 (see the module docstring). `folder` None: in memory only, rebuilt at first use."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._lock = threading.RLock()
        self.main: dict[str, Segment] = {}
        self.main_name: str | None = None  # the folder of the main build in use
        self.delta: dict[str, Segment] = {}
        self.added: dict[str, StoredChunk] = {}  # the journal's chunks not in main
        self.deleted: set[str] = set()
        self._delta_stale = False
        self._dead: dict[str, np.ndarray] | None = None  # per main segment, the deleted chunks (cached)
        self._journal_pos = 0  # bytes of the journal replayed
        self.stamp: str | None = None  # the store's change stamp this index reflects; None: not loaded
        self.loaded_from_disk = False
        self.rebuilds = 0
        self._merging: threading.Thread | None = None

    # -- keeping in step with the store -------------------------------------------------------------
    def ensure(self, store: DispatchStore) -> None:
        version = store.current_version()
        with self._lock:
            if self.stamp != version:
                with self._file_lock():
                    if self.stamp is None:
                        self._load(store)
                    else:
                        self._reload()
                    if self.stamp != version:
                        self._sync(store, version)
            if self._delta_stale:
                self.delta = build_segments(self.added.values())
                self._delta_stale = False
            if self._dead is None:
                self._dead = {lang: np.isin(seg.ids, list(self.deleted)) for lang, seg in self.main.items()} \
                    if self.deleted else {}

    def _load(self, store: DispatchStore) -> bool:
        """Open the saved index, or build it from the store; True when it was built (it reflects the store)."""
        state = self._read_state()
        if not state or state.get("schema") != SCHEMA or not (self._folder() / str(state.get("main"))).is_dir():
            self._rebuild(store, store.current_version())
            return True
        self._reload()
        self.loaded_from_disk = True
        if self._known_count() != store.count():
            # chunks written without a change stamp (a process killed mid-write by an older release) or lost:
            # the stamp cannot tell, the count can; catch up by the difference of ids
            self._sync(store, store.current_version())
        return False

    def _known_count(self) -> int:
        if not self.added and not self.deleted:
            return self._main_size()
        return len(self._known())

    def _known(self) -> set[str]:
        """The ids this index holds: the main build's, less the deleted, plus the journal's."""
        return ({str(i) for seg in self.main.values() for i in seg.ids} - self.deleted) | set(self.added)

    def _reload(self) -> None:
        """Read the state and the journal lines not replayed yet (another process may have written them, or
        built a new main index)."""
        state = self._read_state() or {}
        if self.folder is not None and state.get("main") and state["main"] != self.main_name:
            self.main = {lang: Segment.load(self.folder / state["main"] / lang) for lang in state.get("langs", [])}
            self.main_name = state["main"]
            self.added, self.deleted, self._journal_pos, self._dead = {}, set(), 0, None
            self._delta_stale = True
        self._replay(self._read_journal())
        self.stamp = state.get("stamp", self.stamp)

    def _replay(self, ops: Iterable[dict]) -> None:
        for op in ops:
            if op["op"] == "add":
                self.added[op["id"]] = _chunk_from(op)
                if op["id"] in self.deleted:  # deleted and written again (same id: same content)
                    self.deleted.discard(op["id"])
                    self._dead = None
            else:
                self.added.pop(op["id"], None)
                self.deleted.add(op["id"])
                self._dead = None
            self._delta_stale = True

    def _sync(self, store: DispatchStore, version: str) -> None:
        """Catch up with the store by the difference of chunk ids (another process, or a crash between the
        store write and ours); rebuild when too much differs."""
        known = self._known()
        present = store.all_ids()
        new, gone = present - known, known - present
        if len(new) + len(gone) > self._merge_limit(len(present)):
            self._rebuild(store, version)
            return
        self._write(store.get(sorted(new)), gone)
        self._save_state(version)

    # -- writes ----------------------------------------------------------------------------------------
    def update(self, store: DispatchStore, added: list[StoredChunk], deleted: Iterable[str]) -> None:
        """After our own store write (`store.last_write`): journal what it added and deleted. If the index was
        in step just before that write, it is in step after it; else the next search catches up."""
        before, after = store.last_write or ("", store.current_version())
        with self._lock, self._file_lock():
            if self.stamp is None and self._load(store):
                return  # built from the store just now: it has this write
            self._reload()
            in_step = self.stamp == before
            self._write(added, set(deleted))
            if in_step:
                self._save_state(after)
            large = len(self.added) + len(self.deleted) > self._merge_limit(self._main_size())
        if large:
            self.merge(store)

    def _write(self, chunks: list[StoredChunk], gone: set[str]) -> None:
        ops = [{"op": "add", **_chunk_to(c)} for c in chunks] + [{"op": "del", "id": i} for i in sorted(gone)]
        if not ops:
            return
        if self.folder is None:
            self._replay(ops)
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / JOURNAL, "a", encoding="utf-8") as f:
            f.write("".join(json.dumps(op, ensure_ascii=False) + "\n" for op in ops))
        self._replay(self._read_journal())

    def _main_size(self) -> int:
        return sum(len(seg.ids) for seg in self.main.values())

    @staticmethod
    def _merge_limit(size: int) -> float:
        return max(MERGE_MIN, MERGE_SHARE * size)

    # -- main builds -----------------------------------------------------------------------------------
    def merge(self, store: DispatchStore, wait: bool = False) -> None:
        """Build a new main index from the store and swap it in (in a background thread unless `wait`);
        searches meanwhile use the current main index and the delta."""
        with self._lock:
            if self._merging is None or not self._merging.is_alive():
                self._merging = threading.Thread(target=self._merge, args=(store,), name="bm25-merge", daemon=True)
                self._merging.start()
            thread = self._merging
        if wait:
            thread.join()

    def _merge(self, store: DispatchStore) -> None:
        with self._file_lock("merge", wait=False) as mine:
            if mine:  # else another process is merging this folder: its new main index will be picked up
                self._merge_now(store)

    def _merge_now(self, store: DispatchStore) -> None:
        try:
            with self._file_lock():
                offset = self._journal_size()
                began_on = (self._read_state() or {}).get("main", self.main_name)
            # Every chunk journaled before `offset` was in the store before this read began.
            segments = build_segments(store.iter_chunks())
            in_main = {str(i) for seg in segments.values() for i in seg.ids}
            with self._lock, self._file_lock():
                if (self._read_state() or {}).get("main", self.main_name) != began_on:
                    return  # rebuilt meanwhile (a repair): the journal offset means nothing any more
                later = [op for op in self._read_journal(offset, advance=False)
                         if op["op"] == "del" or op["id"] not in in_main]
                name = self._save_main(segments)
                if self.folder is not None:
                    _replace_text(self.folder / JOURNAL, "".join(json.dumps(op, ensure_ascii=False) + "\n"
                                                                 for op in later))
                self._swap(segments, name)
                self._replay(later)
                self._journal_pos = self._journal_size()
                self._save_state((self._read_state() or {}).get("stamp") or self.stamp or "", name)
        except Exception as exc:  # noqa: BLE001 - a failed merge leaves the journal and the old main in use
            log.warning("BM25 index merge failed (the current index stays in use): %s", exc)

    def settle(self) -> None:
        """Wait for a background merge to finish (tests, benchmarks, shutdown)."""
        thread = self._merging
        if thread is not None:
            thread.join()

    def rebuild(self, store: DispatchStore) -> None:
        """A new main index from every chunk in the store, now (bulk loads, repairs)."""
        with self._lock, self._file_lock():
            self._rebuild(store, store.current_version())

    def _rebuild(self, store: DispatchStore, version: str) -> None:
        segments = build_segments(store.iter_chunks())
        name = self._save_main(segments)
        if self.folder is not None:
            _replace_text(self.folder / JOURNAL, "")
        self._swap(segments, name)
        self._journal_pos = 0
        self._save_state(version, name)
        self.loaded_from_disk = False

    def _swap(self, segments: dict[str, Segment], name: str | None) -> None:
        self.rebuilds += 1
        self.main, self.main_name = segments, name
        self.added, self.deleted, self.delta, self._dead, self._delta_stale = {}, set(), {}, None, False

    def _save_main(self, segments: dict[str, Segment]) -> str | None:
        if self.folder is None:
            return None
        name = f"main-{uuid.uuid4().hex[:8]}"
        for lang, seg in segments.items():
            seg.save(self.folder / name / lang)
        return name

    # -- search ----------------------------------------------------------------------------------------
    def search(self, store: DispatchStore, query: str, n: int, filters: Filters) -> list[tuple[str, float]]:
        """Ids of the best chunks for `query` with their BM25 scores, best first."""
        if not re.search(r"\w\w", query):
            return []
        self.ensure(store)
        # the other language's passages are searched with the question's words as that language says them too
        asked = detect_language(query)
        translated = f"{query} {' '.join(dict.fromkeys(a for alts in translations(query).values() for a in alts))}"
        with self._lock:
            hits: list[tuple[str, float]] = []
            for lang, seg in self.main.items():
                if not filters.lang or lang in filters.lang:
                    hits += _search_one(seg, query if lang == asked else translated, lang, n,
                                        seg.mask(filters, (self._dead or {}).get(lang)))
            for lang, seg in self.delta.items():
                if not filters.lang or lang in filters.lang:
                    hits += _search_one(seg, query if lang == asked else translated, lang, n, seg.mask(filters, None))
        best: dict[str, float] = {}
        for i, score in sorted(hits, key=lambda h: -h[1]):  # a chunk written again is in main and delta
            best.setdefault(i, score)
        return list(best.items())[:n]

    # -- files -----------------------------------------------------------------------------------------
    def _folder(self) -> Path:
        return self.folder or Path(".")

    def _read_state(self) -> dict | None:
        if self.folder is None:
            return None
        try:
            return json.loads((self.folder / "state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _save_state(self, stamp: str, main: str | None = None) -> None:
        self.stamp = stamp
        if self.folder is None:
            return
        state = self._read_state() or {}
        old = state.get("main")
        state.update({"schema": SCHEMA, "stamp": stamp})
        if main:
            state.update({"main": main, "langs": sorted(self.main)})
        _replace_text(self.folder / "state.json", json.dumps(state))
        if main and old and old != main:  # processes still reading it keep their memory maps
            shutil.rmtree(self.folder / old, ignore_errors=True)

    def _journal_size(self) -> int:
        try:
            return (self._folder() / JOURNAL).stat().st_size
        except OSError:
            return 0

    def _read_journal(self, start: int | None = None, advance: bool = True) -> list[dict]:
        """The whole lines of the journal from byte `start` (default: what is not replayed yet)."""
        if self.folder is None:
            return []
        pos = self._journal_pos if start is None else start
        if start is None and self._journal_size() < pos:  # emptied by a rebuild elsewhere: start again
            pos = 0
            self.added, self.deleted, self._dead, self._delta_stale = {}, set(), None, True
        try:
            with open(self.folder / JOURNAL, "rb") as f:
                f.seek(pos)
                data = f.read()
        except OSError:
            return []
        whole = data[:data.rfind(b"\n") + 1]
        if advance:
            self._journal_pos = pos + len(whole)
        ops = []
        for line in whole.decode("utf-8").splitlines():
            try:
                ops.append(json.loads(line))
            except ValueError:  # a line cut by a crash: the id diff at the next sync repairs it
                continue
        return ops

    @contextmanager
    def _file_lock(self, name: str = "lock", wait: bool = True) -> Iterator[bool]:
        """An exclusive lock shared with other processes; with `wait` False, yields False when it is taken."""
        if self.folder is None:
            yield True
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / name, "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _search_one(seg: Segment, query: str, lang: str, n: int, mask: np.ndarray | None) -> list[tuple[str, float]]:
    if mask is not None and not mask.any():
        return []
    known = getattr(seg.model, "vocab_dict", {})
    words = [w for w in _words(_tokenize([query], lang)) if w in known]
    if not words:
        return []
    docs, scores = seg.model.retrieve([words], k=min(n, len(seg.ids)), show_progress=False, weight_mask=mask)
    return [(str(seg.ids[int(d)]), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]


def _replace_text(path: Path, text: str) -> None:
    """Write a file whole or not at all (readers in other processes never see half of it)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _words(tokens) -> list[str]:
    """The string tokens of a one-text bm25s Tokenized."""
    inverse = {i: w for w, i in tokens.vocab.items()}
    return [inverse[i] for i in tokens.ids[0] if inverse.get(i)]


def _chunk_to(c: StoredChunk) -> dict:
    return {"id": c.id, "text": c.text, "lang": c.meta.lang, "date": c.meta.date, "source": c.meta.source,
            "dispatch": c.meta.dispatch_id}


def _chunk_from(op: dict) -> StoredChunk:
    return StoredChunk(op["id"], op["text"], ChunkMeta(dispatch_id=op["dispatch"], lang=op["lang"], date=op["date"],
                                                       source=op["source"]))
