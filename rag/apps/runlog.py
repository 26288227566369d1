"""The results log of an evaluation run (`<report folder>/results.jsonl`): each question's result is appended as
soon as it is answered, so a run cut off anywhere (kill -9, a session stopped) loses at most the question it was
on, a re-run continues where it stopped, and a report can be written from whatever is there.

The first line is the run's fingerprint: digests of the question set, the corpus, the code and prompts that
answer and score, the settings that change an answer, and the model. A re-run continues only under the same
fingerprint; under another one the old log is kept beside (results.previous.jsonl) and the run starts afresh,
saying which part changed."""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.settings import PROJECT_ROOT

PACKAGE = Path(__file__).resolve().parent.parent
# Settings that change how fast an answer comes, never what it says: a run may resume with other values.
SPEED_ONLY = {"index_dir", "chroma_host", "chroma_port", "server_sync_seconds", "embed_batch", "embed_threads",
              "embed_workers", "llm_timeout", "ollama_connect_timeout", "ollama_first_token_timeout",
              "model_cache_dir", "embedded_threads", "embedded_threads_batch", "embedded_batch", "generation_cache",
              "ui_host", "ui_port", "ui_username", "ui_password", "watch_folder", "ui_ingest_roots"}
# Code that neither answers nor scores (the UI, the bench, the docs writer): changing it keeps a run resumable.
NOT_ANSWERING = ("apps/ui", "apps/templates", "apps/data", "apps/bench.py", "apps/docs.py", "apps/watch.py",
                 "apps/cli.py")


def _digest(chunks: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(hashlib.sha256(chunk).digest())
    return h.hexdigest()[:16]


def _files(root: Path, skip: tuple[str, ...] = ()) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and not p.relative_to(root).as_posix().startswith(skip))


def _tree_digest(roots: list[Path], skip: tuple[str, ...] = ()) -> str:
    files = [f for root in roots if root.exists() for f in _files(root, skip)]
    return _digest(part for f in files for part in (f.name.encode(), f.read_bytes()))


def code_digest() -> str:
    """The library's answering and scoring code, its language data and the shipped prompts."""
    return _tree_digest([PACKAGE, PROJECT_ROOT / "prompts"], NOT_ANSWERING)


def fingerprint(settings: Any, questions: list[dict[str, Any]], corpus: str | Path, run: dict[str, Any]
                ) -> dict[str, Any]:
    """What makes two runs the same: each part's digest, and the answer-changing settings themselves (to say
    which one changed). `run`: the run's own options (k, generate). The model is named by the settings (backend,
    packaged model or model file, Ollama model): "auto" is not resolved, so a run resumed after installing
    another model continues under the same name."""
    answering = {k: v for k, v in settings.model_dump().items() if k not in SPEED_ONLY}
    blob = lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True).encode()  # noqa: E731
    parts = {"questions": _digest(blob(q) for q in questions), "corpus": _tree_digest([Path(corpus)]),
             "code": code_digest(), "settings": _digest([blob(answering)]), "run": _digest([blob(run)])}
    return {"parts": parts, "settings": answering, "run": run}


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Why two fingerprints differ, in words: the parts, and for settings and run options the names."""
    out = []
    for part, digest in new["parts"].items():
        if old.get("parts", {}).get(part) == digest:
            continue
        if part in ("settings", "run"):
            before, after = old.get(part, {}), new[part]
            names = sorted(k for k in {*before, *after} if before.get(k) != after.get(k))
            out.append(f"{part} changed ({', '.join(names) or 'their form'})")
        else:
            out.append(f"the {part} changed")
    return out


@dataclass
class Resumed:
    """What a log held for this run: results by question id, and why it started afresh ('' when it goes on)."""
    done: dict[str, dict[str, Any]]
    afresh_because: str


class RunLog:
    """results.jsonl of one report folder."""

    def __init__(self, folder: str | Path) -> None:
        self.path = Path(folder) / "results.jsonl"

    def read(self) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
        """The fingerprint line and the results after it (a line cut off by a kill is ignored)."""
        if not self.path.is_file():
            return None, {}
        header, done = None, {}
        for n, line in enumerate(self.path.read_text(encoding="utf-8").splitlines()):
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if n == 0 and "fingerprint" in row:
                header = row["fingerprint"]
            elif isinstance(row, dict) and "id" in row:
                done[row["id"]] = row
        return header, done

    def resume(self, fp: dict[str, Any]) -> Resumed:
        """Continue the log under the same fingerprint, or keep it aside and start a new one."""
        header, done = self.read()
        if header is not None and header.get("parts") == fp["parts"]:
            self._cut_partial_line()
            return Resumed(done, "")
        why = ""
        if self.path.exists():
            why = "; ".join(differences(header, fp)) if header else "the earlier log has no fingerprint"
            os.replace(self.path, self.path.with_name("results.previous.jsonl"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"fingerprint": fp}, ensure_ascii=False) + "\n", encoding="utf-8")
        return Resumed({}, why)

    def _cut_partial_line(self) -> None:
        """A kill mid-write leaves half a line: cut it, so the next result starts a line of its own."""
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with open(self.path, "r+b") as f:
                f.truncate(data.rfind(b"\n") + 1)

    def append(self, row: dict[str, Any]) -> None:
        """One result, written with one system call and flushed to disk before the next question."""
        line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
