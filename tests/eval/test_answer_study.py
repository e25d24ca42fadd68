"""The answer-selection study: labels follow the relevance rule, the learner learns, figures are consistent."""

from __future__ import annotations

import numpy as np
import pytest

from eval.answer_study import FEATURES, ListwiseModel, QuestionCandidates, collect, render, study, top_is_correct
from eval.errors import EvalError
from eval.local import LocalBackend
from eval.questions import DEFAULT_QUESTIONS, Question, load_questions
from eval.relevance import is_relevant
from indexer.answering import Answerer
from indexer.retriever import Retriever


def _item(features: list[list[float]], correct: list[bool], shipped: list[float] | None = None) -> QuestionCandidates:
    n = len(correct)
    return QuestionCandidates(
        question=Question(id="q", question="q?", doc_ids=("a",), answers=("x",)),
        features=np.asarray(features, dtype=np.float64),
        correct=np.asarray(correct),
        shipped=np.asarray(shipped if shipped is not None else [0.0] * n),
        order=np.arange(n),
    )


def test_ties_go_to_the_better_ranked_candidate() -> None:
    item = _item([[0.0], [0.0]], [False, True])
    assert not top_is_correct(np.array([1.0, 1.0]), item)
    assert top_is_correct(np.array([1.0, 2.0]), item)


def test_the_listwise_model_learns_which_feature_marks_the_answer() -> None:
    rng = np.random.default_rng(0)
    items = []
    for _ in range(12):
        noise = rng.normal(size=(5, 2))
        answer = int(rng.integers(5))
        noise[answer, 1] += 8.0  # the second feature marks the correct sentence
        correct = [i == answer for i in range(5)]
        items.append(_item(noise.tolist(), correct))
    model = ListwiseModel.fit(items, l2=0.1)
    assert model.weights[1] > abs(model.weights[0])
    assert all(top_is_correct(model.score(i.features), i) for i in items)


def test_study_needs_something_to_learn() -> None:
    with pytest.raises(EvalError, match="both correct and wrong"):
        study([_item([[1.0], [2.0]], [False, False])])


def test_study_over_the_real_articles(seeds_retriever: Retriever) -> None:
    questions = [q for q in load_questions(DEFAULT_QUESTIONS) if q.answerable][:12]
    items = collect(LocalBackend(seeds_retriever), questions, k=5)
    assert items
    for item in items:
        assert item.features.shape == (len(item.correct), len(FEATURES))
        assert np.isfinite(item.features).all()
    assert any(item.correct.any() for item in items)
    result = study(items, regularisation=(1.0,))
    assert result.questions == len(items)
    # "shipped" must be what the answerer itself answers (no abstention), judged by the eval rule.
    answerer = Answerer(seeds_retriever, min_confidence=0.0, check_evidence=False)
    answered = [answerer.ask(item.question.question).answer for item in items]
    assert result.shipped == sum(
        a is not None and is_relevant(item.question, a.article_id, a.text) for a, item in zip(answered, items)
    )
    assert sum(item.correct.any() for item in items) == result.ceiling >= result.shipped
    assert f"ceiling (a correct sentence among the candidates)   {result.ceiling:3d}/12" in render(result, 12)
