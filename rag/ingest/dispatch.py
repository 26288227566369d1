"""File -> Dispatch: header (date, source, title), captions, sub-heads and body paragraphs with offsets."""
from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from rag.errors import BadDispatch
from rag.ingest import feeds, newsml, ninjs
from rag.ingest.dateline import read_dateline
from rag.ingest.item import ItemMeta, iso_day, language_code, local_name
from rag.ingest.markup import strip_forged
from rag.ingest.wire import WireRecord
from rag.language import table
from rag.language.dates import parse_period
from rag.language.detect import detect_language, unsupported_language
from rag.language.words import STOPWORDS, fold

TEXT_SUFFIXES = {".txt", ".md", ".text", ""}
JSON_SUFFIXES = {".json", ".jsonl"}  # our records, or IPTC ninjs items
XML_SUFFIXES = {".xml", ".rss", ".atom"}  # IPTC NewsML-G2 items, RSS 2.0 and Atom feeds
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSON_SUFFIXES | XML_SUFFIXES

# Bump when chunk metadata changes (2: quotes and speakers, names of the whole dispatch; 3: multi-word names;
# 4: a speaker named after his title, "a déclaré la ministre de la Culture, Rachida Dati"; 5: markup that
# imitates the prompt is removed from the text; 6: the agency and day of an agency's dateline; 7: its place;
# 8: an untitled story's title ends on a clause, not mid-phrase).
INDEX_SCHEMA = 8
_HEADER_RE = re.compile(r"^[ \t]*(date|source|title|lang|id)[ \t]+(.*)$")
_DATE_RE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")
_CAPTION_RE = re.compile(r"\(\s*([^()/]+?)\s*/\s*([^()]+?)\s*\)\s*$")
_SUBHEAD_RE = re.compile(r"^-\s+(.+?)\s+-$")
_MD_HEAD_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_BLOCK_RE = re.compile(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*$)", re.S)


@dataclass
class Block:
    """A paragraph, photo caption or heading, with its span in Dispatch.text."""

    kind: str  # paragraph | caption | heading
    start: int
    end: int
    section: str = ""
    credit: str = ""  # "AGENCY / PHOTOGRAPHER" for captions


@dataclass
class Dispatch:
    id: str
    text: str  # the exact text all offsets refer to
    path: str = ""
    title: str = ""
    date: str = ""  # YYYY-MM or YYYY-MM-DD, "" if unknown
    lang: str = "fr"
    source: str = "unknown"
    blocks: list[Block] = field(default_factory=list)
    item: ItemMeta | None = None  # what a wire format says of the item (identity, version, status...)
    place: str = ""  # where it was filed, as its dateline says ("LYON")

    @property
    def content_hash(self) -> str:
        """Version of the dispatch as indexed: its text and metadata, and what chunks store about them
        (INDEX_SCHEMA), so an index built by an older release is refreshed by the next ingest."""
        meta = f"{INDEX_SCHEMA}\x00{self.title}\x00{self.date}\x00{self.lang}\x00{self.source}\x00"
        if self.item:  # a new version, a correction or an embargo is a change even with the same text
            i = self.item
            meta += f"{i.version}\x00{i.version_time}\x00{i.signal}\x00{i.embargo}\x00{i.byline}\x00{i.located}\x00"
        return hashlib.sha1((meta + self.text).encode("utf-8")).hexdigest()[:16]

    def span(self, block: Block) -> str:
        return self.text[block.start:block.end]

    @property
    def body(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "paragraph"]


def slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")
    return s or "dispatch"


def parse_text(raw: str, dispatch_id: str, path: str = "", default_source: str = "unknown",
               meta: dict | None = None, warnings: list[str] | None = None, where: str = "") -> Dispatch:
    """Parse the wire format: leading header lines (also after a photo caption on the first line), then
    blank-line separated blocks. A date that does not exist ('2025-13-45') or is not a date ('yesterday') leaves
    the dispatch undated, with a warning; markup imitating the prompt is removed, with a warning."""
    meta = dict(meta or {})

    def say(warning: str) -> None:
        if warnings is not None:
            warnings.append(f"{where + ': ' if where else ''}{warning}")

    text, forged = strip_forged(raw.replace("\r\n", "\n").replace("\r", "\n"))
    if forged:
        say(f"{forged} span(s) imitating the prompt's markup (passage tags, citation-marker lines, chat "
            "tokens) removed; dispatch text is read as text only.")
    body_start = _read_header(text, meta)
    text = _lift_late_header(text, body_start, meta)
    meta = {k: strip_forged(v)[0].strip() if isinstance(v, str) else v for k, v in meta.items()}
    if meta.get("date") and parse_period(meta["date"]) is None:
        say(f"date '{meta['date']}' is not a real YYYY-MM[-DD] date; the dispatch is kept undated.")
        meta["date"] = ""
    d = Dispatch(id=dispatch_id, text=text, path=path, date=meta.get("date", ""),
                 source=meta.get("source") or default_source, title=meta.get("title", ""))
    section = ""
    for m in _BLOCK_RE.finditer(text, body_start):
        block = _classify(text, m.start(), m.end(), section)
        if block.kind == "heading":
            if not d.title and not d.blocks and text[m.start()] == "#" and text[m.start():].startswith("# "):
                d.title = _heading_text(text[block.start:block.end])
                continue
            section = _heading_text(text[block.start:block.end])
            block.section = section
        d.blocks.append(block)
    if not any(b.kind in ("paragraph", "caption") for b in d.blocks):
        raise BadDispatch(path or dispatch_id, "no text found after the header; nothing to index.")
    first = next((b for b in d.blocks if b.kind == "paragraph"), d.blocks[0])
    line = read_dateline(d.span(first))
    if not d.title:  # the first sentence of the story, not its dateline
        d.title = _short(d.span(first)[line.end if line else 0:])
    if line:  # the header (or the format's field) says it better
        d.source = meta.get("source") or line.agency
        d.date = d.date or line.day
        d.place = line.place
    sample = " ".join(d.span(b) for b in d.body[:5]) or text[:2000]
    if not meta.get("lang") and (other := unsupported_language(sample)):
        name = table("", "languages")["unsupported"][other]
        raise BadDispatch(path or dispatch_id, f"is in {name} ({other}); Dispatch QA answers from French and "
                          "English dispatches only, so it is not indexed (if it is French or English, say so "
                          "with a ' lang fr' or ' lang en' header line).")
    d.lang = meta.get("lang") or detect_language(sample)
    return d


def _lift_late_header(text: str, body_start: int, meta: dict) -> str:
    """Header lines that follow a photo caption standing first in the body are read as the header, and taken
    out of the text (the caption stays): a title or agency there is where the format puts it."""
    line_end = text.find("\n", body_start)
    line_end = len(text) if line_end < 0 else line_end
    if not _CAPTION_RE.search(text[body_start:line_end]):
        return text
    late = dict(meta)
    end = _read_header(text, late, line_end + 1)
    if not any(k not in meta for k in late):
        return text
    meta.update({k: v for k, v in late.items() if k not in meta})
    return text[:line_end] + "\n\n" + text[end:]


def _read_header(text: str, meta: dict, pos: int = 0) -> int:
    """Consume ` date YYYY-MM`, ` source X`, ` title X`, ` lang xx` lines from `pos`; return where the body
    starts."""
    while pos < len(text):
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else line_end
        line = text[pos:line_end]
        if not line.strip():
            pos = line_end + 1
            continue
        m = _HEADER_RE.match(line)
        if not m:
            return pos
        key, rest = m.group(1), m.group(2)
        if key == "date":
            dm = _DATE_RE.match(rest.strip())
            if not dm:
                return pos
            meta.setdefault("date", dm.group(0))
            # The seed format puts the first caption on the date line itself: body starts after the date.
            after = pos + m.start(2) + (len(rest) - len(rest.lstrip())) + dm.end()
            if text[after:line_end].strip():
                return after
        elif key == "lang" and rest.strip() not in ("fr", "en"):
            return pos
        else:
            meta.setdefault(key, rest.strip())
        pos = line_end + 1
    return pos


def _classify(text: str, start: int, end: int, section: str) -> Block:
    span = text[start:end]
    lead = len(span) - len(span.lstrip())
    start += lead
    span = span.strip()
    if _SUBHEAD_RE.match(span) or (_MD_HEAD_RE.match(span) and "\n" not in span):
        return Block("heading", start, end, section)
    cm = _CAPTION_RE.search(span)
    if cm and "\n" not in span.strip():
        return Block("caption", start, end, section, credit=f"{cm.group(1).strip()} / {cm.group(2).strip()}")
    return Block("paragraph", start, end, section)


def _heading_text(span: str) -> str:
    span = span.strip()
    m = _SUBHEAD_RE.match(span)
    if m:
        return m.group(1).strip()
    m = _MD_HEAD_RE.match(span)
    return m.group(2).strip() if m else span


TITLE_CHARS = 140  # longest title made from a story's first sentence (a card header on a phone: about 5 lines)


def _short(text: str, limit: int = TITLE_CHARS) -> str:
    """A title for a story that has none: its first sentence; a long one up to its last clause break in the
    limit ('Hurricane Milton tore across central Florida overnight'), else cut on a word that is not a function
    word ('… a pris le nom de…' read as a title cut mid-phrase)."""
    first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    if len(first) <= limit:
        return first[:-1] if first.endswith(".") and not first.endswith("..") else first
    head = first[:limit]
    cut = max(head.rfind(", "), head.rfind(" ; "), head.rfind(" — "))
    if cut >= limit // 3:
        return head[:cut]
    kept = head.rsplit(" ", 1)[0].split()
    while len(kept) > 3 and re.sub(r"^\w['’]", "", fold(kept[-1])) in _FUNCTION_WORDS | {""}:
        kept.pop()
    return " ".join(kept) + "…"


_FUNCTION_WORDS = set().union(*STOPWORDS.values())


@dataclass
class FileRead:
    """The dispatches of one file, and what was wrong in it but did not stop it ("line 3: invalid JSON")."""

    dispatches: list[Dispatch]
    warnings: list[str] = field(default_factory=list)


# UTF-32 first: its little-endian mark starts with UTF-16's
_BOMS = [(b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
         (b"\xfe\xff", "utf-16"), (b"\xef\xbb\xbf", "utf-8-sig")]


def decode(path: Path, data: bytes) -> str:
    """The file's text: UTF-8, or UTF-16 or UTF-32 with its byte-order mark; anything else is refused with a
    reason."""
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), "utf-8")
    if encoding == "utf-8" and b"\x00" in data:
        raise BadDispatch(str(path), "looks like a binary file, not text (if it is UTF-16 text without a "
                          "byte-order mark, re-save it as UTF-8).")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise BadDispatch(str(path), f"not valid {encoding.upper()} (byte {exc.start}); re-save the file as "
                          "UTF-8.") from exc


def read_file(path: Path, max_bytes: int, default_source: str = "unknown") -> FileRead:
    """Read one file into one or more dispatches; raise BadDispatch with a reason a user can act on."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise BadDispatch(str(path), f"unsupported file type '{suffix}' (use .txt, .md, .json, .jsonl, .xml, .rss "
                          "or .atom).")
    kind = _not_regular(path)
    if kind:  # opening a pipe would wait for a writer for ever
        raise BadDispatch(str(path), f"is {kind}, not a regular file; not read.")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise BadDispatch(str(path), f"{size / 1e6:.1f} MB is over the {max_bytes / 1e6:.1f} MB limit "
                              "(raise DQA_MAX_FILE_MB or split the file).")
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # bounded: the file may grow after stat
        if len(data) > max_bytes:
            raise BadDispatch(str(path), f"grew over the {max_bytes / 1e6:.1f} MB limit while being read "
                              "(raise DQA_MAX_FILE_MB or split the file).")
    except OSError as exc:
        raise BadDispatch(str(path), f"cannot be read ({exc.strerror or exc}); check its permissions.") from exc
    if not data:
        raise BadDispatch(str(path), "the file is empty.")
    if suffix in XML_SUFFIXES:  # bytes: the XML declaration says the encoding
        return parse_xml(data, path, default_source)
    raw = decode(path, data)
    if not raw.strip():
        raise BadDispatch(str(path), "the file holds only whitespace.")
    if suffix in JSON_SUFFIXES:
        return parse_records(raw, path, default_source)
    warnings: list[str] = []
    return FileRead([parse_text(raw, slug(path.stem), str(path), default_source, warnings=warnings)], warnings)


def parse_records(raw: str, path: Path, default_source: str = "unknown") -> FileRead:
    """JSON (object or list) or JSONL records with fields id, title, date, text, source, lang. A bad line or
    record is reported and left out; the good ones are kept."""
    warnings: list[str] = []
    records: list[tuple[str, object]] = []
    if path.suffix.lower() == ".jsonl":
        for n, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append((f"line {n}", _load_json(line, path)))
            except BadDispatch as exc:
                warnings.append(f"line {n}: {exc.reason} The line was left out.")
    else:
        obj = _load_json(raw, path)
        records = [(f"record {n}", rec) for n, rec in enumerate(obj if isinstance(obj, list) else [obj], 1)]
    out = []
    for where, rec in records:
        if ninjs.looks_like_ninjs(rec):
            _add_wire(out, warnings, partial(ninjs.read_ninjs, rec, where), path, default_source, where)
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str) or not rec["text"].strip():
            warnings.append(f"{where}: needs an object with a non-empty 'text' field; left out.")
            continue
        rid = slug(str(rec.get("id") or f"{path.stem}-{where.split()[-1]}"))
        try:
            meta = _record_meta(rec, where, warnings)
            out.append(parse_text(rec["text"], rid, str(path), default_source, meta, warnings, where))
        except BadDispatch as exc:
            warnings.append(f"{where}: {exc.reason} Left out.")
    if not records:
        raise BadDispatch(str(path), "a JSON list with no record in it; nothing to index.")
    if not out:
        raise BadDispatch(str(path), _none_read(len(records), "record", warnings))
    return FileRead(out, warnings)


def parse_xml(data: bytes, path: Path, default_source: str = "unknown") -> FileRead:
    """A NewsML-G2 news item or message, or an RSS / Atom feed: each item a dispatch. defusedxml refuses DTDs,
    entity declarations and external references (an XML bomb is a reason, never expanded)."""
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as safe_xml
    from defusedxml import DefusedXmlException
    try:
        root = safe_xml.fromstring(data)
    except DefusedXmlException as exc:
        raise BadDispatch(str(path), f"XML with a DTD or entity declarations ({type(exc).__name__}); refused, "
                          "not expanded (wire items need neither).") from exc
    except ParseError as exc:
        raise BadDispatch(str(path), f"invalid XML ({exc}).") from exc
    if feeds.is_feed(root):
        entries, about = feeds.feed_entries(data)
        if not entries:
            atom = local_name(root.tag) == "feed"
            raise BadDispatch(str(path), f"an {'Atom' if atom else 'RSS'} feed with no <{'entry' if atom else 'item'}> "
                              "in it; nothing to index.")
        captions = frozenset(feeds.media_captions(root))
        jobs = [(f"entry {n}", partial(feeds.read_entry, e, about, captions)) for n, e in enumerate(entries, 1)]
    else:
        items = newsml.news_items(root)
        if not items and local_name(root.tag) == "newsMessage":
            raise BadDispatch(str(path), "a NewsML-G2 newsMessage with no <newsItem> in its itemSet; nothing to index.")
        if not items:
            raise BadDispatch(str(path), f"XML whose root is <{local_name(root.tag)}>: neither a NewsML-G2 newsItem "
                              "or newsMessage nor "
                              "an RSS or Atom feed (a packageItem only points at other items).")
        jobs = [(f"item {n}", partial(newsml.read_news_item, i, f"item {n}")) for n, i in enumerate(items, 1)]
    warnings: list[str] = []
    out: list[Dispatch] = []
    for where, job in jobs:
        _add_wire(out, warnings, job, path, default_source, where)
    if not out:
        raise BadDispatch(str(path), _none_read(len(jobs), "item", warnings))
    return FileRead(out, warnings)


def _none_read(n: int, what: str, warnings: list[str]) -> str:
    """Why a file gave nothing though it holds `n` items: how many, and the first one's reason (why it was left
    out, not a warning about it)."""
    why = next((w for w in warnings if w.endswith(("Left out.", "left out."))), warnings[0] if warnings else "")
    return f"none of its {n} {what}{'s' if n != 1 else ''} could be read" + (f" ({why})" if why else ".")


def _add_wire(out: list[Dispatch], warnings: list[str], job, path: Path, default_source: str, where: str) -> None:
    """Read one wire item (`job`) into `out`; what stops it becomes a warning naming it."""
    try:
        record = job()
        warnings += record.warnings
        out.append(wire_dispatch(record, path, default_source, warnings, where))
    except (ValueError, BadDispatch) as exc:
        reason = exc.reason if isinstance(exc, BadDispatch) else str(exc)
        warnings.append(f"{where}: {reason} Left out.")


def wire_dispatch(record: WireRecord, path: Path, default_source: str, warnings: list[str], where: str) -> Dispatch:
    """A wire record as a Dispatch: its identity is the dispatch id (versions replace each other), its pictures'
    descriptions are captions, and an item in another language than French or English is refused."""
    lang = record.header.get("lang", "")
    if lang and lang not in ("fr", "en"):
        raise BadDispatch(str(path), f"is in '{lang}', as the item says; Dispatch QA answers from French and English "
                          "dispatches only, so it is not indexed.")
    did = slug(record.uri) if record.uri else slug(f"{path.stem}-{where}")
    if record.item.withdrawn and not record.paragraphs:  # a kill notice: what it withdraws is all it says
        h = record.header
        return Dispatch(did, "", str(path), h.get("title", ""), iso_day(h.get("date", "")), h.get("lang", ""),
                        h.get("source") or default_source, item=record.item)
    body = "\n\n".join([*record.paragraphs, *record.item.captions])
    d = parse_text(body, did, str(path), default_source, record.header, warnings, where)
    record.item.located = record.item.located or d.place
    captions = set(record.item.captions)
    for block in d.blocks:
        if d.span(block) in captions:
            block.kind = "caption"
    d.item = record.item
    return d


def _record_meta(rec: dict, where: str, warnings: list[str]) -> dict[str, str]:
    """title, date, source and lang of a JSON record as strings; a value of the wrong type is reported and dropped."""
    meta: dict[str, str] = {}
    for key in ("title", "date", "source", "lang"):
        value = rec.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            warnings.append(f"{where}: '{key}' is a {type(value).__name__}, not text; ignored.")
            continue
        meta[key] = value
    if "date" in meta:
        compact = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", meta["date"].strip())
        meta["date"] = "-".join(compact.groups()) if compact else meta["date"].strip()
    if meta.get("lang") not in (None, "fr", "en"):
        declared = language_code(meta.pop("lang"))
        if declared in ("fr", "en"):
            meta["lang"] = declared
        elif re.fullmatch(r"[a-z]{2,3}", declared):  # a language code: the record says what it is
            raise BadDispatch(where, f"is in '{declared}', as the record says; Dispatch QA answers from French and "
                              "English dispatches only, so it is not indexed.")
        else:
            warnings.append(f"{where}: lang '{declared}' is not a language code; detected from the text.")
    return meta


def _load_json(raw: str, path: Path):
    """JSON text as Python values; what cannot be read (invalid, nested too deep, a lone UTF-16 surrogate that
    no text can hold) is a BadDispatch saying why."""
    try:
        obj = json.loads(raw)
        json.dumps(obj, ensure_ascii=False).encode("utf-8")  # a lone surrogate ('\\ud800') is no character
    except json.JSONDecodeError as exc:
        raise BadDispatch(str(path), f"invalid JSON ({exc.msg} at line {exc.lineno}).") from exc
    except RecursionError as exc:
        raise BadDispatch(str(path), "JSON nested too deep to read (records are a few levels deep).") from exc
    except UnicodeEncodeError as exc:
        raise BadDispatch(str(path), f"JSON holding a lone UTF-16 surrogate ('\\u{ord(exc.object[exc.start]):04x}'), "
                          "which is no character; fix the escape in the file.") from exc
    return obj


def iter_files(paths: list[str | Path], skipped: list[tuple[str, str]] | None = None,
               roots: list[Path] | None = None) -> list[Path]:
    """Expand folders (recursively) into files, sorted for a stable ingest order. A file given twice (or named
    and inside a named folder) is listed once; what is not a regular file (a pipe, a socket, a device) and,
    when `roots` are given, a file whose real path is outside them (a symlink out of an allowed folder) or that
    has other hard links (one of its names may be outside them: the path alone cannot tell) go to `skipped`
    with their reason, as does a folder that cannot be read."""
    files: list[Path] = []
    seen: set[str] = set()

    def skip(path: Path | str, reason: str) -> None:
        if skipped is not None:
            skipped.append((str(path), reason))

    def add(path: Path) -> None:
        real = os.path.realpath(path)
        if real in seen:
            return
        seen.add(real)
        if roots is not None and not any(Path(real) == r or r in Path(real).parents for r in roots):
            skip(path, "links outside the folders the ingest may read; not read.")
            return
        if roots is not None and _hard_links(path) > 1:  # its other names may be anywhere on the disk
            skip(path, "is a hard link (the same file has another name, maybe outside the folders the ingest "
                 "may read); not read here: copy the file in, or ingest it from the command line.")
            return
        files.append(path)

    for p in map(Path, paths):
        if not p.is_dir():
            add(p)
            continue

        def unreadable(err: OSError) -> None:
            skip(str(err.filename), f"folder cannot be read ({err.strerror}); check its permissions.")

        for folder, dirs, names in os.walk(p, onerror=unreadable):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(n for n in names if not n.startswith(".")):
                path = Path(folder) / name
                kind = _not_regular(path)
                if kind:
                    skip(path, f"is {kind}, not a regular file; not read.")
                else:
                    add(path)
    return files


def _hard_links(path: Path) -> int:
    """How many names the file has (1 for a plain file; 0 when it cannot be told)."""
    try:
        return path.stat().st_nlink
    except OSError:
        return 0


def _not_regular(path: Path) -> str:
    """'' for a regular file (or a link to one), else what it is: 'a named pipe', 'a socket', ..."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return ""  # a dangling link or a vanished file: read_file says why
    if stat.S_ISREG(mode):
        return ""
    return next((what for test, what in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
                                         (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
                                         (stat.S_ISDIR, "a folder")) if test(mode)), "a special file")
