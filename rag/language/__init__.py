"""Language knowledge: what French and English say and how (words, sentences, figures, names, dates), as
mechanisms in this package and word lists and patterns in data files (rag/language/data/<lang>/ for one
language, rag/language/data/ for groups across both). Adding a language is adding its files."""
from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
LANGUAGES = ("fr", "en")


@cache
def table(lang: str, name: str) -> dict[str, Any]:
    """rag/language/data/<lang>/<name>.toml, read once (English when the language has no such file)."""
    path = DATA / lang / f"{name}.toml"
    if not path.is_file():
        path = DATA / "en" / f"{name}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))
