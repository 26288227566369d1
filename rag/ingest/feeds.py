"""RSS (0.9x, 1.0, 2.0) and Atom (0.3, 1.0) feeds: each entry a wire record (guid or id, published or updated,
title, summary or content, link, source). The XML is first parsed with defusedxml (an XML bomb or an external
entity is refused before anything else reads it), then read by feedparser, which knows every feed dialect
and sanitises the HTML of descriptions; that HTML is read as text."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element

from rag.ingest.item import ItemMeta, element_text, html_paragraphs, iso_day, language_code, text_paragraphs
from rag.ingest.item import local_name as _local
from rag.ingest.wire import WireRecord

_RSS1 = "http://purl.org/rss/1.0/"
_MEDIA_RSS = "search.yahoo.com/mrss"
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def is_feed(root: Element) -> bool:
    """An RSS 2.0 / 0.9x channel, an RSS 1.0 (RDF) channel or an Atom feed."""
    name = _local(root.tag)
    return name in ("rss", "feed") or (name == "RDF" and any(c.tag.startswith(f"{{{_RSS1}}}") for c in root))


def feed_entries(data: bytes) -> tuple[list[Any], dict[str, str]]:
    """The entries of a feed (already parsed safely), and what the feed says for all of them (source, lang)."""
    import feedparser

    parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=False)
    feed = parsed.get("feed", {})
    about = {"source": _plain(feed.get("title_detail")) or feed.get("title", ""),
             "lang": language_code(feed.get("language") or "")}
    return list(parsed.get("entries", [])), about


def media_captions(root: Element) -> set[str]:
    """The photo captions of a feed (Media RSS `media:description`, whitespace collapsed): feedparser hands
    them over as an entry's content, where the story would be."""
    return {element_text(el) for el in root.iter() if _local(el.tag) == "description"
            and _MEDIA_RSS in str(el.tag) and element_text(el)}


def read_entry(entry: Any, feed: dict[str, str], captions: frozenset[str] = frozenset()) -> WireRecord:
    """One feedparser entry as a record (of its content, what is one of the feed's `captions` is a caption);
    one with no text is a ValueError saying so."""
    title = _plain(entry.get("title_detail")) or entry.get("title", "")
    details = [(d, _plain(d)) for d in [*entry.get("content", []), entry.get("summary_detail")] if d]
    pictures = [text for _, text in details if text in captions]
    paragraphs = _entry_text([d for d, text in details if text not in captions]) or ([title] if title else [])
    if not paragraphs:
        raise ValueError("a feed entry with no title, summary or content.")
    uri = entry.get("id") or entry.get("link", "")
    when = _time(entry, "updated") or _time(entry, "published")
    source = (entry.get("source") or {}).get("title", "") or feed.get("source", "")
    lang = language_code(_detail_language(entry) or feed.get("lang", ""))
    meta = ItemMeta(uri=uri, version_time=when, byline=entry.get("author", ""),
                    first_time=_time(entry, "published") or when, captions=list(dict.fromkeys(pictures)))
    header = {"title": title, "date": iso_day(when), "source": source, "lang": lang}
    return WireRecord(uri, paragraphs, {k: v for k, v in header.items() if v}, meta)


def _entry_text(details: list[Any]) -> list[str]:
    """The entry's content, else its summary: HTML and XHTML as paragraphs of text, plain text as it is."""
    for detail in details:
        if (detail.get("value") or "").strip():
            value = detail["value"]
            paragraphs = html_paragraphs(value) if "html" in detail.get("type", "") else text_paragraphs(value)
            if paragraphs:
                return paragraphs
    return []


def _plain(detail: Any) -> str:
    """A title as text (an HTML title's tags stripped)."""
    if not detail or not detail.get("value"):
        return ""
    value = detail["value"]
    return " ".join(html_paragraphs(value)) if "html" in detail.get("type", "") else " ".join(value.split())


def _detail_language(entry: Any) -> str:
    for detail in [*entry.get("content", []), entry.get("summary_detail"), entry.get("title_detail")]:
        if detail and detail.get("language"):
            return detail["language"]
    return ""


def _time(entry: Any, name: str) -> str:
    """An entry's time as ISO 8601: as written when it is ISO already (Atom: the agency's own offset is kept),
    else from feedparser's reading of it (RSS's RFC 822 dates), in UTC; '' when there is none."""
    raw = (entry.get(name) or "").strip()
    if _ISO.match(raw):
        return raw
    parsed = entry.get(f"{name}_parsed")
    return datetime(*parsed[:6], tzinfo=UTC).isoformat() if parsed else ""
