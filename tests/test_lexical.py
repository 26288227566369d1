"""The persisted BM25 index: loaded after a restart instead of rebuilt, updated by ingest and delete, repaired
when it missed a store write, and equal to a fresh build."""
import shutil
import subprocess
import sys
from pathlib import Path

from rag import Assistant, Filters
from rag.indexing.lexical import LexicalIndex
from rag.indexing.store import to_chroma

from conftest import CORPUS, ROOT, make_settings

QUERIES = ["drones abattus Briansk", "séisme Birmanie bilan", "Eurovision Basel winner", "pape Léon conclave"]


def _results(qa: Assistant) -> list[list[tuple[str, float]]]:
    return [[(i, round(s, 4)) for i, s in qa.lexical_search(q, 8)] for q in QUERIES]


def _fresh_build(qa: Assistant, folder: Path) -> list[list[str]]:
    fresh = LexicalIndex(folder)
    fresh.rebuild(qa.store)
    return [[i for i, _ in fresh.search(qa.store, q, 8, Filters())] for q in QUERIES]


def test_the_index_survives_a_restart_without_a_rebuild(tmp_path: Path):
    settings = make_settings(tmp_path / "idx")
    first = Assistant(settings)
    first.ingest([CORPUS], progress=False)
    before = _results(first)
    again = Assistant(settings)  # a new process would do the same
    assert _results(again) == before
    assert again.retriever.lexical.loaded_from_disk and again.retriever.lexical.rebuilds == 0


def test_ingest_delete_restart_gives_what_a_fresh_build_gives(tmp_path: Path):
    settings = make_settings(tmp_path / "idx")
    qa = Assistant(settings)
    qa.ingest([CORPUS / "2025-03-13-drones-briansk.fr.txt", CORPUS / "2025-05-08-pape-leon-xiv.fr.txt"],
              progress=False)
    qa.ingest([CORPUS], progress=False)  # added to the delta
    qa.delete("2025-05-08-pape-leon-xiv.fr")  # masked
    restarted = Assistant(settings)
    got = _results(restarted)
    assert [[i for i, _ in r] for r in got] == _fresh_build(restarted, tmp_path / "fresh-build")
    assert not any(i in {c.id for c in restarted.store.chunks_of("2025-05-08-pape-leon-xiv.fr")}
                   for r in got for i, _ in r)


def test_a_store_write_the_index_missed_is_found_and_repaired_at_open(tmp_path: Path):
    """A crash between the store write and the BM25 write (simulated: chunks written to the store alone)."""
    settings = make_settings(tmp_path / "idx")
    qa = Assistant(settings)
    qa.ingest([CORPUS / "2025-03-13-drones-briansk.fr.txt"], progress=False)
    other = Assistant(settings)
    chunks = other.chunk_files([CORPUS / "2025-05-17-eurovision-basel.en.txt"], settings)
    vectors = other.embed_passages([c.embed_text() for c in chunks])
    other.store.upsert([c.id for c in chunks], vectors, [c.text for c in chunks], [c.meta for c in chunks])
    reopened = Assistant(settings)
    hits = reopened.lexical_search("Wasted Love countertenor", 5)
    assert hits and hits[0][0] in {c.id for c in chunks}
    state = reopened.retriever.lexical._read_state()
    assert state["stamp"] == reopened.store.current_version()


KILLED_AFTER_STORE_WRITE = """
import json, os, sys
from chromadb.api.models.Collection import Collection
from rag import Assistant, Settings
real = Collection.upsert
def upsert_then_die(self, *a, **kw):  # SIGKILL right after Chroma has the chunks: no finally runs
    real(self, *a, **kw)
    os._exit(9)
Collection.upsert = upsert_then_die
Assistant(Settings.from_dict(json.loads(sys.argv[1]))).ingest([sys.argv[2]], progress=False)
"""


def test_an_open_index_catches_up_with_a_process_killed_right_after_its_store_write(tmp_path: Path):
    """The killed process never wrote its stamp after the write nor its BM25 journal; the stamp it wrote
    before the write tells the others to catch up."""
    settings = make_settings(tmp_path / "idx")
    qa = Assistant(settings)
    qa.ingest([CORPUS / "2025-03-13-drones-briansk.fr.txt"], progress=False)
    assert not qa.lexical_search("Wasted Love countertenor", 5)
    eurovision = CORPUS / "2025-05-17-eurovision-basel.en.txt"
    proc = subprocess.run([sys.executable, "-c", KILLED_AFTER_STORE_WRITE, settings.model_dump_json(), str(eurovision)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 9, proc.stderr[-2000:]
    written = {c.id for c in qa.store.chunks_of("2025-05-17-eurovision-basel.en")}
    assert written  # the store has them, BM25 did not hear of them
    hits = qa.lexical_search("Wasted Love countertenor", 5)
    assert hits and hits[0][0] in written


def test_chunks_written_without_any_change_stamp_are_found_at_open(tmp_path: Path):
    """An index a killed process of an older release left behind (no stamp before the write): the saved BM25
    index holds fewer chunks than the store, which opening it notices and repairs."""
    settings = make_settings(tmp_path / "idx")
    qa = Assistant(settings)
    qa.ingest([CORPUS / "2025-03-13-drones-briansk.fr.txt"], progress=False)
    qa.lexical_search("drones", 5)  # the BM25 state is saved at the store's stamp
    chunks = qa.chunk_files([CORPUS / "2025-05-17-eurovision-basel.en.txt"], settings)
    vectors = qa.embed_passages([c.embed_text() for c in chunks])
    qa.store.col.upsert(ids=[c.id for c in chunks], embeddings=vectors.tolist(), documents=[c.text for c in chunks],
                        metadatas=[to_chroma(c.meta) for c in chunks])  # straight to Chroma: no stamp
    reopened = Assistant(settings)
    hits = reopened.lexical_search("Wasted Love countertenor", 5)
    assert hits and hits[0][0] in {c.id for c in chunks}


def test_a_large_change_rebuilds_the_main_index_and_drops_the_old_one(tmp_path: Path, monkeypatch):
    import rag.indexing.lexical as lexical
    monkeypatch.setattr(lexical, "MERGE_MIN", 5)
    qa = Assistant(make_settings(tmp_path / "idx"))
    qa.ingest([CORPUS / "2025-03-13-drones-briansk.fr.txt"], progress=False)
    qa.ingest([CORPUS], progress=False)
    qa.retriever.lexical.settle()  # merges run in the background
    folder = qa.retriever.lexical.folder
    mains = [p.name for p in folder.iterdir() if p.name.startswith("main-")]
    assert qa.retriever.lexical.rebuilds >= 2 and len(mains) == 1
    assert (folder / "journal.jsonl").read_text() == "" or len(qa.retriever.lexical.added) < 5
    shutil.rmtree(folder)  # gone: the next search rebuilds it from the store
    assert Assistant(qa.settings).retrieve("drones abattus Briansk", k=1)


APP_SCRIPT = """
import json, sys
from rag import Assistant, Filters, Settings
index_dir, port, collection, action, arg = sys.argv[1:6]
qa = Assistant(Settings.from_dict(dict(index_dir=index_dir, chroma_host="127.0.0.1", chroma_port=int(port),
                                       collection=collection, llm_backend="embedded", embedded_model="smollm2")))
if action == "ingest":
    print(json.dumps(qa.ingest([arg], progress=False).added))
else:
    dense = [c.id for c, _ in qa.store.query(qa.embed_query(arg), 3)]
    lexical = [i for i, _ in qa.retriever.lexical.search(qa.store, arg, 3, Filters())]
    print(json.dumps({"dense": dense, "lexical": lexical}))
"""


def test_two_app_processes_on_one_chroma_server_see_each_others_ingests(chroma_port, tmp_path: Path):
    """Each app process keeps its own BM25 copy (its own index_dir) in step with the server's collection."""
    import json
    import subprocess
    import sys

    collection = "two-apps"

    def other_process(action: str, arg: str) -> object:
        run = subprocess.run([sys.executable, "-c", APP_SCRIPT, str(tmp_path / "other"), str(chroma_port), collection,
                              action, arg], capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-2000:]
        return json.loads(run.stdout.strip().splitlines()[-1])

    here = Assistant(make_settings(tmp_path / "here", chroma_host="127.0.0.1", chroma_port=chroma_port,
                                   collection=collection))
    here.ingest([CORPUS / "2025-03-13-drones-briansk.fr.txt"], progress=False)
    query = "Wasted Love countertenor JJ Eurovision"
    eurovision = [c.id for c in Assistant.chunk_files([CORPUS / "2025-05-17-eurovision-basel.en.txt"], here.settings)]
    assert not set(other_process("search", query)["lexical"]) & set(eurovision)  # its copy is built (Briansk only)
    assert any((tmp_path / "other").glob("lexical-*/main-*"))

    assert other_process("ingest", str(CORPUS / "2025-05-17-eurovision-basel.en.txt")) == [
        "2025-05-17-eurovision-basel.en"]
    assert here.lexical_search(query, 3)[0][0] in eurovision
    assert here.store.query(here.embed_query(query), 3)[0][0].id in eurovision

    here.delete("2025-05-17-eurovision-basel.en")
    seen = other_process("search", query)
    assert not set(seen["lexical"]) & set(eurovision) and not set(seen["dense"]) & set(eurovision)
    assert here.retriever.lexical.rebuilds <= 1  # kept in step by differences, not rebuilt at each change


def test_writes_during_background_merges_are_kept(tmp_path: Path, monkeypatch):
    """Merges start while ingest and delete go on; searches answer throughout, and once the merges are done
    the index gives what a fresh build gives."""
    import rag.indexing.lexical as lexical
    monkeypatch.setattr(lexical, "MERGE_MIN", 3)
    qa = Assistant(make_settings(tmp_path / "idx"))
    files = sorted(CORPUS.glob("*.txt"))
    for f in files:
        qa.ingest([f], progress=False)
        assert qa.lexical_search(f.read_text(encoding="utf-8")[-300:], 3)  # words of the file just ingested
    qa.delete(files[-1].name.removesuffix(".txt"))
    qa.retriever.lexical.settle()
    assert qa.retriever.lexical.rebuilds >= 2
    got = [[i for i, _ in r] for r in _results(qa)]
    assert got == _fresh_build(qa, tmp_path / "fresh-build")
    assert got == [[i for i, _ in r] for r in _results(Assistant(qa.settings))]  # and after a restart


def test_on_a_server_one_question_reads_the_change_stamp_once(chroma_port, tmp_path: Path):
    """Each store call used to fetch the collection's metadata first; within server_sync_seconds it is read
    once, and a write (ours or another client's) is still seen once the delay has passed."""
    import time

    settings = {"chroma_host": "127.0.0.1", "chroma_port": chroma_port, "collection": "sync-once"}
    qa = Assistant(make_settings(tmp_path / "a", server_sync_seconds=30, **settings))
    qa.ingest([CORPUS / "2025-03-13-drones-briansk.fr.txt"], progress=False)
    calls = []
    real = qa.store.client.get_collection
    qa.store.client.get_collection = lambda *a, **k: calls.append(1) or real(*a, **k)
    qa.store._synced_at = 0.0  # as if the last read were long ago
    for _ in range(3):
        assert qa.retrieve("drones abattus Briansk", k=3)
    assert len(calls) == 1

    other = Assistant(make_settings(tmp_path / "b", server_sync_seconds=0.2, **settings))
    assert other.retrieve("Eurovision Basel winner JJ", k=3)[0].dispatch_id != "2025-05-17-eurovision-basel.en"
    qa.ingest([CORPUS / "2025-05-17-eurovision-basel.en.txt"], progress=False)
    time.sleep(0.3)
    assert other.retrieve("Eurovision Basel winner JJ", k=3)[0].dispatch_id == "2025-05-17-eurovision-basel.en"
