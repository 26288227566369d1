"""What the model sees: prompt templates loaded by name, passages rendered and masked, chat messages.

Templates live in prompts/ as files, one per purpose and language (`<name>.<lang>.txt`); they ship
inside the package, and a prompts folder of your own can replace them (settings.prompts_dir).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from .errors import ConfigError
from .evidence import Evidence

Message = dict[str, str]

# Instruction-like text inside a dispatch is masked before the model sees it: dispatches are data.
INJECTION_RE = re.compile(
    r"(?i)\b(ignore[rz]?|oublie[rz]?|disregard|forget|override)\b[^.!?\n]{0,80}?"
    r"\b(instructions?|consignes?|règles|rules|prompts?|system)\b[^.!?\n]*[.!?]?"
)
_MASK = {"fr": "[consigne retirée]", "en": "[instruction removed]"}


@lru_cache(maxsize=128)
def _load(folder: str, name: str, lang: str) -> str:
    base = Path(folder)
    for candidate in (base / f"{name}.{lang}.txt", base / f"{name}.txt"):
        if candidate.exists():
            return candidate.read_text(encoding="utf-8").strip()
    raise ConfigError(f"Prompt '{name}' ({lang}) not found in {base}; expected {name}.{lang}.txt there.",
                      "prompts_dir")


class Prompts:
    """Templates of one folder, by name and language: prompts/<name>.<lang>.txt, else prompts/<name>.txt."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = str(folder)

    def get(self, name: str, lang: str) -> str:
        return _load(self.folder, name, lang)


def mask(text: str, lang: str) -> str:
    """The text with instruction-like phrases replaced by a visible mark."""
    return INJECTION_RE.sub(_MASK.get(lang, _MASK["en"]), text)


def render_passages(evidence: list[Evidence], prompts: Prompts, lang: str) -> str:
    tpl = prompts.get("passage", lang)
    return "\n".join(tpl.format(
        number=e.number, date=e.meta.date or "?", title=mask(e.meta.title, lang),
        section=f", {mask(e.meta.section, lang)}" if e.meta.section else "",
        text=mask(e.text, lang)) for e in evidence)


def answer_messages(question: str, evidence: list[Evidence], prompts: Prompts, lang: str) -> list[Message]:
    """System rules, then the numbered passages and the question."""
    user = prompts.get("answer", lang).format(passages=render_passages(evidence, prompts, lang), question=question)
    return [{"role": "system", "content": prompts.get("system", lang)}, {"role": "user", "content": user}]
