"""Imports inside rag/ point one way, along the data flow; the apps (CLI, UI, eval, bench) use the public API."""
import ast
from pathlib import Path

RAG = Path(__file__).resolve().parent.parent / "rag"

# A module may import only modules listed before it. Question analysis (query and what it uses) comes
# before retrieval and the LLM; the embedder comes before the LLM module.
ORDER = ["errors", "settings", "text", "dates", "filters", "figures", "timeframe", "attribution", "query",
         "dispatch", "chunking", "embedding", "store", "lexical", "retrieval", "models", "llm", "evidence",
         "prompting", "examples", "followup", "versions", "citations", "verify", "notes", "extractive", "writer",
         "answer", "assistant", "__init__"]
# The apps may import the public API (the package itself) and these helpers, and one another.
APPS = ["cli", "ui", "ui_html", "evaluation", "bench", "__main__"]
APP_MAY_USE = {"__init__", "errors", "settings", "text", "dates"}


def imports_of(path: Path) -> set[str]:
    """rag modules imported by a file, at any depth (function-local imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 1:  # from . import models / from . import Answer
            found |= {a.name if (RAG / f"{a.name}.py").exists() else "__init__" for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "rag":
            parts = node.module.split(".")
            found.add(parts[1] if len(parts) > 1 else "__init__")
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("rag.")}
    return found


def test_every_module_has_a_place():
    modules = {p.stem for p in RAG.glob("*.py")}
    assert modules == set(ORDER) | set(APPS), "place new modules in ORDER or APPS"


def test_imports_follow_the_data_flow():
    wrong = []
    for name in ORDER:
        allowed = set(ORDER[:ORDER.index(name)])
        wrong += [f"{name} -> {m}" for m in sorted(imports_of(RAG / f"{name}.py") - allowed)]
    assert not wrong, "imports against the data flow: " + ", ".join(wrong)


def test_apps_use_only_the_public_api():
    wrong = []
    for name in APPS:
        wrong += [f"{name} -> {m}" for m in sorted(imports_of(RAG / f"{name}.py") - APP_MAY_USE - set(APPS))]
    assert not wrong, "apps must use the public API (rag/__init__.py): " + ", ".join(wrong)


def test_the_checker_sees_a_wrong_arrow(tmp_path):
    """The checker itself: a function-local import against the flow is found."""
    bad = tmp_path / "m.py"
    bad.write_text("def f():\n    from .answer import Answer\n    from rag.llm import LLM\n    import rag.store\n"
                   "from . import models, Settings\n")
    assert imports_of(bad) == {"answer", "llm", "store", "models", "__init__"}
