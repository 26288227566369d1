"""What a wire format says about an item besides its text: identity, version, status, embargo, byline, place;
and the pieces of markup its bodies come in (HTML, XHTML, NITF) as plain paragraphs.

A news item has an identity (ninjs `uri`, NewsML-G2 `guid`, an RSS `guid`) that stays the same across its
versions: it becomes the dispatch id, so a new version replaces the old one in the index, and the same version
arriving twice is read once."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser

# pubStatus values that take an item out of the answers (IPTC: stat:canceled, stat:withheld; ninjs: canceled,
# withheld); "usable" is the normal case
WITHDRAWN = {"canceled", "cancelled", "withheld"}


@dataclass
class ItemMeta:
    """An item's life as its format gives it; "" where the format says nothing."""

    uri: str = ""
    version: str = ""  # the format's version label ("2", "11")
    version_time: str = ""  # ISO 8601: when this version was made
    first_time: str = ""  # ISO 8601: when the first version was made
    status: str = ""  # usable | canceled | withheld | ...
    signal: str = ""  # update | correction (NewsML-G2 sig:update, sig:correction)
    embargo: str = ""  # ISO 8601: not to be searched before
    urgency: int = 0
    byline: str = ""
    located: str = ""
    subjects: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)  # descriptions of the item's pictures
    superseded: str = ""  # set at ingest: when a newer version replaced this one (it is kept as an earlier version)

    @property
    def withdrawn(self) -> bool:
        return self.status.lower().rsplit(":", 1)[-1] in WITHDRAWN


def iso_day(value: str) -> str:
    """'2019-05-10T16:02:28+02:00' -> '2019-05-10' (the dispatch date); '' when it is not a date."""
    m = re.match(r"\s*(\d{4}-\d{2}-\d{2})", value or "")
    return m.group(1) if m else ""


def iso_time(value: str) -> datetime | None:
    """An ISO 8601 time as an aware datetime (UTC when it names no zone); None when it is not one."""
    text = (value or "").strip().replace("Z", "+00:00")
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def local_name(tag: object) -> str:
    """An XML element's name without its namespace ('{http://iptc.org/...}newsItem' -> 'newsItem')."""
    return str(tag).rsplit("}", 1)[-1]


def element_text(el) -> str:
    """All the text inside an XML element, whitespace collapsed ('' for None)."""
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def language_code(tag: str) -> str:
    """'en-US' -> 'en', 'nb-NO' -> 'nb'."""
    return (tag or "").strip().lower().split("-")[0].split("_")[0]


class _Paragraphs(HTMLParser):
    """Text of block elements, one paragraph each; scripts and styles left out."""

    BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption", "hl1", "hl2",
              "dd", "dt", "td", "caption", "br", "div", "section", "article", "header", "footer", "tr"}
    SKIP = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._buf: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(self._skip - 1, 0)
        elif tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._buf.append(data)

    def _flush(self) -> None:
        text = " ".join("".join(self._buf).split())
        if text:
            self.out.append(text)
        self._buf = []

    def close(self) -> None:
        super().close()
        self._flush()


def html_paragraphs(markup: str) -> list[str]:
    """Paragraphs of an HTML or XHTML fragment, tags stripped (markup is read as text, never run)."""
    parser = _Paragraphs()
    parser.feed(markup)
    parser.close()
    return parser.out


def text_paragraphs(text: str) -> list[str]:
    """Paragraphs of plain text: blank-line separated, else one per line."""
    text = text.replace("\r\n", "\n")
    parts = re.split(r"\n\s*\n", text) if re.search(r"\n\s*\n", text) else text.split("\n")
    return [" ".join(p.split()) for p in parts if p.strip()]


_XML_PARAGRAPHS = {"p", "hl2", "li", "blockquote", "pre"}


def xml_paragraphs(root) -> list[str]:
    """Paragraph elements of a NITF or XHTML document's body (NITF body.content, not its head, headline or
    tagline), else its whole text as one paragraph."""
    body = next((el for el in root.iter() if local_name(el.tag) in ("body.content", "body")
                 and not any(local_name(c.tag) == "body.content" for c in el.iter() if c is not el)), root)
    out = [element_text(el) for el in body.iter() if local_name(el.tag) in _XML_PARAGRAPHS]
    return [p for p in out if p] or ([t] if (t := element_text(body)) else [])


def is_xml_body(value: str, content_type: str) -> bool:
    """A body that is an XML document (NITF), by its declared type or by what it is: not HTML."""
    declared = content_type.lower()
    return ("xml" in declared or "nitf" in declared) and "html" not in declared \
        or value.lstrip().startswith(("<?xml", "<nitf"))


def xml_body_paragraphs(value: str) -> list[str]:
    """The paragraphs of an XML body (NITF) carried as text; parsed with defusedxml (a DTD or an entity is
    refused, never expanded); [] when it is not well-formed XML."""
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree as safe_xml
    from defusedxml import DefusedXmlException
    try:
        return xml_paragraphs(safe_xml.fromstring(value))
    except (ParseError, DefusedXmlException, ValueError):
        return []
