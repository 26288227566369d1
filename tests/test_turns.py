"""Whose turn it is with the model: arrival order, how many are ahead, busy past the bound, a stop while
waiting; and the same through a real assistant answering with the packaged model."""
from __future__ import annotations

import threading
import time

import pytest

from rag.answer.turns import Turns
from rag.errors import Busy


def _hold(turns: Turns, slots: int, heard: list, release: threading.Event, entered: list, name: str,
          cancel: threading.Event | None = None) -> threading.Thread:
    def run() -> None:
        with turns.take(slots, heard.append, cancel or threading.Event()) as ready:
            entered.append((name, ready))
            if ready:
                release.wait(10)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_questions_take_their_turn_in_arrival_order_each_told_how_many_are_ahead():
    turns, entered = Turns(max_waiting=4), []
    release = {name: threading.Event() for name in "abc"}
    first, second, third = [], [], []
    a = _hold(turns, 1, first, release["a"], entered, "a")
    _until(lambda: entered)
    b = _hold(turns, 1, second, release["b"], entered, "b")
    _until(lambda: turns.waiting() == 1)
    c = _hold(turns, 1, third, release["c"], entered, "c")
    _until(lambda: turns.waiting() == 2)
    assert first == [] and second == [1] and third == [2]
    release["a"].set()
    _until(lambda: len(entered) == 2)
    _until(lambda: third == [2, 1])  # told again when the first answer was done
    release["b"].set()
    release["c"].set()
    for t in (a, b, c):
        t.join(5)
    assert entered == [("a", True), ("b", True), ("c", True)]


def test_past_the_bound_a_question_is_told_the_service_is_busy():
    turns, release, entered = Turns(max_waiting=1), threading.Event(), []
    _hold(turns, 1, [], release, entered, "a")
    _until(lambda: entered)
    _hold(turns, 1, [], release, entered, "b")
    _until(lambda: turns.waiting() == 1)
    with pytest.raises(Busy) as busy, turns.take(1, lambda n: None, threading.Event()):
        pass
    assert busy.value.waiting == 1 and "Try again in a moment" in str(busy.value)
    release.set()


def test_a_question_stopped_while_it_waits_never_gets_the_model_and_frees_its_place():
    turns, release, entered, cancel = Turns(max_waiting=2), threading.Event(), [], threading.Event()
    _hold(turns, 1, [], release, entered, "a")
    _until(lambda: entered)
    b = _hold(turns, 1, [], release, entered, "b", cancel)
    _until(lambda: turns.waiting() == 1)
    cancel.set()
    b.join(5)
    assert entered == [("a", True), ("b", False)] and turns.waiting() == 0
    release.set()


def test_two_slots_let_two_answers_run_and_no_slot_limit_lets_every_one_run():
    turns, release, entered = Turns(max_waiting=0), threading.Event(), []
    for name in "ab":
        _hold(turns, 2, [], release, entered, name)
    _until(lambda: len(entered) == 2)
    with pytest.raises(Busy), turns.take(2, lambda n: None, threading.Event()):
        pass
    with turns.take(0, lambda n: None, threading.Event()) as ready:  # Ollama: it queues on its own side
        assert ready
    release.set()


def test_a_real_assistant_tells_the_second_question_it_waits_then_answers_it(qa):
    """The packaged model (one slot): while the first answer holds it, the second hears ("queued", 1), and is
    answered once the first is done; with no room to wait, a third is told the service is busy."""
    from rag.answer.answerer import Answerer, AnswerStream
    settings = qa.settings.replace(max_waiting=1)
    answerer = Answerer(settings, qa.retriever, qa.embedder, qa._get_llm)
    question = "Combien de drones ont été abattus au-dessus de Briansk ?"
    first = AnswerStream(answerer.run(question, stream=True))
    pieces = iter(first)
    heard: list = []
    second = AnswerStream(answerer.run(question, stream=True, on_status=lambda step, n=0: heard.append((step, n))))
    done: list = []
    waiter = threading.Thread(target=lambda: done.append(list(second)), daemon=True)
    next(pieces, None)  # the first answer holds the model
    waiter.start()
    _until(lambda: ("queued", 1) in heard, timeout=30)
    with pytest.raises(Busy):
        list(AnswerStream(answerer.run(question, stream=True)))
    list(pieces)
    waiter.join(120)
    assert heard[0] == ("queued", 1) and ("writing", 0) in heard
    assert first.answer is not None and second.answer is not None and not second.answer.stopped
    assert second.answer.text == first.answer.text
