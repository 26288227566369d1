"""One calibrated decision per sentence: the checks give values, a small model turns them into the
probability that the sentence is right, and the sentence is shown when that probability reaches a threshold.

Each check used to veto alone, with a threshold set by hand; on text nobody tuned on, each veto dropped right
answers of its own ("it only restates the question" on a sentence that adds the answer) while the stack still
let wrong quotes through. Now only facts veto (`HARD`: a sentence that stops mid-way, one in the other
language, a figure that no passage and not the question gives); every other check is a feature. The model
is a logistic regression (scikit-learn) trained by `rag calibrate` on the sentences of evaluation runs
(right: it holds the expected answer; a sentence answering an unanswerable question is wrong), its threshold
chosen on those rows for the wrong-among-shown share asked (`answer_risk`). Its coefficients and what it was
trained on live in rag/answer/data/decision.json (a few KB: code, not weights of a network).
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from rag.errors import ConfigError

DEFAULT_PATH = Path(__file__).parent / "data" / "decision.json"

# Facts, not guesses: a sentence failing one of these is never shown, whatever the model says.
HARD = ("complete", "one_language", "figure_nowhere")

# The checks whose failure is a feature (each 1.0 when it failed on the passage the sentence rests on).
SOFT_CHECKS = ("says_something", "figures_stated", "figures_placed", "figures_dated", "names_stated",
               "count_given", "count_quantity", "count_placed", "count_subject", "count_thing", "answer_first",
               "quote_count", "quote_names_counted", "quote_kind")

# The features, in order, with what each measures (printed by `rag calibrate` beside its weight).
FEATURES: dict[str, str] = {
    "support": "support score of the passage the sentence rests on, before any check caps it (0..1)",
    "closeness": "cosine of the sentence to that passage",
    "question_closeness": "cosine of that passage to the question",
    "rank": "1 / the passage's rank among those the model read",
    "cited": "the model cited that passage itself",
    "new_words": "share of the sentence's content words the question does not have",
    "names_held": "share of the question's names the passage (or its dispatch) holds (1: it names none)",
    "words_shared": "share of the question's content words the passage has",
    "kind_missed": "the question asks a kind of answer (a date, a length, an amount, an age...) and the sentence "
                   "gives none in the strict sense (a date the question lacks, a figure with the unit asked)",
    "quote": "an extractive quote, not the model's sentence",
    "reread_agrees": "re-read over the passage, the model found the answer the sentence gives",
    "reread_other": "re-read, the model found another answer",
    "reread_yes": "re-read, no span found: the probability the model gives to 'the passage says it'",
    "reread_asked": "the model was able to re-read (0: a model that cannot, or not asked)",
    **{f"fail_{name}": f"the check {name} failed" for name in SOFT_CHECKS},
}
# Words for a shown answer's probability (rag/language/data/<lang>/reasons.toml, [confidence]): the lowest
# probability of each band, highest first.
BANDS = ((0.9, "high"), (0.7, "fair"), (0.0, "low"))
# What each value can only say, whatever a small training set suggests: a failed check never makes a sentence
# more likely right, support and an agreeing re-reading never less. A weight trained against its sign is
# taken out and the model fitted again without it (rows are few and their labels noisy).
SIGNS = {"support": 1, "question_closeness": 1, "rank": 1, "cited": 1, "names_held": 1, "words_shared": 1,
         "kind_missed": -1, "reread_agrees": 1, "reread_other": -1, "reread_yes": 1,
         **{f"fail_{name}": -1 for name in SOFT_CHECKS}}
REREAD = ("reread_agrees", "reread_other", "reread_yes", "reread_asked")


@dataclass(frozen=True)
class Decision:
    """A trained decision: per feature a weight over its standardised value, an intercept, the threshold."""

    weights: dict[str, float]
    intercept: float
    mean: dict[str, float]
    scale: dict[str, float]
    threshold: float
    about: dict[str, Any] = field(default_factory=dict)  # what it was trained on, and its measured trade-off
    features: ClassVar[dict[str, str]] = FEATURES  # what each value measures
    default_path: ClassVar[Path] = DEFAULT_PATH  # the one the package ships

    def probability(self, values: Mapping[str, float]) -> float:
        z = self.intercept + sum(w * (values.get(k, 0.0) - self.mean[k]) / self.scale[k]
                                 for k, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def best_case(self, values: Mapping[str, float]) -> float:
        """The probability with the re-reading at its most favourable: below the threshold, re-reading (a
        model call) cannot make the sentence shown, so it is not asked."""
        best = {**values, **{k: 1.0 if self.weights.get(k, 0.0) >= 0 else 0.0 for k in REREAD}}
        return self.probability(best)

    def shown(self, p: float) -> bool:
        return p >= self.threshold

    def to_json(self) -> str:
        return json.dumps({"features": {k: {"weight": round(self.weights[k], 4), "mean": round(self.mean[k], 4),
                                             "scale": round(self.scale[k], 4)} for k in self.weights},
                           "intercept": round(self.intercept, 4), "threshold": round(self.threshold, 4),
                           "about": self.about}, indent=1, ensure_ascii=False) + "\n"

    @classmethod
    def load(cls, path: str | Path = "") -> Decision:
        """A decision file as `rag calibrate` writes it ('': the one the package ships)."""
        path = path or DEFAULT_PATH
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
            feats = raw["features"]
            unknown = set(feats) - set(FEATURES)
            if unknown:
                raise KeyError(f"unknown features {sorted(unknown)}")
            return cls({k: float(v["weight"]) for k, v in feats.items()}, float(raw["intercept"]),
                       {k: float(v["mean"]) for k, v in feats.items()},
                       {k: float(v["scale"]) or 1.0 for k, v in feats.items()}, float(raw["threshold"]),
                       dict(raw.get("about", {})))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"The answer decision {path} cannot be read ({exc}); retrain it with "
                              "`python -m rag calibrate` or set DQA_ANSWER_DECISION=vetoes.",
                              "answer_decision") from exc


def band(p: float) -> str:
    """The band a probability falls in ('high', 'fair', 'low')."""
    return next(name for floor, name in BANDS if p >= floor)


def load_decision(answer_decision: str, path: str) -> Decision | None:
    """The decision the settings ask for: None with 'vetoes', and while no decision has been trained and shipped
    (every verdict must then hold, as the vetoes decided; `rag calibrate` trains one from such runs)."""
    if answer_decision != "calibrated":
        return None
    if not path and not DEFAULT_PATH.exists():
        return None
    return Decision.load(path)


def vector(values: Mapping[str, float]) -> list[float]:
    return [float(values.get(k, 0.0)) for k in FEATURES]


def train_decision(rows: Iterable[tuple[Mapping[str, float], bool]], risk: float, about: dict[str, Any]) -> Decision:
    """A logistic regression over the rows (features, right?), with the lowest threshold whose
    wrong-among-shown share on these rows stays within `risk` (scikit-learn's, L2, balanced C)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rows = list(rows)
    x = np.array([vector(v) for v, _ in rows], dtype=float)
    y = np.array([bool(r) for _, r in rows], dtype=int)
    if len(set(y)) < 2:
        raise ValueError("the rows need right and wrong sentences both")
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    names = list(FEATURES)
    used = [i for i, name in enumerate(names) if x[:, i].std() > 0]
    while True:  # fit, then take out the weights trained against their sign (SIGNS), until none is
        model = LogisticRegression(C=1.0, max_iter=2000).fit(((x - mean) / scale)[:, used], y)
        against = [i for i, w in zip(used, model.coef_[0]) if SIGNS.get(names[i], 0) * w < 0]
        if not against:
            break
        used = [i for i in used if i not in against]
    weights = dict.fromkeys(names, 0.0)
    weights.update({names[i]: float(w) for i, w in zip(used, model.coef_[0])})
    decision = Decision(weights, float(model.intercept_[0]), dict(zip(names, map(float, mean))),
                        dict(zip(names, map(float, scale))), 1.0, about)
    probs = [decision.probability(v) for v, _ in rows]
    threshold, curve = choose_threshold(probs, list(y), risk)
    curve = [c for i, c in enumerate(curve)  # a point per tenth of the rows shown, and the last
             if i == len(curve) - 1 or int(c["shown"] * 10) != int(curve[i + 1]["shown"] * 10)]
    return Decision(decision.weights, decision.intercept, decision.mean, decision.scale, threshold,
                    {**about, "rows": len(rows), "right": int(y.sum()), "risk": risk, "curve": curve})


def choose_threshold(probs: list[float], right: list[int], risk: float) -> tuple[float, list[dict[str, float]]]:
    """The lowest threshold whose shown rows are at most `risk` wrong (every row shown at or above it), and
    the risk-coverage curve: per threshold, the share shown and the wrong among them."""
    order = sorted(zip(probs, right), reverse=True)
    curve, best, wrong = [], 1.0, 0
    for i, (p, r) in enumerate(order, 1):
        wrong += 1 - r
        if i == len(order) or order[i][0] < p:  # the end of a tie: rows at or above p are shown
            share = wrong / i
            curve.append({"threshold": round(p, 4), "shown": round(i / len(order), 4), "wrong": round(share, 4)})
            if share <= risk:
                best = p
    return best, curve
