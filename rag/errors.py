"""Typed errors whose messages tell the user what to do next."""
from __future__ import annotations


class DispatchQAError(Exception):
    """Base class of every error Dispatch QA raises on purpose."""


class ConfigError(DispatchQAError):
    """A setting or the config file is invalid."""


class BadDispatch(DispatchQAError):
    """A file could not be read as a dispatch; the message says why."""


class EmbedderError(DispatchQAError):
    """The embedding backend could not be loaded or used."""


class EmbedderMismatch(EmbedderError):
    """The index was built with another embedder than the one configured."""


class StoreError(DispatchQAError):
    """The Chroma store (on disk or server) could not be used."""


class LLMError(DispatchQAError):
    """Base class for answer-generation failures."""


class LLMUnavailable(LLMError):
    """No LLM server answers at the configured address."""


class ModelMissing(LLMError):
    """The server answers but does not have the configured model."""


class LLMTimeout(LLMError):
    """The LLM did not answer within the configured timeout."""


class EmptyIndex(DispatchQAError):
    """A question was asked before any dispatch was ingested."""


class EvalDataError(DispatchQAError):
    """A question-set file is malformed; the message names the line."""
