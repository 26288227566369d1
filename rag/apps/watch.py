"""A spool folder watched: files that land in it (or change) are ingested once they are complete.

`dispatch-qa watch FOLDER` first ingests what is already there (what landed while it was down; ingest is
idempotent), then waits for changes (watchfiles: inotify on Linux). A file is read only when it is complete:
- not a temporary name (`.part`, `.tmp`, `~`, a leading dot): the spool convention is to write under such a
  name and rename when done, which is complete at once;
- for a file written in place: nothing has changed it for `quiet` seconds (setting watch_quiet_seconds; a
  writer pausing longer than that between two writes needs the rename convention), and no process still has
  it open for writing, where the platform can tell (Linux: /proc, for the processes this user may inspect).
Kill notices that land withdraw their items like any ingest."""
from __future__ import annotations

import contextlib
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

from rag import Assistant, IngestReport

TEMPORARY = (".part", ".tmp", ".crdownload", ".partial", "~")
_WRITE_MODES = (os.O_WRONLY, os.O_RDWR)


def temporary(path: Path) -> bool:
    """A name writers use before renaming the finished file."""
    return path.name.startswith(".") or path.name.endswith(TEMPORARY)


def open_for_writing(path: Path, proc: Path = Path("/proc")) -> bool:
    """Whether a process still has `path` open for writing. Read from /proc (Linux) for the processes this
    user may inspect; False where the platform cannot tell."""
    try:
        target = os.path.realpath(path)
        pids = [p for p in proc.iterdir() if p.name.isdigit()]
    except OSError:
        return False
    for pid in pids:
        try:
            fds = list((pid / "fd").iterdir())
        except OSError:  # another user's process, or one that has ended
            continue
        for fd in fds:
            try:
                if os.readlink(fd) != target:
                    continue
                flags = next(line for line in (pid / "fdinfo" / fd.name).read_text().splitlines()
                             if line.startswith("flags:"))
            except (OSError, StopIteration):
                continue
            if int(flags.split()[1], 8) & os.O_ACCMODE in _WRITE_MODES:
                return True
    return False


def complete(path: Path, quiet: bool, renamed: set[int]) -> bool:
    """A final name, a regular file, renamed from a temporary name (`renamed`: inodes seen under one) or
    `quiet` (no change for long enough), and nobody writing to it."""
    try:
        st = path.stat()
    except OSError:
        return False
    return (not temporary(path) and stat.S_ISREG(st.st_mode) and (st.st_ino in renamed or quiet)
            and not open_for_writing(path))


def watch(qa: Assistant, folder: Path, on_report: Callable[[IngestReport], None], stop: threading.Event,
          quiet: float | None = None) -> None:
    """Ingest what is in `folder`, then every complete file that lands or changes in it, until `stop` is set.
    The first scan runs once the watcher is running, so a file landing in between is never missed. A file is
    checked each half second until it is complete (`quiet`: seconds without a change; the setting by
    default)."""
    from watchfiles import Change
    from watchfiles import watch as changes

    quiet = qa.settings.watch_quiet_seconds if quiet is None else quiet
    pending: dict[Path, float] = {}  # path -> when it last changed (monotonic clock)
    renamed: set[int] = set()  # inodes of temporary files: under a final name, they were renamed when done

    def still(p: Path, now: float) -> bool:  # unchanged for `quiet` s, by our clock and by its own
        try:
            return now - pending.get(p, now - quiet) >= quiet and time.time() - p.stat().st_mtime >= quiet
        except OSError:
            return False

    scanned = False
    for batch in changes(folder, stop_event=stop, step=50, rust_timeout=500, yield_on_timeout=True):
        now = time.monotonic()
        if not scanned:  # files being written as the watch starts are read once complete, like new ones
            scanned = True
            existing = [p for p in folder.rglob("*") if p.is_file()
                        and not any(temporary(Path(part)) for part in p.relative_to(folder).parts)]
            pending |= {p: now for p in existing if not complete(p, still(p, now), renamed)}
            whole = [p for p in existing if p not in pending]
            if whole or not existing:
                on_report(qa.ingest([folder] if not pending else whole, progress=False))
        gone = {Path(name) for kind, name in batch if kind == Change.deleted and temporary(Path(name))}
        for kind, name in batch:
            p = Path(name)
            if kind == Change.added and any(g.parent == p.parent and g.name.startswith(p.name) for g in gone):
                with contextlib.suppress(OSError):  # 'x.json.part' gone and 'x.json' added: a rename
                    renamed.add(p.stat().st_ino)
            if kind in (Change.added, Change.modified) and temporary(p):
                with contextlib.suppress(OSError):
                    renamed.add(p.stat().st_ino)
            elif kind in (Change.added, Change.modified):
                pending[p] = now
        ready = sorted(p for p in pending if complete(p, still(p, now), renamed))
        for p in [p for p in pending if p in ready or not p.exists()]:
            del pending[p]
        for p in ready:
            with contextlib.suppress(OSError):  # (gone again already)
                renamed.discard(p.stat().st_ino)
        if ready:
            on_report(qa.ingest(ready, progress=False))
