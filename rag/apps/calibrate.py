"""`rag calibrate`: train the answer decision (rag/answer/decision.py) on the sentences of evaluation runs.

Each sentence an evaluation checked with the calibrated decision on (`DQA_ANSWER_DECISION=calibrated`) is
kept in its results.jsonl with the values the decision weighs. A sentence is right when its question is
answerable and it holds the expected answer; any sentence answering an unanswerable question is wrong.
Sentences a fact vetoed (rag.FACT_CHECKS) are never shown and are left out of the training.
Train on tune runs, report on held-out ones: the file written says which runs it learned from.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rag import FACT_CHECKS, Decision, train_decision
from rag.errors import EvalDataError

Row = tuple[dict[str, float], bool]


def training_rows(paths: Iterable[str | Path]) -> list[Row]:
    """(values, right) of every weighed sentence of these results.jsonl files that no fact vetoed."""
    rows: list[Row] = []
    for path in paths:
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalDataError(f"{path}:{n}", f"not JSON ({exc}).") from exc
            for x in rec.get("checked", []):
                if not x.get("values") or set(x.get("failed", [])) & set(FACT_CHECKS):
                    continue
                right = bool(rec.get("answerable")) and bool(x.get("holds_expected"))
                rows.append(({k: float(v) for k, v in x["values"].items()}, right))
    if not rows:
        raise EvalDataError(", ".join(map(str, paths)), "no weighed sentence: run `rag eval` with "
                            "DQA_ANSWER_DECISION=calibrated first (its results.jsonl keeps what the decision weighs).")
    return rows


def calibrate(paths: list[str], risk: float, out: str | Path) -> Decision:
    """Train on the runs' sentences, write the decision to `out` and return it."""
    rows = training_rows(paths)
    about: dict[str, Any] = {"trained_on": [str(Path(p).parent.name) for p in paths]}
    decision = train_decision(rows, risk, about)
    Path(out).write_text(decision.to_json(), encoding="utf-8")
    return decision


def describe(decision: Decision) -> str:
    """Each feature's weight (per standard deviation of it), the threshold, and the risk-coverage trade-off on
    the training rows."""
    lines = [f"trained on {decision.about.get('rows', 0)} sentences ({decision.about.get('right', 0)} right) of "
             f"{', '.join(decision.about.get('trained_on', []))}; threshold {decision.threshold:.3f} "
             f"(wrong among shown <= {decision.about.get('risk', 0):.2f} on those sentences)", "",
             "| feature | weight | what it measures |", "| --- | --- | --- |"]
    for name, weight in sorted(decision.weights.items(), key=lambda kv: -abs(kv[1])):
        lines.append(f"| {name} | {weight:+.2f} | {Decision.features[name]} |")
    curve = decision.about.get("curve", [])
    if curve:
        lines += ["", "| threshold | shown | wrong among shown |", "| --- | --- | --- |"]
        lines += [f"| {c['threshold']:.3f} | {c['shown']:.2f} | {c['wrong']:.2f} |" for c in curve]
    return "\n".join(lines)
