"""IPTC NewsML-G2 news items (alone, or in a newsMessage) as wire records.

Read from itemMeta (versionCreated, firstCreated, pubStatus, embargoed, signal), contentMeta (headline,
located, dateline, subject, creator, infoSource, language) and contentSet (NITF or XHTML in inlineXML, plain
text in inlineData). XML is parsed with defusedxml: a DTD, an entity declaration (the "billion laughs" bomb) or
an external reference is refused, never expanded. Packages (packageItem) only point at other items: they are
reported and left out."""
from __future__ import annotations

from xml.etree.ElementTree import Element

from rag.ingest.item import ItemMeta, html_paragraphs, iso_day, language_code, text_paragraphs, xml_paragraphs
from rag.ingest.item import element_text as _text
from rag.ingest.item import local_name as _local
from rag.ingest.wire import WireRecord


def _child(el: Element | None, name: str) -> Element | None:
    return next((c for c in el if _local(c.tag) == name), None) if el is not None else None


def _children(el: Element | None, name: str) -> list[Element]:
    return [c for c in el if _local(c.tag) == name] if el is not None else []


def _name(el: Element | None) -> str:
    """A concept's name (<name> child), else the code after its scheme ('nprov:REUTERS' -> 'REUTERS')."""
    if el is None:
        return ""
    return _text(_child(el, "name")) or el.get("literal", "") or el.get("qcode", "").split(":", 1)[-1]


def news_items(root: Element) -> list[Element]:
    """The newsItems of a document: the root itself, or those of a newsMessage's itemSet."""
    kind = _local(root.tag)
    if kind == "newsItem":
        return [root]
    if kind == "newsMessage":
        return [el for el in root.iter() if _local(el.tag) == "newsItem"]
    return []


def read_news_item(item: Element, where: str) -> WireRecord:
    """One newsItem as a record; no text in its contentSet is a ValueError saying so."""
    meta_el, content_el = _child(item, "itemMeta"), _child(item, "contentMeta")
    paragraphs = _content(_child(item, "contentSet"))
    signals = [s.get("qcode", "").split(":", 1)[-1] for s in _children(meta_el, "signal")]
    located = _child(content_el, "located")
    meta = ItemMeta(
        uri=item.get("guid", ""), version=item.get("version", ""),
        version_time=_text(_child(meta_el, "versionCreated")), first_time=_text(_child(meta_el, "firstCreated")),
        status=(_child(meta_el, "pubStatus").get("qcode", "") if _child(meta_el, "pubStatus") is not None else ""),
        signal=next((s for s in signals if s in ("correction", "update")), ""),
        embargo=_text(_child(meta_el, "embargoed")), urgency=_urgency(content_el),
        byline=", ".join(_name(c) for c in _children(content_el, "creator") if _name(c)),
        located=_text(_child(content_el, "dateline")) or _name(located),
        subjects=[_name(s) for s in _children(content_el, "subject") if _name(s)])
    if not paragraphs and not meta.withdrawn:  # a kill notice needs no text: its status is what it says
        raise ValueError("a NewsML-G2 news item whose contentSet holds no text (no NITF, XHTML or plain-text "
                         "content).")
    lang = _child(content_el, "language")
    header = {"title": _text(_child(content_el, "headline")),
              "date": iso_day(meta.version_time or meta.first_time),
              "source": _name(_child(content_el, "infoSource")) or _name(_child(meta_el, "provider"))
              or _name(_child(_child(item, "rightsInfo"), "copyrightHolder")),
              "lang": language_code(lang.get("tag", "") if lang is not None else item.get(_XML_LANG, ""))}
    return WireRecord(meta.uri, paragraphs, {k: v for k, v in header.items() if v}, meta)


_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _urgency(content_el: Element | None) -> int:
    text = _text(_child(content_el, "urgency"))
    return int(text) if text.isdigit() else 0


def _content(content_set: Element | None) -> list[str]:
    """Paragraphs of the first content that has text: inline XML (NITF body.content, XHTML body), else
    inline plain text."""
    for el in list(content_set) if content_set is not None else []:
        kind = _local(el.tag)
        if kind == "inlineXML":
            paragraphs = xml_paragraphs(el)
        elif kind == "inlineData":
            ctype = el.get("contenttype", "text/plain")
            paragraphs = html_paragraphs(el.text or "") if "html" in ctype else text_paragraphs(el.text or "")
        else:
            continue
        if paragraphs:
            return paragraphs
    return []
