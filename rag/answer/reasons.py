"""What the checks decided, in the user's language: why a sentence was kept or left out, why an answer was
refused (messages in rag/language/data/<lang>/reasons.toml)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from rag.answer.evidence import Rejected
from rag.language import table
from rag.values import AnswerSentence, Verdict

_NAMED = {"name", "names", "thing"}  # folded names in a verdict: shown capitalised


def explain(v: Verdict, lang: str, numbering: dict[int, int] | None = None) -> str:
    """One verdict as a sentence: "le passage [1] donne 77 pour autre chose"."""
    texts = table(lang, "reasons")
    n = (numbering or {}).get(v.passage)
    fields = {k: (_shown(val) if k in _NAMED else val) for k, val in v.args.items()}
    if "kind" in fields:
        fields["kind"] = texts["kind"].get(fields["kind"], fields["kind"])
    if v.ok:
        if v.check != "support":
            return ""
        return texts["verdict"]["supported"].format(n=f" [{n}]" if n else "", score=f"{v.score:.2f}")
    template = texts["verdict"].get(v.reason, v.reason)
    return template.format(n=f" [{n}]" if n else "", **fields)


def _shown(value: str) -> str:
    return ", ".join(part.strip().title() for part in value.split(","))


def sentence_reasons(sentence: AnswerSentence, lang: str, numbering: dict[int, int]) -> AnswerSentence:
    """The sentence with each verdict's message filled in (passage numbers as the answer cites them)."""
    return replace(sentence, verdicts=[replace(v, message=explain(v, lang, numbering)) for v in sentence.verdicts])


def refusal_reasons(rejected: Iterable[Rejected], lang: str, retrieved: int) -> list[str]:
    """Why no passage could be read: the gate's failed verdicts, most frequent first, each said once."""
    texts = table(lang, "reasons")["refused"]
    if not retrieved:
        return [texts["nothing_found"]]
    seen: dict[str, int] = {}
    for r in rejected:
        for v in r.verdicts:
            if not v.ok and v.reason in texts:
                fields = {k: (_shown(val) if k in _NAMED else val) for k, val in v.args.items()}
                message = texts[v.reason].format(**fields)
                seen[message] = seen.get(message, 0) + 1
    return [m for m, _ in sorted(seen.items(), key=lambda kv: -kv[1])][:3]


def refusal_after_writing(abstained: bool, lang: str) -> list[str]:
    """Why an answer written by the model was refused."""
    texts = table(lang, "reasons")["refused"]
    return [texts["model_abstained" if abstained else "nothing_held"]]
