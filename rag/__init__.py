"""Dispatch QA: local question answering over news dispatches, every answer cited.

The public API: everything the CLI, the web UI, the evaluation and the benchmarks use is here.
"""

from .answer import Answer, AnswerStream, Citation
from .assistant import Assistant, IngestReport
from .chunking import Chunk, ChunkMeta
from .citations import AnswerSentence
from .errors import DispatchQAError
from .filters import Filters
from .retrieval import Passage
from .settings import Settings

__all__ = ["Answer", "AnswerSentence", "AnswerStream", "Assistant", "Chunk", "ChunkMeta", "Citation",
           "DispatchQAError", "Filters", "IngestReport", "Passage", "Settings"]
