"""The learned answerer: its model file, its scoring, and answering or abstaining with it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from indexer.answer.answerer import Answerer
from indexer.answer.features import ABSTAIN_FEATURES, FEATURES
from indexer.answer.learned import AnswerModelError, LearnedModel, ModelFile, load_model, top_and_margin
from indexer.search.retriever import Retriever


def hand_model(weights: dict[str, float], *, intercept: float = 0.0, threshold: float = 0.5) -> LearnedModel:
    """A model whose ranker weighs only ``weights`` (features as they are); its abstainer reads the log-odds."""
    return LearnedModel.of(
        ModelFile(
            version=1,
            features=FEATURES,
            mean=(0.0,) * len(FEATURES),
            scale=(1.0,) * len(FEATURES),
            coef=tuple(weights.get(name, 0.0) for name in FEATURES),
            intercept=intercept,
            abstain_features=ABSTAIN_FEATURES,
            abstain_coef=(1.0,) + (0.0,) * (1 + len(ABSTAIN_FEATURES)),
            abstain_intercept=0.0,
            threshold=threshold,
        )
    )


def test_the_shipped_model_loads_with_this_versions_features() -> None:
    model = load_model()
    assert model.coef.shape == (len(FEATURES),)
    assert np.all(model.scale > 0)
    assert 0.0 < model.threshold < 1.0


def test_a_model_trained_on_other_features_is_refused(tmp_path: Path) -> None:
    spec = json.loads(load_model.__defaults__[0].read_text(encoding="utf-8"))  # type: ignore[index]
    spec["features"] = list(reversed(spec["features"]))
    path = tmp_path / "model.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(AnswerModelError, match="features do not match"):
        load_model(path)
    with pytest.raises(AnswerModelError, match="cannot read"):
        load_model(tmp_path / "missing.json")


def test_logits_are_the_standardised_dot_product() -> None:
    model = LearnedModel.of(
        ModelFile(
            version=1,
            features=FEATURES,
            mean=(1.0,) * len(FEATURES),
            scale=(2.0,) * len(FEATURES),
            coef=(0.5,) + (0.0,) * (len(FEATURES) - 1),
            intercept=-1.0,
            abstain_features=ABSTAIN_FEATURES,
            abstain_coef=(2.0, 1.0) + (0.0,) * len(ABSTAIN_FEATURES),
            abstain_intercept=-1.0,
            threshold=0.5,
        )
    )
    rows = np.zeros((2, len(FEATURES)))
    rows[0, 0], rows[1, 0] = 5.0, 3.0
    # (5 - 1) / 2 * 0.5 - 1 = 0 and (3 - 1) / 2 * 0.5 - 1 = -0.5
    assert model.logits(rows).tolist() == [0.0, -0.5]
    best, top, margin = top_and_margin(model.logits(rows))
    assert (best, top, margin) == (0, 0.0, 0.5)
    # 2 * 0 + 1 * 0.5 - 1 = -0.5 -> 1 / (1 + e^0.5)
    assert model.answer_probability(rows[0], top, margin) == pytest.approx(1 / (1 + np.exp(0.5)))


def test_learned_answerer_cites_the_best_sentence(tiny_retriever: Retriever) -> None:
    answerer = Answerer(tiny_retriever, ranker="learned", model=hand_model({"coverage": 8.0}, intercept=-2.0))
    result = answerer.ask("Who led the delegation that visited St. Petersburg?")
    assert not result.abstained and result.answer is not None
    answer = result.answer
    assert "Gao Jun" in answer.text
    assert tiny_retriever.article(answer.article_id).body[answer.start : answer.end] == answer.text
    assert 0.5 <= answer.confidence <= 1.0


def test_learned_answerer_abstains_with_a_readable_reason(tiny_retriever: Retriever) -> None:
    answerer = Answerer(tiny_retriever, ranker="learned", model=hand_model({"coverage": 8.0}, intercept=-2.0))
    result = answerer.ask("Who won the Nobel Prize in Physics?")
    assert result.abstained and result.answer is None and result.citations
    assert result.reason and "Nobel" in result.reason


def test_features_are_one_finite_row_per_candidate(tiny_retriever: Retriever) -> None:
    answerer = Answerer(tiny_retriever)
    query = tiny_retriever.encoded(tiny_retriever.read("When did the university open an office in Shanghai?"))
    hits = tiny_retriever.search(query, k=5)
    candidates, rows, _facts = answerer.featurize(query, hits)
    assert rows.shape == (len(candidates), len(FEATURES)) and len(candidates) > 1
    assert np.all(np.isfinite(rows))
    column = {name: rows[:, FEATURES.index(name)] for name in ("rules_top", "lede", "years", "event")}
    assert column["rules_top"].sum() == 1
    answer = next(i for i, c in enumerate(candidates) if "April 2016" in c.text)
    assert column["lede"][answer] == 1.0
    assert column["event"][answer] == 1.0  # "opened" in the sentence


def test_an_unknown_ranker_is_refused(tiny_retriever: Retriever) -> None:
    with pytest.raises(ValueError, match="ranker"):
        Answerer(tiny_retriever, ranker="oracle")  # type: ignore[arg-type]


def test_the_learned_veto_withholds_an_answer_the_evidence_allows(tiny_retriever: Retriever) -> None:
    question = "Who led the delegation that visited St. Petersburg?"
    assert not Answerer(tiny_retriever).ask(question).abstained  # the rules answer it
    doubtful = hand_model({"coverage": 1.0}, intercept=-20.0, threshold=0.5)
    result = Answerer(tiny_retriever, ranker="learned", model=doubtful).ask(question)
    assert result.abstained and result.answer is None
    assert result.reason and "question" in result.reason
