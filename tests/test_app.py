"""The Gradio app over a real index: its HTML (escaped, per-answer sources), its API, and its security through
Gradio's raw queue protocol (what any script on the network can send, whatever the UI shows)."""
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rag import Answer, AnswerSentence, Citation
from rag.apps import ui
from rag.apps.ui_html import answer_html, pick_language, texts

from servers import gradio_app, queue_call

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def app_url(qa):
    with gradio_app(qa) as url:
        yield url


def _ask(url, question, lang="en"):
    from gradio_client import Client
    return Client(url, verbose=False).predict(question, lang, api_name="/ask")


def test_api_answers_with_markers_and_sources(app_url):
    text, html = _ask(app_url, "Combien de drones ont été abattus au-dessus de Briansk ?", "fr")
    assert "[1]" in text and "30" in text
    assert 'class="dqa-cite"' in html and 'id="api-s1"' in html and "en a compté 30 à elle seule" in html
    assert "Ouvrir la dépêche" in html and "2025-03-13-drones-briansk.fr.txt" in html
    assert "/" + "tmp" not in html.split("2025-03-13-drones-briansk.fr.txt")[0][-40:]  # a file name, not a path


def test_the_api_says_why_it_refuses_a_question(app_url):
    from gradio_client.exceptions import AppError
    with pytest.raises(AppError, match="The question is 100,000 characters long; the limit is"):
        _ask(app_url, "Combien de drones ? " * 5000)


def test_ten_concurrent_questions_each_get_their_own_cited_answer(app_url):
    """Each answer cites a passage about its own question: no error, no answer crossed between sessions."""
    topics = {"Combien de drones ont été abattus au-dessus de Briansk ?": "Briansk",
              "Who won Eurovision in Basel?": "Eurovision", "Quel nom a pris le nouveau pape ?": "Léon",
              "Who is Mark Carney?": "Carney", "Quel est le bilan du séisme de magnitude 7,7 ?": "7,7"}
    questions = list(topics) * 2
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda q: _ask(app_url, q), questions))
    for question, (text, html) in zip(questions, results):
        assert "[1]" in text and 'id="api-s1"' in html and topics[question] in html, (question, text)


def test_ingest_box_refuses_folders_outside_the_allowed_ones_even_through_the_raw_protocol(app_url, tmp_path, qa):
    """A planted file outside the corpus folders is not read, whatever a script posts."""
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "token.txt").write_text("TOKEN-PLANTED-4242 first line", encoding="utf-8")
    before = qa.stats()["dispatches"]
    done = queue_call(app_url, "dqa-folder", [None, str(tmp_path / "secret"), "en"])
    output = str(done.get("output"))
    assert "not under an allowed folder" in output and "TOKEN-PLANTED" not in output
    sneaky = str(tmp_path / "secret" / ".." / "secret")
    assert "not under an allowed folder" in str(queue_call(app_url, "dqa-folder", [None, sneaky, "en"]).get("output"))
    forged = [{"path": str(tmp_path / "secret" / "token.txt"), "meta": {"_type": "gradio.FileData"}}]
    output = str(queue_call(app_url, "dqa-folder", [forged, "", "en"]))
    assert "TOKEN-PLANTED" not in output
    assert qa.stats()["dispatches"] == before


def test_a_file_link_in_an_allowed_folder_leading_out_of_it_is_not_read(app_url, tmp_path, qa, corpus_dir):
    """Folders under an allowed one are readable, but a file symlink there may not lead outside."""
    (tmp_path / "secret.txt").write_text("Le code secret du serveur est TOKEN-LINKED-4242.", encoding="utf-8")
    sub = corpus_dir / "sub"
    sub.mkdir()
    try:
        (sub / "leak.fr.txt").symlink_to(tmp_path / "secret.txt")
        before = qa.stats()["dispatches"]
        output = str(queue_call(app_url, "dqa-folder", [None, str(sub), "en"]).get("output"))
        assert "links outside the folders the ingest may read" in output and "TOKEN-LINKED" not in output
        assert qa.stats()["dispatches"] == before
    finally:
        shutil.rmtree(sub)


def test_an_open_ui_without_password_cannot_ingest_or_delete(qa):
    """Bound to the network (0.0.0.0) with no password: ingest and delete are refused, also through the raw
    protocol; questions still work."""
    exposed = qa.settings.replace(ui_host="0.0.0.0")
    assert not ui.writable(exposed) and ui.writable(qa.settings)
    assert ui.writable(exposed.replace(ui_username="ed", ui_password="pw"))


@pytest.mark.parametrize("ui_host, gradio_server_name", [("0.0.0.0", ""), ("", "0.0.0.0")])
def test_an_exposed_ui_refuses_raw_deletes_bounds_uploads_and_says_so(qa, monkeypatch, caplog, ui_host,
                                                                      gradio_server_name):
    """Whatever sets the address (ui_host, or Gradio's own GRADIO_SERVER_NAME with ui_host empty: the guard
    once looked at the setting only), a UI bound to every interface without a password refuses a delete sent
    through the raw protocol, refuses uploads over max_file_mb, and warns at start."""
    import logging

    import httpx

    from rag import Assistant
    monkeypatch.setenv("GRADIO_SERVER_NAME", gradio_server_name)
    exposed = Assistant(qa.settings.replace(ui_host=ui_host))
    before = exposed.stats()["dispatches"]
    with caplog.at_level(logging.WARNING, logger="dispatch-qa.app"), gradio_app(exposed, ui_host) as url:
        done = queue_call(url, "dqa-delete-id", ["2025-03-13-drones-briansk.fr", "en"])
        big = httpx.post(f"{url}gradio_api/upload", files={"files": ("big.txt", b"x" * 6_000_000)}, timeout=60)
        small = httpx.post(f"{url}gradio_api/upload", files={"files": ("small.txt", b"x" * 1000)}, timeout=60)
    assert "Indexing and deleting are off" in str(done.get("output"))
    assert exposed.stats()["dispatches"] == before
    assert (big.status_code, small.status_code) == (413, 200)
    assert "The web UI listens on 0.0.0.0, beyond this computer, without a password" in caplog.text


def _answer(text, citations, **kw):
    return Answer("q", text, "fr", citations=citations, **kw)


def test_while_it_writes_the_chat_shows_the_step_the_time_and_the_passages_read():
    from rag.apps.ui_html import progress_html
    c = Citation(2, "id", "d", "f.txt", "2025-03-13", "Drones <abattus>", "fr", "", "AFP", "Texte.", 0, 6, False)
    out = progress_html("fr", texts("fr").writing, ["Première phrase [2]."], [c], 12.4)
    assert texts("fr").writing in out and "dqa-spinner" in out and "· 12 s" in out
    assert texts("fr").reading in out and "<b>[2]</b> Drones &lt;abattus&gt;" in out and "13 mars 2025" in out
    same_story = Citation(3, "id2", "d", "f.txt", "2025-03-13", "Drones <abattus>", "fr", "", "AFP", "Suite.", 7, 13,
                          False)
    grouped = progress_html("fr", "…", [], [c, same_story], 0)
    assert "<b>[2][3]</b> Drones" in grouped and grouped.count("<li>") == 1 and "(2)" in grouped
    assert "Première phrase" in out
    quiet = progress_html("en", texts("en").searching, [])
    assert "dqa-elapsed" not in quiet and "dqa-reading" not in quiet  # nothing yet: the step alone
    unnamed = Citation(1, "id", "d", "f.txt", "", "T", "fr", "", "unknown", "x", 0, 1, False)
    assert texts("en").unknown_source in progress_html("en", "…", [], [unnamed], 0)


def test_the_ingest_report_and_language_codes_are_in_the_ui_language():
    from rag import IngestReport
    from rag.apps.ui_html import ingest_summary, language_name
    report = IngestReport(added=["a"], skipped=[("x.bin", "not a dispatch")], withdrawn=["k"], chunks_added=3)
    fr = ingest_summary(report, "fr")
    assert fr.startswith("Dépêches ajoutées : 1, remplacées : 0, inchangées : 0, ignorées : 1, "
                         "retirées par l'agence : 1 ;")
    assert "passages ajoutés : 3" in fr and "  ignoré x.bin: not a dispatch" in fr and "added" not in fr
    assert ingest_summary(report, "en").startswith("1 added, 0 replaced, 0 unchanged, 1 skipped, 1 withdrawn")
    assert (language_name("fr", "fr"), language_name("en", "fr"), language_name("en", "en")) == \
        ("français", "anglais", "English")
    assert language_name("de", "fr") == "de"


def test_copy_the_answer_gives_its_text_and_its_sources():
    from rag.apps.ui_html import copy_text
    c = Citation(1, "id", "d", "/srv/x/briansk.fr.txt", "2025-03-13", "Drones <abattus>", "fr", "", "AFP", "T.",
                 0, 2, False)
    ans = _answer("30 drones ont été abattus [1].", [c])
    assert copy_text(ans, "fr") == "30 drones ont été abattus [1].\n\n[1] Drones <abattus> — 13 mars 2025 — AFP — " \
                                   "briansk.fr.txt"
    out = answer_html(ans, "fr", "t9")
    assert 'class="dqa-copy"' in out and "Drones &lt;abattus&gt; — 13 mars 2025" in out and "/srv/x" not in out
    assert "\n" not in out.split('data-copy="')[1].split('"')[0]  # a blank line would end Gradio's HTML block
    assert texts("fr").copy in out and copy_text(_answer("Rien.", []), "en") == "Rien."


def test_script_in_a_passage_or_title_renders_as_text():
    c = Citation(1, "id", "d", "/srv/secret/f.txt", "2025-03", "<b>t</b>", "fr", "", "AFP",
                 "<script>alert(1)</script>", 0, 10, False)
    out = answer_html(_answer("x [1]", [c]), "fr", "t1")
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out and "&lt;b&gt;t" in out
    assert "/srv/secret" not in out and "f.txt" in out  # the file name, never the server's path


def test_markers_belong_to_their_answer_and_text_is_escaped():
    c = Citation(1, "id", "d", "f.txt", "2025-03", "T", "fr", "", "", 'Il a dit "<i>non</i>". Puis il est parti.',
                 0, 10, False, spans=[(0, 22)])
    out = answer_html(_answer("Il a dit <i>non</i> [1]. Voir [2].", [c]), "fr", "t7")
    assert 'aria-controls="t7-p1"' in out and 'id="t7-p1"' in out and 'id="t7-s1"' in out
    assert "&lt;i&gt;non&lt;/i&gt; " in out and "[2]" in out and "t7-p2" not in out
    assert "<mark>Il a dit &#34;&lt;i&gt;non&lt;/i&gt;&#34;.</mark> Puis il est parti." in out


def test_checked_sentences_are_listed_with_why_they_stood_or_fell_in_the_ui_language():
    from rag.values import Verdict
    c = Citation(1, "id", "d", "f.txt", "2025-03", "T", "fr", "", "", "Texte.", 0, 6, False, support=0.9)
    good = AnswerSentence("Texte.", [1], 0.9, True, verdicts=[Verdict("support", True, score=0.9,
                                                                      message="appuyée par [1] (appui 0.90)")])
    bad = AnswerSentence("Il y a eu <b>99</b> morts.", [], 0.2, False, verdicts=[
        Verdict("figures_stated", False, "figure_missing", {"figure": "99"}, 1,
                message="le passage ne donne pas le chiffre 99")])
    fr = answer_html(_answer("x [1]", [c], sentences=[good, bad]), "fr", "t")
    assert "Vérification des phrases : 1 phrase retirée" in fr and "appuyée par [1] (appui 0.90)" in fr
    assert "retirée — Il y a eu &lt;b&gt;99&lt;/b&gt; morts. <small>(le passage ne donne pas le chiffre 99)" in fr
    en = answer_html(_answer("x [1]", [c], sentences=[good, bad]), "en", "t")
    assert "Sentence checks: 1 sentence removed" in en and "Vérification" not in en


def test_story_versions_are_a_timeline_with_citations():
    cs = [Citation(n, f"c{n}", f"d{n}", "f.txt", day, "T", "fr", "", "", f"{v} morts.", 0, 5, False)
          for n, day, v in ((1, "2025-04-01", 2719), (2, "2025-03-30", 1700))]
    out = answer_html(_answer("Selon ... [1]. Avant ... [2].", cs, timeline=[("2025-04-01", 2719, 1),
                                                                             ("2025-03-30", 1700, 2)]), "fr", "v")
    assert '<section class="dqa-timeline"' in out and "1er avril 2025" in out and "2\u00a0719" in out
    assert '<a href="#v-s2">[2]</a>' in out


def test_language_comes_from_the_browser():
    assert pick_language("fr-FR,fr;q=0.9,en;q=0.8") == "fr" and pick_language("de-DE,en;q=0.5") == "en"
    assert pick_language("") == "en" and texts("fr").ask == "Demander" and texts("en").ask == "Ask"


def test_ui_strings_exist_in_both_languages():
    assert set(vars(texts("fr"))) == set(vars(texts("en")))


def test_counts_read_in_the_singular_or_the_plural_as_each_language_says_them():
    fr, en = texts("fr"), texts("en")
    assert [fr.checks.format(n=n) for n in (0, 1, 2)] == ["Vérification des phrases : 0 phrase retirée",
                                                          "Vérification des phrases : 1 phrase retirée",
                                                          "Vérification des phrases : 2 phrases retirées"]
    assert [en.checks.format(n=n) for n in (0, 1, 2)] == ["Sentence checks: 0 sentences removed",
                                                          "Sentence checks: 1 sentence removed",
                                                          "Sentence checks: 2 sentences removed"]
    assert fr.found.format(n=3) == "3 passages trouvés — rédaction et vérification…"
    assert "(s)" not in (Path(ui.__file__).parent / "data" / "ui.toml").read_text(encoding="utf-8")


def test_card_dates_read_as_the_answers_write_them():
    from rag.apps.ui_html import when
    assert [when(d, "fr") for d in ("2025-04-01", "2025-03", "", "2025-13-45")] == \
        ["1er avril 2025", "mars 2025", texts("fr").undated, "2025-13-45"]
    assert when("2025-03-13", "en") == "March 13, 2025"


def test_with_the_index_folder_deleted_every_surface_says_so_and_an_ingest_rebuilds_it(tmp_path):
    from rag import Assistant

    from conftest import CORPUS, make_settings
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(CORPUS / "2025-03-13-drones-briansk.fr.txt", docs)
    qa = Assistant(make_settings(tmp_path / "index", ui_ingest_roots=[str(docs)]))
    qa.ingest([docs], progress=False)
    with gradio_app(qa) as url:
        shutil.rmtree(tmp_path / "index")
        message, status, listing, _ = queue_call(url, "dqa-delete-id", ["x", "en"])["output"]["data"]
        assert "no longer exists" in message and "no longer exists" in status and not listing["data"]
        message, status, listing = queue_call(url, "dqa-folder", [None, str(docs), "en"])["output"]["data"]
        assert "1 added" in message and "a new index was built" in message, message
        assert "no longer exists" not in status and len(listing["data"]) == 1
    assert qa.retrieve("Combien de drones au-dessus de Briansk ?", k=1)[0].meta.dispatch_id.startswith("2025-03-13")
