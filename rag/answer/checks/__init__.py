"""The checks an answer goes through, one module each; importing the package registers them all.

Adding a check: a class with `@register` in a module of this package (and its import below), its message
keys in rag/language/data/<lang>/reasons.toml, and its `cases` (a holding and a failing row at least).
"""
from rag.answer.checks import claims, counts, figures, gate, grounded, kind, language, names, support  # noqa: F401
from rag.answer.checks.base import REGISTRY, STAGES, Check, Claim, Passages, Source, register
from rag.answer.checks.suite import CORE, Suite

__all__ = ["CORE", "REGISTRY", "STAGES", "Check", "Claim", "Passages", "Source", "Suite", "register"]
