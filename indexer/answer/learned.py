"""The learned answerer's model: logistic coefficients read from a small JSON file, scored with numpy.

Two logistic models, both fitted by ``python -m eval.tuning.train_answerer`` (scikit-learn, in the
``eval`` extra; serving needs only this file and numpy):

- the ranker scores every candidate sentence on the standardised ``FEATURES``
  (indexer/answer/features.py): the chance that it holds the answer;
- the abstainer turns the top sentence's log-odds and its lead over the runner-up into the chance
  that the top sentence is right; below ``threshold`` the answerer abstains.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import msgspec
import numpy as np
import numpy.typing as npt

from indexer.answer.features import ABSTAIN_FEATURES, FEATURES
from indexer.errors import PolysearchError

Floats = npt.NDArray[np.float64]
DEFAULT_MODEL = Path(__file__).resolve().parent / "model.json"


class AnswerModelError(PolysearchError):
    """The answer model file is missing, unreadable, or was trained on other features than this version's."""


class ModelFile(msgspec.Struct, frozen=True, kw_only=True):
    """The JSON layout of ``model.json``; ``features`` must equal ``FEATURES`` in order."""

    version: int
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    abstain_features: tuple[str, ...]
    abstain_coef: tuple[float, ...]
    abstain_intercept: float
    threshold: float
    trained_on: dict[str, int] = {}


@dataclass(frozen=True, slots=True)
class LearnedModel:
    """The ranker and abstainer, ready to score feature rows."""

    mean: Floats
    scale: Floats
    coef: Floats
    intercept: float
    abstain_coef: Floats
    abstain_intercept: float
    threshold: float
    abstain_columns: tuple[int, ...]

    @classmethod
    def of(cls, spec: ModelFile) -> LearnedModel:
        if spec.features != FEATURES:
            raise AnswerModelError(
                "the answer model's features do not match this version's "
                "(retrain: python -m eval.tuning.train_answerer)"
            )
        width = len(FEATURES)
        if not (len(spec.mean) == len(spec.scale) == len(spec.coef) == width):
            raise AnswerModelError(f"the answer model needs {width} means, scales and coefficients")
        if spec.abstain_features != ABSTAIN_FEATURES or len(spec.abstain_coef) != 2 + len(ABSTAIN_FEATURES):
            raise AnswerModelError("the answer model's abstainer does not match this version's features")
        return cls(
            mean=np.asarray(spec.mean, dtype=np.float64),
            scale=np.asarray(spec.scale, dtype=np.float64),
            coef=np.asarray(spec.coef, dtype=np.float64),
            intercept=spec.intercept,
            abstain_coef=np.asarray(spec.abstain_coef, dtype=np.float64),
            abstain_intercept=spec.abstain_intercept,
            threshold=spec.threshold,
            abstain_columns=tuple(FEATURES.index(name) for name in ABSTAIN_FEATURES),
        )

    def logits(self, rows: npt.ArrayLike) -> Floats:
        """Each candidate's log-odds of holding the answer."""
        z = (np.asarray(rows, dtype=np.float64) - self.mean) / self.scale
        logits: Floats = z @ self.coef + self.intercept
        return logits

    def contributions(self, row: npt.ArrayLike) -> Floats:
        """Each feature's share of one candidate's log-odds, relative to an average candidate."""
        contributions: Floats = (np.asarray(row, dtype=np.float64) - self.mean) / self.scale * self.coef
        return contributions

    def abstain_inputs(self, row: npt.ArrayLike, top: float, margin: float) -> Floats:
        """The abstainer's inputs: the top log-odds, its lead, the top row's ``ABSTAIN_FEATURES`` (standardised)."""
        z = (np.asarray(row, dtype=np.float64) - self.mean) / self.scale
        inputs: Floats = np.concatenate(([top, margin], z[list(self.abstain_columns)]))
        return inputs

    def answer_probability(self, row: npt.ArrayLike, top: float, margin: float) -> float:
        """The chance that the top candidate (feature ``row``) is right."""
        z = float(self.abstain_inputs(row, top, margin) @ self.abstain_coef) + self.abstain_intercept
        return float(1.0 / (1.0 + np.exp(-z)))


def top_and_margin(logits: Floats) -> tuple[int, float, float]:
    """The best candidate's index, its log-odds and its lead over the runner-up (0 when alone)."""
    order = np.argsort(-logits, kind="stable")
    best = int(order[0])
    margin = float(logits[best] - logits[order[1]]) if len(order) > 1 else 0.0
    return best, float(logits[best]), margin


def load_model(path: Path = DEFAULT_MODEL) -> LearnedModel:
    """Read and check a model file; a named error when it is missing or does not fit this version."""
    try:
        spec = msgspec.json.decode(path.read_bytes(), type=ModelFile)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise AnswerModelError(f"cannot read the answer model {path} ({exc})") from exc
    return LearnedModel.of(spec)
