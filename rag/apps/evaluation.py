"""Scripted evaluation: question sets (JSONL or SQuAD), metrics, and the report files.

A question set is JSONL, one object per line:
  id, question, lang, answerable (bool), expected_answer (string or list), evidence (list of
  {dispatch, quote}), and optionally as_of (YYYY-MM-DD), filters ({date_from, date_to, lang, source}),
  follow_up_of (id of an earlier question: its question and answer become the chat history).
"""
from __future__ import annotations

import hashlib
import json
import math
import random
import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from rag import recording
from rag.errors import DispatchQAError, EvalDataError
from rag.language.detect import detect_language
from rag.language.numbers import numbers
from rag.language.sentences import split_sentences
from rag.language.words import content_terms, fold

_ARTICLES = {"le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "the", "a", "an", "of"}


# -- question sets ----------------------------------------------------------------------------
@dataclass
class Evidence:
    dispatch: str  # dispatch id or file name
    quote: str


@dataclass
class Question:
    id: str
    question: str
    lang: str
    answerable: bool
    expected: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    as_of: str = ""
    filters: dict[str, Any] = field(default_factory=dict)
    follow_up_of: str = ""


def load_questions(path: str | Path) -> list[Question]:
    """Read a JSONL question set; any malformed line stops the run with its line number."""
    path = Path(path)
    if not path.is_file():
        raise EvalDataError(str(path), "no such question file.")
    out: list[Question] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        where = f"{path}:{n}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalDataError(str(where), f"invalid JSON ({exc.msg}, column {exc.colno}).") from exc
        q = _question(rec, where)
        if q.id in seen:
            raise EvalDataError(str(where), f"duplicate id '{q.id}'.")
        if q.follow_up_of and q.follow_up_of not in seen:
            raise EvalDataError(str(where), f"follow_up_of '{q.follow_up_of}' must name an earlier question.")
        seen.add(q.id)
        out.append(q)
    if not out:
        raise EvalDataError(str(path), "no questions.")
    return out


def _question(rec: Any, where: str) -> Question:
    if not isinstance(rec, dict):
        raise EvalDataError(str(where), "each line must be a JSON object.")
    for key, kind in (("id", str), ("question", str), ("answerable", bool)):
        if not isinstance(rec.get(key), kind) or (kind is str and not rec[key].strip()):
            raise EvalDataError(str(where), f"field '{key}' is missing or not a {kind.__name__}.")
    expected = rec.get("expected_answer", [])
    expected = [expected] if isinstance(expected, str) else expected
    if not isinstance(expected, list) or not all(isinstance(e, str) for e in expected):
        raise EvalDataError(str(where), "'expected_answer' must be a string or a list of strings.")
    if rec["answerable"] and not (expected and rec.get("evidence")):
        raise EvalDataError(str(where), "an answerable question needs 'expected_answer' and 'evidence'.")
    evidence = []
    for ev in rec.get("evidence", []) or []:
        if not isinstance(ev, dict) or not isinstance(ev.get("quote"), str) or not isinstance(ev.get("dispatch"), str):
            raise EvalDataError(str(where), "each evidence item is {\"dispatch\": ..., \"quote\": ...}.")
        evidence.append(Evidence(ev["dispatch"], ev["quote"]))
    filters = rec.get("filters") or {}
    if not isinstance(filters, dict) or set(filters) - {"date_from", "date_to", "lang", "source"}:
        raise EvalDataError(str(where), "'filters' takes date_from, date_to, lang, source.")
    as_of = rec.get("as_of") or ""
    if as_of and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of):
        raise EvalDataError(str(where), "'as_of' must be YYYY-MM-DD.")
    lang = rec.get("lang", "fr")
    if lang not in ("fr", "en"):
        raise EvalDataError(str(where), "'lang' must be fr or en.")
    return Question(rec["id"], rec["question"], lang, rec["answerable"], expected, evidence, as_of, filters,
                    rec.get("follow_up_of") or "")


SAMPLE = 100  # the fixed sample of a SQuAD file reported since the first releases (random.Random(0))
# Untuned splits sized for the decision (docs/evaluation.md): the first 100 or 300 held-out questions in the
# order of a hash of their id, so the 300 hold the 100 and neither depends on the file's order.
SIZED = {"heldout-100": 100, "heldout-300": 300}
SPLITS = ("sample", "tune", "heldout", *SIZED)


def squad_to_eval(path: str | Path, out_dir: str | Path, limit: int | None = None,
                  seed: int = 0, split: str = "") -> tuple[Path, list[Question]]:
    """SQuAD-format file -> (JSONL corpus of its paragraphs, questions). Each paragraph becomes a
    dispatch; the sentence holding the answer is the evidence; `limit` samples that many questions."""
    path = Path(path)
    records, questions = _read_squad(path)
    questions = split_questions(questions, split, seed)
    if limit and limit < len(questions):
        questions = random.Random(seed).sample(questions, limit)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    corpus = out_dir / f"{path.stem}.corpus.jsonl"
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return corpus, questions


def squad_questions(path: str | Path) -> tuple[list[Question], dict[str, str]]:
    """The questions of a SQuAD-format file, and the text of each paragraph by its dispatch id."""
    records, questions = _read_squad(Path(path))
    return questions, {r["id"]: r["text"] for r in records}


def _read_squad(path: Path) -> tuple[list[dict], list[Question]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvalDataError(str(path), f"not a SQuAD file ({exc}).") from exc
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise EvalDataError(str(path), "not a SQuAD file (expected an object with a 'data' list of articles).")
    try:
        return _squad_items(data["data"])
    except (KeyError, TypeError, AttributeError) as exc:
        raise EvalDataError(str(path), f"malformed SQuAD entry (missing or wrong field {exc}).") from exc


def split_questions(questions: list[Question], split: str, seed: int = 0) -> list[Question]:
    """The questions of a split: "sample", the fixed sample of SAMPLE questions; "tune" and "heldout", the
    others, halved by a hash of their id (tune on one, report on the other, which nobody looks at while
    changing code); "heldout-100" and "heldout-300", fixed parts of heldout; "" all of them."""
    if not split:
        return questions
    if split not in SPLITS:
        raise EvalDataError("--split", f"unknown split '{split}'; use one of {', '.join(SPLITS)}.")
    sample = random.Random(seed).sample(questions, min(SAMPLE, len(questions)))
    if split == "sample":
        return sample
    taken = {q.id for q in sample}
    half = 0 if split == "tune" else 1
    rest = [q for q in questions if q.id not in taken and _hash(q.id)[0] % 2 == half]
    if split in SIZED:
        return sorted(rest, key=lambda q: _hash(q.id))[:SIZED[split]]
    return rest


def _hash(qid: str) -> bytes:
    return hashlib.sha1(qid.encode()).digest()


def _squad_items(data: list) -> tuple[list[dict], list[Question]]:
    """Articles -> dispatch records (one per paragraph) and questions (no answer: unanswerable, as in v2)."""
    records: list[dict] = []
    questions: list[Question] = []
    for a, article in enumerate(data):
        for p, para in enumerate(article.get("paragraphs", [])):
            did = f"squad-{a}-{p}"
            context = para["context"]
            records.append({"id": did, "title": article.get("title", ""), "text": context})
            for qa in para.get("qas", []):
                answers = [x for x in qa.get("answers", []) if x.get("text")]
                evidence = [Evidence(did, _sentence_at(context, x.get("answer_start", -1), x["text"]))
                            for x in answers[:1]]
                questions.append(Question(str(qa.get("id") or f"{did}-{len(questions)}"), qa["question"],
                                          "fr" if _looks_french(context) else "en", bool(answers),
                                          list(dict.fromkeys(x["text"] for x in answers)), evidence))
    return records, questions


def _sentence_at(text: str, pos: int, answer: str) -> str:
    if pos < 0 or text[pos:pos + len(answer)] != answer:
        pos = text.find(answer)
    for s, e in split_sentences(text):
        if s <= pos < e:
            return text[s:e]
    return answer


def _looks_french(text: str) -> bool:
    return detect_language(text[:500]) == "fr"


# -- metrics (pure functions) -----------------------------------------------------------------
def normalize(text: str) -> str:
    """Lowercase, no accents, no punctuation or articles, digit groups joined ('1 644' == '1,644' == '1644')."""
    t = fold(text)
    t = re.sub(r"(?<=\d)[\s,.\u202f\u00a0'](?=\d{3}\b)", "", t)
    t = re.sub(r"[^\w\s]", " ", t)
    return " ".join(w for w in t.split() if w not in _ARTICLES)


def answer_contains(answer: str, expected: list[str]) -> bool:
    """An acceptable answer appears in the answer, compared normalized; an answer that is only an article
    ("un" porte-avions) is compared as a word."""
    a, words = f" {normalize(answer)} ", set(re.findall(r"\w+", fold(answer)))
    return any(f" {n} " in a if (n := normalize(e)) else fold(e).strip() in words for e in expected)


def token_f1(answer: str, expected: list[str]) -> float:
    """Best SQuAD-style token F1 against any acceptable answer."""
    a = normalize(answer).split()
    best = 0.0
    for e in expected:
        g = normalize(e).split()
        common = sum(min(a.count(w), g.count(w)) for w in set(g))
        if common:
            p, r = common / len(a), common / len(g)
            best = max(best, 2 * p * r / (p + r))
    return best


def evidence_hit(dispatch_id: str, path: str, text: str, ev: Evidence) -> bool:
    """The passage belongs to the evidence's dispatch and holds its quote (or most of it, when the
    quote straddles a chunk boundary)."""
    if ev.dispatch not in (dispatch_id, Path(path).name, Path(path).stem):
        return False
    q, t = normalize(ev.quote), normalize(text)
    if q in t:
        return True
    q_words = q.split()
    return len(q_words) >= 6 and sum(w in t.split() for w in q_words) / len(q_words) >= 0.8 and len(t) < len(q) * 1.5


def retrieval_scores(passages: list[tuple[str, str, str]], evidence: list[Evidence], k: int) -> tuple[float, float]:
    """(recall@k, reciprocal rank within the first 10) of (dispatch_id, path, text) passages."""
    if not evidence:
        return 0.0, 0.0
    found = sum(any(evidence_hit(*p, ev) for p in passages[:k]) for ev in evidence)
    rr = next((1 / i for i, p in enumerate(passages[:10], 1) if any(evidence_hit(*p, ev) for ev in evidence)), 0.0)
    return found / len(evidence), rr


def citation_counts(sentences: list[tuple[str, list[tuple[str, str, str]]]], evidence: list[Evidence],
                    expected: list[str], earlier: dict[str, set[str]] | None = None) -> dict[str, int]:
    """ALCE-style counts over (sentence, cited passages).

    Lenient (the counting of earlier releases): a citation is correct when its passage holds the evidence
    or an acceptable answer. Strict: the passage must also support what the sentence claims: the sentence
    states an acceptable answer, or it says what the evidence says (half of its content words are in the
    evidence quote). A right paragraph cited for a wrong sentence is a wrong citation. A sentence is covered
    when one of its citations is correct.

    `earlier` maps the text of a passage the answer cites as an earlier story version to the figures it was
    cited for ("an earlier version, of 30 March, gave 1,700 [2]"): that citation supports its sentence when
    the sentence states the figure and the passage does too, although the passage is not the evidence."""
    earlier = earlier or {}

    def vouched(sentence: str, p: tuple[str, str, str]) -> bool:
        figures = earlier.get(p[2], set()) & numbers(sentence)
        return bool(figures) and figures <= numbers(p[2])

    def holds(p: tuple[str, str, str]) -> bool:
        return any(evidence_hit(*p, ev) for ev in evidence) or answer_contains(p[2], expected)

    said = content_terms(" ".join(ev.quote for ev in evidence))

    def claims_it(sentence: str) -> bool:
        if answer_contains(sentence, expected):
            return True
        terms = content_terms(sentence)
        return bool(terms) and len(terms & said) >= 0.5 * len(terms)

    held = [[holds(p) for p in cited] for _, cited in sentences]
    vouch = [[vouched(sentence, p) for p in cited] for sentence, cited in sentences]
    claimed = [claims_it(sentence) for sentence, _ in sentences]
    strict = [[(ok and says) or v for ok, v in zip(marks, vs)] for says, marks, vs in zip(claimed, held, vouch)]
    lenient = [[ok or v for ok, v in zip(marks, vs)] for marks, vs in zip(held, vouch)]
    return {"citations": sum(map(len, lenient)), "correct": sum(map(sum, strict)),
            "sentences": len(sentences), "covered": sum(any(c) for c in strict),
            "correct_lenient": sum(map(sum, lenient)), "covered_lenient": sum(any(c) for c in lenient)}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


# -- running a set ----------------------------------------------------------------------------
@dataclass
class Result:
    id: str
    question: str
    answerable: bool
    answer: str = ""
    searched: str = ""  # the standalone question, when a follow-up was rewritten
    refused: bool = False
    extractive: bool = False
    recall: float = 0.0
    rr: float = 0.0
    contains: bool = False
    f1: float = 0.0
    citations: dict[str, int] = field(default_factory=dict)
    dropped: int = 0
    dropped_sentences: list[str] = field(default_factory=list)  # what the checks removed, and why
    checked: list[dict[str, Any]] = field(default_factory=list)  # every sentence: text, kept, failed checks, why
    why: list[str] = field(default_factory=list)  # a refusal's reasons
    figure_notes: int = 0  # differing figures the answer reported (story versions, contradictions)
    attributed: int = 0  # sentences attributed to a quoted speaker
    timings: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)  # model calls replayed from the cache, and new ones
    # the evidence gate kept the passage holding the answer (None: not retrieved); of a question to refuse: it
    # let any passage through to the model
    gate_kept: bool | None = None
    gate_why: list[str] = field(default_factory=list)  # the gate checks that left that passage out
    error: str = ""

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Result:
        """A result as results.jsonl keeps it (keys this version does not know are left out)."""
        return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in row})

    @property
    def failures(self) -> list[str]:
        if self.error:
            return [f"error: {self.error}"]
        if not self.answerable:
            return [] if self.refused else ["answered an unanswerable question"]
        out = []
        if self.recall < 1.0:
            out.append(f"evidence retrieved {self.recall:.0%}")
        if self.refused:
            out.append("refused")
        elif not self.contains:
            out.append("expected answer missing")
        if self.citations.get("citations", 0) > self.citations.get("correct", 0):
            out.append(f"{self.citations['citations'] - self.citations['correct']} wrong citation(s)")
        return out


def run_questions(qa, questions: list[Question], k: int, generate: bool = True,
                  on_step: Callable[[int], None] | None = None) -> list[Result]:
    """Ask every question through the public API; a failing question is recorded, never fatal."""
    results: list[Result] = []
    for chain in conversations(questions):
        results += answer_chain(qa, chain, k, generate, on_result=lambda _: on_step and on_step(1))
    return results


def conversations(questions: list[Question]) -> list[list[Question]]:
    """The set cut into conversations, in its order: a question that follows up an earlier one goes in that
    one's conversation (it needs its answer), every other starts one. Conversations can be asked side by side."""
    chains: list[list[Question]] = []
    chain_of: dict[str, list[Question]] = {}
    for q in questions:
        chain = chain_of.get(q.follow_up_of)
        if chain is None:
            chain = []
            chains.append(chain)
        chain.append(q)
        chain_of[q.id] = chain
    return chains


def answer_chain(qa, chain: list[Question], k: int, generate: bool = True,
                 answered: dict[str, tuple[str, str]] | None = None,
                 on_result: Callable[[Result], Any] | None = None) -> list[Result]:
    """Ask one conversation's questions in order. `answered`: (standalone question, answer) of questions
    answered before (a resumed run), which become the history of their follow-ups and are not asked again."""
    history = dict(answered or {})
    by_id = {q.id: q for q in chain}
    results = []
    for q in chain:
        if answered and q.id in answered:
            continue
        res = ask_one(qa, q, k, generate, _conversation(q, by_id, history))
        if generate and not res.error:
            history[q.id] = (res.searched or res.question, res.answer)
        results.append(res)
        if on_result:
            on_result(res)
    return results


def ask_one(qa, q: Question, k: int, generate: bool, history: list[tuple[str, str]] | None) -> Result:
    """One question scored: its answer (when generating), then retrieval on what the answer searched; the model
    calls it made, replayed from the generation cache or new."""
    res = Result(q.id, q.question, q.answerable)
    as_of = q.as_of or None
    with recording() as calls:
        try:
            query = q.question
            if generate:
                answer = qa.ask(q.question, filters=q.filters, k=k, history=history, as_of=as_of)
                score_answer(res, answer, q)
                query = answer.standalone_question  # retrieval is scored on what the answer searched
            passages = qa.retrieve(query, filters=q.filters, k=max(k, 10), as_of=as_of)
            res.recall, res.rr = retrieval_scores(_triples(passages), q.evidence, k)
            if res.recall > 0 or not q.answerable:
                res.gate_kept, res.gate_why = gate_outcome(qa, query, q, k)
        except DispatchQAError as exc:
            res.error = str(exc)
    replayed = sum(c.replayed for c in calls)
    res.calls = {"replayed": replayed, "new": len(calls) - replayed}
    return res


def score_retriever(retriever, questions: list[Question], k: int) -> dict[str, Any]:
    """recall@k and MRR@10 of any LlamaIndex retriever on a question set (its answerable questions, each asked
    alone): a node counts when it holds an evidence quote (of the right dispatch when its metadata names one)."""
    scores = []
    for q in (q for q in _alone(questions) if q.answerable and q.evidence):
        nodes = retriever.retrieve(q.question)
        triples = [(n.node.metadata.get("dispatch_id", q.evidence[0].dispatch),
                    n.node.metadata.get("file") or n.node.metadata.get("path", ""), n.node.get_content())
                   for n in nodes]
        scores.append(retrieval_scores(triples, q.evidence, k))
    mean = lambda xs: round(sum(xs) / len(xs), 3) if xs else None  # noqa: E731
    return {"questions": len(scores), "recall@k": mean([r for r, _ in scores]),
            "mrr@10": mean([rr for _, rr in scores])}


def spread(questions: list[Question], n: int) -> list[Question]:
    """`n` questions spread evenly over the set, in its order (all of them when n is 0 or more than there are):
    a subset that samples every dispatch of a set written dispatch by dispatch."""
    if not 0 < n < len(questions):
        return questions
    return [questions[i * len(questions) // n] for i in range(n)]


def _alone(questions: list[Question]) -> list[Question]:
    """The questions that make sense asked alone (a follow-up needs its conversation)."""
    return [q for q in questions if not q.follow_up_of]


def score_query_engine(engine, questions: list[Question], on_step: Callable[[int], Any] | None = None
                       ) -> dict[str, Any]:
    """What a user feels (user_view) of any LlamaIndex query engine on a question set, each question asked
    alone. A response is a refusal when it carries our Answer and that refuses, or when it is empty (a plain
    engine answers everything it is asked)."""
    results = []
    for q in _alone(questions):
        res = Result(q.id, q.question, q.answerable)
        try:
            response = engine.query(q.question)
        except DispatchQAError as exc:  # (a model timeout on a busy box): counted apart, the run goes on
            res.error = str(exc)
        else:
            answer = (response.metadata or {}).get("answer")
            res.answer = str(response).strip()
            res.refused = answer.refused if answer is not None else res.answer in ("", "Empty Response")
            res.extractive = bool(answer is not None and answer.extractive)
            res.contains = q.answerable and not res.refused and answer_contains(res.answer, q.expected)
        results.append(res)
        if on_step:
            on_step(1)
    return {"questions": len(results), "errors": sum(bool(r.error) for r in results), **user_view(results),
            "answers": [{"id": r.id, "answer": r.answer, "refused": r.refused, "contains": r.contains,
                         "error": r.error} for r in results]}


def compare_with_llama_index(qa, questions: list[Question], k: int, results: list[Result] | None = None,
                             n: int = 0, on_step: Callable[[int], Any] | None = None) -> dict[str, dict[str, Any]]:
    """Our retriever beside a plain LlamaIndex VectorStoreIndex over our Chroma collection; with the results
    of a run that generated (`results`), also our answers beside that index's default query engine written by
    the same model, on `n` of the questions asked alone (spread over the set; 0: all)."""
    from rag.llama_index import DispatchRetriever, plain_query_engine, vector_index
    table: dict[str, dict[str, Any]] = {
        "dispatch_retriever": score_retriever(DispatchRetriever(qa, k=max(k, 10)), questions, k),
        "vector_store_index": score_retriever(vector_index(qa).as_retriever(similarity_top_k=max(k, 10)),
                                              questions, k)}
    if results is not None:
        asked = spread(_alone(questions), n)
        ours = [r for r in results if r.id in {q.id for q in asked}]
        table["dispatch_qa_answers"] = {"questions": len(ours), **user_view(ours)}
        # as many passages as our prompt holds at most (prompt_passages): the same model reads about as much
        table["llama_index_answers"] = score_query_engine(plain_query_engine(qa, qa.settings.prompt_passages),
                                                          asked, on_step)
    return table


def _conversation(q: Question, by_id: dict[str, Question], answered: dict[str, tuple[str, str]],
                  turns: int = 3) -> list[tuple[str, str]] | None:
    """The chat before a follow-up: its chain of earlier questions (follow_up_of), oldest first."""
    chain: list[tuple[str, str]] = []
    cur = q.follow_up_of
    while cur and cur in answered and len(chain) < turns:
        chain.insert(0, answered[cur])
        cur = by_id[cur].follow_up_of if cur in by_id else ""
    return chain or None


def score_answer(res: Result, answer, q: Question) -> None:
    """Answer correctness, refusal, citation counts and timings of one answer."""
    res.answer, res.refused, res.extractive = answer.text, answer.refused, answer.extractive
    res.searched = answer.standalone_question if answer.standalone_question != answer.question else ""
    res.dropped = len(answer.dropped)
    res.dropped_sentences = [f"{d.text} — {d.reason}" if d.reason else d.text for d in answer.dropped]
    text_of = {c.number: c.text for c in answer.citations}
    res.checked = [{"text": x.text, "kept": x.supported, "failed": sorted({v.check for v in x.verdicts if not v.ok}),
                    "ran": sorted({v.check for v in x.verdicts}), "why": x.reason,
                    "holds_expected": bool(q.expected) and answer_contains(x.text, q.expected),
                    "cited": [text_of[n] for n in x.cites if n in text_of],
                    "first": i == 0, "confidence": x.confidence, "values": x.values}
                   for i, x in enumerate(answer.sentences)]
    res.why = list(answer.why)
    res.figure_notes = len(answer.disagreements)
    res.attributed = sum(bool(s.speaker) for s in answer.sentences if s.supported)
    res.timings = dict(answer.timings)
    if q.answerable and not answer.refused:
        res.contains = answer_contains(answer.text, q.expected)
        res.f1 = token_f1(answer.text, q.expected)
        by_number = {c.number: (c.dispatch_id, c.file, c.text) for c in answer.citations}
        sentences = [(s.text, [by_number[n] for n in s.cites if n in by_number])
                     for s in answer.sentences if s.supported]
        res.citations = citation_counts(sentences, q.evidence, q.expected, _earlier_versions(answer))


def _earlier_versions(answer) -> dict[str, set[str]]:
    """Text of each passage cited as an earlier story version -> the figures cited from it. The timeline
    lists each story's versions newest first, so a version is earlier when the one before it is newer."""
    text = {c.number: c.text for c in answer.citations}
    out: dict[str, set[str]] = {}
    timeline = answer.timeline
    for i, (day, value, number) in enumerate(timeline):
        if i and timeline[i - 1][0] > day and number in text:
            out.setdefault(text[number], set()).add(str(value))
    return out


def _triples(passages: Iterable) -> list[tuple[str, str, str]]:
    return [(p.meta.dispatch_id, p.meta.path, p.text) for p in passages]


def gate_view(answerable: list[Result], unanswerable: list[Result]) -> dict[str, Any]:
    """Of the answerable questions whose answer was retrieved, the share the gate lets through to the model,
    and the checks that stopped the others (counted per question); of the questions to refuse, the share the
    gate refuses before the model is asked."""
    judged = [r for r in answerable if r.gate_kept is not None]
    out: dict[str, Any] = {}
    if judged:
        why: dict[str, int] = {}
        for r in judged:
            for check in r.gate_why:
                why[check] = why.get(check, 0) + 1
        out = {"gate_kept": round(sum(r.gate_kept for r in judged) / len(judged), 3), "gate_judged": len(judged),
               "gate_stopped_by": dict(sorted(why.items(), key=lambda kv: -kv[1]))}
    refusable = [r for r in unanswerable if r.gate_kept is not None]
    if refusable:
        out["gate_refused_unanswerable"] = round(sum(not r.gate_kept for r in refusable) / len(refusable), 3)
    return out


def gate_outcome(qa, query: str, q: Question, k: int) -> tuple[bool, list[str]]:
    """Whether the evidence gate keeps a passage holding the answer, and if not, the checks that left the
    retrieved ones holding it out (a refusal there is one before the model is asked)."""
    kept, rejected = qa.gate(query, filters=q.filters, k=k, as_of=q.as_of or None)
    if not q.answerable:
        return bool(kept), []
    if any(evidence_hit(*t, ev) for t in _triples(kept) for ev in q.evidence):
        return True, []
    held = [r for r in rejected if any(evidence_hit(*_triples([r.passage])[0], ev) for ev in q.evidence)]
    return False, sorted({v.check for r in held for v in r.verdicts if not v.ok})


def summarize(results: list[Result], generate: bool = True) -> dict[str, Any]:
    ans = [r for r in results if r.answerable and not r.error]
    unans = [r for r in results if not r.answerable and not r.error]
    mean = lambda xs: round(sum(xs) / len(xs), 3) if xs else None  # noqa: E731
    summary: dict[str, Any] = {
        "questions": len(results), "answerable": len(ans), "unanswerable": len(unans),
        "errors": sum(bool(r.error) for r in results),
        **(user_view(results) if generate else {}),  # what a user feels leads the report
        "recall@k": mean([r.recall for r in ans]),
        "mrr@10": mean([r.rr for r in ans]),
        **gate_view(ans, unans),
    }
    if not generate:
        return summary
    cit = {key: sum(r.citations.get(key, 0) for r in ans)
           for key in ("citations", "correct", "sentences", "covered", "correct_lenient", "covered_lenient")}
    summary.update({
        "answer_contains": mean([float(r.contains) for r in ans]),
        "answer_f1": mean([r.f1 for r in ans]),
        "citation_precision": round(cit["correct"] / cit["citations"], 3) if cit["citations"] else None,
        "citation_recall": round(cit["covered"] / cit["sentences"], 3) if cit["sentences"] else None,
        "citation_precision_lenient": round(cit["correct_lenient"] / cit["citations"], 3) if cit["citations"] else None,
        "citation_recall_lenient": round(cit["covered_lenient"] / cit["sentences"], 3) if cit["sentences"] else None,
        "answered_correct_and_cited": mean([float(r.contains and r.citations.get("covered", 0) > 0) for r in ans]),
        "refusal_accuracy": mean([float(r.refused) for r in unans]),
        "false_refusals": mean([float(r.refused) for r in ans]),
        "extractive_answers": sum(r.extractive for r in results),
        "sentences_dropped": sum(r.dropped for r in results),
        "figure_notes": sum(r.figure_notes for r in results),
        "attributed_sentences": sum(r.attributed for r in results),
    })
    summary.update(risk_coverage(results))
    for part in ("retrieval", "generation", "total"):
        values = [r.timings.get(part, 0.0) for r in results if r.timings]
        summary[f"{part}_p50_s"] = round(percentile(values, 50), 3)
        summary[f"{part}_p95_s"] = round(percentile(values, 95), 3)
    return summary


def user_view(results: list[Result]) -> dict[str, Any]:
    """What a user feels, first in every report: how often an answer is shown, how often a shown answer is
    wrong (an answerable question without the expected answer, or any answer to an unanswerable one), how
    many answerable questions get a right answer, how many unanswerable ones are refused; quotes (extractive)
    and generated answers counted apart."""
    done = [r for r in results if not r.error]
    shown = [r for r in done if not r.refused]
    wrong = [r for r in shown if not (r.answerable and r.contains)]
    answerable = [r for r in done if r.answerable]
    unanswerable = [r for r in done if not r.answerable]
    share = lambda part, whole: round(len(part) / len(whole), 3) if whole else None  # noqa: E731
    right = [r for r in answerable if not r.refused and r.contains]
    view: dict[str, Any] = {
        "answered_share": share(shown, done),
        "wrong_among_shown": share(wrong, shown),
        "right_among_answerable": share(right, answerable),
        "unanswerable_refused": share([r for r in unanswerable if r.refused], unanswerable),
        # how far each share may be from the truth on a set this size: a smaller difference is noise
        "wrong_among_shown_ci95": wilson(len(wrong), len(shown)),
        "right_among_answerable_ci95": wilson(len(right), len(answerable)),
    }
    for kind, extractive in (("extractive", True), ("generated", False)):
        mine = [r for r in shown if r.extractive is extractive]
        view[f"shown_{kind}"] = len(mine)
        view[f"wrong_{kind}"] = sum(1 for r in mine if not (r.answerable and r.contains))
    return view


def risk_coverage(results: list[Result]) -> dict[str, Any]:
    """With the calibrated decision: as its threshold moves, the share of questions answered against the wrong
    among them (the risk-coverage curve, a point per tenth answered), and its area (the mean wrong share over
    every coverage; lower is better). Each question counts the sentence that decides it: the first shown, or
    for a refusal the most probable one no fact vetoed (never shown when none was weighed). The model's output
    is taken as it was: a lower threshold could also skip a second try or a quote."""
    from rag import FACT_CHECKS

    done = [r for r in results if not r.error]
    if not any(x.get("confidence") is not None and x.get("values") for r in done for x in r.checked):
        return {}
    points = []
    for r in done:
        weighed = [x for x in r.checked if x.get("values") and not set(x["failed"]) & set(FACT_CHECKS)]
        kept = [x for x in weighed if x["kept"]]
        x = kept[0] if kept else max(weighed, key=lambda x: x["confidence"], default=None)
        right = bool(x and r.answerable and x.get("holds_expected"))
        points.append((x["confidence"] if x else -1.0, right))
    points.sort(key=lambda pr: -pr[0])
    curve, wrong, risks = [], 0, []
    for i, (p, right) in enumerate(points, 1):
        wrong += not right
        risks.append(wrong / i)
        if p >= 0 and (i == len(points) or points[i][0] < p) and (not curve or int(10 * i / len(points))
                                                                 != int(10 * curve[-1]["answered"])):
            curve.append({"threshold": round(p, 3), "answered": round(i / len(points), 3),
                          "wrong": round(wrong / i, 3)})
    return {"risk_coverage": curve, "risk_coverage_area": round(sum(risks) / len(risks), 3) if risks else None}


def wilson(hits: int, n: int, z: float = 1.96) -> list[float] | None:
    """The 95% Wilson score interval of a share hits/n ([low, high]; None for n = 0): it stays inside 0..1
    and is honest for small n and shares near 0 or 1, where the normal approximation is not."""
    if not n:
        return None
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(max(0.0, centre - half), 3), round(min(1.0, centre + half), 3)]


def check_table(results: list[Result]) -> list[dict[str, Any]]:
    """Per check, what it did over a run: the sentences it failed that were left out, how many of those held
    the expected answer (right sentences it cost), the same for the sentences it alone left out, and the kept
    sentences it passed in answers that were wrong (an answerable question answered without the expected
    answer, or an unanswerable one answered)."""
    rows: dict[str, dict[str, Any]] = {}
    for r in results:
        wrong = (not r.refused) and (not r.contains if r.answerable else True)
        for x in r.checked:
            for name in x.get("ran", []):
                row = rows.setdefault(name, {"check": name, "removed": 0, "removed_right": 0, "alone": 0,
                                             "alone_right": 0, "passed_wrong": 0})
                if name in x["failed"] and not x["kept"]:
                    right = int(x.get("holds_expected", False))
                    row["removed"] += 1
                    row["removed_right"] += right
                    # the only check that failed (support fails with every check that caps it)
                    deciders = [c for c in x["failed"] if c != "support"] or x["failed"]
                    if deciders == [name]:
                        row["alone"] += 1
                        row["alone_right"] += right
                elif x["kept"] and wrong:
                    row["passed_wrong"] += 1
    return sorted(rows.values(), key=lambda row: row["check"])


# -- agreement of the shipped checks with human labels -------------------------------------------
def load_pairs(path: str | Path) -> list[dict[str, Any]]:
    """Labelled rows of a JSONL file: {"sentence": ..., "passage": ..., "label": true when the sentence is
    right and the passage says it, "question": optional, "kind": optional, "quote": true to judge the sentence
    as an extractive quote}; a malformed line stops with its number."""
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            rows.append({"sentence": str(rec["sentence"]), "passage": str(rec["passage"]),
                         "label": bool(rec["label"]), "question": str(rec.get("question", "")),
                         "kind": str(rec.get("kind", "")), "quote": bool(rec.get("quote", False))})
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise EvalDataError(f"{path}:{n}", f"each line is {{sentence, passage, label}} ({exc}).") from exc
    return rows


def judge_agreement(qa, rows: list[dict[str, Any]], progress: bool = False) -> dict[str, Any]:
    """How the shipped check suite agrees with labelled rows (see load_pairs): each sentence is checked
    against its passage as an answer sentence (or, for a quote row, as the extractive quote) would be
    (Assistant.judge), kept or left out. Model sentences and quotes are reported apart when both are there."""
    return agreement_report(rows, judge_rows(qa, rows, progress))


def judge_rows(qa, rows: list[dict[str, Any]], progress: bool = False) -> list[Any]:
    """Each row's sentence as the suite decides it (AnswerSentence: kept or not, the verdicts)."""
    from tqdm.auto import tqdm
    return [qa.judge(r["sentence"], r["passage"], r["question"], r.get("quote", False))
            for r in tqdm(rows, desc="Judging", unit="row", disable=not progress)]


def agreement_report(rows: list[dict[str, Any]], judged: list[Any]) -> dict[str, Any]:
    """judge_agreement's figures from rows already judged."""
    pairs = list(zip(rows, judged))
    quotes = [(r, j) for r, j in pairs if r.get("quote")]
    if not quotes or len(quotes) == len(pairs):
        return agreement(pairs)
    sentences = [(r, j) for r, j in pairs if not r.get("quote")]
    return {**{f"sentences.{k}": v for k, v in agreement(sentences).items()},
            **{f"quotes.{k}": v for k, v in agreement(quotes).items()}}


def agreement(pairs: list[tuple[dict[str, Any], Any]]) -> dict[str, Any]:
    """Precision and recall of "kept", balanced accuracy of the decision, the AUC of the support score, the
    checks that decided the rows they got wrong, and, when rows say their kind, the share of each kind kept."""
    labels = [r["label"] for r, _ in pairs]
    if len(set(labels)) < 2:
        raise EvalDataError("pairs", "needs labelled pairs of both kinds (supported and unsupported).")
    kept = [j.supported for _, j in pairs]
    true_kept = sum(k and y for k, y in zip(kept, labels))
    wrong_by: dict[str, int] = {}  # the check that left out a right row, or "kept" for a wrong row kept
    for (_, j), k, y in zip(pairs, kept, labels):
        if k != y:
            names = [v.check for v in j.verdicts if not v.ok] if y else ["kept"]
            for name in names[:1]:
                wrong_by[name] = wrong_by.get(name, 0) + 1
    kinds = sorted({r["kind"] for r, _ in pairs if r.get("kind")})
    by_kind = {kind: round(statistics.mean(float(k) for k, (r, _) in zip(kept, pairs) if r["kind"] == kind), 3)
               for kind in kinds}
    return {"pairs": len(pairs), "supported": sum(labels), "kept": sum(kept),
            "precision_kept": round(true_kept / sum(kept), 3) if any(kept) else None,
            "recall_kept": round(true_kept / sum(labels), 3),
            "balanced_accuracy": round(balanced_accuracy([float(k) for k in kept], labels, 0.5), 3),
            "auc_support": round(auc([j.support for _, j in pairs], labels), 3),
            **{f"kept_share_{kind}": share for kind, share in by_kind.items()},
            "errors_by_check": dict(sorted(wrong_by.items(), key=lambda kv: -kv[1]))}


def balanced_accuracy(scores: list[float], labels: list[bool], threshold: float) -> float:
    pos = [s >= threshold for s, y in zip(scores, labels) if y]
    neg = [s < threshold for s, y in zip(scores, labels) if not y]
    return (sum(pos) / len(pos) + sum(neg) / len(neg)) / 2


def auc(scores: list[float], labels: list[bool]) -> float:
    """Probability that a supported pair scores above an unsupported one (ties count half)."""
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def changed_answers(before: str | Path, after: str | Path) -> list[tuple[str, str, str]]:
    """(id, answer before, answer after) of the questions of two report.json files whose answers differ (a
    question in one run only counts as changed)."""
    def answers(path: str | Path) -> dict[str, str]:
        try:
            results = json.loads(Path(path).read_text(encoding="utf-8"))["results"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise EvalDataError(str(path), f"not a report.json of rag eval ({exc}).") from exc
        return {r["id"]: r["answer"] for r in results}
    old, new = answers(before), answers(after)
    return [(q, old.get(q, "(not asked)"), new.get(q, "(not asked)")) for q in dict.fromkeys([*old, *new])
            if old.get(q) != new.get(q)]


# -- report files -----------------------------------------------------------------------------
MAX_FAILURE_ROWS = 200
RATE_KEYS = ["answered_share", "wrong_among_shown", "right_among_answerable", "unanswerable_refused",
             "recall@k", "mrr@10", "answer_contains", "answer_f1", "citation_precision", "citation_recall",
             "refusal_accuracy", "false_refusals"]


def write_report(out_dir: str | Path, title: str, summary: dict[str, Any], results: list[Result],
                 settings: dict[str, Any]) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.json", out / "report.md", out / "report.png"]
    paths[0].write_text(json.dumps({"title": title, "settings": settings, "summary": summary,
                                    "checks": check_table(results),
                                    "results": [{**asdict(r), "failures": r.failures} for r in results]},
                                   ensure_ascii=False, indent=2), encoding="utf-8")
    paths[1].write_text(_markdown(title, summary, results, settings), encoding="utf-8")
    _chart(paths[2], title, summary, results)
    return paths


def _cell(v: Any) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k} {n}" for k, n in v.items()) or "none"
    return "n/a" if v is None else str(v)


def _markdown(title: str, summary: dict[str, Any], results: list[Result], settings: dict[str, Any]) -> str:
    lines = [f"# Evaluation: {title}", "", " · ".join(f"{k}={v}" for k, v in settings.items()), "",
             "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {_cell(v)} |" for k, v in summary.items() if k != "risk_coverage"]
    if summary.get("risk_coverage"):
        lines += ["", "## Risk and coverage (the calibrated decision's threshold moved)", "",
                  "| threshold | answered | wrong among them |", "|---|---|---|"]
        lines += [f"| {c['threshold']} | {c['answered']} | {c['wrong']} |" for c in summary["risk_coverage"]]
    table = check_table(results)
    if table:
        lines += ["", "## What each check did", "", "| check | sentences it left out (held the expected answer) "
                  "| it alone (held the expected answer) | kept sentences it passed in wrong answers |",
                  "|---|---|---|---|"]
        lines += [f"| {row['check']} | {row['removed']} ({row['removed_right']}) | {row['alone']} "
                  f"({row['alone_right']}) | {row['passed_wrong']} |" for row in table]
    failed = [r for r in results if r.failures]
    lines += ["", f"## Failures ({len(failed)} of {len(results)})", ""]
    if failed:
        lines += ["| id | question | what went wrong | answer | what the checks decided |", "|---|---|---|---|---|"]
        cell = lambda s: s.replace("|", "\\|").replace("\n", " ")[:160]  # noqa: E731
        lines += [f"| {r.id} | {cell(r.question)} | {'; '.join(r.failures)} | {cell(r.answer)} | "
                  f"{cell('; '.join(r.why or r.dropped_sentences))} |" for r in failed[:MAX_FAILURE_ROWS]]
        if len(failed) > MAX_FAILURE_ROWS:
            lines += ["", f"…and {len(failed) - MAX_FAILURE_ROWS} more in report.json."]
    return "\n".join(lines) + "\n"


def _chart(path: Path, title: str, summary: dict[str, Any], results: list[Result]) -> None:
    import matplotlib
    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    keys = [k for k in RATE_KEYS if summary.get(k) is not None]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    left.barh(keys[::-1], [summary[k] for k in keys[::-1]], color="#2563eb")
    left.set_xlim(0, 1)
    left.set_title("Metrics (wrong_among_shown, false_refusals: lower is better)")
    for i, k in enumerate(keys[::-1]):
        left.text(min(summary[k] + 0.01, 0.9), i, f"{summary[k]:.2f}", va="center")
    timed = [r for r in results if r.timings]
    if timed:
        right.hist([[r.timings.get("retrieval", 0) for r in timed], [r.timings.get("generation", 0) for r in timed]],
                   bins=20, label=["retrieval", "generation"], stacked=False)
        right.legend()
        right.set_xlabel("seconds")
    else:
        right.text(0.5, 0.5, "retrieval only: no answer timings", ha="center")
    right.set_title("Latency per question")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# -- the whole run ----------------------------------------------------------------------------
@dataclass
class EvalRun:
    """What `rag eval` runs. Results go to <out>/results.jsonl as they come (rag/apps/runlog.py): a re-run with
    the same fingerprint continues where the last one stopped; `report_only` writes the reports from what is
    there. Model output is cached in <out>/generations.jsonl unless the settings name another cache."""
    questions_file: str | Path | None = None
    squad: str | Path | None = None
    corpus: str | Path = "eval/corpus"
    k: int = 8
    out: str | Path | None = None
    limit: int | None = None
    generate: bool = True
    index_dir: str | Path | None = None
    split: str = ""
    compare_llama_index: int | None = None  # N questions spread over the set (0: all); None: no comparison
    workers: int = 1  # questions answered at once, each worker a process with its own model
    report_only: bool = False
    progress: bool = True
    answer_removed: bool = False  # each answerable question asked with the dispatch holding its answer left out

    @property
    def name(self) -> str:
        """The set's name: its index folder's name, and its report folder's with the split."""
        return Path(self.squad or self.questions_file or "questions").stem

    @property
    def report_name(self) -> str:
        name = f"{self.name}-{self.split}" if self.split else self.name
        return f"{name}-answer-removed" if self.answer_removed else name


def run_eval(settings, run: EvalRun) -> tuple[dict[str, Any], list[Path]]:
    """Ingest the corpus into the eval index (idempotent), ask every question not answered yet under this
    run's fingerprint, write the report files from every result kept."""
    from rag.apps.runlog import RunLog, differences, fingerprint

    if bool(run.questions_file) == bool(run.squad):
        raise EvalDataError("arguments", "give either a question set (JSONL) or --squad PATH, not both or neither.")
    if run.workers < 1:
        raise EvalDataError("--workers", "give 1 or more workers.")
    index_dir = Path(run.index_dir or Path(settings.index_dir) / "eval" / run.name)
    out = Path(run.out or Path("eval") / "reports" / run.report_name)
    corpus, questions = _question_set(run, index_dir)
    if not Path(corpus).exists():
        raise EvalDataError(str(corpus), "the corpus folder does not exist.")
    if run.generate and not settings.generation_cache:
        settings = settings.replace(generation_cache=str(out / "generations.jsonl"))
    log = RunLog(out)
    fp = fingerprint(settings, [asdict(q) for q in questions], corpus, {"k": run.k, "generate": run.generate})
    if run.report_only:
        header, done = log.read()
        if header is None:
            raise EvalDataError(str(log.path), "no results to report yet: run the evaluation first.")
        if run.progress and header.get("parts") != fp["parts"]:
            print(f"note: these results were answered under another fingerprint than today's "
                  f"({'; '.join(differences(header, fp))}).")
        qa = None
    else:
        resumed = log.resume(fp)
        done = resumed.done
        if run.progress:
            if resumed.afresh_because:
                print(f"starting afresh ({resumed.afresh_because}); the earlier results are kept in "
                      f"{log.path.with_name('results.previous.jsonl')}")
            elif done:
                print(f"resuming: {sum(q.id in done for q in questions)} of {len(questions)} questions already "
                      f"answered in {log.path}")
        qa, done = _answer_missing(settings, run, corpus, index_dir, questions, log, done)
    results = [Result.from_dict(done[q.id]) for q in questions if q.id in done]
    return _report(settings, run, out, questions, results, qa, corpus)


def _question_set(run: EvalRun, index_dir: Path) -> tuple[str | Path, list[Question]]:
    if run.squad:
        corpus, questions = squad_to_eval(run.squad, index_dir, run.limit, split=run.split)
    else:
        corpus, questions = run.corpus, load_questions(run.questions_file)
        questions = questions[:run.limit] if run.limit else questions
    return corpus, without_their_answer(questions) if run.answer_removed else questions


def without_their_answer(questions: list[Question]) -> list[Question]:
    """Each answerable question asked with the dispatches holding its answer left out of the search: a near
    miss on the same topic, which the right behaviour refuses (labelled rows for the answer decision, and a
    measure of how often the system answers from the wrong passage). Follow-ups keep their conversation."""
    kept = {q.id for q in questions if q.answerable and q.evidence}
    out = []
    for q in questions:
        if q.id in kept:
            gone = sorted({Path(e.dispatch).stem if Path(e.dispatch).suffix in _FILE_SUFFIXES else e.dispatch
                           for e in q.evidence})
            out.append(replace(q, id=f"{q.id}~gone", answerable=False, expected=[], evidence=[],
                               filters={**q.filters, "exclude_dispatch_ids": gone},
                               follow_up_of=f"{q.follow_up_of}~gone" if q.follow_up_of in kept else ""))
    return out


_FILE_SUFFIXES = {".txt", ".json", ".xml", ".md"}  # evidence named by its file: the dispatch id is the stem


def _answer_missing(settings, run: EvalRun, corpus, index_dir: Path, questions: list[Question], log,
                    done: dict[str, dict[str, Any]]):
    """Ingest, then answer the questions not in `done`, each result appended to the log as it comes."""
    from tqdm.auto import tqdm

    from rag import Assistant

    done = dict(done)
    qa = Assistant.open(index_dir, settings=settings)
    report = qa.ingest([corpus], progress=run.progress)
    if run.progress:
        print(report.summary())
    todo = [c for c in conversations(questions) if any(q.id not in done for q in c)]
    bar = tqdm(total=len(questions), initial=sum(q.id in done for q in questions), desc="Evaluating",
               unit="question", disable=not run.progress)

    def keep(res: Result) -> None:
        row = asdict(res)
        log.append(row)
        done[res.id] = row
        bar.update(1)
    answered = {q: (r.get("searched") or r["question"], r["answer"]) for q, r in done.items() if not r.get("error")}
    if run.workers == 1 or len(todo) < 2:
        for chain in todo:
            answer_chain(qa, chain, run.k, run.generate, answered, keep)
    else:
        from rag.apps.workers import answer_in_parallel
        answer_in_parallel(qa.settings, run.workers, run.k, run.generate, todo, answered, keep)
    bar.close()
    return qa, done


def _report(settings, run: EvalRun, out: Path, questions: list[Question], results: list[Result], qa,
            corpus) -> tuple[dict[str, Any], list[Path]]:
    """report.json / .md / .png from the results kept, the share of the set they cover, and (a complete
    run asked for it) the LlamaIndex comparison."""
    from tqdm.auto import tqdm

    summary = summarize(results, run.generate)
    summary["questions_in_set"] = len(questions)
    calls = [r.calls for r in results if r.calls]
    summary["model_calls_replayed"] = sum(c.get("replayed", 0) for c in calls)
    summary["model_calls_new"] = sum(c.get("new", 0) for c in calls)
    complete = len(results) == len(questions)
    if run.compare_llama_index is not None and qa is not None and complete:
        asked = spread(_alone(questions), run.compare_llama_index)
        bar = tqdm(total=len(asked) if run.generate else 0, desc="LlamaIndex query engine", unit="question",
                   disable=not (run.progress and run.generate))
        summary["llama_index_comparison"] = compare_with_llama_index(
            qa, questions, run.k, results if run.generate else None, run.compare_llama_index, bar.update)
        bar.close()
    if not run.generate:
        model = "none (retrieval only)"
    else:  # (a report written alone names the model the settings choose)
        model = qa.llm.describe() if qa is not None else f"{settings.llm_backend}:{settings.embedded_model}"
    run_settings = {"questions": str(run.squad or run.questions_file), "corpus": str(corpus), "k": run.k,
                    "embedder": settings.embedder, "llm": model,
                    "answered": f"{len(results)} of {len(questions)} questions"}
    theirs = summary.get("llama_index_comparison", {}).get("llama_index_answers", {}).pop("answers", None)
    paths = write_report(out, run.report_name, summary, results, run_settings)
    if theirs is not None:  # the plain engine's answers, one per line, to read beside ours
        paths.append(out / "llama_index_answers.jsonl")
        paths[-1].write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in theirs), encoding="utf-8")
    return summary, paths
