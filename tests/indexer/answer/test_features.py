"""The learned answerer's features on hand-made sentences: BM25, coverage, names, years, the asked-for thing."""

from __future__ import annotations

import pytest

from indexer.answer.features import FEATURES, QuestionFacts, SentenceFacts, coverage, feature_matrix, sentence_bm25
from indexer.answer.question import asked_event


def test_sentence_bm25_rewards_rare_terms_and_saturates() -> None:
    weights = {"shanghai": 3.0, "offic": 1.0}
    assert sentence_bm25(weights, []) == 0.0
    assert sentence_bm25(weights, ["weather"]) == 0.0
    one = sentence_bm25(weights, ["shanghai"])
    both = sentence_bm25(weights, ["shanghai", "offic"])
    assert 0 < sentence_bm25(weights, ["offic"]) < one < both <= 1.0
    # A second mention adds less than the first did.
    assert sentence_bm25(weights, ["shanghai", "shanghai"]) - one < one


def test_coverage_is_the_idf_weighted_share() -> None:
    assert coverage({"a": 3.0, "b": 1.0}, frozenset({"a"})) == pytest.approx(0.75)
    assert coverage({}, frozenset({"a"})) == 0.0


def sentence(text: str, terms: set[str], context: str = "", date: str | None = None) -> SentenceFacts:
    return SentenceFacts(
        text=text,
        terms=frozenset(terms),
        term_list=sorted(terms),
        context=context or text,
        context_terms=frozenset(terms),
        article_terms=frozenset(terms),
        date=date,
        cosine=0.5,
        cosine_context=0.4,
        dense_passage=0.3,
        rank=2,
        passage_score=1.0,
        position=0.0,
        lede=True,
        heading=False,
        kind_evidence=1.0,
        event=0.0,
        evidence=True,
        rules_score=0.2,
    )


def test_names_years_and_focus_columns() -> None:
    facts = QuestionFacts(
        weights={"nobel": 5.0, "prize": 2.0, "2023": 4.0},
        counts={},
        focus_terms=frozenset({"prize"}),
        name_terms=(frozenset({"nobel"}),),
        years=("2023",),
        kind="person",
        uncovered=False,
    )
    rows = feature_matrix(
        facts,
        [
            sentence("The Nobel Prize went to her in 2023.", {"nobel", "prize", "2023"}),
            sentence("A prize was given in 2001.", {"prize", "2001"}, date="2001-05-01"),
        ],
        best_coverage=1.0,
    )
    col = {name: rows[:, i].tolist() for i, name in enumerate(FEATURES)}
    assert col["names"] == [1.0, 0.0]
    assert col["years"] == [1.0, 0.0]
    assert col["focus_sentence"] == [1.0, 1.0]
    assert col["kind"] == [1.0, 1.0]
    assert col["rank_prior"] == [0.5, 0.5]
    assert col["coverage_gap"][0] == 0.0 and col["coverage_gap"][1] < 0
    assert col["rules_top"] == [1.0, 0.0]  # equal rules scores: the first wins


def test_a_past_opening_is_a_founding_and_an_opening_hour_is_not() -> None:
    founding = asked_event("When was the representative office in Shanghai opened?")
    assert founding is not None and "established" in founding[1]
    hours = asked_event("When does the library open?")
    assert hours is not None and "established" not in hours[1]
