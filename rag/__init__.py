"""Dispatch QA: local question answering over news dispatches, every answer cited.

The public API: everything the CLI, the web UI, the evaluation and the benchmarks use is here.
"""

from rag.answer.answerer import Answer, AnswerStream, Citation
from rag.answer.checks import REGISTRY as CHECKS  # name -> check class: the checks every answer goes through
from rag.answer.decision import HARD as FACT_CHECKS  # the checks that veto alone under the calibrated decision
from rag.answer.decision import Decision, train_decision  # the calibrated answer decision (rag calibrate)
from rag.assistant import Assistant, IngestReport
from rag.errors import Busy, DispatchQAError  # Busy: too many questions wait for the model
from rag.filters import Filters
from rag.llm.usage import Call, recording  # what each model call cost, and why (bench)
from rag.settings import Settings
from rag.values import AnswerSentence, Chunk, ChunkMeta, Passage

__all__ = ["CHECKS", "FACT_CHECKS", "Answer", "AnswerSentence", "AnswerStream", "Assistant", "Busy", "Call", "Chunk",
           "ChunkMeta", "Citation", "Decision", "DispatchQAError", "Filters", "IngestReport", "Passage", "Settings",
           "recording", "train_decision"]
