"""LLM backends behind one interface: an Ollama server, or an embedded llama.cpp model shipped in a package."""
from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from rag.errors import ContextOverflow, LLMError, LLMTimeout, LLMUnavailable, ModelMissing, ollama_errors
from rag.llm import models, usage
from rag.settings import Settings

Message = dict[str, str]
log = logging.getLogger("rag")


class LLM(Protocol):
    name: str

    def describe(self) -> str: ...
    def generate(self, messages: list[Message], max_tokens: int, temperature: float) -> str: ...
    def stream(self, messages: list[Message], max_tokens: int, temperature: float,
               cancel: threading.Event | None = None) -> Iterator[str]: ...
    # optional `rereads`: the model can re-read a question over one sentence (the grounded check); absent: no
    # optional yes_probability(messages, yes, no) -> float: the first token's odds of `yes` over `no`
    # optional `slots`: answers it writes at once, the others waiting their turn here; absent or 0: it queues
    # on its own side (Ollama batches requests: they are not serialized here)


TOP_LOGPROBS = 20  # first-token alternatives read for a yes/no question


def yes_share(top: list[tuple[str, float]], yes: str, no: str) -> float:
    """P(yes) / (P(yes) + P(no)) from first-token log probabilities (token, logprob); a token counts as the
    word whatever its case and spaces. 0.5 when neither is among them."""
    def best(word: str) -> float | None:
        found = [lp for token, lp in top if token.strip().lower() == word.lower()]
        return max(found) if found else None
    ly, ln = best(yes), best(no)
    if ly is None or ln is None:
        return 0.5 if ly is None and ln is None else float(ln is None)
    return 1.0 / (1.0 + math.exp(max(min(ln - ly, 50.0), -50.0)))


class OllamaLLM:
    """Chat through the official `ollama` client; num_ctx is always sent so context is never cut silently."""

    def __init__(self, settings: Settings) -> None:
        import httpx
        import ollama

        self.settings = settings
        self.model = settings.ollama_model
        self.name = f"ollama:{self.model}"
        self.rereads = True
        self.slots = 0  # Ollama queues and batches on its side
        # A silent server is told from a slow answer by the wait for each token, not for the whole answer.
        silent = min(settings.ollama_first_token_timeout, settings.llm_timeout)
        self.client = ollama.Client(host=settings.ollama_url,
                                    timeout=httpx.Timeout(silent, connect=settings.ollama_connect_timeout))

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
        return "".join(self.stream(messages, max_tokens, temperature))  # streamed: each token has its timeout

    def stream(self, messages: list[Message], max_tokens: int, temperature: float,
               cancel: threading.Event | None = None) -> Iterator[str]:
        """Tokens as Ollama sends them: LLMTimeout when it is silent for ollama_first_token_timeout, or when the
        whole answer takes longer than llm_timeout. Cancelled before it starts, Ollama is not asked."""
        if cancel is not None and cancel.is_set():
            return
        deadline = time.monotonic() + self.settings.llm_timeout
        with ollama_errors(self.settings.ollama_url, self.model):
            for part in self.client.chat(model=self.model, messages=messages, stream=True,
                                         options=self._options(max_tokens, temperature)):
                if cancel is not None and cancel.is_set():
                    return  # leaving the loop closes the HTTP stream: Ollama stops generating
                if time.monotonic() > deadline:
                    raise LLMTimeout(f"Ollama at {self.settings.ollama_url} did not finish the answer within "
                                     f"{self.settings.llm_timeout:g} s (DQA_LLM_TIMEOUT). Raise it, or use a "
                                     "smaller model.", self.name)
                if part.message.content:
                    yield part.message.content
                if getattr(part, "done", False):
                    usage.record(usage.from_ollama(part))

    def yes_probability(self, messages: list[Message], yes: str, no: str) -> float:
        """One token with its alternatives' log probabilities (Ollama 0.12 and later); from a server that
        sends none, the word it wrote."""
        with ollama_errors(self.settings.ollama_url, self.model):
            r = self.client.chat(model=self.model, messages=messages, stream=False, logprobs=True,
                                 top_logprobs=TOP_LOGPROBS, options=self._options(1, 0.0))
        usage.record(usage.from_ollama(r))
        if r.logprobs:
            first = r.logprobs[0]
            return yes_share([(t.token, t.logprob) for t in (first.top_logprobs or [first])], yes, no)
        return yes_share([((r.message.content or "").strip(), 0.0)], yes, no)


class EmbeddedLLM:
    """llama.cpp in-process through xllamacpp's server engine (thread-safe, queues requests).

    The prompt cache is on: the system prompt and instructions, identical for every question, stay in the
    KV cache, so only the question and its passages are read for each answer."""

    _servers: dict[tuple, Any] = {}
    _lock = threading.Lock()

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = self._model_file(settings)
        self.name = f"embedded:{self.path.stem}"
        self.rereads = models.rereads(self.path)
        self.threads = settings.embedded_threads or auto_threads()
        self.threads_batch = settings.embedded_threads_batch or self.threads
        self.slots = settings.embedded_slots  # answers written at once; the others wait their turn (Turns)
        self.server = self._server()

    @staticmethod
    def _model_file(settings: Settings) -> Path:
        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                from tqdm.auto import tqdm
                bar = tqdm(total=total, unit="B", unit_scale=True, desc="Assembling the offline model (once)")
            bar.update(done - bar.n)

        try:
            return models.resolve(settings.embedded_model, settings.embedded_model_path, settings.model_cache_dir,
                                  progress)
        finally:
            if bar is not None:
                bar.close()

    def describe(self) -> str:
        return f"embedded model {self.path.name} (llama.cpp, {self.threads} thread(s))"

    def _server(self) -> Any:
        key = (str(self.path), self.settings.embedded_ctx, self.threads, self.threads_batch,
               self.settings.embedded_batch, self.slots)
        with self._lock:
            if key not in self._servers:
                import xllamacpp as xlc
                params = xlc.CommonParams()
                params.model.path = str(self.path)
                params.n_ctx = self.settings.embedded_ctx * self.slots  # llama.cpp gives each slot its share
                params.n_parallel = self.slots
                params.n_batch = params.n_ubatch = self.settings.embedded_batch  # a Stop between steps
                params.cpuparams.n_threads = self.threads
                params.cpuparams_batch.n_threads = self.threads_batch
                params.verbosity = -1
                params.warmup = False
                with _quiet_stderr():
                    self._servers[key] = xlc.Server(params)
            return self._servers[key]

    def _request(self, messages: list[Message], max_tokens: int, temperature: float, stream: bool) -> dict:
        # A fixed seed makes the same question give the same answer; the prompt cache keeps the shared prefix.
        return {"messages": messages, "max_tokens": max_tokens, "temperature": temperature, "stream": stream,
                "seed": 7, "cache_prompt": self.settings.embedded_prompt_cache}

    def generate(self, messages: list[Message], max_tokens: int, temperature: float) -> str:
        return "".join(self.stream(messages, max_tokens, temperature))

    def stream(self, messages: list[Message], max_tokens: int, temperature: float,
               cancel: threading.Event | None = None) -> Iterator[str]:
        """Tokens as llama.cpp makes them; LLMTimeout when the answer is not done within llm_timeout; it ends
        quietly, and llama.cpp stops, as soon as `cancel` is set (a stop button), also while it reads the
        prompt: llama.cpp reports each step of reading (`return_progress`), and the answer to a report can stop
        it. Cancelled before it starts, the model is not asked at all."""
        cancel = cancel or threading.Event()
        if cancel.is_set():
            return
        deadline = time.monotonic() + self.settings.llm_timeout
        q: queue.Queue = queue.Queue()
        done, stop = object(), threading.Event()  # stop: this reader is gone; cancel: the user asked to stop

        def on_chunk(chunk: Any) -> bool:
            q.put(chunk)
            return stop.is_set() or cancel.is_set()  # True tells llama.cpp to stop generating

        def run() -> None:
            try:
                request = {**self._request(messages, max_tokens, temperature, True), "return_progress": True}
                self.server.handle_chat_completions(request, on_chunk)
            except Exception as exc:  # noqa: BLE001 - re-raised in the consumer thread
                q.put(exc)
            finally:
                _GENERATING.discard(threading.current_thread())
            q.put(done)

        worker = threading.Thread(target=run, daemon=True)
        _GENERATING.add(worker)
        worker.start()
        try:
            while (item := self._next(q, deadline, cancel, done)) is not done:
                if isinstance(item, Exception):
                    raise LLMError(f"Embedded model failed: {item}", self.name) from item
                if isinstance(item, dict) and "error" in item:
                    raise _failure(item["error"], self.name)
                if isinstance(item, dict) and "timings" in item:  # the last chunk: what the call cost
                    usage.record(usage.from_llama_cpp(item["timings"]))
                for choice in (item.get("choices") or []) if isinstance(item, dict) else []:
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        yield text
        finally:  # a stop button, a timeout or an error: the model stops too, freeing it for the next question
            stop.set()

    def yes_probability(self, messages: list[Message], yes: str, no: str) -> float:
        """The first token's odds of `yes` over `no` (one token generated)."""
        request = {**self._request(messages, 1, 0.0, False), "logprobs": True, "top_logprobs": TOP_LOGPROBS}
        try:
            out = self.server.handle_chat_completions(request)
        except Exception as exc:  # noqa: BLE001 - llama.cpp's own errors, said as ours
            raise LLMError(f"Embedded model failed: {exc}", self.name) from exc
        if isinstance(out, dict) and "error" in out:
            raise _failure(out["error"], self.name)
        usage.record(usage.from_llama_cpp(out.get("timings")))
        first = out["choices"][0]["logprobs"]["content"][0]
        return yes_share([(t["token"], t["logprob"]) for t in first.get("top_logprobs") or [first]], yes, no)

    def _next(self, q: queue.Queue, deadline: float, stop: threading.Event, done: object) -> Any:
        """The next chunk, or `done` once stopped; LLMTimeout past the deadline."""
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                raise LLMTimeout(f"The embedded model did not finish within {self.settings.llm_timeout:g} s "
                                 "(DQA_LLM_TIMEOUT). The machine may be busy: try DQA_EMBEDDED_THREADS=1, a smaller "
                                 "model, or a longer timeout.", self.name)
            try:
                return q.get(timeout=min(left, 0.2))
            except queue.Empty:
                continue
        return done


# Generations still running in llama.cpp (a timeout or a stop left them finishing their current step). At
# exit they are waited for: a thread killed inside llama.cpp as Python shuts down aborts the process
# ("FATAL: exception not rethrown", exit code 134).
_GENERATING: set[threading.Thread] = set()
EXIT_WAIT_S = 30.0


@atexit.register
def _wait_for_generations() -> None:
    deadline = time.monotonic() + EXIT_WAIT_S
    for worker in list(_GENERATING):
        worker.join(max(deadline - time.monotonic(), 0))


def _failure(error: Any, backend: str) -> LLMError:
    """llama.cpp's error object as our error: a prompt longer than the context is a ContextOverflow (the answer
    stage shortens the passages and asks again)."""
    if isinstance(error, dict) and error.get("type") == "exceed_context_size_error":
        return ContextOverflow(f"The prompt ({error.get('n_prompt_tokens')} tokens) is longer than the embedded "
                               f"model's context ({error.get('n_ctx')} tokens, DQA_EMBEDDED_CTX).", backend,
                               int(error.get("n_prompt_tokens") or 0), int(error.get("n_ctx") or 0))
    return LLMError(f"Embedded model failed: {error}", backend)


def auto_threads(sample_s: float = 0.25) -> int:
    """Cores not busy with other processes right now (at least 1): llama.cpp threads that must share a core
    with another busy process stall every other thread at each step."""
    cores = os.cpu_count() or 1
    try:
        own0, all0 = _own_cpu(), _busy_cpu()
        time.sleep(sample_s)
        others = ((_busy_cpu() - all0) - (_own_cpu() - own0)) / sample_s
    except (OSError, ValueError, IndexError):
        others = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(1, min(cores, round(cores - max(others, 0.0))))


def _busy_cpu() -> float:
    """CPU seconds all processes spent busy since boot (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


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


class FallbackLLM:
    """Ollama first; when it fails before saying anything (down, hanging past the timeout), the embedded model
    answers, for this question and the next ones: one slow timeout, not one per question."""

    def __init__(self, primary: OllamaLLM, settings: Settings) -> None:
        self.primary, self.settings = primary, settings
        self.active: LLM = primary
        self.notice = ""

    @property
    def name(self) -> str:
        return self.active.name

    def describe(self) -> str:
        return self.active.describe()

    @property
    def rereads(self) -> bool:
        return self.active.rereads

    @property
    def slots(self) -> int:
        return getattr(self.active, "slots", 0)

    @property
    def switched(self) -> bool:
        return self.active is not self.primary

    def _switch(self, exc: LLMError) -> LLM:
        self.active = EmbeddedLLM(self.settings)
        self.notice = f"{exc} Answering with the {self.active.describe()} from now on."
        log.warning(self.notice)
        return self.active

    def status(self) -> str:
        """The one-line notice once the embedded model has taken over."""
        return (f"Model: {_short(self.active)} (embedded, offline; Ollama at {self.settings.ollama_url} stopped "
                "answering).")

    def generate(self, messages: list[Message], max_tokens: int, temperature: float) -> str:
        if self.active is self.primary:
            try:
                return self.primary.generate(messages, max_tokens, temperature)
            except (LLMTimeout, LLMUnavailable) as exc:
                self._switch(exc)
        return self.active.generate(messages, max_tokens, temperature)

    def stream(self, messages: list[Message], max_tokens: int, temperature: float,
               cancel: threading.Event | None = None) -> Iterator[str]:
        if self.active is self.primary:
            said = False
            try:
                for token in self.primary.stream(messages, max_tokens, temperature, cancel):
                    said = True
                    yield token
                return
            except (LLMTimeout, LLMUnavailable) as exc:
                if said:  # part of the answer is out: no second voice in the middle of it
                    raise
                self._switch(exc)
        yield from self.active.stream(messages, max_tokens, temperature, cancel)

    def yes_probability(self, messages: list[Message], yes: str, no: str) -> float:
        if self.active is self.primary:
            try:
                return self.primary.yes_probability(messages, yes, no)
            except (LLMTimeout, LLMUnavailable) as exc:
                self._switch(exc)
        return self.active.yes_probability(messages, yes, no)


def select_llm(settings: Settings) -> tuple[LLM, str, str]:
    """Pick the backend: the model, a one-line notice saying which one answers, and why when it is not the
    one asked for (the details a setup page shows folded)."""
    backend = settings.llm_backend
    if backend == "embedded":
        llm = EmbeddedLLM(settings)
        return llm, f"Model: {_short(llm)} (embedded, offline).", ""
    probe = settings.replace(ollama_first_token_timeout=min(settings.ollama_first_token_timeout, 3.0)) \
        if backend == "auto" else settings
    ollama_llm = OllamaLLM(settings)
    try:
        OllamaLLM(probe).check() if backend == "auto" else ollama_llm.check()
    except LLMError as exc:
        if backend == "ollama" and not settings.fallback_to_embedded:
            raise
        llm = EmbeddedLLM(settings)
        return (llm, f"Model: {_short(llm)} (embedded, offline; no Ollama model at {settings.ollama_url}).",
                f"{exc} Falling back to the {llm.describe()}.")
    chosen = FallbackLLM(ollama_llm, settings) if settings.fallback_to_embedded else ollama_llm
    return chosen, f"Model: {settings.ollama_model} (Ollama at {settings.ollama_url}).", ""


def _short(llm: EmbeddedLLM) -> str:
    return llm.path.stem


class ReplayLLM:
    """Generations kept in a JSONL file (settings.generation_cache): a request asked before is answered from
    the file, a new one by the model, whose answer is appended. An evaluation re-run after a change to the
    checks then reads the same model output and runs in seconds; the model is loaded only on a miss."""

    def __init__(self, path: str | Path, model: str, load: Callable[[], LLM], rereads: bool = True) -> None:
        self.path, self.model, self._load = Path(path), model, load
        self.rereads = rereads  # as the model behind it would (known without loading it)
        self._inner: LLM | None = None
        self._lock = threading.Lock()
        self._known: dict[str, str] = {}
        self._cut = False  # the file ends in half a line (a kill mid-write): the next row starts a new line
        if self.path.is_file():
            text = self.path.read_text(encoding="utf-8")
            self._cut = bool(text) and not text.endswith("\n")
            for line in text.splitlines():
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    row = json.loads(line)
                    self._known[row["key"]] = row["text"]

    @property
    def name(self) -> str:
        return self._inner.name if self._inner else f"replay:{self.model}"

    @property
    def slots(self) -> int:
        """The model's, once a miss loaded it; replayed answers cost nothing and wait for no one."""
        return getattr(self._inner, "slots", 0) if self._inner else 0

    def describe(self) -> str:
        inner = self._inner.describe() if self._inner else self.model
        return f"{inner}, replayed from {self.path} when asked before"

    def _key(self, messages: list[Message], max_tokens: int, temperature: float) -> str:
        blob = json.dumps([self.model, messages, max_tokens, temperature], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def generate(self, messages: list[Message], max_tokens: int, temperature: float) -> str:
        key = self._key(messages, max_tokens, temperature)
        with self._lock:
            if key in self._known:
                usage.record(usage.Call("", replayed=True))
                return self._known[key]
            if self._inner is None:
                self._inner = self._load()
        text = self._inner.generate(messages, max_tokens, temperature)
        self._remember(key, text)
        return text

    def _remember(self, key: str, text: str) -> None:
        with self._lock:
            self._known[key] = text
            self.path.parent.mkdir(parents=True, exist_ok=True)
            row = json.dumps({"key": key, "model": self.model, "text": text}, ensure_ascii=False) + "\n"
            # one write of the whole line in append mode: processes sharing the file never interleave rows
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, (("\n" if self._cut else "") + row).encode("utf-8"))
            finally:
                os.close(fd)
            self._cut = False

    def stream(self, messages: list[Message], max_tokens: int, temperature: float,
               cancel: threading.Event | None = None) -> Iterator[str]:
        yield self.generate(messages, max_tokens, temperature)

    def yes_probability(self, messages: list[Message], yes: str, no: str) -> float:
        key = self._key([*messages, {"role": "odds", "content": f"{yes}/{no}"}], 1, 0.0)
        with self._lock:
            if key in self._known:
                usage.record(usage.Call("", replayed=True))
                return float(self._known[key])
            if self._inner is None:
                self._inner = self._load()
        p = self._inner.yes_probability(messages, yes, no)
        self._remember(key, repr(p))
        return p
