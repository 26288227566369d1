"""What news agencies deliver: IPTC ninjs and NewsML-G2 items (the IPTC's own examples, tests/data/wire, MIT and
CC BY 4.0 with their LICENSE files), RSS and Atom feeds, and the life of an item: versions, kills, embargoes."""
import json
import time
from pathlib import Path

import pytest

from rag import Assistant
from rag.errors import BadDispatch
from rag.ingest.dispatch import read_file

from conftest import make_settings

WIRE = Path(__file__).parent / "data" / "wire"
CONCORDIA = "Captain of wrecked cruise ship on trial in Italy"


@pytest.mark.parametrize("name", ["2.1_ninjsExSimpleText_2.json", "2.2_005_complex_text_article.json",
                                  "3.0_ninjsExSimpleText_3.json", "3.1_004_simple_text_article.json",
                                  "3.1_005_complex_text_article.json"])
def test_ninjs_2_and_3_items_are_read_under_each_versions_field_names(name):
    [d] = read_file(WIRE / "ninjs" / name, 10**6).dispatches
    assert d.title == CONCORDIA and d.date == "2013-07-09" and d.lang == "en"
    assert d.id.startswith("http-ninjs.example.com-newsitems-20130709")  # the item's uri: its versions meet
    assert len(d.body) == 4 and d.span(d.body[0]).startswith("GROSSETO, Italy (AP) -- The trial")
    assert d.item.byline == "Paulo Santalucia and Frances d'Emilio" and d.item.version_time.startswith("2013-07-09")


def test_ninjs_metadata_people_places_and_located_are_kept():
    [d] = read_file(WIRE / "ninjs" / "3.1_005_complex_text_article.json", 10**6).dispatches
    assert d.item.located == "Grossetto, Italy"
    assert {"Francesco Schettino", "Tuscany", "Costa Crociere SpA"} <= set(d.item.subjects)


@pytest.mark.parametrize("name,lang", [("2.1_dpa_text.json", "de"), ("2.1_ntb_text.json", "nb"),
                                       ("3.0_tt_text_image_3.json", "sv")])
def test_items_in_other_languages_are_refused_with_the_language_they_give(name, lang):
    with pytest.raises(BadDispatch, match=f"is in '{lang}', as the item says; Dispatch QA answers from French"):
        read_file(WIRE / "ninjs" / name, 10**6)


def test_an_item_in_another_language_is_refused_for_its_language_not_a_schema_warning(tmp_path):
    item = json.loads((WIRE / "ninjs" / "3.1_004_simple_text_article.json").read_text())
    item.update(language="de", urgency="hoch")  # the schema wants a number: a warning, not the reason
    (tmp_path / "de.json").write_text(json.dumps(item), encoding="utf-8")
    with pytest.raises(BadDispatch) as err:
        read_file(tmp_path / "de.json", 10**6)
    assert err.value.reason.startswith("none of its 1 record could be read (record 1: ")
    assert "is in 'de', as the item says; Dispatch QA answers from French and English" in err.value.reason
    assert "not valid ninjs" not in err.value.reason


def test_a_ninjs_item_the_schema_finds_invalid_is_read_with_a_warning(tmp_path):
    item = json.loads((WIRE / "ninjs" / "3.1_004_simple_text_article.json").read_text())
    item["urgency"] = "very"  # the schema wants an integer
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(item))
    read = read_file(path, 10**6)
    assert read.dispatches[0].title == CONCORDIA
    assert any("not valid ninjs 3.1 at 'urgency'" in w for w in read.warnings)


def test_a_newsml_g2_news_item_with_nitf_content():
    [d] = read_file(WIRE / "newsml-g2" / "LISTING_2_NewsML-G2_Text_Document.xml", 10**6).dispatches
    assert (d.id, d.title, d.date, d.source, d.lang) == (
        "urn-newsml-acmenews.com-20161121-US-FINANCE-FED", 'Fed to halt QE to avert "bubble"', "2018-11-21",
        "Associated Press", "en")
    assert d.item.version == "11" and d.item.status == "stat:usable" and d.item.located == "New York, NY"
    assert d.item.byline == "Meredith Jameson" and "central bank" in d.item.subjects
    assert len(d.body) == 2 and d.span(d.body[0]).startswith("(New York, NY - October 21) Et, sent luptat")


@pytest.mark.parametrize("name,reason", [
    ("LISTING_1_A_NewsML-G2_News_Item.xml", "contentSet holds no text"),
    ("LISTING_6_Simple_NewsML-G2_Package.xml", "root is <packageItem>"),
    ("LISTING_25_An_NITF_marked-up_article_conveyed_in_inlineXML.xml", "root is <contentSet>")])
def test_newsml_g2_documents_without_a_readable_item_are_skipped_with_a_reason(name, reason):
    with pytest.raises(BadDispatch, match=reason):
        read_file(WIRE / "newsml-g2" / name, 10**6)


@pytest.mark.parametrize("name,text,reason", [
    ("empty.rss", '<rss version="2.0"><channel><title>Wire</title><link>https://w.example</link>'
     "<description>x</description></channel></rss>", "an RSS feed with no <item> in it; nothing to index."),
    ("empty.atom", '<feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title><id>urn:x</id></feed>',
     "an Atom feed with no <entry> in it; nothing to index."),
    ("empty.xml", '<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><header/><itemSet/></newsMessage>',
     "a NewsML-G2 newsMessage with no <newsItem> in its itemSet; nothing to index."),
    ("empty.json", "[]", "a JSON list with no record in it; nothing to index."),
    ("none.rss", '<rss version="2.0"><channel><title>Wire</title><item><link>https://w.example/a</link></item>'
     "</channel></rss>", r"none of its 1 item could be read \(entry 1: a feed entry with no title, summary "
     r"or content. Left out.\)")])
def test_a_wire_file_with_no_usable_item_says_what_was_looked_for(tmp_path, name, text, reason):
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(BadDispatch, match=reason):
        read_file(tmp_path / name, 10**6)


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="x"><contentSet><inlineData>&lol9;</inlineData>
</contentSet></newsItem>"""


@pytest.mark.parametrize("text,reason", [(BOMB, "DTD or entity declarations"), ("<newsItem><oops>", "invalid XML"),
                                         ('{"uri": "x", "headlines": [', "invalid JSON")])
def test_malformed_wire_files_are_reasons_and_an_xml_bomb_is_not_expanded(tmp_path, text, reason):
    path = tmp_path / ("bad.json" if text.startswith("{") else "bad.xml")
    path.write_text(text)
    start = time.monotonic()
    with pytest.raises(BadDispatch, match=reason):
        read_file(path, 10**6)
    assert time.monotonic() - start < 5





def test_rss_and_atom_entries_are_dispatches():
    """Feeds written for this test (tests/data/wire/feeds): RSS 2.0 with HTML descriptions, Atom with XHTML."""
    rss = read_file(WIRE / "feeds" / "courrier.rss", 10**6).dispatches
    assert [d.title for d in rss] == ["Le barrage de Vézelon rouvre", "Rien"]
    d = rss[0]
    assert (d.id, d.date, d.lang, d.source, d.item.byline) == ("https-courrier.example-vezelon-barrage", "2025-06-10",
                                                              "fr", "Le Courrier de Vézelon", "Marie Dupont")
    assert [d.span(b) for b in d.body] == ["Le barrage de Vézelon a rouvert mardi après six mois de travaux.",
                                           "Le chantier a coûté 12 millions d'euros."]
    [a] = read_file(WIRE / "feeds" / "herald.atom", 10**6).dispatches
    assert (a.id, a.date, a.lang, a.source, a.item.byline) == ("tag-herald.example-2025-train", "2025-06-05", "en",
                                                              "Valbrune Herald", "John Smith")
    assert len(a.body) == 2 and a.span(a.body[1]) == "Repairs cost 4 million euros, the operator said."


def test_an_rss_item_with_a_photo_keeps_its_story_and_reads_the_caption_as_one():
    """Agency feeds put a photo's caption in media:description; feedparser hands it over as the entry's
    content, which once stood in for the story."""
    dam, dike = read_file(WIRE / "feeds" / "agency-media.rss", 10**6).dispatches
    assert [dam.span(b) for b in dam.body] == [
        "The Vezelon dam gave way on Tuesday evening, flooding three hamlets downstream. Nobody was hurt, the "
        "prefecture said, but 240 people spent the night in a gymnasium."]
    assert [dam.span(b) for b in dam.blocks if b.kind == "caption"] == ["Rescuers near the Vezelon dam on June 17, "
                                                                        "2025."]
    assert [dike.span(b) for b in dike.body] == ["The Montrival dike was reinforced on Monday after six months of "
                                                 "works.", "The works cost 4 million euros, the operator said."]
    assert [dike.span(b) for b in dike.blocks if b.kind == "caption"] == ["The Montrival dike seen from the river."]

NITF = """<?xml version="1.0" encoding="UTF-8"?>
<nitf xmlns="http://iptc.org/std/NITF/2006-10-18/" version="-//IPTC//DTD NITF 3.6//EN">
  <head><title>Vezelon dam gives way</title><docdata><doc-id id-string="wire-20250618-vezelon"/></docdata></head>
  <body>
    <body.head>
      <hedline><hl1>Vezelon dam gives way</hl1></hedline>
      <byline>By <person>Anne Martin</person></byline>
      <dateline><location><city>VALENCE</city></location>,
        <story.date norm="20250618T080000Z">June 18</story.date></dateline>
    </body.head>
    <body.content>
      <p>The Vezelon dam gave way on Tuesday evening, flooding three hamlets downstream.</p>
      <p>Nobody was hurt, the prefecture said, but 240 people spent the night in a gymnasium.</p>
    </body.content>
    <body.end><tagline>(Reporting by Anne Martin; editing by Paul Roux)</tagline></body.end>
  </body>
</nitf>"""


def test_a_nitf_body_inside_ninjs_is_read_by_its_declared_type(tmp_path):
    """A ninjs body declared application/nitf+xml is NITF: its body.content paragraphs are the text (the
    XML declaration, the head and the headline are not passages, the tags are no forged markup)."""
    item = {"uri": "urn:example:vezelon-nitf", "type": "text", "version": "1", "language": "en",
            "versionCreated": "2025-06-18T08:00:00Z", "pubStatus": "usable",
            "headlines": [{"role": "main", "value": "Vezelon dam gives way"}],
            "bodies": [{"role": "main", "contentType": "application/nitf+xml", "value": NITF}]}
    (tmp_path / "nitf.json").write_text(json.dumps(item), encoding="utf-8")
    read = read_file(tmp_path / "nitf.json", 10**6)
    [d] = read.dispatches
    assert [d.span(b) for b in d.blocks] == [
        "The Vezelon dam gave way on Tuesday evening, flooding three hamlets downstream.",
        "Nobody was hurt, the prefecture said, but 240 people spent the night in a gymnasium."]
    assert (d.title, read.warnings) == ("Vezelon dam gives way", [])
    item["bodies"][0]["contentType"] = "text/xml"  # a body that is NITF whatever it is declared as
    (tmp_path / "nitf.json").write_text(json.dumps(item), encoding="utf-8")
    assert [d.span(b) for b in read_file(tmp_path / "nitf.json", 10**6).dispatches[0].blocks][0].startswith(
        "The Vezelon dam gave way")

RSS1 = """<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://gazette.example/"><title>La Gazette du Vézelon</title><dc:language>fr</dc:language>
    <items><rdf:Seq><rdf:li rdf:resource="https://gazette.example/digue"/></rdf:Seq></items></channel>
  <item rdf:about="https://gazette.example/digue"><title>La digue de Montrival &amp; le barrage</title>
    <link>https://gazette.example/digue</link><dc:date>2025-06-12T10:15:00+02:00</dc:date>
    <dc:creator>Paul Martin</dc:creator>
    <description>&lt;p&gt;La digue de Montrival a été renforcée.&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;
    </description>
  </item>
</rdf:RDF>"""


def test_an_rss_1_0_feed_is_read_and_its_html_sanitised(tmp_path):
    """RSS 1.0 (RDF) is one of the dialects feedparser reads; script in a description is never text."""
    path = tmp_path / "gazette.rss"
    path.write_text(RSS1, encoding="utf-8")
    [d] = read_file(path, 10**6).dispatches
    assert (d.title, d.date, d.lang, d.source) == ("La digue de Montrival & le barrage", "2025-06-12", "fr",
                                                  "La Gazette du Vézelon")
    assert (d.item.uri, d.item.version_time, d.item.byline) == ("https://gazette.example/digue",
                                                                "2025-06-12T10:15:00+02:00", "Paul Martin")
    assert [d.span(b) for b in d.body] == ["La digue de Montrival a été renforcée."]


def _ninjs(tmp_path: Path, name: str, version: int, when: str, text: str, **extra) -> Path:
    item = {"uri": extra.pop("uri", "urn:example:vezelon-dam"), "type": "text", "version": str(version),
            "versionCreated": when, "language": "fr", "pubStatus": extra.pop("status", "usable"),
            "headlines": [{"role": "main", "value": extra.pop("title", "Barrage de Vézelon")}],
            "bodies": [{"role": "main", "contentType": "text/plain", "value": text}], **extra}
    path = tmp_path / name
    path.write_text(json.dumps(item, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def wire_qa(tmp_path) -> Assistant:
    return Assistant(make_settings(tmp_path / "index"))


def _texts(qa: Assistant) -> str:
    return " ".join(c.text for c in qa.store.iter_chunks())


def test_a_new_version_replaces_the_old_which_stays_searchable_as_an_earlier_version(wire_qa, tmp_path, capsys):
    from rag.apps import cli
    v1 = _ninjs(tmp_path, "v1.json", 1, "2025-06-18T08:00:00+02:00", "Le barrage a cédé : 3 blessés.")
    v2 = _ninjs(tmp_path, "v2.json", 2, "2025-06-18T09:30:00+02:00", "Le barrage a cédé : 5 blessés.")
    assert wire_qa.ingest([v1], progress=False).added == ["urn-example-vezelon-dam"]
    report = wire_qa.ingest([v2], progress=False)
    assert report.replaced == ["urn-example-vezelon-dam"] and report.chunks_earlier == 1 and not report.chunks_removed
    assert "1 kept as an earlier version" in report.summary()
    [row] = wire_qa.dispatches()  # one story, its current version listed
    assert (row["chunks"], row["earlier_versions"], row["complete"]) == (1, 1, True)
    assert cli.main(["list", "--index", wire_qa.settings.index_dir]) == 0
    assert "Barrage de Vézelon  [1 earlier version(s) kept]" in capsys.readouterr().out
    found = wire_qa.retrieve("Combien de blessés au barrage de Vézelon ?", k=3)
    assert [p.text for p in found] == ["Le barrage a cédé : 5 blessés.", "Le barrage a cédé : 3 blessés."]
    assert [p.meta.superseded for p in found] == ["", "2025-06-18T09:30:00+02:00"]  # the current text first
    late = wire_qa.ingest([v1], progress=False)  # the earlier version again: already kept
    assert late.unchanged == ["urn-example-vezelon-dam"] and not late.added and not late.replaced
    assert wire_qa.ingest([v2], progress=False).unchanged == ["urn-example-vezelon-dam"]  # the same version twice
    v0 = _ninjs(tmp_path, "v0.json", 0, "2025-06-18T07:00:00+02:00", "Le barrage se fissure.")
    older = wire_qa.ingest([v0], progress=False)  # an older version never seen arrives late: kept as earlier
    assert older.earlier == ["urn-example-vezelon-dam"] and not older.replaced and not older.skipped
    assert wire_qa.ingest([v0], progress=False).unchanged == ["urn-example-vezelon-dam"]
    assert "5 blessés" in wire_qa.retrieve("Que s'est-il passé au barrage de Vézelon ?", k=1)[0].text
    both = Assistant(make_settings(tmp_path / "index2")).ingest([v2, v1], progress=False)  # one ingest, both
    assert both.added == ["urn-example-vezelon-dam"] and both.earlier == ["urn-example-vezelon-dam"]


def test_an_answer_gives_the_current_version_and_names_the_earlier_one_with_its_time(wire_qa, tmp_path):
    """The story-versions note is fed the item's real versions, with their version times."""
    from rag.apps.ui_html import answer_html
    wire_qa.ingest([_ninjs(tmp_path, "v1.json", 1, "2025-06-18T08:00:00+02:00",
                           "La rupture du barrage de Vézelon a fait 3 blessés, selon la préfecture.")], progress=False)
    wire_qa.ingest([_ninjs(tmp_path, "v2.json", 2, "2025-06-18T09:30:00+02:00",
                           "La rupture du barrage de Vézelon a fait 5 blessés, selon la préfecture.")], progress=False)
    answer = wire_qa.ask("Combien de blessés a fait la rupture du barrage de Vézelon ?")
    assert answer.text.startswith("Selon la dépêche la plus récente (18 juin 2025 09:30), le nombre de blessés "
                                  "est de 5 [1]. Une version antérieure (18 juin 2025 08:00) donnait 3 [2].")
    assert answer.timeline[:2] == [("2025-06-18T09:30:00+02:00", 5, 1), ("2025-06-18T08:00:00+02:00", 3, 2)]
    earlier = answer.citations[1]
    assert (earlier.superseded, earlier.version_time) == ("2025-06-18T09:30:00+02:00", "2025-06-18T08:00:00+02:00")
    html = answer_html(answer, "fr", "t")
    assert "version antérieure (18 juin 2025 08:00), remplacée le 18 juin 2025 09:30" in html
    assert "18 juin 2025 09:30" in html and "date inconnue" not in html  # the timeline gives version times
    did = earlier.dispatch_id  # 'open the dispatch' reads the version cited, each on its own
    assert [t for *_, t in wire_qa.dispatch_passages(did, earlier.chunk_id)] == [earlier.text]
    assert [t for *_, t in wire_qa.dispatch_passages(did)] == [answer.citations[0].text]


def test_a_kill_notice_takes_the_item_out_of_the_answers(wire_qa, tmp_path):
    first = _ninjs(tmp_path, "v1.json", 1, "2025-06-18T08:00:00Z", "Le barrage de Vézelon a cédé mardi soir.")
    wire_qa.ingest([first], progress=False)
    assert wire_qa.retrieve("Que s'est-il passé au barrage de Vézelon ?", k=1)
    kill = _ninjs(tmp_path, "kill.json", 2, "2025-06-18T10:00:00Z", "Article retiré.", status="canceled")
    report = wire_qa.ingest([kill], progress=False)
    assert report.withdrawn == ["urn-example-vezelon-dam"] and "1 withdrawn" in report.summary()
    assert wire_qa.stats()["chunks"] == 0 and "Vézelon" not in _texts(wire_qa)


def test_an_embargoed_item_is_stored_listed_as_such_and_not_found_until_its_embargo_ends(tmp_path, capsys):
    """The clock embargoes are checked against is the `now` setting (`--now`): before the embargo ends the item
    is stored, listed as embargoed (CLI, Dispatches tab) and found by no search; after, it is found."""
    from rag.apps import cli
    from rag.apps.ui import dispatch_rows
    path = _ninjs(tmp_path, "emb.json", 1, "2025-06-18T08:00:00Z", "Le barrage de Vézelon rouvrira le 1er juillet.",
                  embargoedUntil="2025-06-20T12:00:00Z")
    question, index = "Quand le barrage de Vézelon rouvrira-t-il ?", str(tmp_path / "index")
    before = Assistant(make_settings(tmp_path / "index", now="2025-06-20T11:59:00Z"))
    before.ingest([path], progress=False)
    assert before.stats()["chunks"] == 1 and not before.retrieve(question, k=3)
    assert dispatch_rows(before, "fr")[0][5] == "(sous embargo jusqu'au 20 juin 2025 12:00) Barrage de Vézelon"
    assert cli.main(["list", "--index", index, "--now", "2025-06-20T11:59:00Z"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("Barrage de Vézelon  [embargoed until 2025-06-20T12:00:00Z]")
    after = Assistant(make_settings(tmp_path / "index", now="2025-06-20T12:01:00Z"))
    assert "rouvrira le 1er juillet" in after.retrieve(question, k=3)[0].text
    assert dispatch_rows(after, "en")[0][5] == "Barrage de Vézelon"
    assert cli.main(["list", "--index", index, "--now", "2025-06-20T12:01:00Z"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("\tBarrage de Vézelon")
    assert cli.main(["list", "--index", index, "--now", "tomorrow"]) == 2
    assert "'tomorrow' is not an ISO 8601 time" in capsys.readouterr().err


def _until(test, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if test():
            return True
        time.sleep(0.1)
    return False


def test_a_watched_spool_folder_reads_what_lands_once_complete_and_a_kill_withdraws_it(wire_qa, tmp_path):
    """dispatch-qa watch, end to end: what was there before is ingested; a file written under a temporary name
    and then renamed is read once complete, never half-written; a kill notice that lands withdraws its item."""
    import threading

    from rag.apps.watch import watch
    spool = tmp_path / "spool"
    spool.mkdir()
    _ninjs(spool, "before.json", 1, "2025-06-17T08:00:00Z", "La digue de Montrival a été renforcée lundi.",
           uri="urn:example:montrival-dike", title="Digue de Montrival")
    reports, stop = [], threading.Event()
    worker = threading.Thread(target=watch, args=(wire_qa, spool, reports.append, stop, 0.2), daemon=True)
    worker.start()
    try:
        assert _until(lambda: reports and wire_qa.stats()["dispatches"] == 1, 60)
        partial = spool / "vezelon.json.part"
        item = _ninjs(tmp_path, "full.json", 1, "2025-06-18T08:00:00Z", "Le barrage de Vézelon a cédé mardi soir.")
        data = item.read_bytes()
        partial.write_bytes(data[: len(data) // 2])  # a writer half way through
        time.sleep(1.0)
        assert wire_qa.stats()["dispatches"] == 1  # the temporary name is not read
        partial.write_bytes(data)
        partial.rename(spool / "vezelon.json")
        assert _until(lambda: "Vézelon" in _texts(wire_qa), 60) and wire_qa.stats()["dispatches"] == 2
        hits = wire_qa.retrieve("Que s'est-il passé au barrage de Vézelon ?", k=1)
        assert "a cédé mardi soir" in hits[0].text
        answer = wire_qa.ask("Que s'est-il passé au barrage de Vézelon ?")  # answered (SmolLM2), and cited
        assert not answer.refused and answer.citations[0].dispatch_id == "urn-example-vezelon-dam", answer.text
        _ninjs(spool, "kill.json", 2, "2025-06-18T10:00:00Z", "Article retiré.", status="withheld")
        # (the report comes once its ingest has returned, a moment after the passages are gone: wait for it)
        assert _until(lambda: any(r.withdrawn == ["urn-example-vezelon-dam"] for r in reports), 60)
        assert "Vézelon" not in _texts(wire_qa) and "Montrival" in _texts(wire_qa)  # the other item stays
        assert not any(r.skipped for r in reports), [r.summary() for r in reports]
    finally:
        stop.set()
        worker.join(10)


CORRECTION = """<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:newsml:example.com:20250618:vezelon" version="3"
    standard="NewsML-G2" standardversion="2.35" xml:lang="en">
  <itemMeta><itemClass qcode="ninat:text"/><provider qcode="nprov:EXAMPLE"/>
    <versionCreated>2025-06-18T14:05:00Z</versionCreated><pubStatus qcode="stat:usable"/>
    <signal qcode="sig:correction"/></itemMeta>
  <contentMeta><located><name>Valence</name></located><creator><name>Anne Martin</name></creator>
    <language tag="en"/><headline>Vezelon dam gives way</headline></contentMeta>
  <contentSet><inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml"><body>
    <p>The Vezelon dam gave way on Tuesday evening, flooding three hamlets; nobody was hurt, the prefecture said.</p>
  </body></html></inlineXML></contentSet>
</newsItem>"""


def test_a_source_card_shows_the_dateline_byline_and_that_the_item_was_corrected(wire_qa, tmp_path):
    from rag import Answer
    from rag.answer.answerer import _citation
    from rag.apps.ui_html import answer_html
    (tmp_path / "correction.xml").write_text(CORRECTION, encoding="utf-8")
    wire_qa.ingest([tmp_path / "correction.xml"], progress=False)
    [p] = wire_qa.retrieve("What happened at the Vezelon dam?", k=1)
    html = answer_html(Answer("q", "It gave way [1].", "en", citations=[_citation(1, p, 0.9, [])]), "en", "t")
    assert "Valence · June 18, 2025 · EXAMPLE · Anne Martin · corrected June 18, 2025 14:05" in html
    assert "corrigée le 18 juin 2025 14:05" in answer_html(
        Answer("q", "Il a cédé [1].", "fr", citations=[_citation(1, p, 0.9, [])]), "fr", "t")


def test_an_answer_resting_on_a_corrected_item_says_so_in_its_text(wire_qa, tmp_path):
    (tmp_path / "correction.xml").write_text(CORRECTION, encoding="utf-8")
    wire_qa.ingest([tmp_path / "correction.xml"], progress=False)
    answer = wire_qa.ask("What happened at the Vezelon dam?")
    assert not answer.refused and answer.text.endswith("Source corrected by the agency on June 18, 2025 14:05 [1].")


def test_a_withdrawn_item_is_listed_as_such_and_old_answers_citing_it_say_so(wire_qa, tmp_path, capsys):
    from rag.apps import cli
    from rag.apps.ui import stale_sources
    v1 = _ninjs(tmp_path, "v1.json", 1, "2025-06-18T08:00:00Z", "Le barrage de Vézelon a cédé : 3 blessés.")
    wire_qa.ingest([v1], progress=False)
    [p] = wire_qa.retrieve("Que s'est-il passé au barrage de Vézelon ?", k=1)
    turns = [{"q": "?", "html": "<p>x</p>", "cites": [[p.meta.dispatch_id, p.id]]}]
    assert stale_sources(wire_qa, turns, "en") == {}
    wire_qa.ingest([_ninjs(tmp_path, "v2.json", 2, "2025-06-18T09:00:00Z", "Le barrage a cédé : 5 blessés.")],
                   progress=False)
    assert stale_sources(wire_qa, turns, "fr") == {0: "Une source de cette réponse a été mise à jour depuis."}
    wire_qa.ingest([_ninjs(tmp_path, "kill.json", 3, "2025-06-18T10:00:00Z", "Retiré.", status="canceled")],
                   progress=False)
    assert stale_sources(wire_qa, turns, "en") == {0: "A source of this answer has since been withdrawn or deleted."}
    assert wire_qa.stats()["chunks"] == 0  # the kill took the item out with its earlier version
    assert wire_qa.withdrawn()["urn-example-vezelon-dam"]["title"] == "Barrage de Vézelon"
    assert cli.main(["list", "--index", wire_qa.settings.index_dir]) == 0
    assert "urn-example-vezelon-dam\t2025-06-18\t-\t-\twithdrawn\tBarrage de Vézelon  [withdrawn by a kill notice" \
        in capsys.readouterr().out
    wire_qa.ingest([_ninjs(tmp_path, "v4.json", 4, "2025-06-19T08:00:00Z", "Le barrage a été réparé.")],
                   progress=False)
    assert wire_qa.withdrawn() == {} and wire_qa.stats()["dispatches"] == 1  # a usable version brings it back


@pytest.mark.server
def test_the_ui_server_watches_the_watch_folder_setting(tmp_path):
    from servers import gradio_app
    spool = tmp_path / "spool"
    spool.mkdir()
    qa = Assistant(make_settings(tmp_path / "index", watch_folder=str(spool)))
    with gradio_app(qa):
        _ninjs(tmp_path, "item.json", 1, "2025-06-18T08:00:00Z", "Le barrage de Vézelon a cédé mardi soir.")
        (tmp_path / "item.json").rename(spool / "item.json")
        assert _until(lambda: qa.stats()["dispatches"] == 1)
    assert "a cédé mardi soir" in qa.retrieve("Que s'est-il passé au barrage de Vézelon ?", k=1)[0].text


def test_a_ninjs_version_this_release_does_not_know_is_read_with_a_warning(tmp_path):
    item = json.loads((WIRE / "ninjs" / "3.1_004_simple_text_article.json").read_text())
    item["$schema"] = "http://www.iptc.org/std/ninjs/ninjs-schema_4.0.json"
    (tmp_path / "future.json").write_text(json.dumps(item))
    read = read_file(tmp_path / "future.json", 10**6)
    assert read.dispatches[0].title == CONCORDIA
    assert any("ninjs 4.0 is a version this release does not know" in w for w in read.warnings)
    del item["$schema"]  # ninjs 3 says its version in `standard`, as IPTC's own ninjs 3 examples do
    item["standard"] = {"name": "ninjs", "version": "4.0", "schema": "https://www.iptc.org/std/ninjs/schema.json"}
    (tmp_path / "future.json").write_text(json.dumps(item))
    read = read_file(tmp_path / "future.json", 10**6)
    assert read.dispatches[0].title == CONCORDIA
    assert read.warnings == ["record 1: ninjs 4.0 is a version this release does not know; read by its field "
                             "names, not validated."]
    item["standard"] = {"name": "ninjs", "version": "3.0",
                        "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_3.0.json#"}
    (tmp_path / "known.json").write_text(json.dumps(item))
    assert read_file(tmp_path / "known.json", 10**6).warnings == []


def _kill_ninjs(tmp_path: Path, name: str, version: int, when: str) -> Path:
    """A ninjs 3 kill notice as agencies send them: the item's identity, a new version and its time, the
    status; no body, no headline."""
    item = {"uri": "urn:example:vezelon-dam", "type": "text", "version": str(version), "versionCreated": when,
            "pubStatus": "canceled", "language": "fr"}
    path = tmp_path / name
    path.write_text(json.dumps(item), encoding="utf-8")
    return path


KILL_G2 = """<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:newsml:example.com:20250618:vezelon" version="4"
    standard="NewsML-G2" standardversion="2.35" xml:lang="en">
  <itemMeta><itemClass qcode="ninat:text"/><provider qcode="nprov:EXAMPLE"/>
    <versionCreated>2025-06-18T15:00:00Z</versionCreated><pubStatus qcode="stat:canceled"/></itemMeta>
  <contentMeta><headline>KILL - Vezelon dam</headline></contentMeta>
</newsItem>"""


def test_a_kill_notice_with_no_body_withdraws_its_item(wire_qa, tmp_path):
    """Kill notices usually carry no text: the item's status is read before its text is required."""
    wire_qa.ingest([_ninjs(tmp_path, "v1.json", 1, "2025-06-18T08:00:00Z", "Le barrage de Vézelon a cédé.")],
                   progress=False)
    report = wire_qa.ingest([_kill_ninjs(tmp_path, "kill.json", 2, "2025-06-18T10:00:00Z")], progress=False)
    assert report.withdrawn == ["urn-example-vezelon-dam"] and not report.skipped and not report.warnings
    assert wire_qa.stats()["chunks"] == 0 and wire_qa.withdrawn()["urn-example-vezelon-dam"]["title"] == \
        "Barrage de Vézelon"
    (tmp_path / "correction.xml").write_text(CORRECTION, encoding="utf-8")
    wire_qa.ingest([tmp_path / "correction.xml"], progress=False)
    (tmp_path / "kill.xml").write_text(KILL_G2, encoding="utf-8")
    g2 = wire_qa.ingest([tmp_path / "kill.xml"], progress=False)
    assert g2.withdrawn == ["urn-newsml-example.com-20250618-vezelon"] and not g2.skipped, g2.summary()
    assert wire_qa.stats()["chunks"] == 0 and "Vezelon" not in _texts(wire_qa)


def test_a_kill_stands_until_a_version_newer_than_the_kill_arrives(wire_qa, tmp_path):
    """Agencies resend and backfills re-ingest: an older version arriving after the kill stays out, the item
    stays marked withdrawn; a version made after the kill brings it back."""
    v1 = _ninjs(tmp_path, "v1.json", 1, "2025-06-18T08:00:00Z", "Le barrage de Vézelon a cédé : 3 blessés.")
    v2 = _ninjs(tmp_path, "v2.json", 2, "2025-06-18T09:00:00+02:00", "Le barrage de Vézelon a cédé : 5 blessés.")
    wire_qa.ingest([v1, v2], progress=False)
    wire_qa.ingest([_kill_ninjs(tmp_path, "kill.json", 3, "2025-06-18T10:00:00Z")], progress=False)
    for resent in ([v1], [v2], [v2, v1]):
        report = wire_qa.ingest(resent, progress=False)
        assert not report.added and not report.earlier and not report.replaced, report.summary()
        assert [why for _, why in report.skipped] == ["an earlier version of an item a kill notice withdrew "
                                                     "(2025-06-18T10:00:00Z); a kill stands until a newer "
                                                     "version arrives."] * len(resent)
        assert wire_qa.stats()["chunks"] == 0 and "urn-example-vezelon-dam" in wire_qa.withdrawn()
    fresh = Assistant(make_settings(tmp_path / "index2"))  # one ingest holding the kill and older versions
    report = fresh.ingest([v2, _kill_ninjs(tmp_path, "kill.json", 3, "2025-06-18T10:00:00Z"), v1], progress=False)
    assert report.withdrawn == ["urn-example-vezelon-dam"] and fresh.stats()["chunks"] == 0, report.summary()
    v4 = _ninjs(tmp_path, "v4.json", 4, "2025-06-18T12:30:00+02:00", "Le barrage de Vézelon a été réparé.")
    back = wire_qa.ingest([v4, v1], progress=False)  # after the kill by 30 minutes; v1 stays out
    assert back.added == ["urn-example-vezelon-dam"] and wire_qa.withdrawn() == {}, back.summary()
    assert "a été réparé" in _texts(wire_qa) and "blessés" not in _texts(wire_qa)


def test_a_file_another_process_has_open_for_writing_is_seen_as_such(tmp_path):
    from rag.apps.watch import open_for_writing
    path = tmp_path / "item.txt"
    with path.open("w") as writer:
        writer.write("Le barrage")
        assert open_for_writing(path)
    assert not open_for_writing(path)
    with path.open("r"):
        assert not open_for_writing(path)
    with path.open("r+"):
        assert open_for_writing(path)


def test_a_watched_folder_reads_files_written_in_place_only_once_whole(wire_qa, tmp_path):
    """Writers that write in place: a text written in two halves 1.5 s apart, an XML feed in three chunks 1.5 s
    apart (each closing the file), a writer that keeps the file open longer than the quiet period between two
    writes. Each is read once, whole: never half, never tried while incomplete."""
    import threading

    from rag.apps.watch import watch
    spool = tmp_path / "spool"
    spool.mkdir()
    reports, stop = [], threading.Event()
    worker = threading.Thread(target=watch, args=(wire_qa, spool, reports.append, stop, 3.0), daemon=True)
    worker.start()
    text = ("title Barrage de Vézelon\n\nLe barrage de Vézelon a cédé mardi soir, inondant trois hameaux.\n\n"
            "Personne n'a été blessé, selon la préfecture, mais 240 personnes ont dormi dans un gymnase.\n")
    feed = (WIRE / "feeds" / "agency-media.rss").read_bytes()
    try:
        assert _until(lambda: reports, 60)
        (spool / "vezelon.txt").write_text(text[:90], encoding="utf-8")
        (spool / "world.rss").write_bytes(feed[:900])
        time.sleep(1.5)  # writers that close the file between writes, pausing less than the quiet period
        with (spool / "vezelon.txt").open("a", encoding="utf-8") as f:
            f.write(text[90:])
        with (spool / "world.rss").open("ab") as f:
            f.write(feed[900:1800])
        with (spool / "held.txt").open("w", encoding="utf-8") as held:  # open for writing 4 s: longer than quiet
            held.write("La digue de Montrival a été renforcée lundi.")
            held.flush()
            time.sleep(1.5)
            with (spool / "world.rss").open("ab") as f:
                f.write(feed[1800:])
            time.sleep(2.5)
            assert "Montrival a été" not in _texts(wire_qa)
            held.write("\n\nLes travaux ont coûté 4 millions d'euros.\n")
        assert _until(lambda: "4 millions d'euros" in _texts(wire_qa) and "240 personnes" in _texts(wire_qa)
                      and "The works cost 4 million euros" in _texts(wire_qa), 60)
        assert wire_qa.stats()["dispatches"] == 4
        assert not any(r.skipped or r.replaced or r.warnings for r in reports), [r.summary() for r in reports]
        assert sorted(i for r in reports for i in r.added) == ["held", "vezelon", "wire-20250617-montrival",
                                                               "wire-20250618-vezelon"]
    finally:
        stop.set()
        worker.join(10)
