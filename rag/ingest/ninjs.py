"""IPTC ninjs (News in JSON) 1.x, 2.x and 3.x items as wire records.

Field names changed between versions (`versioncreated` -> `versionCreated`, `headline` -> `headlines[]`,
`body_text` / `body_html` -> `bodies[]`, `pubstatus` -> `pubStatus`): each is read under all its names. An item
is validated against the IPTC schema of its major version (2.1 or 3.1, shipped in rag/ingest/data/ under their
MIT licence); what is invalid is reported as a warning and what can be read is ingested."""
from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from rag.ingest.item import (
    ItemMeta,
    html_paragraphs,
    is_xml_body,
    iso_day,
    language_code,
    text_paragraphs,
    xml_body_paragraphs,
)
from rag.ingest.wire import WireRecord

SCHEMAS = Path(__file__).parent / "data"
_MAX_SCHEMA_ERRORS = 3


def looks_like_ninjs(obj: Any) -> bool:
    """A JSON object with a ninjs identity and a ninjs body, headline or version time."""
    return isinstance(obj, dict) and isinstance(obj.get("uri"), str) and any(
        k in obj for k in ("bodies", "body_text", "body_html", "body_xhtml", "headlines", "headline",
                           "versioncreated", "versionCreated", "descriptions", "description_text"))


def major_version(item: dict) -> int:
    """3 for camelCase field names, 2 for headlines[] / bodies[] in lower case, 1 for body_text / headline."""
    if any(k in item for k in ("versionCreated", "pubStatus", "firstCreated", "copyrightHolder", "contentCreated")):
        return 3
    if "bodies" in item or "headlines" in item or "descriptions" in item:
        return 2
    return 1


def declared_version(item: dict) -> str:
    """The ninjs version the item names, '' when none: `standard.version` ('3.0', as IPTC's own ninjs 3
    examples say it), else the schema it points at ('$schema' or `standard.schema`:
    '.../ninjs-schema_3.1.json' -> '3.1')."""
    standard = item.get("standard") if isinstance(item.get("standard"), dict) else {}
    if re.fullmatch(r"\s*\d+(?:\.\d+)*\s*", str(standard.get("version", ""))):
        return str(standard["version"]).strip()
    for where in (item.get("$schema", ""), standard.get("schema", "")):
        if m := re.search(r"ninjs-schema_(\d+(?:\.\d+)*)\.json", str(where)):
            return m.group(1)
    return ""


def read_ninjs(item: dict, where: str) -> WireRecord:
    """One ninjs item as a record; a missing body is a ValueError saying so."""
    declared = declared_version(item)
    version = int(declared.split(".")[0]) if declared.split(".")[0] in ("1", "2", "3") else major_version(item)
    if declared and declared.split(".")[0] not in ("1", "2", "3"):
        warnings = [f"{where}: ninjs {declared} is a version this release does not know; read by its field names, "
                    "not validated."]
    else:
        warnings = [f"{where}: {w}" for w in schema_problems(item, version)]
    get = _getter(item)
    paragraphs = _body(item)
    meta = ItemMeta(
        uri=get("uri"), version=str(get("version") or ""), version_time=get("versioncreated", "versionCreated"),
        first_time=get("firstcreated", "firstCreated"), status=get("pubstatus", "pubStatus"),
        embargo=str(get("embargoed", "embargoedUntil")), urgency=_urgency(get("urgency")), byline=_byline(item),
        located=_located(item), subjects=_names(item, "subjects") + _names(item, "people") + _names(item, "places")
        + _names(item, "organisations"), captions=_captions(item))
    if not paragraphs and not meta.withdrawn:  # a kill notice needs no text: its status is what it says
        raise ValueError("a ninjs item with no body, description or headline text to read.")
    header = {"title": _headline(item), "date": iso_day(meta.version_time or meta.first_time),
              "source": get("copyrightholder", "copyrightHolder") or "", "lang": language_code(get("language"))}
    if version == 1:
        warnings.append(f"{where}: ninjs 1.x item: read, not validated (no schema shipped for 1.x).")
    return WireRecord(meta.uri, paragraphs, {k: v for k, v in header.items() if v}, meta, warnings)


def _getter(item: dict):
    def get(*names: str) -> Any:
        return next((item[n] for n in names if item.get(n) not in (None, "")), "")
    return get


def _urgency(value: Any) -> int:
    return int(value) if str(value).isdigit() else 0


def _headline(item: dict) -> str:
    heads = item.get("headlines")
    if isinstance(heads, list) and heads:
        main = next((h for h in heads if isinstance(h, dict) and h.get("role") == "main"), heads[0])
        return str(main.get("value", "")).strip() if isinstance(main, dict) else ""
    return str(item.get("headline") or "").strip()


def _body(item: dict) -> list[str]:
    """The richest body: marked-up (paragraphs kept), else plain text, else descriptions, else the headline."""
    bodies = [b for b in item.get("bodies") or [] if isinstance(b, dict) and isinstance(b.get("value"), str)]
    xml = [b for b in bodies if is_xml_body(b["value"], _content_type(b))]
    for b in xml:  # NITF, by its declared type or by what it is; tags stripped when it is not well-formed
        if paragraphs := xml_body_paragraphs(b["value"]) or html_paragraphs(b["value"]):
            return paragraphs
    bodies = [b for b in bodies if b not in xml]
    marked = [b for b in bodies if "html" in _content_type(b).lower()
              or "html" in str(b.get("role", "")).lower() or "richtext" in str(b.get("role", "")).lower()]
    for b in marked:
        if paragraphs := html_paragraphs(b["value"]):
            return paragraphs
    for key in ("body_xhtml", "body_html"):
        if isinstance(item.get(key), str) and (paragraphs := html_paragraphs(item[key])):
            return paragraphs
    for text in [b["value"] for b in bodies] + [item.get("body_text") or ""]:
        if isinstance(text, str) and (paragraphs := text_paragraphs(text)):
            return paragraphs
    descriptions = [d.get("value", "") for d in item.get("descriptions") or [] if isinstance(d, dict)]
    descriptions += [item.get("description_text") or ""]
    return [p for d in descriptions if isinstance(d, str) for p in text_paragraphs(d)]


def _content_type(body: dict) -> str:
    """A body's declared type, under its 3.x or 2.x name ('' when none)."""
    return str(body.get("contentType", body.get("contenttype", "")))


def _byline(item: dict) -> str:
    by = item.get("by") or item.get("byline") or ""
    return by if isinstance(by, str) else ", ".join(str(b.get("name", "")) for b in by if isinstance(b, dict))


def _located(item: dict) -> str:
    place = item.get("located") or ""
    return place if isinstance(place, str) else str(place.get("name", "")) if isinstance(place, dict) else ""


def _names(item: dict, key: str) -> list[str]:
    return [str(x.get("name")) for x in item.get(key) or [] if isinstance(x, dict) and x.get("name")]


def _captions(item: dict) -> list[str]:
    """Descriptions of the pictures the item is associated with (ninjs associations)."""
    assoc = item.get("associations") or {}
    values = assoc.values() if isinstance(assoc, dict) else assoc if isinstance(assoc, list) else []
    out = []
    for a in values:
        if not isinstance(a, dict):
            continue
        text = a.get("description_text") or next(
            (d.get("value") for d in a.get("descriptions") or [] if isinstance(d, dict) and d.get("value")), "")
        if isinstance(text, str) and text.strip():
            out.append(" ".join(text.split()))
    return out


@cache
def _validator(version: int):
    """The IPTC schema's validator. Schemas it refers to elsewhere (GeoJSON) are never fetched: nothing is
    downloaded at run time, so those parts are taken as valid."""
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012
    path = SCHEMAS / f"ninjs-schema_{'3.1' if version >= 3 else '2.1'}.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    offline = Registry(retrieve=lambda uri: Resource.from_contents({}, default_specification=DRAFT202012))
    return jsonschema.validators.validator_for(schema)(schema, registry=offline)


def schema_problems(item: dict, version: int) -> list[str]:
    """What the IPTC schema of the item's version finds invalid, at most a few lines."""
    if version < 2:
        return []
    errors = sorted(_validator(version).iter_errors(item), key=lambda e: list(e.absolute_path))
    out = [f"not valid ninjs {'3.1' if version >= 3 else '2.1'} at '{'/'.join(map(str, e.absolute_path)) or '.'}'"
           f": {e.message[:160]}" for e in errors[:_MAX_SCHEMA_ERRORS]]
    if len(errors) > _MAX_SCHEMA_ERRORS:
        out.append(f"... and {len(errors) - _MAX_SCHEMA_ERRORS} more schema problems; what could be read is kept.")
    return out
