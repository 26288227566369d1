"""A news item as a wire format delivers it, before it becomes a Dispatch: its identity, its paragraphs, the
header fields a dispatch has (title, date, source, lang) and the rest of what the format says (ItemMeta)."""
from __future__ import annotations

from dataclasses import dataclass, field

from rag.ingest.item import ItemMeta


@dataclass
class WireRecord:
    uri: str  # identity across versions ("" when the format gives none: the file name stands for it)
    paragraphs: list[str]
    header: dict[str, str]  # title, date, source, lang: as parse_text takes them
    item: ItemMeta
    warnings: list[str] = field(default_factory=list)
