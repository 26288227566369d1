"""Dispatch QA: local question answering over news dispatches, every answer cited."""

from .answer import Answer, AnswerStream, Citation
from .assistant import Assistant, IngestReport
from .errors import DispatchQAError
from .retrieval import Filters, Passage
from .settings import Settings

__all__ = ["Answer", "AnswerStream", "Assistant", "Citation", "DispatchQAError", "Filters", "IngestReport",
           "Passage", "Settings"]
