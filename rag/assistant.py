"""The public API: Assistant.open(...).ingest / ask / stream / delete / stats."""
from __future__ import annotations

import hashlib
import logging
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from rag.answer.answerer import Answer, Answerer, AnswerStream, Status
from rag.answer.evidence import Rejected
from rag.answer.followup import History
from rag.answer.query import analyze
from rag.errors import BadDispatch, BadQuestion, ConfigError, EmptyIndex, StoreError
from rag.filters import Filters
from rag.indexing.embedding import Embedder, EmbeddingCache, EmbedPool, make_embedding
from rag.indexing.store import DispatchStore, StoredChunk, describe
from rag.ingest.chunking import chunk_dispatch
from rag.ingest.dispatch import Dispatch, iter_files, read_file
from rag.ingest.item import iso_time
from rag.language.dates import parse_period
from rag.llm import models
from rag.llm.backends import LLM, FallbackLLM, ReplayLLM, auto_threads, select_llm
from rag.retrieval import Retriever, embargo_holds
from rag.settings import Settings
from rag.values import AnswerSentence, Chunk, Passage

log = logging.getLogger("rag")
EMBED_WINDOW = 256  # chunks embedded together before they are written
# Disk one passage takes, with room: 6.9 GB held a million (Chroma's row and HNSW entry, the embedding cache,
# BM25; docs/performance.md), doubled
CHUNK_BYTES = 14_000
Progress = Callable[[float, str], None]


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (path, what was wrong but did not stop it)
    withdrawn: list[str] = field(default_factory=list)  # items a kill notice (pubStatus canceled) took out
    earlier: list[str] = field(default_factory=list)  # items of which an older version arrived: kept as such
    chunks_added: int = 0
    chunks_removed: int = 0
    chunks_earlier: int = 0  # chunks of replaced versions kept, searchable as earlier versions

    def summary(self) -> str:
        killed = f", {len(self.withdrawn)} withdrawn" if self.withdrawn else ""
        older = f", {len(self.earlier)} earlier version(s) kept" if self.earlier else ""
        kept = f", {self.chunks_earlier} kept as an earlier version" if self.chunks_earlier else ""
        text = (f"{len(self.added)} added, {len(self.replaced)} replaced, {len(self.unchanged)} unchanged, "
                f"{len(self.skipped)} skipped{killed}{older}; {self.chunks_added} chunks added, "
                f"{self.chunks_removed} removed{kept}.")
        return "\n".join([text, *(f"  skipped {p}: {why}" for p, why in self.skipped),
                          *(f"  warning {p}: {what}" for p, what in self.warnings)])


def _path_list(paths: object) -> list[str | Path]:
    """ingest()'s argument as a list of paths, or a ConfigError saying what it takes."""
    items = [paths] if isinstance(paths, (str, Path)) else paths
    if not isinstance(items, (list, tuple)) or not all(isinstance(p, (str, Path)) for p in items):
        got = type(paths).__name__ if not isinstance(items, (list, tuple)) else \
            next(type(p).__name__ for p in items if not isinstance(p, (str, Path)))
        raise ConfigError(f"ingest() takes a file or folder path (str or pathlib.Path) or a list of them, not "
                          f"{got}.", setting="paths")
    if any(isinstance(p, str) and not p.strip() for p in items):  # Path("") is the current folder
        raise ConfigError("An empty path names no file or folder: give the dispatches' file or folder ('.' for "
                          "the current folder).", setting="paths")
    return list(items)


def _version_time(d: Dispatch) -> str:
    """When this version of the item was made, comparable as text (ISO 8601 in UTC); '' when unknown."""
    return _utc(d.item.version_time) if d.item else ""


def _dispatch_id(value: object) -> str:
    """A dispatch id as given to delete() or dispatch_passages(): text, never a filter (a Chroma operator such
    as {"$ne": ""} would match every dispatch)."""
    if not isinstance(value, str) or not value.strip():
        got = "empty text" if isinstance(value, str) else type(value).__name__
        raise ConfigError(f"A dispatch id is the text `list` shows in its first column (e.g. "
                          f"'2025-03-13-drones-briansk.fr'), not {got}.", setting="dispatch_id")
    return value


def _kill_time(d: Dispatch) -> str:
    """When a kill notice was made; one that gives no time was made when it arrives."""
    return _version_time(d) or datetime.now(UTC).isoformat()


def _earlier(d: Dispatch) -> bool:
    """An earlier version of an item (a newer one is, or is being, indexed)."""
    return bool(d.item and d.item.superseded)


def _utc(text: str) -> str:
    t = iso_time(text)
    return t.astimezone(UTC).isoformat() if t else ""


def _windows(todo: list, size: int) -> Iterator[list]:
    """Consecutive groups of dispatches holding about `size` chunks to embed."""
    group: list = []
    count = 0
    for item in todo:
        group.append(item)
        count += len(item[1])
        if count >= size:
            yield group
            group, count = [], 0
    if group:
        yield group


class Assistant:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if not settings.chroma_host and Path(settings.index_dir).exists() and not Path(settings.index_dir).is_dir():
            raise StoreError(f"{settings.index_dir} is a file, not a folder: give the index a folder of its own "
                             "(--index, DQA_INDEX_DIR).", settings.index_dir)
        spec = (settings.embedder, settings.ollama_url, settings.llm_timeout, settings.embed_threads)
        backend = make_embedding(*spec)
        cache = EmbeddingCache(Path(settings.index_dir) / "embedding-cache.sqlite")
        pool = (lambda: EmbedPool(spec, settings.embed_workers)) if settings.embed_workers > 1 else None
        self.embedder = Embedder(backend, cache, settings.embed_batch, pool)
        self._llm: LLM | None = None
        self._notice = ""  # one line: which model answers (set once the model is chosen)
        self._detail = ""  # why another model than the one configured answers, when that is the case
        self._llm_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._open_index()

    def _open_index(self) -> None:
        """The store and what reads it: opened at start, and again by an ingest whose index folder is gone."""
        dim = len(self.embedder.embed_query("dimension probe"))
        self.store = DispatchStore(self.settings, self.embedder.name, dim)
        self.retriever = Retriever(self.store, self.embedder, self.settings)
        self.answerer = Answerer(self.settings, self.retriever, self.embedder, self._get_llm, self._answer_slots)

    def index_gone(self) -> bool:
        """The on-disk index folder was deleted under this process (a server's store cannot be)."""
        return not self.settings.chroma_host and not Path(self.settings.index_dir).is_dir()

    @classmethod
    def open(cls, index_dir: str | Path | None = None, settings: Settings | None = None, **overrides: Any) -> Assistant:
        """Open (or create) the index; `index_dir` and keyword overrides win over env and config file."""
        settings = settings or Settings.load()
        if index_dir is not None:
            overrides["index_dir"] = str(index_dir)
        return cls(settings.replace(**overrides) if overrides else settings)

    # -- LLM ---------------------------------------------------------------------------------
    def _get_llm(self) -> LLM:
        with self._llm_lock:
            if self._llm is None:
                if self.settings.generation_cache:
                    self._llm = self._replay()
                else:
                    self._llm, self._notice, self._detail = select_llm(self.settings)
                log.info(self._detail or self._notice)
            return self._llm

    def _answer_slots(self) -> int:
        """Answers written at once: the model's own figure once it is loaded; before, as the embedded model's
        (a refusal before the model is asked must not load it to learn it)."""
        llm = self._llm
        return self.settings.embedded_slots if llm is None else getattr(llm, "slots", 0)

    def _replay(self) -> LLM:
        """The model behind a generation cache: chosen (and loaded) only when a request is not in the file."""
        s = self.settings

        def load() -> LLM:
            llm, self._notice, self._detail = select_llm(s)
            return llm
        model = f"{s.llm_backend}:{s.embedded_model_path or s.embedded_model}:{s.ollama_model}"
        rereads = s.llm_backend == "ollama" or models.rereads(s.embedded_model_path
                                                               or models.chosen_file(s.embedded_model))
        replay = ReplayLLM(s.generation_cache, model, load, rereads)
        self._notice = f"Model: {replay.describe()}."
        return replay

    @property
    def llm_notice(self) -> str:
        """One line: which model answers now (the embedded one, once Ollama stopped answering)."""
        fallback = self._taken_over()
        return fallback.status() if fallback else self._notice

    @property
    def llm_detail(self) -> str:
        """Why another model than the one configured answers, when that is the case."""
        fallback = self._taken_over()
        return fallback.notice if fallback else self._detail

    def _taken_over(self) -> FallbackLLM | None:
        llm = self._llm._inner if isinstance(self._llm, ReplayLLM) else self._llm
        return llm if isinstance(llm, FallbackLLM) and llm.switched else None

    @property
    def llm(self) -> LLM:
        """The model that answers (chosen, and loaded, on first use)."""
        return self._get_llm()

    @property
    def llm_loaded(self) -> bool:
        return self._llm is not None

    # -- ingest / delete ---------------------------------------------------------------------
    def ingest(self, paths: Sequence[str | Path] | str | Path, progress: bool | Progress = True,
               within: Sequence[str | Path] | None = None) -> IngestReport:
        """Index files or folders. Idempotent: unchanged dispatches add nothing, changed ones replace theirs.
        With `within`, only files whose real path is under those folders are read (symlinks out are skipped)."""
        paths = _path_list(paths)
        roots = [Path(r).resolve() for r in within] if within is not None else None
        report = IngestReport()
        if self.index_gone():  # deleted under us: this ingest builds a new index in its place
            with self._write_lock:
                self._open_index()  # (before the cache makes the folder: the store opens a gone folder afresh)
                self.embedder.cache = EmbeddingCache(Path(self.settings.index_dir) / "embedding-cache.sqlite")
            report.warnings.append((self.settings.index_dir, "the index folder was gone; a new index was built "
                                                             "there from this ingest."))
        dispatches, newer = self._current(self._parse(iter_files(paths, report.skipped, roots), report,
                                                      progress is True), report)
        todo: list[tuple[Dispatch, list[Chunk], set[str]]] = []
        chunked = self._chunked(dispatches, report)
        # what the store already has, asked once for all files (not twice per dispatch)
        present = self.store.existing_ids([c.id for _, chunks in chunked for c in chunks])
        versions = self.store.dispatch_hashes([d.id for d, _ in chunked])
        for d, chunks in chunked:
            missing = [c for c in chunks if c.id not in present]
            # an earlier version is added beside the current one, which it leaves as it is
            stale = set() if _earlier(d) else versions.get(d.id, set()) - {d.content_hash}
            if not missing and not stale:
                report.unchanged.append(d.id)
            else:
                todo.append((d, missing, stale))
        total = sum(len(c) for _, c, _ in todo)
        self._check_room(total)
        bar = tqdm(total=total, desc="Embedding chunks", unit="chunk", disable=progress is not True or total == 0)
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            bar.update(n)
            if callable(progress):
                progress(done / max(total, 1), f"Embedding chunks {done}/{total}")

        with self._write_lock:
            for group in _windows(todo, EMBED_WINDOW):
                # Short dispatches are embedded together: one model call per batch, not per dispatch.
                added = [c for _, missing, _ in group for c in missing]
                if added:  # one store write and one journal write per window
                    vecs = self.embedder.embed_passages([c.embed_text() for c in added], on_batch=tick)
                    self.store.upsert([c.id for c in added], vecs, [c.text for c in added], [c.meta for c in added])
                    self.retriever.lexical.update(self.store, [StoredChunk(c.id, c.text, c.meta) for c in added], [])
                    report.chunks_added += len(added)
                for d, _, stale in group:
                    if _earlier(d):
                        report.earlier.append(d.id)
                    elif stale and d.id in newer:  # a newer version of an item: the older stays, marked earlier
                        report.chunks_earlier += self.store.supersede(d.id, d.content_hash, d.item.version_time)
                        report.replaced.append(d.id)
                    else:
                        # New versions are fully written before old ones go: an interruption loses nothing.
                        removed = self.store.delete_dispatch(d.id, keep_hash=d.content_hash) if stale else []
                        if removed:
                            self.retriever.lexical.update(self.store, [], removed)
                        report.chunks_removed += len(removed)
                        (report.replaced if stale else report.added).append(d.id)
        bar.close()
        return report

    def _check_room(self, chunks: int) -> None:
        """Refuse an ingest before it writes when the index's disk would be left with less than min_free_mb."""
        if self.settings.chroma_host or not chunks:
            return  # a server's disk is the server's
        free = shutil.disk_usage(self.settings.index_dir).free / 1e6
        need = chunks * CHUNK_BYTES / 1e6
        if free - need < self.settings.min_free_mb:
            raise StoreError(f"Only {free:,.0f} MB are free on the disk of {self.settings.index_dir}: this ingest "
                             f"needs about {need:,.0f} MB and keeps {self.settings.min_free_mb:,.0f} MB free "
                             "(min_free_mb), so the index stays readable. Free some space and run it again; "
                             "nothing was added, and questions keep working.", self.settings.index_dir)

    def _current(self, dispatches: list[Dispatch], report: IngestReport) -> tuple[list[Dispatch], set[str]]:
        """Of the versions of one item, the latest (here or already indexed) is its current text; the others
        are kept as its earlier versions (`ItemMeta.superseded`: searchable as such). A kill notice takes the item
        and all its versions out of the index. Dispatches without an item's life pass as they are. Also returns
        the items whose current version here is newer than the one indexed (the indexed one becomes earlier)."""
        groups: dict[str, list[Dispatch]] = {}
        for d in dispatches:
            groups.setdefault(d.id, []).append(d)
        gone = self.store.withdrawn()
        stored = self.store.version_times([i for i, group in groups.items() if group[0].item])
        out: list[Dispatch] = []
        newer: set[str] = set()
        for did, group in groups.items():
            group = self._after_kill(did, sorted(group, key=_version_time), gone.get(did), report)
            if not group:
                continue
            latest = group[-1]  # sorted (stable): of equal times, the last read is kept
            indexed = "" if did in report.withdrawn else stored.get(did, "")  # a kill here deleted what was
            current = latest if _version_time(latest) >= _utc(indexed) else None
            if current is not None:
                out.append(current)
                if indexed and _version_time(current) > _utc(indexed):
                    newer.add(did)
            replaced_at = indexed if current is None else current.item.version_time if current.item else ""
            for d in group:
                if d is not current and d.item and _version_time(d) and _version_time(d) < _utc(replaced_at):
                    d.item.superseded = replaced_at
                    out.append(d)
        gone = self.store.withdrawn()
        for d in out:
            if d.id in gone and not _earlier(d):  # a usable version after a kill brings the item back
                self.store.mark_withdrawn(d.id, None)
        return out, newer

    def _after_kill(self, did: str, group: list[Dispatch], mark: dict[str, str] | None,
                    report: IngestReport) -> list[Dispatch]:
        """The versions of one item (sorted by version time) that a kill notice leaves: a kill in `group`
        takes the item and all its versions out of the index; a kill, here or recorded (`mark`), stands
        against every version made before it (agencies resend, backfills re-ingest), and only a version made
        after it brings the item back."""
        kills = [d for d in group if d.item and d.item.withdrawn]
        times = [_kill_time(d) for d in kills] + ([_utc(mark.get("at", ""))] if mark else [])
        if not kills and not mark:
            return group
        killed_at = max(times)
        if kills:
            latest = kills[-1]
            was = next((r for r in self.dispatches() if r["dispatch_id"] == did), {})
            report.chunks_removed += self.delete(did)
            self.store.mark_withdrawn(did, {"title": was.get("title") or latest.title or (mark or {}).get("title", ""),
                                            "date": was.get("date", latest.date),
                                            "at": latest.item.version_time or killed_at})
            report.withdrawn.append(did)
        kept = [d for d in group if d not in kills and (not d.item or _version_time(d) > killed_at)]
        said = next((k.item.version_time for k in reversed(kills)), "") or (mark or {}).get("at", "") or killed_at
        report.skipped += [(d.path or d.id, f"an earlier version of an item a kill notice withdrew ({said}); a kill "
                            "stands until a newer version arrives.") for d in group if d not in kills and d not in kept]
        return kept

    def _chunked(self, dispatches: list[Dispatch], report: IngestReport) -> list[tuple[Dispatch, list[Chunk]]]:
        """Each dispatch with its chunks; one over settings.max_dispatch_chunks is skipped with its reason."""
        s, out = self.settings, []
        for d in dispatches:
            chunks = chunk_dispatch(d, s.chunk_tokens, s.max_chunk_chars)
            if len(chunks) > s.max_dispatch_chunks:
                report.skipped.append((d.path or d.id, f"dispatch '{d.id}' would add {len(chunks):,} passages, over "
                                       f"the {s.max_dispatch_chunks:,} one dispatch may add; split it or raise "
                                       "DQA_MAX_DISPATCH_CHUNKS."))
            else:
                out.append((d, chunks))
        return out

    def _parse(self, files: list[Path], report: IngestReport, bar: bool = True) -> list[Dispatch]:
        max_bytes = int(self.settings.max_file_mb * 1e6)
        seen: dict[str, str] = {}
        out: list[Dispatch] = []
        for f in tqdm(files, desc="Reading dispatches", unit="file", disable=not bar or len(files) < 20):
            try:
                if not f.exists():
                    raise BadDispatch(str(f), "no such file or folder.")
                read = read_file(f, max_bytes, self.settings.default_source)
                report.warnings += [(str(f), w) for w in read.warnings]
                report.warnings += [(str(f), w) for w in self._future(read.dispatches)]
                for n, d in enumerate(read.dispatches, 1):
                    if d.item is not None and d.item.uri:
                        pass  # its id is the item's identity: its versions meet (the latest is kept)
                    elif seen.get(d.id, str(f)) != str(f):  # same file name in two folders: keep both
                        d.id = f"{d.id}-{hashlib.sha1(str(f).encode()).hexdigest()[:6]}"
                    elif d.id in seen:  # two records of one file with the same id: keep both
                        report.warnings.append((str(f), f"id '{d.id}' is used twice; record {n} is kept as "
                                                        f"'{d.id}-{n}'."))
                        d.id = f"{d.id}-{n}"
                    seen[d.id] = str(f)
                    out.append(d)
            except BadDispatch as exc:
                report.skipped.append((str(f), exc.reason))
        return out

    def embargoed(self, row: dict[str, Any]) -> bool:
        """Whether a dispatch (a row of dispatches()) is under embargo now (the `now` setting's clock): stored,
        not found by any search until its embargo ends."""
        return embargo_holds(row.get("embargo") or "", self.retriever.now())

    def _future(self, dispatches: list[Dispatch]) -> list[str]:
        """A word for each dispatch dated after today (a typo, most often): it is kept with its date, which
        would make it the latest telling of its story."""
        today = self.retriever.now().date()
        return [f"'{d.id}' is dated {d.date}, after today ({today.isoformat()}); it is kept with that date (the "
                "latest telling of its story): check it, and fix the date or its header if it is a typo."
                for d in dispatches if (p := parse_period(d.date)) and p.start > today]

    def withdrawn(self) -> dict[str, dict[str, str]]:
        """Items a kill notice took out of the index: id -> {title, date, at}."""
        return self.store.withdrawn()

    def delete(self, dispatch_id: str) -> int:
        """Remove a dispatch from the index; returns how many chunks were deleted (0: no dispatch has that id)."""
        dispatch_id = _dispatch_id(dispatch_id)
        with self._write_lock:
            removed = self.store.delete_dispatch(dispatch_id)
            if removed:
                self.retriever.lexical.update(self.store, [], removed)
        return len(removed)

    # -- ask -----------------------------------------------------------------------------------
    def _check_ready(self, question: object) -> str:
        """The question as text, once it is one and the index has something to answer from."""
        if not isinstance(question, str) or not question.strip():
            raise BadQuestion(f"The question must be non-empty text, not {type(question).__name__}.")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise BadQuestion(f"The question is {len(question):,} characters long; the limit is {limit:,} "
                              "(DQA_MAX_QUESTION_CHARS). Ask about one thing at a time.")
        if self.store.count() == 0:
            raise EmptyIndex("The index is empty: ingest dispatches first (python -m rag ingest <folder>).")
        return question.strip()

    def ask(self, question: str, filters: Filters | dict | None = None, k: int | None = None,
            history: History | None = None, as_of: str | date | None = None) -> Answer:
        """A checked, cited Answer. `as_of` (YYYY-MM-DD, default today) anchors "hier", "last week"..."""
        question = self._check_ready(question)
        return self.answerer.ask(question, filters=filters, k=k, history=history, as_of=as_of)

    def stream(self, question: str, filters: Filters | dict | None = None, k: int | None = None,
               history: History | None = None, as_of: str | date | None = None,
               on_status: Status | None = None) -> AnswerStream:
        """Like ask(), sentence by sentence: iterate to get each checked sentence as soon as it passes its
        checks (nothing shown is taken back), then read `.answer`. `on_status(step, n)` hears "searching",
        ("found", n passages) and "writing"."""
        question = self._check_ready(question)
        cancelled = threading.Event()
        return AnswerStream(self.answerer.run(question, filters=filters, k=k, history=history, stream=True,
                                              as_of=as_of, on_status=on_status, cancel=cancelled), cancelled)

    def retrieve(self, question: str, filters: Filters | dict | None = None, k: int | None = None,
                 as_of: str | date | None = None) -> list[Passage]:
        """The passages an answer would draw from, after the same time and as_of narrowing."""
        query = analyze(self._check_ready(question), filters, as_of)
        return self.retriever.retrieve(query.standalone, k=k, filters=query.filters, as_of=query.as_of)

    def gate(self, question: str, filters: Filters | dict | None = None, k: int | None = None,
             as_of: str | date | None = None) -> tuple[list[Passage], list[Rejected]]:
        """The passages an answer would be written from (the evidence gate's), and the retrieved ones it left
        out with the verdicts that left them out; none kept means a refusal before the model is asked."""
        query = analyze(self._check_ready(question), filters, as_of)
        _, evidence, rejected = self.answerer.gather(query, k)
        return [e.passage for e in evidence], rejected

    def prompt(self, question: str, filters: Filters | dict | None = None, k: int | None = None,
               as_of: str | date | None = None) -> list[dict[str, str]]:
        """The chat messages the model would get for this question (empty if it would be refused)."""
        query = analyze(question, filters, as_of)
        _, evidence, _ = self.answerer.gather(query, k)
        return self.answerer.messages(query, evidence) if evidence else []

    def judge(self, sentence: str, passage: str, question: str = "", quote: bool = False) -> AnswerSentence:
        """`sentence` checked against `passage` (standing alone) by the suite answers go through: kept or
        left out, its support score and the verdicts (what `rag judge` measures); `quote`: as an extractive
        quote of the passage."""
        return self.answerer.judge(sentence, passage, question, quote)

    # -- low level, for benchmarks and tools -------------------------------------------------------
    @staticmethod
    def chunk_files(paths: Sequence[str | Path], settings: Settings) -> list[Chunk]:
        """The chunks ingest would write for these files (unreadable files left out), without writing."""
        out: list[Chunk] = []
        for f in iter_files(list(paths)):
            try:
                dispatches = read_file(f, int(settings.max_file_mb * 1e6), settings.default_source)
            except BadDispatch:
                continue
            out += [c for d in dispatches.dispatches
                    for c in chunk_dispatch(d, settings.chunk_tokens, settings.max_chunk_chars)]
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed_query(text)

    def embed_passages(self, texts: Sequence[str], use_cache: bool = True) -> np.ndarray:
        return self.embedder.embed_passages(texts, use_cache=use_cache)

    def add_chunks(self, chunks: Sequence[Chunk], vectors: np.ndarray, lexical: bool = True) -> None:
        """Write chunks with their vectors as they are (no parsing, no embedding): bulk loads, benchmarks.
        `lexical=False` leaves BM25 to one rebuild_lexical() at the end of a bulk load."""
        with self._write_lock:
            self.store.upsert([c.id for c in chunks], vectors, [c.text for c in chunks], [c.meta for c in chunks])
            if lexical:
                self.retriever.lexical.update(self.store, [StoredChunk(c.id, c.text, c.meta) for c in chunks], [])

    def rebuild_lexical(self) -> None:
        """Build the BM25 index again from every chunk in the store."""
        with self._write_lock:
            self.retriever.lexical.rebuild(self.store)

    def lexical_search(self, text: str, k: int, filters: Filters | dict | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the best lexical matches (no dense search, fusion or dedup)."""
        return self.retriever.lexical_search(text, k, Filters.coerce(filters))

    def retrieve_timed(self, question: str, k: int | None = None) -> tuple[list[Passage], dict[str, float]]:
        """retrieve() with the seconds of each stage: embed, dense, bm25, fusion (benchmarks)."""
        timings: dict[str, float] = {}
        return self.retriever.retrieve(question, k=k, timings=timings), timings

    @staticmethod
    def llm_threads(settings: Settings) -> int:
        """The llama.cpp threads the embedded model would use now (the auto value resolved)."""
        return settings.embedded_threads or auto_threads()

    def close(self) -> None:
        """Stop the embedding workers and wait for a BM25 merge in progress."""
        self.embedder.close()
        self.retriever.lexical.settle()

    def dense_search(self, vector: np.ndarray, k: int, filters: Filters | dict | None = None) -> list[Passage]:
        """A bare Chroma nearest-neighbour query (no BM25, fusion or dedup)."""
        return [Passage(c.id, c.text, c.meta, dense=cos) for c, cos in
                self.store.query(vector, k, Filters.coerce(filters))]

    def dispatch_passages(self, dispatch_id: str, chunk_id: str = "") -> list[tuple[int, int, str]]:
        """The indexed passages of one dispatch in reading order: (start, end, text), offsets in the dispatch;
        of the version `chunk_id` belongs to (an item's earlier version reads as it was), else the current one."""
        chunks = self.store.chunks_of(_dispatch_id(dispatch_id))
        version = next((c.meta.doc_hash for c in chunks if c.id == chunk_id), None)
        mine = [c for c in chunks if (c.meta.doc_hash == version if version else not c.meta.superseded)]
        return sorted((c.meta.start, c.meta.end, c.text) for c in mine)

    def example_questions(self, lang: str, n: int = 3) -> list[str]:
        """Questions the index can answer, for a first screen: a count of the newest dispatches, asked with the
        name it is stated with (prompts/examples.<lang>.txt holds one template per quantity)."""
        from rag.answer.examples import example_questions
        return list(self.store.cached(("examples", lang, n), lambda: example_questions(
            self.store.iter_chunks(), self.answerer.prompts, lang, n)))

    def follow_up_questions(self, answer: Answer, asked: Sequence[str] = (), n: int = 3,
                            lang: str = "") -> list[str]:
        """Questions to offer after `answer`, built from the dispatches it cites (their current versions), in
        `lang` (default: the answer's); none about what `asked` (the conversation's earlier questions) or the
        answer already names."""
        from rag.answer.examples import follow_ups
        order = list(dict.fromkeys(c.dispatch_id for c in answer.citations))
        if answer.refused or not order:
            return []
        dispatches = [[c for c in self.store.chunks_of(d) if not c.meta.superseded] for d in order]
        asked = [*asked, answer.question, answer.standalone_question, answer.text]
        return follow_ups(dispatches, {c.chunk_id for c in answer.citations}, self.answerer.prompts,
                          lang or answer.lang, asked, n)

    # -- status --------------------------------------------------------------------------------
    def dispatches(self) -> list[dict[str, Any]]:
        return self.store.dispatches()

    def stats(self) -> dict[str, Any]:
        rows = self.store.dispatches()
        return {"dispatches": len(rows), "chunks": sum(r["chunks"] for r in rows), "embedder": self.embedder.name,
                "store": describe(self.settings),
                "llm": self._llm.describe() if self._llm else "not loaded yet"}
