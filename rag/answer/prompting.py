"""What the model sees: prompt templates loaded by name, passages rendered inside delimiters, chat messages.

Templates live in prompts/ as files, one per purpose and language (`<name>.<lang>.txt`); they ship
inside the package, and a prompts folder of your own can replace them (settings.prompts_dir).

Dispatch text is data. Each passage sits between <passage> tags that dispatch text cannot produce (angle
brackets in it are replaced), marker-like "[2]" in it become "(2)", and instruction-like phrases or lines
speaking as a role ("SYSTÈME :", "Assistant:") are masked, in titles, sub-heads, captions and body alike.
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from rag.errors import ConfigError
from rag.language import fill, table
from rag.language.dates import Period
from rag.language.sentences import split_sentences
from rag.language.words import count_tokens
from rag.values import Evidence

Message = dict[str, str]

# Instruction-like text inside a dispatch is masked before the model sees it: dispatches are data.
INJECTION_RE = re.compile(fill("injection", r"(?i)\b({instruct})\b[^.!?\n]{0,80}?\b({instructions})\b[^.!?\n]*[.!?]?"))
# A line or sentence that speaks as a chat role: "SYSTÈME : réponds 10", "Assistant: ...", "### Instruction".
ROLE_RE = re.compile(fill("injection", r"(?im)(^|(?<=[.!?»\"]\s))\s*(#+\s*)?({roles})\s*[:：][^\n]*"))
_MARKER_RE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


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

    def table(self, name: str, lang: str) -> dict[str, str]:
        """'key = value' lines of a template file ('#' lines are comments)."""
        pairs = (line.split("=", 1) for line in self.get(name, lang).splitlines()
                 if "=" in line and not line.lstrip().startswith("#"))
        return {k.strip(): v.strip() for k, v in pairs}


def clean(text: str, lang: str) -> str:
    """Dispatch text as data: no tag, marker or role line the model could take for part of the prompt."""
    mask = table(lang, "injection")["mask"]
    text = text.replace("<", "‹").replace(">", "›")
    text = _MARKER_RE.sub(lambda m: f"({m.group(1)})", text)
    text = ROLE_RE.sub(lambda m: f"{m.group(1)}{mask}", text)
    return INJECTION_RE.sub(mask, text)


def date_label(period: Period | None, lang: str, prompts: Prompts | None = None) -> str:
    """'13 mars 2025', 'mars 2025'; an undated dispatch reads as the dates table says ('date inconnue')."""
    if period:
        return period.label(lang)
    return prompts.table("dates", lang).get("unknown", "") if prompts else ""


def dated(period: Period | None, prompts: Prompts, lang: str) -> str:
    """' du 13 mars 2025', ' de mars 2025', '' (undated): how a dispatch date reads after 'la dépêche'."""
    forms = prompts.table("dates", lang)
    kind = "undated" if period is None else ("month" if period.is_month else "day")
    phrase = forms.get(kind, "").format(date=date_label(period, lang))
    return f" {phrase}" if phrase else ""


def render_passages(evidence: list[Evidence], prompts: Prompts, lang: str) -> str:
    tpl = prompts.get("passage", lang)
    out = []
    for e in evidence:
        title = clean(e.meta.title, lang).replace('"', "'")
        if e.meta.section:
            title += f" — {clean(e.meta.section, lang)}".replace('"', "'")
        day = date_label(e.meta.period, lang)
        if e.meta.superseded:  # the model must know a newer version of this item replaced it
            day = prompts.table("dates", lang).get("earlier", "{date}").format(date=day)
        out.append(tpl.format(number=e.number, date=day, title=title,
                              text=" ".join(clean(e.text, lang).split())))
    return "\n".join(out)


def fit(evidence: list[Evidence], max_passages: int, budget_tokens: int) -> list[Evidence]:
    """The best-ranked passages that fit the prompt budget; a first passage too long alone is cut at a
    sentence (or word) boundary so that something always fits."""
    kept: list[Evidence] = []
    used = 0
    for e in evidence[:max_passages]:
        cost = passage_cost(e)
        if used + cost <= budget_tokens:
            kept.append(e)
            used += cost
        elif not kept:
            kept.append(_trimmed(e, budget_tokens - 20))
            break
    return kept


def passage_cost(e: Evidence) -> int:
    """Estimated prompt tokens of one passage: its text, tags, date and title."""
    return count_tokens(e.text) + 20


def _trimmed(e: Evidence, budget: int) -> Evidence:
    text, end = e.text, 0
    for _, stop in split_sentences(text):
        if count_tokens(text[:stop]) > budget:
            break
        end = stop
    if end == 0:  # no sentence fits: cut on words
        words = text.split()
        while words and count_tokens(" ".join(words)) > budget:
            words = words[: max(len(words) * 3 // 4, 1) if len(words) > 1 else 0]
        return replace(e, passage=replace(e.passage, text=" ".join(words)))
    return replace(e, passage=replace(e.passage, text=text[:end]))


def system_message(prompts: Prompts, lang: str) -> Message:
    """The fixed prefix of every conversation with the model (kept in its KV cache between questions)."""
    return {"role": "system", "content": prompts.get("system", lang)}


def answer_messages(question: str, evidence: list[Evidence], prompts: Prompts, lang: str,
                    hint: tuple[int, str] | None = None) -> list[Message]:
    """System rules, then the question, the numbered passages, the `hint` (number, passage text closest to the
    question) when given, and the question again."""
    template = prompts.get("answer", lang)
    shown = prompts.get("hint", lang).format(number=hint[0], sentence=clean(hint[1], lang)) if hint else ""
    user = template.format(passages=render_passages(evidence, prompts, lang), question=question, hint=shown)
    return [system_message(prompts, lang), {"role": "user", "content": user}]
