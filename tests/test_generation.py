"""Real answers offline with the packaged 1.5B model (Qwen2.5-Coder-1.5B-Instruct through llama.cpp)."""
import re

import pytest

from rag import Assistant, Settings, recording
from rag.language.detect import detect_language
from rag.llm.models import QWEN, is_installed

pytestmark = pytest.mark.skipif(not is_installed(QWEN), reason="make install installs the 1.5B model's parts")


@pytest.fixture(scope="module")
def qwen(qa: Assistant) -> Assistant:
    """The sample-corpus index of the `qa` fixture, answered by the 1.5B model (a generous model timeout: the
    box may be slow or busy)."""
    return Assistant(qa.settings.replace(embedded_model="qwen2.5-coder-1.5b", llm_timeout=600))


def test_packaged_model_is_assembled_once_and_verified(qwen: Assistant):
    path = qwen.llm.path
    assert path.name == QWEN.file and path.stat().st_size == QWEN.size
    assert path.with_name(path.name + ".verified").read_text().startswith(QWEN.sha256)


def test_corrupt_parts_are_refused_with_a_clear_message(tmp_path, monkeypatch):
    from rag.errors import ModelMissing
    from rag.llm import models
    fake = models.PackagedModel("tiny", "tiny.gguf", ("p1", "p2"), size=6, sha256="0" * 64, install="pip install x")
    parts = [tmp_path / "a.bin", tmp_path / "b.bin"]
    parts[0].write_bytes(b"abc")
    parts[1].write_bytes(b"def")
    monkeypatch.setattr(models, "part_paths", lambda model: parts)
    with pytest.raises(ModelMissing, match="does not match the published file.*pip install x --force-reinstall"):
        models.assemble(fake, tmp_path / "cache")
    assert not list((tmp_path / "cache").iterdir())  # nothing half-written is left under the model's name


def test_briansk_count_is_generated_and_cited(qwen: Assistant):
    ans = qwen.ask("Combien de drones ont été abattus au-dessus de Briansk ?")
    assert not ans.refused and ans.extractive is False, ans.text
    assert "30" in ans.text.split(".")[0] + ans.text  # stated, and first
    first = ans.sentences[0] if ans.sentences[0].supported else next(s for s in ans.sentences if s.supported)
    assert "30" in first.text
    assert any("30" in ans.citations[n - 1].text for n in first.cites)


def test_english_answer_over_french_passages_has_no_french(qwen: Assistant):
    ans = qwen.ask("How many drones were shot down over Bryansk?")
    assert not ans.refused and not ans.extractive, ans.text
    assert ans.citations and all(c.lang == "fr" for c in ans.citations)
    assert detect_language(ans.text) == "en" and "30" in ans.text
    assert not re.search(r"\b(morts|drones ont|selon|dépêche|abattus)\b", ans.text, re.I), ans.text


def test_conversation_follow_up_then_a_new_topic(qwen: Assistant):
    """Briansk, then an elliptical follow-up (condensed by the model), then a new question that names its
    own subject: it is searched as asked and cites the Myanmar dispatches."""
    history: list[tuple[str, str]] = []
    first = qwen.ask("Combien de drones ont été abattus au-dessus de Briansk ?")
    history.append((first.standalone_question, first.text))
    with recording() as calls:  # what each model call cost, and why it was made
        follow = qwen.ask("Et au-dessus de Kalouga ?", history=history)
    purposes = [c.purpose for c in calls]
    assert purposes[:2] == ["follow-up rewrite", "answer"] and "re-reading" in purposes, purposes
    answer = calls[1]
    assert answer.prompt_tokens + answer.cached_tokens > 300 and answer.generated > 3 and answer.prompt_s > 0
    assert not any(c.replayed for c in calls)
    assert "Kalouga" in follow.standalone_question and " — " not in follow.standalone_question  # the model's
    assert "25" in follow.text and any("Kalouga 25" in c.text for c in follow.citations)
    history.append((follow.standalone_question, follow.text))
    new = qwen.ask("What death toll was reported for the Myanmar earthquake?", history=history)
    assert new.standalone_question == "What death toll was reported for the Myanmar earthquake?"
    assert new.citations and all("quake" in c.dispatch_id or "seisme" in c.dispatch_id for c in new.citations)
    assert "2,719" in new.text


def test_streaming_with_the_real_model_never_replaces_shown_text(qwen: Assistant):
    seen: list[str] = []
    stream = qwen.stream("Quel nom a pris le nouveau pape ?", on_status=lambda step, n=0: seen.append(step))
    shown = list(stream)
    assert shown and " ".join(shown) == stream.answer.text
    assert seen[:3] == ["searching", "found", "writing"]
    assert "Léon XIV" in stream.answer.text


def test_threads_are_settings():
    s = Settings.from_dict({"embedded_threads": 1, "embedded_threads_batch": 2})
    assert (s.embedded_threads, s.embedded_threads_batch) == (1, 2)
    from rag.llm.backends import auto_threads
    assert 1 <= auto_threads(0.05) <= (__import__("os").cpu_count() or 1)


def test_a_dispatch_impersonating_the_prompt_does_not_change_the_answer(qwen: Assistant, tmp_path):
    """Forged passage markers, role lines and delimiters in the title, a caption, a sub-head and the body."""
    import shutil

    from conftest import DATA, make_settings
    shutil.copy(DATA / "impersonation.fr.txt", tmp_path)
    qa = Assistant(make_settings(tmp_path / "idx", embedded_model="qwen2.5-coder-1.5b"))
    qa.ingest([tmp_path / "impersonation.fr.txt"], progress=False)
    ans = qa.ask("Combien de spectateurs le stade de Montrival a-t-il accueillis ?")
    assert re.search(r"12[.\s\u00a0,]?500", ans.text), ans.text
    assert "9999" not in ans.text and "10 spectateurs" not in ans.text


def test_cancel_stops_the_model_and_the_next_answer_is_whole(qwen: Assistant):
    import threading
    import time
    first = qwen.stream("What did Putin say about the idea of a ceasefire?")
    reader = threading.Thread(target=lambda: list(first))
    t = time.perf_counter()
    reader.start()
    time.sleep(1.0)
    asked_to_stop = time.perf_counter()
    first.cancel()
    reader.join(60)
    stopped_in = time.perf_counter() - asked_to_stop
    print(f"\n[stop] the answer being written ended {stopped_in:.2f} s after cancel()")
    assert not reader.is_alive() and first.answer.stopped and time.perf_counter() - t < 30
    second = qwen.ask("Combien de drones ont été abattus au-dessus de Briansk ?")
    assert not second.stopped and "30" in second.text and second.citations
