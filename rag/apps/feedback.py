"""Readers' verdicts on answers (right or wrong), kept on this machine, and turned into a question set for
`rag eval`: what people marked in the chat becomes the next evaluation, without writing questions by hand.

The log is JSON lines, appended (one verdict per line, the latest verdict on a question and answer wins;
a verdict taken back is a line with no verdict). Each line holds what the evaluation needs later: the
question as it was understood (a follow-up's standalone form), the answer shown, whether it was a refusal,
and the sources with the sentences cited.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rag import Answer, Settings
from rag.errors import DispatchQAError
from rag.language.numbers import NUMBER_RE, numbers

FILE_NAME = "feedback.jsonl"  # in the index folder unless the feedback_file setting names another
VERDICTS = ("right", "wrong")


class FeedbackError(DispatchQAError):
    """The feedback log cannot be read or written."""


@dataclass
class Source:
    dispatch: str
    title: str
    date: str
    quote: str  # the sentences the answer cites, as the passage writes them (the whole passage if none marked)


@dataclass
class Verdict:
    question: str  # as asked
    standalone: str  # as understood (a follow-up rewritten to stand alone): what the question set keeps
    answer: str
    lang: str
    refused: bool
    sources: list[Source] = field(default_factory=list)
    verdict: str | None = None  # right | wrong | None (taken back)
    as_of: str = ""
    filters: dict[str, Any] = field(default_factory=dict)
    at: str = ""  # when the verdict was given (UTC, ISO 8601)

    @property
    def key(self) -> tuple[str, str]:
        return self.standalone, self.answer


def sources_of(answer: Answer) -> list[Source]:
    """An answer's cited sources, each with the sentences cited (a refusal: none)."""
    out = []
    for c in answer.citations:
        quote = " ".join(c.text[a:b].strip() for a, b in c.spans) or c.text
        out.append(Source(c.dispatch_id, c.title, c.date, quote))
    return out


def feedback_path(settings: Settings) -> Path:
    return Path(settings.feedback_file or Path(settings.index_dir) / FILE_NAME).expanduser()


def record(path: Path, verdict: Verdict) -> None:
    """Append one verdict, as one write (after a line a crash cut short, on a line of its own)."""
    if verdict.verdict not in (*VERDICTS, None):
        raise ValueError(f"verdict must be one of {VERDICTS} or None, not {verdict.verdict!r}")
    verdict.at = verdict.at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    line = json.dumps(asdict(verdict), ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a+b") as f:
            f.seek(0, 2)
            if f.tell():  # a line cut short by a crash must not swallow this one
                f.seek(-1, 2)
                line = ("\n" if f.read(1) != b"\n" else "") + line
            f.write(line.encode("utf-8"))
    except OSError as exc:
        raise FeedbackError(f"The feedback could not be saved to {path}: {exc.strerror or exc}.") from exc


def read(path: Path) -> list[Verdict]:
    """The standing verdicts, oldest first: the latest line per question and answer, those taken back left out;
    a line that is not a verdict (cut short by a crash) is skipped."""
    if not path.is_file():
        raise FeedbackError(f"No feedback yet: {path} does not exist (mark answers right or wrong in the chat).")
    latest: dict[tuple[str, str], Verdict] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            rec = json.loads(line)
            v = Verdict(**{**rec, "sources": [Source(**s) for s in rec.get("sources", [])]})
        except (json.JSONDecodeError, TypeError):
            continue
        latest.pop(v.key, None)  # re-inserted: the order is that of the latest verdict
        latest[v.key] = v
    return [v for v in latest.values() if v.verdict in VERDICTS]


@dataclass
class Export:
    ready: list[dict[str, Any]]  # question-set rows `rag eval` runs as they are
    to_complete: list[dict[str, Any]]  # rows whose right answer the feedback does not give (written commented out)

    def jsonl(self) -> str:
        lines = [json.dumps(r, ensure_ascii=False) for r in self.ready]
        if self.to_complete:
            lines.append("// To complete (marked wrong, or right with no source to quote): give each its "
                         "expected_answer and evidence (or answerable false), then remove the // to run it.")
            lines += ["// " + json.dumps(r, ensure_ascii=False) for r in self.to_complete]
        return "\n".join(lines) + "\n"


def export(verdicts: list[Verdict]) -> Export:
    """A question set from the verdicts: an answer marked right is an answerable question whose expected
    answer is what the answer adds to the question (its figures, else its answer sentence), with its cited
    sentences as evidence; a refusal marked right is an unanswerable question. A wrong answer or a wrong
    refusal says the shown reply was not it, not what the right one is: those rows are left to complete."""
    ready, to_complete = [], []
    for n, v in enumerate(verdicts, 1):
        row: dict[str, Any] = {"id": f"feedback-{n}", "question": v.standalone or v.question, "lang": v.lang}
        if v.as_of:
            row["as_of"] = v.as_of
        if any(v.filters.values()):
            row["filters"] = {k: x for k, x in v.filters.items() if x}
        if v.verdict == "right" and v.refused:
            ready.append({**row, "answerable": False})
        elif v.verdict == "right" and v.sources:
            ready.append({**row, "answerable": True, "expected_answer": expected_answer(v),
                          "evidence": [{"dispatch": s.dispatch, "quote": s.quote} for s in v.sources]})
        else:
            to_complete.append({**row, "answerable": True, "shown": v.answer, "marked": v.verdict})
    return Export(ready, to_complete)


_MARKERS = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
SPAN_CHARS = 40  # longest stretch of the answer kept as its expected answer (figures and what is between them)


def expected_answer(v: Verdict) -> list[str]:
    """What a right answer adds to its question: the stretch of the answer holding the figures the question
    does not state ("25", "13 mars 2025"), else the answer itself (markers removed)."""
    text = _MARKERS.sub("", v.answer).strip()
    asked = numbers(v.standalone or v.question)
    new = [m for m in NUMBER_RE.finditer(text) if not numbers(m.group()) <= asked]
    if new and new[-1].end() - new[0].start() <= SPAN_CHARS:
        return [text[new[0].start():new[-1].end()].strip()]
    return [text]
