"""RSS 2.0 and Atom 1.0 feeds: each entry a wire record (guid or id, published or updated, title, summary or
content, link, source). Parsed with defusedxml like NewsML-G2; HTML in descriptions is read as text."""
from __future__ import annotations

from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

from rag.ingest.item import ItemMeta, html_paragraphs, iso_day, language_code, text_paragraphs
from rag.ingest.item import element_text as _text
from rag.ingest.item import local_name as _local
from rag.ingest.wire import WireRecord

_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"


def _first(el: Element, *names: str) -> Element | None:
    """The first child with one of these names (local names, or full {namespace}names)."""
    return next((c for c in el if c.tag in names or _local(c.tag) in names), None)


def is_feed(root: Element) -> bool:
    return _local(root.tag) in ("rss", "feed")


def feed_entries(root: Element) -> tuple[list[Element], dict[str, str]]:
    """The entries of an RSS channel or an Atom feed, and what the feed says for all of them (source, lang)."""
    if _local(root.tag) == "rss":
        channel = _first(root, "channel")
        if channel is None:
            return [], {}
        lang = language_code(_text(_first(channel, "language")))
        return [c for c in channel if _local(c.tag) == "item"], {"source": _text(_first(channel, "title")),
                                                                   "lang": lang}
    lang = language_code(root.get("{http://www.w3.org/XML/1998/namespace}lang", ""))
    title = _text(_first(root, "title"))
    return [c for c in root if _local(c.tag) == "entry"], {"source": title, "lang": lang}


def read_entry(entry: Element, feed: dict[str, str], where: str) -> WireRecord:
    """One RSS item or Atom entry as a record; one with no text is a ValueError saying so."""
    atom = _local(entry.tag) == "entry"
    paragraphs = _atom_text(entry) if atom else _rss_text(entry)
    title = _text(_first(entry, "title"))
    if not paragraphs and title:
        paragraphs = [title]
    if not paragraphs:
        raise ValueError("a feed entry with no title, summary or content.")
    link = _first(entry, "link")
    href = (link.get("href", "") if link is not None else "") if atom else _text(link)
    uri = _text(_first(entry, "id" if atom else "guid")) or href
    when = _text(_first(entry, "updated", "published")) if atom else _rfc822(_text(_first(entry, "pubDate")))
    source = _text(_first(entry, "source")) or feed.get("source", "")
    author = _text(_first(entry, "author")) if atom else (_text(_first(entry, _DC_CREATOR))
                                                          or _text(_first(entry, "author")))
    meta = ItemMeta(uri=uri, version_time=when, byline=author,
                    first_time=_text(_first(entry, "published")) if atom else when)
    header = {"title": title, "date": iso_day(when), "source": source, "lang": feed.get("lang", "")}
    return WireRecord(uri, paragraphs, {k: v for k, v in header.items() if v}, meta)


def _rss_text(item: Element) -> list[str]:
    for el in (_first(item, _CONTENT), _first(item, "description")):
        if el is not None and (el.text or "").strip():
            return html_paragraphs(el.text) if "<" in el.text else text_paragraphs(el.text)
    return []


def _atom_text(entry: Element) -> list[str]:
    for el in (_first(entry, "content"), _first(entry, "summary")):
        if el is None:
            continue
        kind = el.get("type", "text")
        if kind == "xhtml":  # the markup is XML children of the element
            paragraphs = [_text(p) for p in el.iter() if _local(p.tag) in ("p", "li", "blockquote")]
            paragraphs = [p for p in paragraphs if p] or ([_text(el)] if _text(el) else [])
        elif kind == "html":
            paragraphs = html_paragraphs(el.text or "")
        else:
            paragraphs = text_paragraphs(el.text or "")
        if paragraphs:
            return paragraphs
    return []


def _rfc822(value: str) -> str:
    """RSS pubDate ('Tue, 10 Jun 2025 08:00:00 GMT') as ISO 8601; '' when it is not a date."""
    try:
        return parsedate_to_datetime(value).isoformat() if value else ""
    except (TypeError, ValueError):
        return ""
