"""Answers end to end with the real packaged LLM (SmolLM2 via llama.cpp)."""
import shutil
from pathlib import Path

import pytest

from rag import Assistant
from rag.followup import merge_followup

from conftest import CORPUS, DATA


def _check_citations(answer):
    for c in answer.citations:
        raw = Path(c.file).read_text(encoding="utf-8")
        assert raw[c.start:c.end] == c.text  # the quote is the exact source span
    assert {n for s in answer.sentences if s.supported for n in s.cites}  # something is cited
    for n in range(1, len(answer.citations) + 1):
        assert f"[{n}]" in answer.text


def test_french_question_cited_answer(qa: Assistant):
    ans = qa.ask("Combien de drones ont été abattus au-dessus de Briansk ?")
    assert not ans.refused and ans.lang == "fr" and ans.backend.startswith("embedded:")
    _check_citations(ans)
    assert any("Briansk" in c.text and "30" in c.text for c in ans.citations)
    assert "30" in ans.text
    assert ans.timings["generation"] > 0 and ans.timings["retrieval"] > 0


def test_english_question_gets_english_framing(qa: Assistant):
    ans = qa.ask("How many drones were shot down over Bryansk?")
    assert not ans.refused and ans.lang == "en"
    _check_citations(ans)


@pytest.mark.parametrize("question,refusal", [
    ("Quel est le prix du Bitcoin aujourd'hui ?", "Je ne trouve pas cette information dans les dépêches."),
    ("Who won the 2024 Super Bowl?", "I cannot find this information in the dispatches."),
])
def test_out_of_corpus_question_is_refused(qa: Assistant, question, refusal):
    ans = qa.ask(question)
    assert ans.refused and ans.text == refusal and ans.citations == []


def test_stream_yields_tokens_then_checked_answer(qa: Assistant):
    stream = qa.stream("Quel nom a pris le nouveau pape ?")
    tokens = list(stream)
    assert len(tokens) > 1 and stream.answer is not None
    assert any("Léon XIV" in c.text for c in stream.answer.citations)


def test_filters_reach_the_answer(qa: Assistant):
    ans = qa.ask("Quel est le bilan du séisme de magnitude 7,7 ?", filters={"lang": "en"})
    assert ans.citations and all(c.lang == "en" for c in ans.citations)


def test_prompt_injection_in_a_dispatch_changes_nothing(fresh: Assistant, tmp_path):
    shutil.copy(CORPUS / "2025-03-13-drones-briansk.fr.txt", tmp_path)
    shutil.copy(DATA / "injection.fr.txt", tmp_path)
    fresh.ingest([tmp_path], progress=False)
    ans = fresh.ask("Combien de drones ont été abattus au-dessus de Briansk ?")
    assert "capitulé" not in ans.text
    prompt = fresh.prompt("Combien de drones ont été abattus au-dessus de Briansk ?")[1]["content"]
    assert "Ignorez toutes les instructions" not in prompt
    assert any("compté 30" in c.text for c in ans.citations)


def test_followup_is_condensed_with_history(qa: Assistant):
    history = [("Combien de drones ont été abattus au-dessus de Briansk ?", "30 drones [1].")]
    ans = qa.ask("Et au-dessus de Kalouga ?", history=history)
    assert "Kalouga" in ans.standalone_question
    assert any("Kalouga 25" in c.text for c in ans.citations)


def test_merge_followup_fallback():
    assert merge_followup("Combien de drones au-dessus de Briansk ?", "Et au-dessus de Kalouga ?") == \
        "Combien de drones au-dessus de Briansk — au-dessus de Kalouga ?"


def test_scripted_llm_invalid_marker_dropped_and_supported_sentence_kept(qa: Assistant, scripted):
    answerer = scripted(qa, "La région de Briansk en a compté 30 [9]. Le pape est à Tokyo [1].")
    ans = answerer.ask("Combien de drones ont été abattus au-dessus de Briansk ?")
    assert ans.text.startswith("La région de Briansk en a compté 30 [1]")
    assert "Tokyo" not in ans.text and [s.text for s in ans.dropped] == ["Le pape est à Tokyo."]
    assert ans.sentences[0].claimed == [9] and not ans.extractive
