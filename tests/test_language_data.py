"""Language knowledge lives in data files (rag/language/data/<lang>/), not in the code that reads text and checks
answers: no word list or regex of words is left in rag/language, rag/reading or rag/answer, and each language's
files are complete on their own. Pure checks of the source and the data files (no model, no index)."""
from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from rag import CHECKS
from rag.answer.checks.base import STAGES
from rag.answer.query import KINDS
from rag.language import DATA, LANGUAGES, alternatives, entries, fill, lexicon, patterns, table
from rag.reading.figures import QUANTITIES

ROOT = Path(__file__).resolve().parent.parent / "rag"
READERS = [p for part in ("language", "reading", "answer") for p in sorted((ROOT / part).rglob("*.py"))]
# a regex alternation of words: "said|says", "(?:selon|according to)" (not "\w|x", not "[a-z]")
WORD_ALTERNATION = re.compile(r"(?<![\\\w\[])[^\W\d_]{2,}(?: [^\W\d_]+)*\|[^\W\d_]{2,}")
WORD = re.compile(r"[a-zàâçéèêëîïôûùüÿœ'-]{2,}")


def identifiers() -> set[str]:
    """Words the code uses as its own names, not as words of a language: stages, checks, answer kinds,
    language codes, quantity keys, what verdicts name, wire signals."""
    own = {*STAGES, *CHECKS, *KINDS, *LANGUAGES, *QUANTITIES}
    return own | {"name", "names", "thing", "score", "similar", "correction", "update"}


def literals(path: Path) -> list[tuple[int, str, ast.AST]]:
    """(line, text, node) of every string constant of a module but its docstrings, with the node holding it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    out = []
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Constant) and isinstance(child.value, str) and id(child) not in docs:
                out.append((child.lineno, child.value, node))
    return out


def words_of_the_languages() -> set[str]:
    """Every word the languages' files list (folded or not)."""
    out: set[str] = set()
    for lang in LANGUAGES:
        for path in (DATA / lang).glob("*.toml"):
            for _, value in _lists(tomllib.loads(path.read_text(encoding="utf-8"))):
                out |= {w for entry in value for w in WORD.findall(entry.lower())}
    return out


@pytest.mark.parametrize("path", READERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_words_in_code(path):
    """No regex alternation of words and no collection of words (a word list) in the code."""
    own, vocabulary = identifiers(), words_of_the_languages()
    found = []
    for line, text, parent in literals(path):
        if isinstance(parent, ast.JoinedStr):
            continue  # an f-string's text around its values: the values come from data
        if WORD_ALTERNATION.search(text):
            found.append(f"{line}: regex of words {text[:60]!r}")
        elif (isinstance(parent, (ast.Set, ast.List, ast.Tuple, ast.Compare))
              and WORD.fullmatch(text) and text in vocabulary and text not in own):
            found.append(f"{line}: word {text!r}")
    assert not found, f"{path.relative_to(ROOT)} holds language knowledge (move it to rag/language/data):\n" + \
        "\n".join(found)


def test_the_test_sees_a_word_list():
    """The source test above flags what it is meant to (so that it can fail)."""
    sample = Path(__file__).parent / "data" / "words_in_code.py.txt"
    vocabulary = words_of_the_languages()
    found = [text for _, text, parent in literals(sample)
             if WORD_ALTERNATION.search(text)
             or (isinstance(parent, (ast.Set, ast.Compare)) and text in vocabulary and text not in identifiers())]
    assert found == ["(said|says|a déclaré)", "selon", "according"]


def files() -> dict[str, set[str]]:
    return {lang: {p.stem for p in (DATA / lang).glob("*.toml")} for lang in LANGUAGES}


def test_every_language_has_every_file():
    """Adding a language is adding its files: each language has the same files, with the same keys."""
    per_lang = files()
    assert per_lang["fr"] == per_lang["en"]
    for name in per_lang["fr"]:
        keys = {lang: _keys(tomllib.loads((DATA / lang / f"{name}.toml").read_text(encoding="utf-8")))
                for lang in LANGUAGES}
        assert keys["fr"] == keys["en"], f"{name}.toml: keys differ between languages: {keys['fr'] ^ keys['en']}"


def _keys(table_: dict, prefix: str = "") -> set[str]:
    out = set()
    for k, v in table_.items():
        if isinstance(v, dict) and prefix + k not in {"quantities.", "cardinals", "ordinals", "day_units"}:
            out |= {f"{prefix}{k}"} | _keys(v, f"{prefix}{k}.")
        else:
            out.add(prefix + k)
    return {k for k in out if not k.startswith(("cardinals.", "ordinals.", "day_units."))}


def test_every_pattern_compiles():
    """Each language's regexes compile on their own (a language file is usable without the others)."""
    for lang in LANGUAGES:
        for name in files()[lang]:
            data = table(lang, name)
            for key, value in _lists(data):
                for pattern in value:
                    re.compile(pattern.replace("{", "(").replace("}", ")") if "{" in pattern else pattern), \
                        f"{lang}/{name}.toml {key}: {pattern!r}"


def _lists(data: dict, prefix: str = ""):
    for k, v in data.items():
        if isinstance(v, dict):
            yield from _lists(v, f"{prefix}{k}.")
        elif isinstance(v, list) and all(isinstance(x, str) for x in v):
            yield prefix + k, v


def test_lexicon_merges_languages_in_order():
    """A list is every language's entries, French first, without repeats; a table merges key by key."""
    fr = table("fr", "speech")["pronouns"]
    en = table("en", "speech")["pronouns"]
    assert entries("speech", "pronouns") == tuple(dict.fromkeys([*fr, *en]))
    assert alternatives("speech", "pronouns") == "|".join(entries("speech", "pronouns"))
    assert set(lexicon("figures")["quantities"]["dead"]) == {*table("fr", "figures")["quantities"]["dead"],
                                                              *table("en", "figures")["quantities"]["dead"]}
    assert entries("speech", "no such list") == ()


def test_patterns_fill_word_lists():
    """A {list} in a pattern stands for that word list of every language; `given` fills the others."""
    assert fill("question", r"\b({age_units})\b") == r"\b(ans|years?|-year-old)\b"
    kinds = patterns("question", "kinds")
    assert re.search(kinds["age"], "quel âge a-t-il ?") and re.search(kinds["age"], "how old is she?")
    assert not re.search(kinds["age"], "combien de morts ?")
    units = patterns("question", "units", months="mars|march", cardinals="deux|two")
    assert re.search(units["duration"], "deux semaines") and re.search(units["duration"], "two weeks")
