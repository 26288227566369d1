"""Every registered check decides its own example cases (the rows docs/checks.md shows): a new check is one
class and its rows, with at least one row it lets stand and one it stops."""
import functools

import pytest

from rag.answer.checks import REGISTRY, Claim
from rag.answer.query import analyze
from rag.ingest.chunking import chunk_dispatch
from rag.ingest.dispatch import parse_text
from rag.language.detect import detect_language
from rag.reading.reading import read
from rag.values import Evidence, Passage

from conftest import suite

# a question that asks nothing in particular, for rows that give none (the sentence alone is judged)
NEUTRAL = {"fr": "Que disent les dépêches ?", "en": "What do the dispatches say?"}
CASES = [(name, n, case) for name, cls in sorted(REGISTRY.items()) for n, case in enumerate(cls.cases, 1)]


def _evidence(case: dict) -> Evidence:
    """The case's passage as ingest stores it (quotes, speakers and names read from its text), retrieved with
    the case's closeness to the question."""
    chunk = chunk_dispatch(parse_text(case["passage"], "case"), 512, 5000)[0]
    return Evidence(1, Passage(chunk.id, chunk.text, chunk.meta, dense=case.get("dense", 0.9)))


def _verdict(name: str, case: dict) -> bool:
    checks = suite(verifier=_qwen_verifier()) if "verify" in REGISTRY[name].stages else suite()
    check = checks.checks[name]
    query = analyze(case.get("question") or NEUTRAL[detect_language(case["sentence"])])
    evidence = _evidence(case)
    if check.stages[0] == "gate":
        from rag.answer.checks.gate import gate_source
        return check(None, gate_source(evidence.passage, case.get("story", "")), query).ok
    passages = checks.passages(query, [evidence])
    claim = Claim(read(case["sentence"]), (1,), {1: case.get("closeness", 0.9)}, passages)
    if name == "support":  # the score, with the other checks' effects
        score, _ = checks.support(claim, passages.sources[0], query)
        return score >= checks.min_support
    return check(claim, passages.sources[0], query).ok


@functools.cache
def _qwen_verifier():
    """The checks that ask the model do so with the packaged Qwen model (the embedded default)."""
    from rag import Settings
    from rag.answer.prompting import Prompts
    from rag.answer.verifier import Verifier
    from rag.llm.backends import EmbeddedLLM
    settings = Settings.from_dict({"embedded_model": "qwen2.5-coder-1.5b", "embedded_threads": 1})
    llm = EmbeddedLLM(settings)
    return Verifier(lambda: llm, Prompts(settings.prompts_path))


@pytest.mark.parametrize("name,n,case", CASES, ids=[f"{name}-{n}" for name, n, _ in CASES])
def test_each_check_decides_its_cases(name, n, case):
    assert _verdict(name, case) is case["ok"], case


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_each_check_has_a_row_it_lets_stand_and_one_it_stops(name):
    assert {case["ok"] for case in REGISTRY[name].cases} == {True, False}


def test_the_check_reference_is_current():
    """docs/checks.md and docs/configuration.md are generated (python -m rag docs): stale pages fail here."""
    from pathlib import Path

    from rag.apps.docs import PAGES
    docs = Path(__file__).resolve().parent.parent / "docs"
    for name, page in PAGES.items():
        assert (docs / name).read_text(encoding="utf-8") == page(), f"run `python -m rag docs` ({name} is stale)"
