"""The calibrated answer decision: checks give values, one trained model decides, only facts veto."""
import json

import pytest

from rag import Settings
from rag.answer.checks import Claim, Passages, Suite
from rag.answer.decision import FEATURES, Decision, choose_threshold, load_decision
from rag.answer.decision import train_decision as train
from rag.answer.query import analyze
from rag.apps.calibrate import calibrate, describe, training_rows
from rag.errors import ConfigError, EvalDataError
from rag.reading.reading import read

from conftest import source


def _decision(intercept: float, **weights: float) -> Decision:
    """A decision by hand: the named weights over raw values (mean 0, scale 1), the others 0, threshold 0.5."""
    return Decision({k: weights.get(k, 0.0) for k in FEATURES}, intercept, dict.fromkeys(FEATURES, 0.0),
                    dict.fromkeys(FEATURES, 1.0), 0.5)


def _weigh(decision, sentence: str, passage: str, question: str, cosine: float = 0.9):
    suite = Suite(Settings.from_dict({}), gate_floor=0.78, support_floor=0.78, decision=decision)
    passages = Passages((source(passage),), "fr")
    claim = Claim(read(sentence), (1,), {1: cosine}, passages)
    return suite.weigh(claim, claim, analyze(question), lead=True)


def test_the_threshold_is_the_lowest_whose_shown_rows_stay_within_the_risk():
    probs, right = [0.9, 0.8, 0.7, 0.6, 0.5], [1, 1, 0, 1, 0]
    threshold, curve = choose_threshold(probs, right, risk=0.25)
    assert threshold == 0.6  # shown at 0.6: 1 wrong of 4; at 0.5: 2 of 5
    assert curve[-1] == {"threshold": 0.5, "shown": 1.0, "wrong": 0.4}
    assert choose_threshold(probs, right, risk=0.0)[0] == 0.8


def test_training_weighs_what_tells_right_from_wrong_and_round_trips(tmp_path):
    rows = [({"support": 0.9 - 0.01 * (i % 7), "fail_says_something": float(i % 2)}, True) for i in range(40)]
    rows += [({"support": 0.3 + 0.01 * (i % 7), "fail_says_something": float(i % 2)}, False) for i in range(40)]
    decision = train(rows, risk=0.05, about={"trained_on": ["synthetic"]})
    assert decision.weights["support"] > 1.0 > abs(decision.weights["fail_says_something"])
    assert decision.probability({"support": 0.9}) > 0.9 > 0.1 > decision.probability({"support": 0.3})
    path = tmp_path / "decision.json"
    path.write_text(decision.to_json())
    again = Decision.load(path)
    assert again.threshold == pytest.approx(decision.threshold, abs=1e-4)
    assert again.probability({"support": 0.6}) == pytest.approx(decision.probability({"support": 0.6}), abs=1e-3)


def test_a_decision_file_naming_an_unknown_feature_is_refused_with_how_to_retrain(tmp_path):
    path = tmp_path / "decision.json"
    path.write_text(json.dumps({"features": {"shoe_size": {"weight": 1, "mean": 0, "scale": 1}}, "intercept": 0,
                                "threshold": 0.5}))
    with pytest.raises(ConfigError, match="rag calibrate"):
        load_decision("calibrated", str(path))
    assert load_decision("vetoes", str(path)) is None


def test_a_soft_check_that_fails_is_a_value_the_decision_weighs_not_a_veto():
    """'Only restates the question' used to drop a sentence alone; now the decision weighs it."""
    question = "Combien de drones ont été abattus au-dessus de Briansk ?"
    passage = "La région de Briansk en a compté 30 à elle seule."
    trusting, wary = _decision(5.0), _decision(5.0, fail_says_something=-10.0)
    shown = _weigh(trusting, "Des drones ont été abattus au-dessus de Briansk.", passage, question)
    assert shown.values["fail_says_something"] == 1.0 and shown.supported and shown.cites == [1]
    assert not _weigh(wary, "Des drones ont été abattus au-dessus de Briansk.", passage, question).supported
    assert not _weigh(None, "Des drones ont été abattus au-dessus de Briansk.", passage, question).supported


def test_facts_veto_whatever_the_decision_says():
    always = _decision(50.0)
    cut = _weigh(always, "Le nouveau pape a pris le nom de.", "Il a pris le nom de Léon XIV.",
                 "Quel nom a pris le nouveau pape ?")
    assert not cut.supported and "complete" in {v.check for v in cut.verdicts if not v.ok}
    made_up = _weigh(always, "La région de Briansk en a compté 31.", "La région de Briansk en a compté 30.",
                     "Combien de drones au-dessus de Briansk ?")
    assert not made_up.supported and "figure_nowhere" in {v.check for v in made_up.verdicts if not v.ok}


def test_a_figure_the_question_gives_is_not_made_up():
    """'GameStop made a $56 billion bid': the passage need not repeat the question's figure."""
    weighed = _weigh(_decision(50.0), "GameStop a fait une offre de 56 milliards de dollars pour eBay.",
                     "GameStop a fait une offre sur eBay, a annoncé le groupe mardi.",
                     "Qui a fait une offre de 56 milliards de dollars pour eBay ?")
    failed = {v.check for v in weighed.verdicts if not v.ok}
    assert "figures_stated" in failed and "figure_nowhere" not in failed
    assert weighed.values["fail_figures_stated"] == 1.0 and weighed.supported


def _results(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_calibrate_learns_from_weighed_sentences_and_leaves_out_what_a_fact_vetoed(tmp_path):
    right = {"answerable": True, "checked": [{"values": {"support": 0.9}, "failed": [], "holds_expected": True}]}
    wrong = {"answerable": True, "checked": [{"values": {"support": 0.3}, "failed": [], "holds_expected": False}]}
    unanswerable = {"answerable": False, "checked": [{"values": {"support": 0.8}, "failed": [],
                                                      "holds_expected": False}]}
    vetoed = {"answerable": True, "checked": [{"values": {"support": 0.9}, "failed": ["complete"],
                                               "holds_expected": False}]}
    older = {"answerable": True, "checked": [{"failed": [], "holds_expected": True}]}  # a veto run: no values
    (tmp_path / "tune").mkdir()
    path = _results(tmp_path / "tune" / "results.jsonl", [right, wrong, unanswerable, vetoed, older] * 5)
    rows = training_rows([path])
    assert len(rows) == 15 and sum(r for _, r in rows) == 5
    out = tmp_path / "decision.json"
    decision = calibrate([str(path)], risk=0.1, out=out)
    assert Decision.load(out).weights["support"] == pytest.approx(decision.weights["support"], abs=1e-3)
    table = describe(decision)
    assert "| support | +" in table and "trained on 15 sentences (5 right) of tune" in table
    with pytest.raises(EvalDataError, match="DQA_ANSWER_DECISION=calibrated"):
        training_rows([_results(tmp_path / "veto.jsonl", [older])])


def test_an_answer_and_a_quote_go_through_the_same_decision(qa, scripted, tmp_path):
    """Fake LLM (pure logic): the model's sentence is weighed and shown with its probability; when nothing it
    wrote holds, the quote is weighed by the same decision and, refused by it, kept as a sentence left out."""
    question = "Combien de drones ont été abattus au-dessus de Briansk ?"
    path = tmp_path / "decision.json"
    path.write_text(_decision(-2.0, support=5.0).to_json())
    answer = scripted(qa, "La région de Briansk en a compté 30 [1].", answer_decision="calibrated",
                      answer_decision_file=str(path)).ask(question)
    first = answer.sentences[0]
    assert not answer.refused and "30" in answer.text and first.supported
    assert first.confidence == pytest.approx(Decision.load(path).probability(first.values), abs=1e-3)
    band = {"high": "élevée", "fair": "moyenne", "low": "faible"}[
        "high" if first.confidence >= 0.9 else "fair" if first.confidence >= 0.7 else "low"]
    line = f"Confiance : {band} ({first.confidence:.2f})".replace(".", ",")
    assert answer.confidence == first.confidence and line in answer.format()
    assert answer.to_dict()["confidence_line"] == line
    path.write_text(_decision(-50.0).to_json())  # nothing is ever right enough
    refused = scripted(qa, "La région de Briansk en a compté 30 [1].", answer_decision="calibrated",
                       answer_decision_file=str(path)).ask(question)
    # the sentence, the same sentence at the second try (the model asked once more), then the quote
    assert refused.refused and [s.values["quote"] for s in refused.sentences] == [0.0, 0.0, 1.0]
    assert all(not s.supported and s.confidence < 0.01 for s in refused.sentences)
    assert refused.sentences[0].reason.startswith("probabilité d'être juste 0.00, sous le seuil 0.50")
    assert refused.confidence is None and "Confiance" not in refused.format()


def test_the_report_gives_the_risk_coverage_trade_off_of_the_decision():
    from rag.apps.evaluation import Result, risk_coverage

    def result(answerable, kept, p, right, failed=()):
        x = {"kept": kept, "confidence": p, "values": {"support": p}, "failed": list(failed), "holds_expected": right}
        return Result("q", "?", answerable, refused=not kept, checked=[x])

    results = [result(True, True, 0.9, True), result(True, True, 0.8, False), result(True, False, 0.4, True),
               result(False, False, 0.3, False), result(True, False, 0.99, True, failed=["complete"])]
    rc = risk_coverage(results)
    # answered at 0.9: 1 of 5 (0 wrong); 0.8: 2 (1 wrong); 0.4: 3 (1 wrong); 0.3: 4 (2 wrong); the vetoed one never
    assert [(c["threshold"], c["answered"], c["wrong"]) for c in rc["risk_coverage"]] == [
        (0.9, 0.2, 0.0), (0.8, 0.4, 0.5), (0.4, 0.6, 0.333), (0.3, 0.8, 0.5)]
    assert rc["risk_coverage_area"] == round((0 + 1 / 2 + 1 / 3 + 2 / 4 + 3 / 5) / 5, 3)
    assert risk_coverage([Result("q", "?", True, checked=[{"kept": True, "failed": []}])]) == {}


def test_a_failed_check_never_makes_a_sentence_more_likely_right():
    """On few noisy rows a failure can look like a sign of a right sentence; its weight is taken out instead."""
    rows = [({"support": 0.9 - 0.01 * (i % 7), "fail_names_stated": float(i % 3 == 0)}, True) for i in range(30)]
    rows += [({"support": 0.3 + 0.01 * (i % 7), "fail_names_stated": 0.0}, False) for i in range(30)]
    decision = train(rows, risk=0.05, about={})
    assert decision.weights["fail_names_stated"] == 0.0 and decision.weights["support"] > 1.0


def test_the_shipped_decision_loads_and_each_weight_has_the_sign_its_value_allows():
    from rag.answer.decision import SIGNS
    shipped = load_decision("calibrated", "")
    assert shipped is not None and 0.0 < shipped.threshold < 1.0 and shipped.about["rows"] > 100
    assert all(SIGNS.get(k, 0) * w >= 0 for k, w in shipped.weights.items())
