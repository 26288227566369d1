"""A spool folder watched: files that land in it (or change) are ingested once they are complete.

`dispatch-qa watch FOLDER` first ingests what is already there (what landed while it was down; ingest is
idempotent), then waits for changes (watchfiles: inotify on Linux). A file is read only when it is complete:
not a temporary name (`.part`, `.tmp`, `~`, a leading dot: what writers use before renaming) and with a size
that has not changed for `settle` seconds. Kill notices that land withdraw their items like any ingest."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from rag import Assistant, IngestReport

TEMPORARY = (".part", ".tmp", ".crdownload", ".partial", "~")


def settled(paths: set[Path], settle: float) -> list[Path]:
    """Those of `paths` that are complete: a final name (not a temporary one), and a size that held still for
    `settle` seconds."""
    sizes = {p: p.stat().st_size for p in paths
             if not p.name.startswith(".") and not p.name.endswith(TEMPORARY) and p.is_file()}
    if sizes:
        time.sleep(settle)
    return sorted(p for p, size in sizes.items() if p.is_file() and p.stat().st_size == size)


def watch(qa: Assistant, folder: Path, on_report: Callable[[IngestReport], None], stop: threading.Event,
          settle: float = 0.3) -> None:
    """Ingest what is in `folder`, then every complete file that lands or changes in it, until `stop` is set.
    The first scan runs once the watcher is running, so a file landing in between is never missed."""
    from watchfiles import Change
    from watchfiles import watch as changes

    pending: set[Path] = set()
    scanned = False
    for batch in changes(folder, stop_event=stop, step=50, rust_timeout=500, yield_on_timeout=True):
        if not scanned:
            on_report(qa.ingest([folder], progress=False))
            scanned = True
        pending |= {Path(p) for kind, p in batch if kind in (Change.added, Change.modified)}
        ready = settled(pending, settle) if pending else []
        pending -= set(ready) | {p for p in pending if not p.exists()}
        if ready:
            on_report(qa.ingest(ready, progress=False))
