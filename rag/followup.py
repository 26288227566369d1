"""Follow-up questions in a conversation: rewrite them as standalone questions before searching."""
from __future__ import annotations

import re

from .llm import LLM
from .prompting import Prompts
from .text import content_terms

History = list[tuple[str, str]]  # (question, answer) pairs, oldest first


def condense(question: str, history: History, llm: LLM, prompts: Prompts, lang: str,
             max_ratio: float = 4.0) -> str:
    """Rewrite a follow-up into a standalone question; keep the model's rewrite only if it is sane."""
    last_q = history[-1][0]
    convo = "\n".join(f"Q: {q}\nA: {a}" for q, a in history[-3:])
    raw = llm.generate([{"role": "user", "content": prompts.get("condense", lang).format(
        history=convo, question=question)}], 64, 0.0).strip().split("\n")[0]
    needed, got = content_terms(question), content_terms(raw)
    # Keep the rewrite only if it keeps the follow-up's words and brings context from the last question.
    brings_context = bool((got - needed) & content_terms(last_q))
    if raw and needed <= got and brings_context and len(raw) < max_ratio * len(last_q) + len(question):
        return raw
    return merge_followup(last_q, question)


def merge_followup(previous: str, followup: str) -> str:
    """Fallback condensation: 'Et au-dessus de Kalouga ?' + previous question -> one retrieval query."""
    tail = re.sub(r"^\s*(et|and|what about|how about|and what about)\b[\s,]*", "", followup, flags=re.I)
    return f"{previous.rstrip(' ?')} — {tail}"
