"""Questions of an evaluation answered side by side: worker processes, each with its own assistant over the
same index and its own model, so both cores of a small machine work (llama.cpp decoding one sequence leaves
a core idle while the other waits on memory; two processes of one thread each keep both busy). A conversation
is one task: its follow-ups need its earlier answers."""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Callable
from typing import Any

_qa: Any = None  # the worker's assistant, opened once per process


def _open(settings: Any) -> None:
    global _qa
    from rag import Assistant
    _qa = Assistant(settings)


def _answer(chain: list, k: int, generate: bool, answered: dict[str, tuple[str, str]]) -> list:
    from rag.apps.evaluation import answer_chain
    return answer_chain(_qa, chain, k, generate, answered)


def worker_settings(settings: Any, workers: int) -> Any:
    """Each worker's share of the cores, where the settings leave threads to us (0): `workers` processes of
    all the cores each would fight over them at every step."""
    share = max(1, (os.cpu_count() or 1) // workers)
    changes = {name: share for name in ("embedded_threads", "embed_threads") if not getattr(settings, name)}
    return settings.replace(**changes) if changes else settings


def answer_in_parallel(settings: Any, workers: int, k: int, generate: bool, chains: list[list],
                       answered: dict[str, tuple[str, str]], keep: Callable[[Any], None]) -> None:
    """Answer `chains` (conversations) in `workers` processes; `keep` gets each result as its conversation
    ends, in the order they end. `answered`: earlier answers of a resumed run, by question id."""
    context = multiprocessing.get_context("spawn")  # a fork would copy the parent's threads and open store
    with cf.ProcessPoolExecutor(workers, mp_context=context, initializer=_open,
                                initargs=(worker_settings(settings, workers),)) as pool:
        futures = [pool.submit(_answer, chain, k, generate, {q.id: answered[q.id] for q in chain if q.id in answered})
                   for chain in chains]
        for future in cf.as_completed(futures):
            for result in future.result():
                keep(result)
