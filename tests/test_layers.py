"""Imports inside rag/ point one way, along the data flow; the apps (CLI, UI, eval, bench) use the public API."""
import ast
from pathlib import Path

RAG = Path(__file__).resolve().parent.parent / "rag"

# The checks: one contract (base), a module per concern, the suite running them; the package registers them.
CHECKS = ["answer.checks.base", "answer.checks.claims", "answer.checks.figures", "answer.checks.names",
          "answer.checks.support", "answer.checks.counts", "answer.checks.kind", "answer.checks.language",
          "answer.checks.gate", "answer.checks.grounded", "answer.checks.suite", "answer.checks"]
# What the checks may read: values and language knowledge, never retrieval, the store or a model.
# The calibrated decision weighs the checks' values (coefficients, no model): the suite applies it.
CHECKS_MAY_USE = {"errors", "settings", "language", "reading", "filters", "values", "answer.query", "answer.checks",
                  "answer.decision"}
# The layers, bottom first; a module may import only modules listed before it (in its own layer or below).
LAYERS = {
    "config": ["errors", "settings"],
    # what a language says and how: words, sentences, figures, names, dates (data in rag/language/data)
    "language": ["language", "language.words", "language.sentences", "language.numbers", "language.names",
                 "language.detect", "language.dates", "language.timeframe"],
    # a text read once: the figures it states, the quotes it holds; search filters
    "reading": ["filters", "reading.quotes", "reading.figures", "reading.reading", "values"],
    "ingest": ["ingest.markup", "ingest.item", "ingest.wire", "ingest.ninjs", "ingest.newsml", "ingest.feeds",
               "ingest.dateline", "ingest.dispatch", "ingest.chunking"],
    "index": ["indexing.embedding", "indexing.store", "indexing.lexical"],
    "retrieve": ["retrieval"],
    "llm": ["llm.models", "llm.usage", "llm.backends"],
    # question -> evidence -> prompt -> checked sentences -> Answer
    "answer": ["answer.query", "answer.decision", *CHECKS, "answer.evidence", "answer.prompting", "answer.verifier",
               "answer.context", "answer.reasons", "answer.examples", "answer.followup", "answer.versions",
               "answer.citations", "answer.notes", "answer.extractive", "answer.writer", "answer.turns",
               "answer.answerer"],
    "api": ["assistant", "__init__"],
    # LlamaIndex components over the API (retriever, gate postprocessors, query engine, LLM adapters)
    "integrations": ["llama_index"],
}
ORDER = [m for layer in LAYERS.values() for m in layer]
# The apps may import the public API (the package itself) and these helpers, and one another.
APPS = ["apps.cli", "apps.ui", "apps.ui_html", "apps.evaluation", "apps.runlog", "apps.workers", "apps.labelled",
        "apps.calibrate", "apps.feedback",
        "apps.bench", "apps.docs", "apps.watch", "__main__"]
APP_MAY_USE = {"__init__", "llama_index", "errors", "settings", "language.words", "language.sentences",
               "language.numbers", "language.detect", "language.dates"}
PACKAGES = {"language", "reading", "ingest", "indexing", "llm", "answer", "answer.checks", "apps"}


def module_name(path: Path) -> str:
    rel = path.relative_to(RAG).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" and len(rel.parts) > 1 else rel.parts
    return ".".join(parts)


def _resolve(dotted: str) -> str:
    """A module imported by dotted name, as listed in LAYERS ('rag.language.words' -> 'language.words')."""
    return dotted or "__init__"


def imports_of(path: Path, here: str = "") -> set[str]:
    """rag modules imported by a file (module `here`, by default its place under rag/), at any depth
    (function-local imports included)."""
    here = here or module_name(path)
    package = here if (path.name == "__init__.py") else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".") if package else []
            base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
            target = ".".join([*base, *([node.module] if node.module else [])])
            if node.module:
                found.add(_resolve(target))
            else:  # from . import models / from . import Answer
                found |= {_resolve(f"{target}.{a.name}".strip(".")) if _exists(f"{target}.{a.name}".strip("."))
                          else _resolve(target) for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "rag":
            target = node.module[4:]
            if target in PACKAGES or not target:  # from rag.llm import models / from rag import Assistant
                found |= {f"{target}.{a.name}".strip(".") if _exists(f"{target}.{a.name}".strip("."))
                          else _resolve(target) for a in node.names}
            else:
                found.add(target)
        elif isinstance(node, ast.Import):
            found |= {a.name[4:] for a in node.names if a.name.startswith("rag.")}
    return found


def _exists(dotted: str) -> bool:
    return (RAG / f"{dotted.replace('.', '/')}.py").exists()


def test_every_module_has_a_place():
    modules = {module_name(p) for p in RAG.rglob("*.py")} - (PACKAGES - {"language", "answer.checks"})
    assert modules == set(ORDER) | set(APPS), "place new modules in LAYERS or APPS"


def test_imports_follow_the_data_flow():
    wrong = []
    for name in ORDER:
        allowed = set(ORDER[:ORDER.index(name)])
        path = RAG / f"{name.replace('.', '/')}.py" if _exists(name) else RAG / name.replace(".", "/") / "__init__.py"
        wrong += [f"{name} -> {m}" for m in sorted(imports_of(path) - allowed)]
    assert not wrong, "imports against the data flow: " + ", ".join(wrong)


def test_checks_depend_on_values_and_language_only():
    wrong = []
    for name in CHECKS:
        path = RAG / f"{name.replace('.', '/')}.py" if _exists(name) else RAG / name.replace(".", "/") / "__init__.py"
        wrong += [f"{name} -> {m}" for m in sorted(imports_of(path))
                  if not any(m == ok or m.startswith(f"{ok}.") for ok in CHECKS_MAY_USE)]
    assert not wrong, "checks may read values and language only: " + ", ".join(wrong)


def test_apps_use_only_the_public_api():
    wrong = []
    for name in APPS:
        wrong += [f"{name} -> {m}" for m in sorted(imports_of(RAG / f"{name.replace('.', '/')}.py")
                                                   - APP_MAY_USE - set(APPS))]
    assert not wrong, "apps must use the public API (rag/__init__.py): " + ", ".join(wrong)


def test_the_checker_sees_a_wrong_arrow(tmp_path):
    """The checker itself: a function-local import against the flow is found, relative or absolute."""
    bad = tmp_path / "probe.py"
    bad.write_text("def f():\n    from rag.answer.answerer import Answer\n    from rag.llm import backends\n"
                   "    import rag.indexing.store\nfrom . import words\nfrom .names import entities\n"
                   "from rag import Settings\n")
    assert imports_of(bad, "language.probe") == {"answer.answerer", "llm.backends", "indexing.store",
                                                 "language.words", "language.names", "__init__"}
