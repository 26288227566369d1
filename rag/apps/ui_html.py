"""HTML of the web UI, from Jinja2 templates with autoescape: every dispatch or model string is escaped.

Each answer carries its own sources: its [n] markers point at cards inside the same message, so they stay
right after later questions and refusals. A marker is a button: a tap, a click or the keyboard opens its
preview (ui.py's script toggles it); the card says where the passage comes from and highlights the cited
sentence; "open the dispatch" shows the whole dispatch with the cited passage marked.
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from rag import Answer, Citation, IngestReport
from rag.language.dates import clock_time, parse_period
from rag.language.numbers import count_text

LANGS = ("fr", "en")
_MARKER = re.compile(r"\[(\d+)\]")


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                       autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)


@lru_cache(maxsize=1)
def _strings() -> dict[str, Any]:
    return tomllib.loads((Path(__file__).parent / "data" / "ui.toml").read_text(encoding="utf-8"))


@lru_cache(maxsize=2)
def texts(lang: str) -> SimpleNamespace:
    """The UI's strings in one language (rag/apps/data/ui.toml); a count's string in its singular and plural
    forms ({one = ..., other = ...}) is a Plural, formatted like a string."""
    lang = lang if lang in LANGS else "en"
    return SimpleNamespace(**{k: Plural(lang, v["one"], v["other"]) if isinstance(v, dict) and "one" in v else v
                              for k, v in _strings()[lang].items()})


@dataclass(frozen=True)
class Plural:
    """'{n} phrase retirée' / '{n} phrases retirées', chosen by n: French takes the singular for 0 and 1,
    English for 1 only."""

    lang: str
    one: str
    other: str

    def format(self, n: int, **kw: Any) -> str:
        singular = n in (0, 1) if self.lang == "fr" else n == 1
        return (self.one if singular else self.other).format(n=n, **kw)


def model_label(name: str, lang: str) -> str:
    """Who answers, as a reader says it: 'embedded:qwen2.5-coder-1.5b-instruct-q4_k_m' -> 'Qwen2.5-Coder 1.5B
    (on this computer)', 'ollama:llama3' -> 'llama3 (Ollama server)'."""
    kind, _, model = name.partition(":")
    shown = _strings()["models"].get(model, model)
    if kind == "embedded":
        return texts(lang).model_embedded.format(model=shown)
    return texts(lang).model_ollama.format(model=shown) if kind == "ollama" else shown or name


def pick_language(accept_language: str) -> str:
    """fr or en, from the browser's Accept-Language (the first of the two it names; English otherwise)."""
    for part in (accept_language or "").lower().split(","):
        code = part.split(";")[0].strip()[:2]
        if code in LANGS:
            return code
    return "en"


def when(iso: str, lang: str) -> str:
    """'2025-03-13' -> '13 mars 2025' / 'March 13, 2025'; '2025-03' -> 'mars 2025'; '' -> undated; a date
    that does not exist stays as written; an item version's time gives its clock time too."""
    lang = lang if lang in LANGS else "en"
    if clock_time(iso):
        return f"{when(iso[:10], lang)} {clock_time(iso)}"
    period = parse_period(iso)
    if period:
        return period.label(lang)
    return iso if re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", iso or "") else texts(lang).undated


def _pieces(text: str, spans: list[tuple[int, int]]) -> list[dict[str, Any]]:
    out, pos = [], 0
    for s, e in spans:
        out += [{"text": text[pos:s], "cited": False}, {"text": text[s:e], "cited": True}]
        pos = e
    return [p for p in [*out, {"text": text[pos:], "cited": False}] if p["text"]]


def _dispatch(c: Citation, passages: list[tuple[int, int, str]]) -> list[list[dict[str, Any]]]:
    """The whole dispatch as its indexed passages, one paragraph each, the cited passage's sentences marked."""
    return [_pieces(text, c.spans or [(0, len(text))]) if start == c.start else [{"text": text, "cited": False}]
            for start, _end, text in passages]


def _card(c: Citation, lang: str, passages: Callable[[str, str], list[tuple[int, int, str]]] | None) -> dict[str, Any]:
    return {"number": c.number, "title": c.title or c.dispatch_id, "when": when(c.date, lang),
            "source": _agency(c, lang),
            "lang": language_name(c.lang, lang), "file": Path(c.file).name or c.dispatch_id,
            "caption": c.is_caption, "speakers": ", ".join(c.speakers), "text": c.text,
            "located": c.located, "byline": c.byline, "version": _version(c, lang),
            "pieces": _pieces(c.text, c.spans or [(0, len(c.text))]),
            "dispatch": _dispatch(c, passages(c.dispatch_id, c.chunk_id)) if passages else []}


def _agency(c: Citation, lang: str) -> str:
    return c.source if c.source not in ("", "unknown") else texts(lang).unknown_source


def _version(c: Citation, lang: str) -> str:
    """'corrected 18 June 2025 14:05' / 'version of ...' for an item a wire format dated, else ''."""
    if not c.version_time:
        return ""
    t = texts(lang)
    if c.superseded:
        return t.earlier_version.format(when=when(c.version_time, lang), replaced=when(c.superseded, lang))
    return (t.corrected if c.signal == "correction" else t.version_of).format(when=when(c.version_time, lang))


def _parts(text: str, cards: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    parts, pos = [], 0
    for m in _MARKER.finditer(text):
        card = cards.get(int(m.group(1)))
        if card is None:
            continue
        parts += [{"text": text[pos:m.start()]}, {"cite": card}]
        pos = m.end()
    return [p for p in [*parts, {"text": text[pos:]}] if p.get("cite") or p.get("text")]


def answer_html(answer: Answer, lang: str, tid: str,
                passages: Callable[[str, str], list[tuple[int, int, str]]] | None = None) -> str:
    """A finished answer: text with its markers, previews, versions timeline, source cards, sentence checks."""
    cards = {c.number: _card(c, lang, passages) for c in answer.citations}
    closest = [_card(c, lang, passages) for c in answer.closest]
    timeline = [{"when": when(day, lang), "value": count_text(value, lang), "number": n}
                for day, value, n in answer.timeline]
    return _env().get_template("answer.html.j2").render(
        lang=lang, t=texts(lang), tid=tid, parts=_parts(answer.text, cards), citations=list(cards.values()),
        timeline=timeline, period=answer.timeframe, refused=answer.refused, checks=answer.sentences,
        removed=len(answer.dropped), why=answer.why, status="", closest=closest, understood=_understood(answer),
        copy=_attribute(copy_text(answer, lang)) if not answer.refused else "")  # a refusal: nothing to copy


def _understood(answer: Answer) -> str:
    """A follow-up as it was searched, rewritten to stand alone ('Et au-dessus de Kalouga ?' -> 'Combien de
    drones ont été abattus au-dessus de Kalouga ?'), so a reader sees what was answered; '' for a question
    searched as asked."""
    standalone = " ".join((answer.standalone_question or "").split())
    return standalone if standalone and standalone != " ".join(answer.question.split()) else ""


def _attribute(text: str) -> Markup:
    """Text for an HTML attribute, its line breaks as entities: a blank line would end Gradio's HTML block."""
    return Markup(str(escape(text)).replace("\n", "&#10;"))


def copy_text(answer: Answer, lang: str) -> str:
    """What "Copy the answer" puts on the clipboard: the answer, then each cited source on a line (number,
    title, date, agency, file), as one would paste it into a story or a message."""
    lines = [f"[{c.number}] {c.title or c.dispatch_id} — {when(c.date, lang)} — {_agency(c, lang)} — "
             f"{Path(c.file).name or c.dispatch_id}" for c in answer.citations]
    return "\n".join([answer.text, *([""] + lines if lines else [])])


def answer_markdown(answer: Answer, lang: str) -> str:
    """An answer as Markdown, for a conversation's export: its text with its markers, then each cited source
    (number, title, date, agency, file) with the passage it rests on, quoted."""
    lines = [answer.text.strip(), ""]
    if answer.citations:
        lines += [f"**{texts(lang).sources}**", ""]
    for c in answer.citations:
        lines += [f"[{c.number}] {c.title or c.dispatch_id} — {when(c.date, lang)} — {_agency(c, lang)} — "
                  f"{Path(c.file).name or c.dispatch_id}", "", f"> {' '.join(c.text.split())}", ""]
    return "\n".join(lines).rstrip() + "\n"


def conversation_markdown(turns: list[dict], lang: str) -> str:
    """A conversation as one Markdown document: each question a heading, its answer and sources below (an
    answer saved before exports existed gives its text)."""
    t = texts(lang)
    out = [f"# {t.title}", ""]
    for turn in turns:
        md = turn.get("md")
        body = (md.get(lang) if isinstance(md, dict) else "") or turn.get("text") or t.stopped
        out += [f"## {' '.join(str(turn.get('q', '')).split())}", "", body.rstrip(), ""]
    return "\n".join(out)


def progress_html(lang: str, status: str, sentences: list[str], sources: list[Citation] | None = None,
                  elapsed: float = 0.0) -> str:
    """While the answer is written: the current step and how long it has taken, the sentences that passed
    their checks so far, and the passages the model is reading (title, date, agency), before any is cited."""
    t = texts(lang)
    reading: dict[str, dict[str, Any]] = {}  # by dispatch: several passages of one story are one line
    for c in sources or []:
        line = reading.setdefault(c.dispatch_id, {"numbers": [], "title": c.title, "when": when(c.date, lang),
                                                  "source": _agency(c, lang)})
        line["numbers"].append(c.number)
    return _env().get_template("answer.html.j2").render(
        lang=lang, t=t, tid="live", parts=[{"text": " ".join(sentences)}] if sentences else [],
        citations=[], timeline=[], period="", refused=False, checks=[], removed=0, why=[], status=status, closest=[],
        elapsed=t.elapsed.format(s=int(elapsed)) if elapsed >= 1 else "", reading=list(reading.values()))


def message_html(lang: str, text: str) -> str:
    """A plain assistant message (an error, a notice), escaped."""
    return _env().from_string('<div class="dqa-answer" lang="{{ lang }}"><p class="dqa-text">{{ text }}</p></div>'
                              ).render(lang=lang, text=text)


def ingest_summary(report: IngestReport, lang: str) -> str:
    """An ingest report in the UI's language: the counts, then each file skipped or read with a warning (the
    reason as the ingest gives it)."""
    t = texts(lang)
    more = (t.ingest_withdrawn.format(n=len(report.withdrawn)) if report.withdrawn else "") + \
        (t.ingest_earlier.format(n=len(report.earlier)) if report.earlier else "")
    counts = t.ingest_counts.format(added=len(report.added), replaced=len(report.replaced),
                                    unchanged=len(report.unchanged), skipped=len(report.skipped), more=more,
                                    chunks_added=report.chunks_added, chunks_removed=report.chunks_removed,
                                    kept=t.ingest_kept.format(n=report.chunks_earlier) if report.chunks_earlier else "")
    return "\n".join([counts, *(f"  {t.ingest_skipped} {p}: {why}" for p, why in report.skipped),
                       *(f"  {t.ingest_warning} {p}: {what}" for p, what in report.warnings)])


def language_name(code: str, lang: str) -> str:
    """'fr' -> 'français' / 'French' in the UI's language; another code as it is."""
    return getattr(texts(lang), code, code) if code in LANGS else code
