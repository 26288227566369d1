"""The command line as the README shows it, in-process through rag.apps.cli.main (real index, real models)."""
import io
import json
import shutil
import subprocess
import sys

import pytest

from rag.apps.cli import main

from conftest import CORPUS, ROOT

BRIANSK = "Combien de drones ont été abattus au-dessus de Briansk ?"
DISPATCHES = len(list(CORPUS.glob("*.txt")))  # the sample corpus


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """An index built by `ingest` over a copy of the sample corpus, and what ingest printed."""
    corpus = tmp_path_factory.mktemp("cli-corpus")
    for f in CORPUS.iterdir():
        shutil.copy(f, corpus / f.name)
    folder = tmp_path_factory.mktemp("cli-index")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DQA_LLM_BACKEND", "embedded")
        out = io.StringIO()
        mp.setattr(sys, "stdout", out)
        code = main(["ingest", str(corpus), "--index", str(folder)])
    return {"dir": str(folder), "corpus": corpus, "code": code, "out": out.getvalue()}


@pytest.fixture(autouse=True)
def offline_model(monkeypatch):
    monkeypatch.setenv("DQA_LLM_BACKEND", "embedded")
    monkeypatch.delenv("DQA_CONFIG", raising=False)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_reports_counts_and_reingest_adds_nothing(index, capsys):
    assert index["code"] == 0 and f"{DISPATCHES} added, 0 replaced, 0 unchanged, 0 skipped" in index["out"]
    code, out, _ = run(capsys, "ingest", str(index["corpus"]), "--index", index["dir"])
    assert code == 0 and f"0 added, 0 replaced, {DISPATCHES} unchanged" in out and "0 chunks added" in out


def test_ingest_of_only_bad_files_exits_1_with_reasons(tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("")
    code, out, _ = run(capsys, "ingest", str(tmp_path / "empty.txt"), "--index", str(tmp_path / "idx"))
    assert code == 1 and "skipped" in out and "the file is empty" in out


def test_bad_setting_exits_2_with_a_sentence(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DQA_TOP_K", "many")
    code, _, err = run(capsys, "list", "--index", str(tmp_path))
    assert code == 2 and err.startswith("error: Setting top_k='many' is invalid")


def test_ask_prints_answer_then_each_cited_passage(index, capsys):
    code, out, _ = run(capsys, "ask", BRIANSK, "--index", index["dir"])
    answer, _, sources = out.partition("\n\n")
    assert code == 0 and "[1]" in answer and "30" in answer
    assert "[1] " in sources and "2025-03-13-drones-briansk.fr.txt (2025-03-13), chars" in sources


def test_ask_json_is_the_whole_answer(index, capsys):
    code, out, _ = run(capsys, "ask", BRIANSK, "--index", index["dir"], "--json", "--lang", "fr")
    data = json.loads(out)
    assert code == 0 and data["question"] == BRIANSK and not data["refused"]
    assert data["citations"][0]["dispatch_id"] == "2025-03-13-drones-briansk.fr"
    assert {c["lang"] for c in data["citations"]} == {"fr"} and "sentences" in data and "timings" in data


def test_ask_with_a_malformed_date_filter_exits_2(index, capsys):
    code, _, err = run(capsys, "ask", BRIANSK, "--index", index["dir"], "--date-from", "mars")
    assert code == 2 and "date_from 'mars' is not a real date; write YYYY, YYYY-MM or YYYY-MM-DD" in err


def test_list_and_stats(index, capsys):
    code, out, _ = run(capsys, "list", "--index", index["dir"])
    rows = [line.split("\t") for line in out.splitlines()]
    assert code == 0 and len(rows) == DISPATCHES
    assert rows[[r[0] for r in rows].index(
        "2025-03-13-drones-briansk.fr")][:3] == ["2025-03-13-drones-briansk.fr", "2025-03-13", "fr"]
    code, out, _ = run(capsys, "stats", "--index", index["dir"])
    stats = json.loads(out)
    assert code == 0 and stats["dispatches"] == DISPATCHES and stats["chunks"] > DISPATCHES
    assert "embedded" in stats["llm"]


def test_delete_then_delete_again(tmp_path, capsys):
    folder = str(tmp_path / "idx")
    run(capsys, "ingest", str(CORPUS / "2025-03-14-g7-charlevoix.fr.txt"), "--index", folder)
    code, out, _ = run(capsys, "delete", "2025-03-14-g7-charlevoix.fr", "--index", folder)
    assert code == 0 and out.startswith("deleted ") and "chunks of 2025-03-14-g7-charlevoix.fr" in out
    code, out, _ = run(capsys, "delete", "2025-03-14-g7-charlevoix.fr", "--index", folder)
    assert code == 1 and "no dispatch with id" in out


def test_the_cli_prints_no_control_characters_a_dispatch_carries(tmp_path, capsys):
    """A title with a terminal escape ('\\033]0;...\\a' retitles the terminal) is printed without it."""
    folder, item = str(tmp_path / "idx"), tmp_path / "esc.json"
    item.write_text(json.dumps({"id": "esc", "title": "Barrage\033]0;pwned\a de Vézelon\x9b2J",
                                "text": "Le barrage de Vézelon a cédé mardi soir."}), encoding="utf-8")
    run(capsys, "ingest", str(item), "--index", folder)
    code, out, _ = run(capsys, "list", "--index", folder)
    assert code == 0 and out.endswith("\tBarrage]0;pwned de Vézelon2J\n"), repr(out)
    assert not any(c in out for c in "\033\a\x9b")


def test_small_mistakes_on_the_command_line_are_said_and_change_nothing(tmp_path, capsys, monkeypatch):
    """`ingest ""` read the current folder; --index at a file gave a raw FileExistsError; `ask` on a missing
    index made an empty folder there."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "ingest", "", "--index", str(tmp_path / "idx"))
    assert code == 2 and "error: An empty path names no file or folder" in err
    (tmp_path / "afile").write_text("x")
    code, _, err = run(capsys, "list", "--index", str(tmp_path / "afile"))
    assert code == 2 and f"error: {tmp_path / 'afile'} is a file, not a folder" in err
    code, _, err = run(capsys, "ask", "Combien ?", "--index", str(tmp_path / "missing"))
    assert code == 2 and f"There is no index at {tmp_path / 'missing'}: ingest dispatches first" in err
    assert not (tmp_path / "missing").exists()
    dated = tmp_path / "futur.txt"
    dated.write_text(" date 2031-02-03\n\nLe barrage de Vézelon rouvrira en 2031.\n", encoding="utf-8")
    code, out, _ = run(capsys, "ingest", str(dated), "--index", str(tmp_path / "idx"), "--now", "2026-12-07T10:00Z")
    assert code == 0 and f"warning {dated}: 'futur' is dated 2031-02-03, after today (2026-12-07); it is kept" in out


def test_chat_reads_questions_from_stdin_until_an_empty_line(index, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{BRIANSK}\nEt au-dessus de Kalouga ?\n\n"))
    code, out, _ = run(capsys, "chat", "--index", index["dir"])
    assert code == 0 and f"{DISPATCHES} dispatches indexed" in out
    answers = out.split("> ")[1:]
    assert len(answers) == 3 and "30" in answers[0] and "25" in answers[1]  # the third prompt gets the empty line


def test_settings_lists_every_setting_as_toml(capsys):
    import tomllib
    code, out, _ = run(capsys, "settings")
    data = tomllib.loads(out)
    assert code == 0 and data["retrieval"]["top_k"] == 6 and data["llm"]["llm_backend"] == "embedded"


def test_module_entry_point_runs(index):
    """`python -m rag` as a separate process: exit code and output of a real question (answered by SmolLM2: the
    1.5B model answers the same question in-process above, loading it again here only cost 20 s)."""
    proc = subprocess.run([sys.executable, "-m", "rag", "ask", BRIANSK, "--index", index["dir"]], cwd=ROOT,
                          capture_output=True, text=True, timeout=600,
                          env={**__import__("os").environ, "DQA_LLM_BACKEND": "embedded",
                               "DQA_EMBEDDED_MODEL": "smollm2"})
    assert proc.returncode == 0, proc.stderr
    assert "[1]" in proc.stdout and "Building index" not in proc.stdout + proc.stderr


def test_bench_sections_are_skipped_by_list_or_one_by_one():
    from rag.apps.cli import build_parser
    parser = build_parser()
    assert parser.parse_args(["bench", "--skip", "ingest,cold", "--skip", "throughput"]).skip == [
        ["ingest", "cold"], ["throughput"]]
    with pytest.raises(SystemExit):
        parser.parse_args(["bench", "--skip", "ingest,nope"])
