"""Dispatch QA: local question answering over news dispatches, every answer cited.

The public API: everything the CLI, the web UI, the evaluation and the benchmarks use is here.
"""

from rag.answer.answerer import Answer, AnswerStream, Citation
from rag.assistant import Assistant, IngestReport
from rag.errors import DispatchQAError
from rag.filters import Filters
from rag.settings import Settings
from rag.values import AnswerSentence, Chunk, ChunkMeta, Passage

__all__ = ["Answer", "AnswerSentence", "AnswerStream", "Assistant", "Chunk", "ChunkMeta", "Citation",
           "DispatchQAError", "Filters", "IngestReport", "Passage", "Settings"]
