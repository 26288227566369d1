"""Dispatch QA: local question answering over news dispatches, every answer cited.

The public API: everything the CLI, the web UI, the evaluation and the benchmarks use is here.
"""

from rag.answer.answerer import Answer, AnswerStream, Citation
from rag.answer.citations import AnswerSentence
from rag.assistant import Assistant, IngestReport
from rag.errors import DispatchQAError
from rag.filters import Filters
from rag.ingest.chunking import Chunk, ChunkMeta
from rag.retrieval import Passage
from rag.settings import Settings

__all__ = ["Answer", "AnswerSentence", "AnswerStream", "Assistant", "Chunk", "ChunkMeta", "Citation",
           "DispatchQAError", "Filters", "IngestReport", "Passage", "Settings"]
