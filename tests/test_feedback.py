"""Readers' verdicts (rag/apps/feedback.py): kept as JSON lines, the latest per answer standing, and exported as a
question set `rag eval` loads. Pure logic on written verdicts; the browser test marks real answers."""
import json

import pytest

from rag.apps import feedback
from rag.apps.cli import main
from rag.apps.evaluation import load_questions
from rag.apps.feedback import Source, Verdict

KALOUGA = Verdict("Et au-dessus de Kalouga ?", "Combien de drones ont été abattus au-dessus de Kalouga ?",
                  "25 drones ont été abattus au-dessus de Kalouga [1].", "fr", False,
                  [Source("2025-03-13-drones-briansk.fr", "Moscou a affirmé", "2025-03-13",
                          "La région de Briansk, voisine de l'Ukraine, en a compté 30 à elle seule, et celle de "
                          "Kalouga 25.")])
REFUSED = Verdict("Who won the 2024 Super Bowl?", "Who won the 2024 Super Bowl?",
                  "I cannot find this information in the dispatches.", "en", True)


def marked(v: Verdict, verdict: str | None) -> Verdict:
    return Verdict(**{**v.__dict__, "verdict": verdict, "sources": list(v.sources)})


def test_the_latest_verdict_on_an_answer_stands_and_one_taken_back_is_gone(tmp_path):
    log = tmp_path / "sub" / "feedback.jsonl"
    feedback.record(log, marked(KALOUGA, "wrong"))
    feedback.record(log, marked(REFUSED, "right"))
    feedback.record(log, marked(KALOUGA, "right"))  # changed its mind: the answer was right
    with log.open("a") as f:
        f.write('{"question": "cut short by a cra')  # a crash mid-line: skipped, not an error
    assert [(v.question, v.verdict) for v in feedback.read(log)] == [("Who won the 2024 Super Bowl?", "right"),
                                                                     ("Et au-dessus de Kalouga ?", "right")]
    feedback.record(log, marked(REFUSED, None))  # unmarked
    assert [v.question for v in feedback.read(log)] == ["Et au-dessus de Kalouga ?"]
    assert feedback.read(log)[0].sources[0].dispatch == "2025-03-13-drones-briansk.fr"
    with pytest.raises(ValueError):
        feedback.record(log, marked(REFUSED, "maybe"))


def test_no_feedback_yet_says_where_it_looked(tmp_path):
    with pytest.raises(feedback.FeedbackError, match="No feedback yet: .*missing.jsonl does not exist"):
        feedback.read(tmp_path / "missing.jsonl")


@pytest.mark.parametrize("question, answer, expected", [
    ("Combien de drones en 2025 au-dessus de Kalouga ?", "25 drones ont été abattus en 2025 au-dessus de Kalouga [1].",
     ["25"]),
    ("Quand le cessez-le-feu a-t-il été accepté ?", "Le cessez-le-feu a été accepté le 11 mars 2025 [1].",
     ["11 mars 2025"]),
    ("Qui est le gouverneur de Briansk ?", "Alexandre Bogomaz est le gouverneur de Briansk [2].",
     ["Alexandre Bogomaz est le gouverneur de Briansk."]),
])
def test_the_expected_answer_is_what_the_answer_adds_to_the_question(question, answer, expected):
    assert feedback.expected_answer(Verdict(question, question, answer, "fr", False)) == expected


def test_the_export_is_a_question_set_eval_loads_with_the_wrong_ones_left_to_complete(tmp_path, capsys):
    log = tmp_path / "feedback.jsonl"
    feedback.record(log, marked(KALOUGA, "right"))
    feedback.record(log, marked(REFUSED, "right"))
    wrong = Verdict("Qui a gagné ?", "Qui a gagné ?", "Paris [1].", "fr", False, [Source("d", "t", "", "Paris.")])
    feedback.record(log, marked(wrong, "wrong"))
    out = tmp_path / "questions.jsonl"
    assert main(["feedback", "--file", str(log), "--out", str(out)]) == 0
    assert "2 questions ready (1 answered right, 1 refused right), 1 marked wrong left to complete" in \
        capsys.readouterr().out
    loaded = load_questions(out)
    assert [(q.question, q.answerable, q.expected) for q in loaded] == [
        ("Combien de drones ont été abattus au-dessus de Kalouga ?", True, ["25"]),
        ("Who won the 2024 Super Bowl?", False, [])]
    assert loaded[0].evidence[0].quote.endswith("celle de Kalouga 25.") and loaded[0].lang == "fr"
    [commented] = [line for line in out.read_text().splitlines() if line.startswith("// {")]
    assert json.loads(commented[3:]) == {"id": "feedback-3", "question": "Qui a gagné ?", "lang": "fr",
                                         "answerable": True, "shown": "Paris [1].", "marked": "wrong"}
