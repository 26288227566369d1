"""Speed benchmarks that print figures (they assert nothing): ingest, retrieval at scale, generation.

python -m rag bench [--sizes 10000,100000] [--queries 50] [--skip generation]
"""
from __future__ import annotations

import json
import os
import platform
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "eval" / "corpus"
QUESTIONS = PROJECT_ROOT / "eval" / "questions" / "dispatches.jsonl"


def _pcts(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"p50 {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms"


def _timed(fn: Callable[..., object], *args: Any, **kw: Any) -> float:
    t = time.perf_counter()
    fn(*args, **kw)
    return time.perf_counter() - t


@contextmanager
def _scratch(settings: Settings, **changes: Any) -> Iterator[Any]:
    """An Assistant over a temporary on-disk index, removed afterwards."""
    from . import Assistant

    tmp = Path(tempfile.mkdtemp(prefix="dqa-bench-"))
    try:
        yield Assistant(settings.replace(index_dir=str(tmp), chroma_host="", **changes))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def bench_ingest(settings: Settings, repeats: int = 3) -> dict[str, float]:
    """Whole pipeline (parse, chunk, embed, store; empty cache) versus the bare embedder on the same chunks."""
    from . import Assistant

    chunks = Assistant.chunk_files([CORPUS], settings)
    texts = [c.embed_text() for c in chunks]
    pipeline, bare = [], []
    for _ in range(repeats):
        with _scratch(settings) as qa:
            pipeline.append(_timed(qa.ingest, [CORPUS], progress=False))
            bare.append(_timed(qa.embed_passages, texts, use_cache=False))
    p, b = statistics.median(pipeline), statistics.median(bare)
    print(f"[ingest] {len(chunks)} chunks from {CORPUS.name}/, {settings.embedder}, median of {repeats}")
    print(f"  whole pipeline {p:6.2f} s  ({len(chunks) / p:5.1f} chunks/s)")
    print(f"  bare embedder  {b:6.2f} s  ({len(chunks) / b:5.1f} chunks/s)   pipeline/bare = {p / b:.2f}")
    return {"chunks": len(chunks), "pipeline_s": p, "bare_s": b, "ratio": p / b}


def _synthetic(n: int, dim: int, vocab: list[str], seed: int = 0):
    """n fake chunks: random unit vectors (embedding 100k real chunks takes an hour here) and
    word salads from the corpus vocabulary, so BM25 has realistic term statistics."""
    from . import Chunk, ChunkMeta

    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    for start in range(0, n, 5000):
        m = min(5000, n - start)
        vecs = rng.standard_normal((m, dim)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        chunks = []
        for i in range(m):
            text = " ".join(pick.choices(vocab, k=60))
            meta = ChunkMeta(dispatch_id=f"syn-{(start + i) // 8}", end=len(text),
                             date=f"2025-{1 + (start + i) % 12:02d}", lang="fr" if i % 2 else "en",
                             source="synthetic", doc_hash="syn")
            chunks.append(Chunk(f"syn-{start + i}", text, meta))
        yield chunks, vecs


def bench_retrieval(settings: Settings, sizes: list[int], n_queries: int = 50, k: int = 8) -> list[dict]:
    """Hybrid retrieval (dense + BM25 + RRF + dedup) versus a bare Chroma query, on synthetic indexes."""
    from .text import words

    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line]
    vocab = sorted({w for f in CORPUS.iterdir() for w in words(f.read_text(encoding="utf-8")) if len(w) > 2})
    rows = []
    for size in sizes:
        with _scratch(settings) as qa:
            dim = len(qa.embed_query("probe"))
            t = time.perf_counter()
            for chunks, vecs in _synthetic(size, dim, vocab):
                qa.add_chunks(chunks, vecs)
            insert_s = time.perf_counter() - t
            qs = (questions * (n_queries // len(questions) + 1))[:n_queries]
            qvecs = [qa.embed_query(q) for q in qs]
            build_s = _timed(qa.retrieve, qs[0], k=k)  # first call builds BM25 in memory
            chroma = [_timed(qa.dense_search, v, k) for v in qvecs]
            embed = [_timed(qa.embed_query, q) for q in qs]
            hybrid = [_timed(qa.retrieve, q, k=k) for q in qs]
            print(f"[retrieval] {size:,} synthetic chunks (insert {insert_s:.0f} s, BM25 build {build_s:.1f} s), "
                  f"{n_queries} queries, k={k}")
            print(f"  bare Chroma query          {_pcts(chroma)}")
            print(f"  query embedding            {_pcts(embed)}")
            print(f"  hybrid retrieve (all in)   {_pcts(hybrid)}")
            rows.append({"size": size, "insert_s": insert_s, "bm25_build_s": build_s,
                         "chroma_p50_ms": 1000 * statistics.median(chroma),
                         "hybrid_p50_ms": 1000 * statistics.median(hybrid)})
    return rows


def bench_generation(settings: Settings, runs: int = 5) -> dict[str, float]:
    """Time to first token and tokens/s of the answering step, with real retrieved passages."""
    with _scratch(settings, llm_backend="embedded") as qa:
        qa.ingest([CORPUS], progress=False)
        llm = qa.llm
        question = "Combien de drones ont été abattus au-dessus de Briansk ?"
        messages = qa.prompt(question)
        llm.generate(messages, 8, 0.0)  # load and warm up
        ttft, rates = [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            first, n = 0.0, 0
            for _tok in llm.stream(messages, settings.max_tokens, settings.temperature):
                n += 1
                first = first or time.perf_counter() - t0
            total = time.perf_counter() - t0
            ttft.append(first)
            rates.append((n - 1) / max(total - first, 1e-6))
        print(f"[generation] {llm.describe()}, {runs} runs")
        print(f"  time to first token  {_pcts(ttft)}")
        print(f"  tokens/s (streamed pieces after the first)  median {statistics.median(rates):.1f}")
        return {"ttft_p50_s": statistics.median(ttft), "tokens_per_s": statistics.median(rates)}


def run_benchmarks(sizes: list[int], queries: int = 50, skip: list[str] | None = None) -> dict:
    skip = skip or []
    settings = Settings.load()
    print(f"Machine: {machine()}")
    out: dict = {}
    if "ingest" not in skip:
        out["ingest"] = bench_ingest(settings)
    if "retrieval" not in skip:
        out["retrieval"] = bench_retrieval(settings, sizes, queries)
    if "generation" not in skip:
        out["generation"] = bench_generation(settings)
    return out
