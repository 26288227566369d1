"""Prompt templates live in prompts/ as files, one per purpose and language; loaded by name."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .errors import ConfigError


@lru_cache(maxsize=64)
def load_prompt(prompts_dir: str, name: str, lang: str) -> str:
    """prompts/<name>.<lang>.txt, falling back to prompts/<name>.txt."""
    base = Path(prompts_dir)
    for candidate in (base / f"{name}.{lang}.txt", base / f"{name}.txt"):
        if candidate.exists():
            return candidate.read_text(encoding="utf-8").strip()
    raise ConfigError(f"Prompt '{name}' ({lang}) not found in {base}; expected {name}.{lang}.txt there.")
