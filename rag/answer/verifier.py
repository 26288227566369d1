"""The model re-reads: asked the question again over only the passage sentences a claim rests on, it answers
with the passage's own words, or "none" when they do not say it. A claim stands only when what it gives is
what that re-reading found.

Word overlap cannot tell "77 drones over Kalouga" from "25 drones over Kalouga" when the passage says "77
drones, 30 over Briansk and 25 over Kalouga", nor "the price of bread is 88 million euros" from a passage on
a theft that gives 88 million euros. The same small model that wrote the answer from several passages reads
one or two sentences far better: it gives "25", and "none" for the price of bread. Measured as a judge on
labelled rows before it decides anything (`rag judge --squad`, docs/answers.md).
"""
from __future__ import annotations

from collections.abc import Callable

from rag.answer.prompting import Prompts, clean
from rag.llm import usage
from rag.llm.backends import LLM, Message

REREAD_TOKENS = 24  # the span the model gives back: a figure, a name, a few words


class Verifier:
    """Re-reads a question over one passage excerpt with the answering model (llm_factory: the model)."""

    def __init__(self, llm_factory: Callable[[], LLM], prompts: Prompts) -> None:
        self._llm_factory, self.prompts = llm_factory, prompts

    @property
    def able(self) -> bool:
        """The answering model can re-read (a model too small to, SmolLM2, is not asked: models.py)."""
        return bool(getattr(self._llm_factory(), "rereads", False))

    def reread(self, question: str, passage: str, lang: str) -> str:
        """The passage's words that answer `question`; "" when the model says the passage does not say it."""
        messages = self._messages("reread", question, passage, lang)
        with usage.purpose(usage.REREAD):
            text = self._llm_factory().generate(messages, REREAD_TOKENS, 0.0).strip().strip('."\'«» ')
        nothing = {w.strip().lower() for w in self.prompts.table("reread_words", lang)["none"].split(",")}
        return "" if text.lower().rstrip(".") in nothing else text

    def says(self, question: str, passage: str, lang: str) -> float:
        """The model's probability that `passage` says what `question` asks (asked yes or no: a question a
        span cannot answer, "Est-ce que ...?", or a span the re-reading did not give). 0.0 for a model that
        gives no token probabilities: the re-reading's "none" then stands alone."""
        llm = self._llm_factory()
        if not hasattr(llm, "yes_probability"):
            return 0.0
        words = self.prompts.table("reread_words", lang)
        with usage.purpose(usage.YES_NO):
            return llm.yes_probability(self._messages("relevant", question, passage, lang), words["yes"], words["no"])

    def _messages(self, name: str, question: str, passage: str, lang: str) -> list[Message]:
        """prompts/<name>_system.txt, then prompts/<name>.txt with the question and the passage (as data)."""
        return [{"role": "system", "content": self.prompts.get(f"{name}_system", lang).strip()},
                {"role": "user", "content": self.prompts.get(name, lang).format(
                    question=question, passage=clean(passage, lang)).strip()}]
