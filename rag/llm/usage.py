"""What each model call cost, and why it was made: the backends record a Call (prompt tokens read and taken from
the prompt cache, tokens generated, seconds reading and generating, as the model itself counts them) into the
list a caller opened with `recording()`; the code asking the model names its purpose with `purpose()`. The bench
reads these to say where an answer's seconds go. Both are context variables: nothing is recorded, and nothing
costs, unless someone is recording in this thread."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

# Why the model is asked (the names the bench prints).
ANSWER, SECOND_TRY, REWRITE, REREAD, YES_NO = "answer", "second try", "follow-up rewrite", "re-reading", "yes/no"


@dataclass
class Call:
    purpose: str
    prompt_tokens: int = 0  # read in this call
    cached_tokens: int = 0  # taken from the prompt cache instead
    generated: int = 0
    prompt_s: float = 0.0
    generate_s: float = 0.0
    replayed: bool = False  # answered from a generation cache: no model time


_purpose: ContextVar[str] = ContextVar("purpose", default=ANSWER)
_calls: ContextVar[list[Call] | None] = ContextVar("calls", default=None)


@contextmanager
def purpose(name: str) -> Iterator[None]:
    """Model calls made inside are recorded as made for `name`. (The value before is set back, not reset by
    token: a generator holding this may be closed from another context.)"""
    before = _purpose.get()
    _purpose.set(name)
    try:
        yield
    finally:
        _purpose.set(before)


@contextmanager
def recording() -> Iterator[list[Call]]:
    """The calls made inside (in this thread), in order."""
    calls: list[Call] = []
    token = _calls.set(calls)
    try:
        yield calls
    finally:
        _calls.reset(token)


def record(call: Call) -> None:
    calls = _calls.get()
    if calls is not None:
        call.purpose = _purpose.get()
        calls.append(call)


def from_llama_cpp(timings: dict | None) -> Call:
    """A Call from llama.cpp's `timings` (the last chunk of an answer)."""
    t = timings or {}
    return Call("", int(t.get("prompt_n", 0)), int(t.get("cache_n", 0)), int(t.get("predicted_n", 0)),
                float(t.get("prompt_ms", 0.0)) / 1000, float(t.get("predicted_ms", 0.0)) / 1000)


def from_ollama(part: object) -> Call:
    """A Call from Ollama's last chunk (its counts, its durations in nanoseconds)."""
    get = lambda name: getattr(part, name, None) or 0  # noqa: E731
    return Call("", int(get("prompt_eval_count")), 0, int(get("eval_count")), get("prompt_eval_duration") / 1e9,
                get("eval_duration") / 1e9)
