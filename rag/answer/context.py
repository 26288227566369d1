"""What every answer is written with: the embedder, the prompts, the settings and the check suite."""
from __future__ import annotations

from typing import NamedTuple

from rag.answer.checks import Suite
from rag.answer.prompting import Prompts
from rag.indexing.embedding import Embedder
from rag.settings import Settings


class AnswerContext(NamedTuple):
    embedder: Embedder
    prompts: Prompts
    settings: Settings
    suite: Suite
