import pytest

from rag.errors import ConfigError
from rag.settings import Settings


def test_env_overrides_file_and_types_are_coerced(tmp_path, monkeypatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text('top_k = 3\n[llm]\nollama_model = "mistral"\nnum_ctx = 4096\n')
    monkeypatch.setenv("DQA_TOP_K", "9")
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box:11434")
    s = Settings.load(cfg)
    assert (s.top_k, s.ollama_model, s.num_ctx) == (9, "mistral", 4096)
    assert s.ollama_url == "http://gpu-box:11434"


def test_bad_values_give_config_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("DQA_TOP_K", "many")
    with pytest.raises(ConfigError, match="top_k"):
        Settings.load()
    monkeypatch.delenv("DQA_TOP_K")
    with pytest.raises(ConfigError, match="Unknown setting"):
        Settings.from_dict({"topk": 1})
    with pytest.raises(ConfigError, match="does not exist"):
        Settings.load(tmp_path / "missing.toml")
