"""The re-reading check (grounded), with the packaged Qwen2.5-Coder-1.5B model: a value the passage gives for
another thing, a passage about another subject, a quote that does not answer; and a refusal that lists the
closest passages as not an answer. Rows built from a SQuAD file for `rag judge --squad`."""
from __future__ import annotations

import json

import pytest

from rag import Assistant
from rag.apps.labelled import squad_rows
from rag.llm import models

from conftest import make_settings

DRONES = ("Selon le ministère russe de la Défense, 77 drones ukrainiens ont été abattus dans la nuit, dont 30 "
          "au-dessus de la région de Briansk et 25 au-dessus de celle de Kalouga.")
LOUVRE = "Le préjudice est estimé à 88 millions d'euros, a annoncé mardi la procureure de Paris, Laure Beccuau."
KALOUGA = "Combien de drones ont été abattus au-dessus de Kalouga ?"


@pytest.fixture(scope="module")
def qwen(tmp_path_factory) -> Assistant:
    """An assistant answering (and re-reading) with the packaged Qwen model; judging needs no index."""
    return Assistant(make_settings(tmp_path_factory.mktemp("qwen"), embedded_model="qwen2.5-coder-1.5b",
                                   embedded_threads=1))


def grounded(sentence) -> list:
    return [v for v in sentence.verdicts if v.check == "grounded"]


def test_a_value_stated_for_another_thing_is_left_out(qwen):
    wrong = qwen.judge("77 drones ont été abattus au-dessus de Kalouga [1].", DRONES, KALOUGA)
    right = qwen.judge("25 drones ont été abattus au-dessus de Kalouga [1].", DRONES, KALOUGA)
    assert not wrong.supported and grounded(wrong)[0].reason == "other_answer"
    assert grounded(wrong)[0].args["found"].startswith("25")
    assert right.supported and grounded(right)[0].ok


def test_a_passage_about_another_subject_supports_nothing(qwen):
    bread = qwen.judge("Le prix du pain à Paris est estimé à 88 millions d'euros [1].", LOUVRE,
                       "Quel est le prix du pain à Paris ?")
    theft = qwen.judge("Le préjudice est estimé à 88 millions d'euros [1].", LOUVRE,
                       "À combien est estimé le préjudice du vol du Louvre ?")
    assert not bread.supported and grounded(bread)[0].reason == "passage_silent"
    assert theft.supported and grounded(theft)[0].ok


def test_a_quote_is_shown_only_when_it_answers(qwen):
    question = "Qui est la procureure de Paris ?"
    near_miss = qwen.judge("Le musée du Louvre a rouvert ses portes mercredi matin.",
                           "Le musée du Louvre a rouvert ses portes mercredi matin.", question, quote=True)
    answer = qwen.judge(LOUVRE, LOUVRE, question, quote=True)
    assert not near_miss.supported and grounded(near_miss)[0].reason == "passage_silent"
    assert answer.supported and "Beccuau" in grounded(answer)[0].args["found"]


def test_a_model_too_small_to_reread_is_not_asked(qa):
    """SmolLM2 (the tests' fast model) rejected right answers and kept wrong ones when re-reading: no verdict."""
    judged = qa.judge("25 drones ont été abattus au-dessus de Kalouga [1].", DRONES, KALOUGA)
    assert not grounded(judged)
    assert not models.rereads(models.SMOLLM2.file) and models.rereads(models.QWEN.file)
    assert models.rereads("/models/any-other-model.gguf")


def test_a_refusal_lists_the_closest_passages_as_not_an_answer(qa, scripted):
    """Fake LLM (pure logic): the model says it cannot answer; the refusal names the nearest passages."""
    refusal = qa.answerer.prompts.get("refusal", "fr")
    answer = scripted(qa, refusal, extractive_fallback=False).ask("Combien de drones ont été abattus au-dessus de "
                                                                  "Briansk ?")
    assert answer.refused and not answer.citations
    assert answer.closest and any("Briansk" in c.text for c in answer.closest)
    assert len({c.dispatch_id for c in answer.closest}) == len(answer.closest)  # one passage per dispatch
    kept = qa.gate("Combien de drones ont été abattus au-dessus de Briansk ?")[0]
    assert len(kept) > len({p.meta.dispatch_id for p in kept})  # (the gate kept two of one story)
    assert "Passages les plus proches (pas une réponse)" in answer.format()
    from rag.apps.ui_html import answer_html
    html = answer_html(answer, "en", "t1")
    assert "Closest passages (not an answer) (" in html and "dqa-not-answer" in html and "Briansk" in html
    assert "dqa-copy" not in html  # a refusal has nothing to copy


def test_squad_rows_pair_each_answer_with_wrong_ones_the_passage_holds(tmp_path):
    context = ("Le pont fut construit en 1820 par Jean Dupont. Il mesure 300 mètres de long. La ville compte "
               "12 000 habitants selon le dernier recensement.")
    other = "Le fleuve prend sa source dans les Alpes, à 2 000 mètres d'altitude, près du col du Mont."
    qas = [("Quand le pont fut-il construit ?", "1820"), ("Qui construisit le pont ?", "Jean Dupont"),
           ("Combien d'habitants compte la ville ?", "12 000 habitants")]
    squad = {"data": [
        {"title": "Pont", "paragraphs": [{"context": context, "qas": [
            {"id": f"q{i}", "question": q, "answers": [{"text": a, "answer_start": context.index(a)}]}
            for i, (q, a) in enumerate(qas)]}]},
        {"title": "Fleuve", "paragraphs": [{"context": other, "qas": [
            {"id": "f0", "question": "Où le fleuve prend-il sa source ?",
             "answers": [{"text": "dans les Alpes", "answer_start": other.index("dans les Alpes")}]}]}]}]}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    rows = squad_rows(path, "")
    by_kind = {}
    for r in rows:
        by_kind.setdefault(r.kind, []).append(r)
    assert {"right", "other_value", "other_topic", "quote_right", "quote_other_sentence",
            "quote_other_topic"} <= set(by_kind)
    assert all(r.label == (r.kind in ("right", "quote_right")) for r in rows)
    built = next(r for r in by_kind["other_value"] if r.question.startswith("Quand"))
    assert "1820" in built.passage and "1820" not in built.sentence  # the passage holds the answer, not the row
    # a quote in its passage as retrieval gives it: the sentence with its neighbours
    assert all(r.sentence in r.passage for r in rows if r.quote)
    first = next(r for r in by_kind["quote_right"] if r.question.startswith("Quand"))
    assert first.passage == "Le pont fut construit en 1820 par Jean Dupont. Il mesure 300 mètres de long."


@pytest.mark.parametrize("question, date, head", [
    # the question's year is only in the dispatch's date: the re-reading gets it, as the answer was written with it
    ("What was the death toll of the Los Angeles wildfires in January 2025?", "2025-01-14",
     "Fires around the city (January 14, 2025)"),
    ("What was the death toll of the Los Angeles wildfires?", "2025-01-14", "Fires around the city"),
    ("What was the death toll of the Los Angeles wildfires in January 2025?", "2024-01-14", "Fires around the city"),
])
def test_the_reread_excerpt_has_the_dispatch_date_when_the_question_needs_it(question, date, head):
    from rag import ChunkMeta, Passage
    from rag.answer.checks.base import Source
    from rag.answer.checks.grounded import titled
    from rag.answer.query import analyze
    from rag.reading.reading import read
    text = "The death toll from the Los Angeles wildfires rose to 24, officials said."
    passage = Passage("a", text, ChunkMeta(dispatch_id="la", title="Fires around the city", lang="en", date=date))
    assert titled(text, Source(1, read(text), passage=passage), analyze(question)) == f"{head}\n\n{text}"
