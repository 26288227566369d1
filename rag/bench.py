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
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "eval" / "corpus"
QUESTIONS = PROJECT_ROOT / "eval" / "questions" / "dispatches.jsonl"


def _pcts(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"p50 {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms"


def _timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def bench_ingest(settings: Settings, repeats: int = 3) -> dict[str, float]:
    """Whole pipeline (parse, chunk, embed, store; empty cache) versus the bare embedder on the same chunks."""
    from .assistant import Assistant
    from .chunking import chunk_dispatch
    from .dispatch import iter_files, read_file

    chunks = [c for f in iter_files([CORPUS]) for d in read_file(f, 10**7)
              for c in chunk_dispatch(d, settings.chunk_tokens)]
    texts = [c.embed_text() for c in chunks]
    pipeline, bare = [], []
    for _ in range(repeats):
        tmp = Path(tempfile.mkdtemp(prefix="dqa-bench-"))
        try:
            qa = Assistant(settings.replace(index_dir=str(tmp), chroma_host=""))
            pipeline.append(_timed(lambda: qa.ingest([CORPUS], progress=False)))
            bare.append(_timed(lambda: qa.embedder.embed_passages(texts, use_cache=False)))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    p, b = statistics.median(pipeline), statistics.median(bare)
    print(f"[ingest] {len(chunks)} chunks from {CORPUS.name}/, {settings.embedder}, median of {repeats}")
    print(f"  whole pipeline {p:6.2f} s  ({len(chunks) / p:5.1f} chunks/s)")
    print(f"  bare embedder  {b:6.2f} s  ({len(chunks) / b:5.1f} chunks/s)   pipeline/bare = {p / b:.2f}")
    return {"chunks": len(chunks), "pipeline_s": p, "bare_s": b, "ratio": p / b}


def _synthetic(n: int, dim: int, vocab: list[str], seed: int = 0):
    """n fake chunks: random unit vectors (embedding 100k real chunks takes an hour here) and
    word salads from the corpus vocabulary, so BM25 has realistic term statistics."""
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    for start in range(0, n, 5000):
        m = min(5000, n - start)
        vecs = rng.standard_normal((m, dim)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        ids = [f"syn-{start + i}" for i in range(m)]
        texts = [" ".join(pick.choices(vocab, k=60)) for _ in range(m)]
        metas = [{"dispatch_id": f"syn-{(start + i) // 8}", "start": 0, "end": len(t), "paragraph": 0, "section": "",
                  "is_caption": False, "title": "", "date": f"2025-{1 + (start + i) % 12:02d}",
                  "date_min": 20250101 + ((start + i) % 12) * 100, "date_max": 20250128 + ((start + i) % 12) * 100,
                  "lang": "fr" if i % 2 else "en", "source": "synthetic", "path": "", "doc_hash": "syn"}
                 for i, t in zip(range(m), texts)]
        yield ids, vecs, texts, metas


def bench_retrieval(settings: Settings, sizes: list[int], n_queries: int = 50, k: int = 8) -> list[dict]:
    """Hybrid retrieval (dense + BM25 + RRF + dedup) versus a bare Chroma query, on synthetic indexes."""
    from .assistant import Assistant
    from .text import words

    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line]
    vocab = sorted({w for f in CORPUS.iterdir() for w in words(f.read_text(encoding="utf-8")) if len(w) > 2})
    rows = []
    for size in sizes:
        tmp = Path(tempfile.mkdtemp(prefix="dqa-bench-"))
        try:
            qa = Assistant(settings.replace(index_dir=str(tmp), chroma_host=""))
            dim = len(qa.embedder.embed_query("probe"))
            t = time.perf_counter()
            for ids, vecs, texts, metas in _synthetic(size, dim, vocab):
                qa.store.upsert(ids, vecs, texts, metas)
            insert_s = time.perf_counter() - t
            qs = (questions * (n_queries // len(questions) + 1))[:n_queries]
            qvecs = [qa.embedder.embed_query(q) for q in qs]
            build_s = _timed(lambda: qa.retriever.retrieve(qs[0], k=k))  # first call builds BM25 in memory
            chroma = [_timed(lambda v=v: qa.store.query(v, k, None)) for v in qvecs]
            embed = [_timed(lambda q=q: qa.embedder.embed_query(q)) for q in qs]
            hybrid = [_timed(lambda q=q: qa.retriever.retrieve(q, k=k)) for q in qs]
            print(f"[retrieval] {size:,} synthetic chunks (insert {insert_s:.0f} s, BM25 build {build_s:.1f} s), "
                  f"{n_queries} queries, k={k}")
            print(f"  bare Chroma query          {_pcts(chroma)}")
            print(f"  query embedding            {_pcts(embed)}")
            print(f"  hybrid retrieve (all in)   {_pcts(hybrid)}")
            rows.append({"size": size, "insert_s": insert_s, "bm25_build_s": build_s,
                         "chroma_p50_ms": 1000 * statistics.median(chroma),
                         "hybrid_p50_ms": 1000 * statistics.median(hybrid)})
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows


def bench_generation(settings: Settings, runs: int = 5) -> dict[str, float]:
    """Time to first token and tokens/s of the answering step, with real retrieved passages."""
    from .assistant import Assistant
    from .llm import EmbeddedLLM

    tmp = Path(tempfile.mkdtemp(prefix="dqa-bench-"))
    try:
        qa = Assistant(settings.replace(index_dir=str(tmp), chroma_host=""))
        qa.ingest([CORPUS], progress=False)
        llm = EmbeddedLLM(settings)
        question = "Combien de drones ont été abattus au-dessus de Briansk ?"
        passages = qa.answerer.select(qa.retrieve(question), question)
        messages = qa.answerer.messages(question, passages, "fr")
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
        print(f"[generation] {llm.describe()}, prompt with {len(passages)} passages, {runs} runs")
        print(f"  time to first token  {_pcts(ttft)}")
        print(f"  tokens/s (streamed pieces after the first)  median {statistics.median(rates):.1f}")
        return {"ttft_p50_s": statistics.median(ttft), "tokens_per_s": statistics.median(rates)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
