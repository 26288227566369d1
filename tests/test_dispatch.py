from pathlib import Path

import pytest

from rag.errors import BadDispatch
from rag.ingest.chunking import chunk_dispatch
from rag.ingest.dispatch import parse_text, read_file

SEED_LIKE = (' date 2025-03 Le ministre pose à Djeddah, le 11 mars 2025 ( POOL / SAUL LOEB )\n\n'
             "L'Ukraine a lancé 77 drones. Le Kremlin se tait.\n\n"
             '- "Sans conditions" préalables -\n\n'
             'Marco Rubio attend une réponse "avec impatience".\n')


def test_seed_format_header_caption_subhead_paragraphs():
    d = parse_text(SEED_LIKE, "x")
    assert d.date == "2025-03" and d.lang == "fr"
    kinds = [b.kind for b in d.blocks]
    assert kinds == ["caption", "paragraph", "heading", "paragraph"]
    caption = d.blocks[0]
    assert caption.credit == "POOL / SAUL LOEB"
    assert d.span(caption).startswith("Le ministre pose")
    assert d.blocks[3].section == '"Sans conditions" préalables'
    assert d.blocks[1].section == ""


def test_title_defaults_to_first_body_sentence_and_header_lines_are_read():
    d = parse_text(" date 2025-04-01\n source AFP\n title Séisme\n\nUn texte. Deux.\n", "y")
    assert (d.date, d.source, d.title) == ("2025-04-01", "AFP", "Séisme")
    assert parse_text(SEED_LIKE, "x").title == "L'Ukraine a lancé 77 drones"


def test_english_detected():
    d = parse_text("The president said on Thursday that the talks were over and the troops would stay.", "e")
    assert d.lang == "en"


def test_markdown_title_and_sections(tmp_path: Path):
    f = tmp_path / "a.md"
    f.write_text("# Big title\n\nFirst para.\n\n## Part two\n\nSecond para.\n", encoding="utf-8")
    d = read_file(f, 10**6).dispatches[0]
    assert d.title == "Big title"
    assert d.body[1].section == "Part two"


def test_jsonl_records(tmp_path: Path):
    f = tmp_path / "feed.jsonl"
    f.write_text('{"id": "a1", "title": "T", "date": "2025-01-02", "text": "Hello world. Second.", "lang": "en", '
                 '"source": "Reuters"}\n\n{"text": "Bonjour le monde."}\n', encoding="utf-8")
    ds = read_file(f, 10**6).dispatches
    assert [d.id for d in ds] == ["a1", "feed-3"]
    assert ds[0].source == "Reuters" and ds[0].date == "2025-01-02" and ds[0].lang == "en"


@pytest.mark.parametrize("content,reason", [
    (b"", "empty"), (b"   \n\n", "whitespace"), (b"\x00\x01binary", "binary"), (b"caf\xe9 latin-1", "UTF-8"),
])
def test_bad_files_raise_clear_errors(tmp_path: Path, content: bytes, reason: str):
    f = tmp_path / "bad.txt"
    f.write_bytes(content)
    with pytest.raises(BadDispatch, match=reason):
        read_file(f, 10**6)


def test_huge_and_unsupported_files(tmp_path: Path):
    big = tmp_path / "big.txt"
    big.write_text("a" * 2000)
    with pytest.raises(BadDispatch, match="limit"):
        read_file(big, 1000)
    pdf = tmp_path / "x.pdf"
    pdf.write_text("x")
    with pytest.raises(BadDispatch, match="unsupported"):
        read_file(pdf, 1000)
    bad_json = tmp_path / "x.json"
    bad_json.write_text("{nope")
    with pytest.raises(BadDispatch, match="invalid JSON"):
        read_file(bad_json, 1000)


def test_dates_are_real_calendar_ranges():
    from datetime import date

    from rag.language.dates import parse_period
    assert (parse_period("2025-03").start, parse_period("2025-03").end) == (date(2025, 3, 1), date(2025, 3, 31))
    assert parse_period("2025-02").end == date(2025, 2, 28) and parse_period("2024-02").end == date(2024, 2, 29)
    assert parse_period("2025-03-12").start == parse_period("2025-03-12").end == date(2025, 3, 12)
    assert parse_period("") is None and parse_period("2025-13-45") is None
    assert parse_period("2025-03").label("fr") == "mars 2025"
    assert parse_period("2025-03-01").label("fr") == "1er mars 2025"
    assert parse_period("2025-03-30").label("en") == "March 30, 2025"


def test_dispatch_of_the_30th_is_newer_than_one_of_the_29th_in_story_versions():
    """Before, every day past the 28th read as the 28th, so these two versions had the same age."""
    from rag import ChunkMeta, Passage
    from rag.answer.versions import disagreements
    from rag.values import Evidence

    def version(n, day, toll):
        meta = ChunkMeta(dispatch_id=f"quake-{day}", date=day, doc_names=("mandalay", "birmanie"))
        return Evidence(n, Passage(f"p{n}", f"Le bilan est de {toll} morts.", meta))

    found = disagreements([version(1, "2025-03-29", "1.644"), version(2, "2025-03-30", "1.700")], {"dead"})
    assert [(d.newer.value, d.newer_date, d.older.value, d.same_day) for d in found] == \
        [(1700, "2025-03-30", 1644, False)]


def test_a_date_that_does_not_exist_leaves_the_dispatch_undated_with_a_warning(tmp_path: Path):
    f = tmp_path / "d.txt"
    f.write_text(" date 2025-13-45\n\nUn paragraphe.\n", encoding="utf-8")
    read = read_file(f, 10**6)
    assert read.dispatches[0].date == "" and "2025-13-45" in read.warnings[0] and "undated" in read.warnings[0]


def test_json_records_with_wrong_values_are_kept_and_each_is_reported(tmp_path: Path):
    f = tmp_path / "feed.jsonl"
    f.write_text('{"id": "a", "text": "Un.", "date": "yesterday"}\n'
                 '{"id": "b", "text": "Deux.", "date": "20250320"}\n'
                 '{"id": "c", "text": "Trois.", "title": ["x", "y"], "source": {"n": 1}}\n'
                 '{"id": "d", "text": broken}\n'
                 '{"id": "e", "text": "Cinq."}\n', encoding="utf-8")
    read = read_file(f, 10**6)
    by_id = {d.id: d for d in read.dispatches}
    assert sorted(by_id) == ["a", "b", "c", "e"]  # the malformed line alone is left out
    assert by_id["a"].date == "" and by_id["b"].date == "2025-03-20" and by_id["c"].source == "unknown"
    text = "\n".join(read.warnings)
    assert "line 1: date 'yesterday'" in text and "line 3: 'title' is a list" in text
    assert "line 3: 'source' is a dict" in text and "line 4: invalid JSON" in text


def test_utf16_with_a_bom_is_read_and_a_nul_byte_late_in_a_file_is_refused(tmp_path: Path):
    f = tmp_path / "u16.txt"
    f.write_bytes("Le texte en UTF-16 est lu.".encode("utf-16"))
    assert read_file(f, 10**6).dispatches[0].text.startswith("Le texte en UTF-16")
    late = tmp_path / "late.txt"
    late.write_bytes(b"texte " * 2000 + b"\x00")
    with pytest.raises(BadDispatch, match="binary"):
        read_file(late, 10**6)


def test_unreadable_files_and_folders_are_reasons_not_tracebacks(tmp_path: Path, monkeypatch):
    """Permission errors are simulated (tests may run as root, who reads everything)."""
    import os

    from rag.ingest.dispatch import iter_files
    (tmp_path / "ok.txt").write_text("Texte lisible.")
    (tmp_path / "secret.txt").write_text("x")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "inside.txt").write_text("y")
    real_open, real_scandir = Path.open, os.scandir

    def open_(self, *args, **kwargs):
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    def scandir(path="."):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(Path, "open", open_)
    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(BadDispatch, match="cannot be read \\(Permission denied\\)"):
        read_file(tmp_path / "secret.txt", 10**6)
    skipped: list = []
    files = iter_files([tmp_path], skipped)
    assert sorted(f.name for f in files) == ["ok.txt", "secret.txt"]
    assert skipped == [(str(tmp_path / "locked"), "folder cannot be read (Permission denied); check its permissions.")]


def test_a_sentence_without_punctuation_is_cut_into_bounded_chunks():
    from rag.ingest.chunking import chunk_dispatch
    from rag.ingest.dispatch import parse_text
    d = parse_text(" date 2025-03-01\n\n" + "mot " * 500_000, "long")  # a 2 MB line without a period
    chunks = chunk_dispatch(d, 128, 1500)
    assert len(chunks) > 1000 and max(len(c.text) for c in chunks) <= 1500
    assert all(d.text[c.meta.start:c.meta.end] == c.text for c in chunks[:50])
    spaceless = parse_text("x" * 10_000, "nospace")
    assert max(len(c.text) for c in chunk_dispatch(spaceless, 128, 1500)) <= 1500


@pytest.mark.parametrize("text, source, day, place", [
    ("LYON, 2 novembre 2025 (AFP) - Le tribunal a condamné mardi l'ancien maire à deux ans de prison.",
     "AFP", "2025-11-02", "LYON"),
    ("MOSCOU, 1er mai 2025 (AFP) - La Russie a annoncé une trêve de trois jours pour le 9 mai.", "AFP", "2025-05-01",
     "MOSCOU"),
    ("Kyiv, March 13, 2025 (AFP) - Ukraine said on Thursday that its troops were pulling back.", "AFP",
     "2025-03-13", "Kyiv"),
    ("RIO DE JANEIRO, 3 mars 2025 (AFP) - Le carnaval a attiré des millions de personnes.", "AFP", "2025-03-03",
     "RIO DE JANEIRO"),
    ("LONDON, July 14 (Reuters) - Oil prices rose on Monday as traders weighed new sanctions.", "Reuters", "",
     "LONDON"),
    ("WASHINGTON (AP) — The Senate passed the bill late on Tuesday after a night of debate.", "AP", "", "WASHINGTON"),
    ("GROSSETO, Italy (AP) -- The trial of the captain of the shipwrecked cruise liner has begun.", "AP", "",
     "GROSSETO, Italy"),
    ("Le président (LR) - qui n'a pas répondu - a quitté la salle sans un mot ce mardi soir.", "unknown", "", ""),
    ("Donald Trump a assuré (AFP) - selon un conseiller - avoir reçu des messages positifs.", "unknown", "", ""),
])
def test_the_agency_day_and_place_are_read_from_the_dateline_agencies_open_with(text, source, day, place):
    d = parse_text(text, "x")
    assert (d.source, d.date, d.place) == (source, day, place)
    assert {c.meta.located for c in chunk_dispatch(d)} == {place}


def test_a_dispatch_without_a_title_is_titled_by_its_first_sentence_not_its_dateline():
    d = parse_text("LYON, 2 novembre 2025 (AFP) - Le tribunal a condamné mardi l'ancien maire. Il fera appel.", "x")
    assert d.title == "Le tribunal a condamné mardi l'ancien maire"
    d = parse_text("GROSSETO, Italy (AP) -- The trial of the captain has begun. Survivors came.", "x")
    assert d.title == "The trial of the captain has begun"


@pytest.mark.parametrize("story, title", [
    # a long first sentence ends on its last clause break within the title's length (they were cut at 90
    # characters mid-phrase: "… a pris le nom de…", "… la Russie à accepter le…")
    ("Hurricane Milton tore across central Florida overnight, spawning deadly tornadoes and knocking out power to "
     "more than three million homes and businesses, officials said on Thursday.",
     "Hurricane Milton tore across central Florida overnight"),
    ("Le cardinal américain Robert Francis Prevost a été élu pape jeudi et a pris le nom de Léon XIV, devenant le "
     "premier pape originaire des Etats-Unis dans l'histoire de l'Eglise catholique.",
     "Le cardinal américain Robert Francis Prevost a été élu pape jeudi et a pris le nom de Léon XIV"),
    # no clause break: cut on a word, not on a function word
    ("Les chefs de la diplomatie du G7 ont appelé vendredi la Russie à accepter le cessez-le-feu sans conditions "
     "et à l'appliquer pleinement sans délai dans toutes les régions du pays et au-delà de ses frontières.",
     "Les chefs de la diplomatie du G7 ont appelé vendredi la Russie à accepter le cessez-le-feu sans conditions "
     "et à l'appliquer pleinement…"),
])
def test_a_long_first_sentence_makes_a_title_that_ends_on_a_clause(story, title):
    assert parse_text(story, "x").title == title


def test_a_header_says_the_agency_and_date_better_than_the_dateline():
    d = parse_text(" date 2025-11-03\n source Reuters\n\nLYON, 2 novembre 2025 (AFP) - Le tribunal a statué.", "x")
    assert (d.source, d.date) == ("Reuters", "2025-11-03")
    d = parse_text(" date 2025-11-03\n\nLYON, 2 novembre 2025 (AFP) - Le tribunal a statué mardi.", "x")
    assert (d.source, d.date) == ("AFP", "2025-11-03")
    d = parse_text("LYON, 2 novembre 2025 (AFP) - Le tribunal a statué mardi.", "x", default_source="maison")
    assert (d.source, d.date) == ("AFP", "2025-11-02")
