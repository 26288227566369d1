"""Whose turn it is with the model: at most `slots` answers are written at once, the others wait in arrival
order, each told how many questions are ahead of it, and past `max_waiting` a question is told the service
is busy instead of waiting without end.

One whole answer is one turn (its re-readings and second try included): with one slot, the first question
asked is answered first, instead of every answer's model calls taking turns and all of them finishing late.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rag.errors import Busy

WAIT_TICK_S = 0.2  # how often a waiting question looks whether it was stopped


class Turns:
    def __init__(self, max_waiting: int) -> None:
        self.max_waiting = max_waiting
        self._cond = threading.Condition()
        self._running = 0
        self._waiting: list[object] = []  # arrival order

    @contextmanager
    def take(self, slots: int, on_wait: Callable[[int], None], cancel: threading.Event) -> Iterator[bool]:
        """Hold a turn for the block; `slots` 0: no limit here (Ollama queues on its side). Yields False when
        `cancel` was set while waiting (the block must not use the model); raises Busy when the queue is full.
        `on_wait(n)` hears the number of questions ahead each time it changes."""
        if slots <= 0:
            yield True
            return
        if not self._wait(slots, on_wait, cancel):
            yield False
            return
        try:
            yield True
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    def _wait(self, slots: int, on_wait: Callable[[int], None], cancel: threading.Event) -> bool:
        me, told = object(), -1
        with self._cond:
            if self._running >= slots and len(self._waiting) >= self.max_waiting:
                raise Busy(f"Busy: the model is answering and the queue is full ({len(self._waiting)} of "
                           f"{self.max_waiting} places, setting max_waiting). Try again in a moment.",
                           len(self._waiting))
            self._waiting.append(me)
            try:
                while not (self._running < slots and self._waiting[0] is me):
                    # (at least one: a question woken before the one ahead of it has taken its turn waits too)
                    ahead = max(1, self._waiting.index(me) + self._running - slots + 1)
                    if ahead != told:
                        told = ahead
                        on_wait(ahead)
                    if cancel.is_set():
                        return False
                    self._cond.wait(WAIT_TICK_S)
                self._running += 1
                return True
            finally:
                self._waiting.remove(me)
                self._cond.notify_all()

    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)
