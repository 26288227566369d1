"""The Gradio app over a real index, driven through gradio_client (HTTP, like a browser)."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from rag import Answer, AnswerSentence, Citation, ui

from servers import gradio_app

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def app_url(qa):
    with gradio_app(qa) as url:
        yield url


def _ask(url, question):
    from gradio_client import Client
    return Client(url, verbose=False).predict(question, [], "", "", [], "", 6, "", api_name="/ask")


def _text(message):
    content = message["content"]
    return content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)


def test_answer_has_marker_and_sources_panel_shows_passage(app_url):
    chat, sources, status, _ = _ask(app_url, "Combien de drones ont été abattus au-dessus de Briansk ?")
    assert "[1]" in _text(chat[-1]) and 'href="#source-1"' in _text(chat[-1])
    assert "en a compté 30 à elle seule" in sources and "id='source-1'" in sources
    assert "13 dispatches" in status


def test_out_of_corpus_question_shows_refusal(app_url):
    chat, sources, _, _ = _ask(app_url, "Quel est le prix du Bitcoin ?")
    assert _text(chat[-1]) == "Je ne trouve pas cette information dans les dépêches."
    assert "No passage supports" in sources


def test_ten_concurrent_questions_each_get_their_own_cited_answer(app_url):
    """Each answer cites a passage about its own question: no error, no answer crossed between sessions."""
    topics = {"Combien de drones ont été abattus au-dessus de Briansk ?": "Briansk",
              "Who won Eurovision in Basel?": "Eurovision", "Quel nom a pris le nouveau pape ?": "Léon",
              "Who is Mark Carney?": "Carney", "Quel est le bilan du séisme de magnitude 7,7 ?": "7,7"}
    questions = list(topics) * 2
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda q: _ask(app_url, q), questions))
    for question, (chat, sources, _, _) in zip(questions, results):
        assert _text(chat[-2]) == question and "[1]" in _text(chat[-1]), (question, _text(chat[-1]))
        assert "id='source-1'" in sources and topics[question] in sources, (question, sources[:300])


def test_script_in_a_passage_renders_as_text():
    c = Citation(1, "id", "d", "f.txt", "2025-03", "<b>t</b>", "fr", "", "", "<script>alert(1)</script>", 0, 10, False)
    out = ui.sources_html(Answer("q", "x [1]", "fr", citations=[c]))
    assert "<script>" not in out and "&lt;script&gt;alert(1)&lt;/script&gt;" in out and "&lt;b&gt;t" in out


def test_markers_link_to_sources_and_answer_text_is_escaped():
    c = Citation(1, "id", "d", "f.txt", "2025-03", "T", "fr", "", "", 'Il a dit "<i>non</i>". Puis il est parti.',
                 0, 10, False, spans=[(0, 22)])
    chat = ui.linked_answer(Answer("q", "Il a dit <i>non</i> [1]. Voir [2].", "fr", citations=[c]))
    assert '<a class="dqa-cite" href="#source-1" title="T (2025-03): Il a dit &quot;&lt;i&gt;non' in chat
    assert "&lt;i&gt;non&lt;/i&gt; " in chat and "[2]" in chat and "#source-2" not in chat
    panel = ui.sources_html(Answer("q", "x [1]", "fr", citations=[c]))
    assert "<mark>Il a dit &quot;&lt;i&gt;non&lt;/i&gt;&quot;.</mark> Puis il est parti." in panel


def test_sources_panel_lists_removed_sentences_with_their_support():
    c = Citation(1, "id", "d", "f.txt", "2025-03", "T", "fr", "", "", "Texte.", 0, 6, False, support=0.9)
    good = AnswerSentence("Texte.", [1], 0.9, True)
    bad = AnswerSentence("Il y a eu <b>99</b> morts.", [], 0.2, False)
    panel = ui.sources_html(Answer("q", "x [1]", "fr", citations=[c], sentences=[good, bad]))
    assert "support 0.90" in panel and "1 unsupported sentence(s) removed" in panel
    assert "✓ Texte. <small>(support 0.90)" in panel
    assert "✗ removed: Il y a eu &lt;b&gt;99&lt;/b&gt; morts. <small>(support 0.20)" in panel
