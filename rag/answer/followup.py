"""Follow-up questions in a conversation: tell them from new questions, and make them standalone.

A question that names its own subject ("What death toll was reported for the Myanmar earthquake?") is
a new question, searched as it is, with no extra model call. Only an elliptical follow-up ("Et au-dessus
de Kalouga ?", "and in Kaluga?", "pourquoi ?", "what did he say?") is rewritten with the conversation.
"""
from __future__ import annotations

import re

from rag.answer.prompting import Prompts
from rag.language import alternatives, entries
from rag.language.names import entities
from rag.language.words import content_terms, fold
from rag.llm import usage
from rag.llm.backends import LLM

History = list[tuple[str, str]]  # (question, answer) pairs, oldest first

# how a question points back into the conversation: rag/language/data/<lang>/conversation.toml
_CONTINUES = re.compile(rf"^\s*({alternatives('conversation', 'continues')})\b", re.I)
# Words that point back to something named earlier; "-t-il" is the French inverted subject pronoun.
_POINTERS = set(entries("conversation", "pointers"))
_INVERTED = re.compile(rf"(?:{alternatives('conversation', 'inverted')})\b", re.I)
_OPENER = re.compile(rf"^\s*({alternatives('conversation', 'follow_openers')})\b[\s,]*", re.I)
MIN_TERMS = 3  # a question without names needs this many content words to stand on its own


def is_follow_up(question: str, history: History | None) -> bool:
    """Does the question need the conversation to be understood?"""
    if not history:
        return False
    if _CONTINUES.match(question):
        return True
    if any(not e.isdigit() for e in entities(question)):
        return False  # it names its own subject
    tokens = set(re.findall(r"[a-z]+(?:-[a-z]+)?", fold(question).replace("'", " ")))
    return bool(tokens & _POINTERS or _INVERTED.search(question)) or len(content_terms(question)) < MIN_TERMS


def condense(question: str, history: History, llm: LLM, prompts: Prompts, lang: str,
             max_ratio: float = 4.0) -> str:
    """Rewrite a follow-up into a standalone question; keep the model's rewrite only if it is sane."""
    last_q = history[-1][0]
    turn = prompts.get("condense_turn", lang)
    convo = "\n".join(turn.format(question=q, answer=a) for q, a in history[-2:])
    prompt = prompts.get("condense", lang).format(history=convo, question=question)
    system = {"role": "system", "content": prompts.get("condense_system", lang)}
    with usage.purpose(usage.REWRITE):
        raw = llm.generate([system, {"role": "user", "content": prompt}], 64, 0.0)
    raw = raw.strip().split("\n")[0].strip(" \"«»")
    needed, got = content_terms(question), content_terms(raw)
    # Keep the rewrite only if it keeps the follow-up's words and brings context from the last question.
    brings_context = bool((got - needed) & content_terms(last_q))
    if raw and needed <= got and brings_context and len(raw) < max_ratio * len(last_q) + len(question):
        return raw
    return merge_followup(last_q, question)


def merge_followup(previous: str, followup: str) -> str:
    """Fallback condensation: the follow-up's phrase put in place of the one it parallels in the previous
    question ('Combien de drones au-dessus de Briansk ?' + 'Et au-dessus de Kalouga ?' -> 'Combien de drones
    au-dessus de Kalouga ?'); else both, one retrieval query ('... Briansk — au-dessus de Kalouga ?'), which
    still names the place asked before."""
    tail = _OPENER.sub("", followup)
    return _parallel(previous, tail) or f"{previous.rstrip(' ?')} — {tail}"


NAME_REACH = 4  # words between the shared lead ("au-dessus de", "over") and the name it governs


def _parallel(previous: str, tail: str) -> str | None:
    """`previous` with the phrase that starts with the words the follow-up's phrase starts with, up to its
    name, replaced by the follow-up's phrase ('over Bryansk' by 'over Kaluga'); None when they share no lead."""
    words, prev = tail.rstrip(" ?").split(), previous.rstrip(" ?").split()
    first_name = next((i for i, w in enumerate(words) if w[:1].isupper()), None)
    if not first_name:  # no name, or nothing before it to find in the previous question
        return None
    lead = [fold(w) for w in words[:first_name]]
    for i in range(1, len(prev) - len(lead) + 1):
        if [fold(w) for w in prev[i:i + len(lead)]] != lead:
            continue
        after = i + len(lead)
        name = next((j for j in range(after, min(after + NAME_REACH, len(prev))) if prev[j][:1].isupper()), None)
        if name is None:  # this "de" was not the one ("Combien de drones"): the next
            continue
        end = name + 1
        while end < len(prev) and prev[end][:1].isupper():  # the whole name ("New York")
            end += 1
        return " ".join(prev[:i] + words + prev[end:]) + previous[len(previous.rstrip(" ?")):]
    return None
