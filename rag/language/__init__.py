"""Language knowledge: what French and English say and how (words, sentences, figures, names, dates), as
mechanisms in this package and word lists and patterns in data files (rag/language/data/<lang>/ for one
language, rag/language/data/ for groups across both). Adding a language is adding its files."""
from __future__ import annotations

import re
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


@cache
def lexicon(name: str) -> dict[str, Any]:
    """rag/language/data/<lang>/<name>.toml of every language, merged key by key: a word list is the lists of
    all the languages one after the other (in LANGUAGES order), a table is merged the same way. What the
    mechanisms of rag/language, rag/reading and rag/answer know of words comes from here."""
    merged: dict[str, Any] = {}
    for lang in LANGUAGES:
        if (DATA / lang / f"{name}.toml").is_file():  # (table() would stand in English for a missing file)
            _merge(merged, table(lang, name))
    return merged


def _merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, dict):
            _merge(into.setdefault(key, {}), value)
        elif isinstance(value, list):
            into[key] = [*into.get(key, []), *value]
        else:
            into.setdefault(key, value)


def alternatives(name: str, key: str) -> str:
    """The entries of a list of lexicon(name) (dotted key: "kinds.date") as one regex alternation."""
    return "|".join(entries(name, key))


def entries(name: str, key: str) -> tuple[str, ...]:
    """The entries of a list of lexicon(name) (dotted key), every language's, without repeats (none when no
    language has the list)."""
    value: Any = lexicon(name)
    for part in key.split("."):
        value = value.get(part, {})
    return tuple(dict.fromkeys(value or ()))


_SLOT = re.compile(r"\{([a-z_]+)\}")


def fill(name: str, template: str, **given: str) -> str:
    """The regex `template` with each {list} in it replaced by that word list of lexicon(name) (from its
    "words" table, else from its top level) as an alternation, or by the regex `given` under that name: the
    structure stays in the code, the words come from the languages' files."""
    lists = {**lexicon(name), **lexicon(name).get("words", {})}

    def slot(m: re.Match) -> str:
        return given[m.group(1)] if m.group(1) in given else "|".join(dict.fromkeys(lists[m.group(1)]))
    return _SLOT.sub(slot, template)


def patterns(name: str, key: str, **given: str) -> dict[str, str]:
    """Each entry of the table `key` of lexicon(name) as one regex: its patterns, every language's, as
    alternatives, each filled as by `fill`."""
    return {entry: "|".join(f"(?:{fill(name, p, **given)})" for p in dict.fromkeys(alts))
            for entry, alts in lexicon(name)[key].items()}
