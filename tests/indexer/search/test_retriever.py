from __future__ import annotations

import datetime as dt
import math
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from indexer.errors import InvalidQueryError, NotFoundError
from indexer.models import QueryReading, SearchFilters
from indexer.search.fusion import FusionConfig
from indexer.search.retriever import Retriever
from tests.fakes import FakeEncoder


@pytest.mark.parametrize("mode", ["dense", "keyword", "hybrid"])
def test_modes_find_the_matching_article(tiny_retriever: Retriever, mode: str) -> None:
    hits = tiny_retriever.search("Gao Jun delegation Jiangsu", k=3, mode=mode)  # type: ignore[arg-type]
    assert hits[0].passage.article_id == "c_weatherless"
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(a.score >= b.score for a, b in pairwise(hits))


def test_hybrid_hits_carry_both_component_scores(tiny_retriever: Retriever) -> None:
    hit = tiny_retriever.search("ATURC summit", k=1, mode="hybrid")[0]
    assert hit.scores.dense is not None and hit.scores.keyword is not None and hit.scores.keyword > 0


def test_k_beyond_corpus_returns_every_matching_passage_once(tiny_retriever: Retriever) -> None:
    passages = tiny_retriever.index.passages
    with_word = {p.id for p in (passages[row] for row in range(len(passages))) if "universit" in p.text.lower()}
    assert 0 < len(with_word) < len(passages)  # the premise: some passages lack the word
    for mode in ("dense", "keyword", "hybrid"):
        hits = tiny_retriever.search("university", k=1000, mode=mode)  # type: ignore[arg-type]
        ids = [h.passage.id for h in hits]
        # Dense ranks every passage by meaning; keyword lists only passages holding the word.
        expected = with_word if mode == "keyword" else {passages[row].id for row in range(len(passages))}
        assert len(ids) == len(set(ids)) and set(ids) == expected
        assert all(math.isfinite(h.score) for h in hits)


def test_results_are_deterministic(tiny_retriever: Retriever) -> None:
    runs = [[(h.passage.id, h.score) for h in tiny_retriever.search("the university", k=10)] for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]


def test_a_keyword_search_matching_nothing_lists_nothing(tiny_retriever: Retriever) -> None:
    # Passages scoring 0 share no term with the query: no mode pads the list with them.
    assert tiny_retriever.search("zzzz-unknown-word", k=50, mode="keyword") == []


def test_keyword_ties_break_by_passage_order() -> None:
    scores = np.array([1.0, 2.0, 2.0, 0.0, 2.0, 0.0], dtype=np.float32)
    assert list(Retriever._keyword(scores, 2, None).items()) == [(1, 2.0), (2, 2.0)]
    assert set(Retriever._keyword(scores, 10, None)) == {0, 1, 2, 4}  # the zeros never


def test_language_filter(tiny_retriever: Retriever) -> None:
    langs = {h.passage.lang for h in tiny_retriever.search("university", k=50)}
    english = tiny_retriever.search("university", k=50, filters=SearchFilters(langs=frozenset({"en"})))
    assert langs == {"en"} and english == tiny_retriever.search("university", k=50)
    assert tiny_retriever.search("university", k=50, filters=SearchFilters(langs=frozenset({"ru"}))) == []


def test_article_filter(tiny_retriever: Retriever) -> None:
    hits = tiny_retriever.search("university", k=50, filters=SearchFilters(article_ids=frozenset({"b_summit"})))
    assert hits and {h.passage.article_id for h in hits} == {"b_summit"}


def test_date_filter_is_inclusive_and_drops_undated(tiny_retriever: Retriever) -> None:
    window = SearchFilters(date_from=dt.date(2022, 6, 10), date_to=dt.date(2022, 6, 10))
    hits = tiny_retriever.search("university", k=50, filters=window)
    assert {h.passage.article_id for h in hits} == {"b_summit"}
    later = SearchFilters(date_from=dt.date(2023, 1, 1))
    assert {h.passage.article_id for h in tiny_retriever.search("office", k=50, filters=later)} == {"a_shanghai"}


def test_filter_that_excludes_everything_returns_nothing(tiny_retriever: Retriever) -> None:
    assert tiny_retriever.search("office", filters=SearchFilters(article_ids=frozenset({"nope"}))) == []


@pytest.mark.parametrize(
    ("query", "k", "mode", "field"), [("  ", 5, "hybrid", "query"), ("x", 0, "hybrid", "k"), ("x", 5, "fuzzy", "mode")]
)
def test_invalid_requests_name_the_field(tiny_retriever: Retriever, query: str, k: int, mode: str, field: str) -> None:
    with pytest.raises(InvalidQueryError) as info:
        tiny_retriever.search(query, k=k, mode=mode)  # type: ignore[arg-type]
    assert info.value.field == field


def test_lookups(tiny_retriever: Retriever) -> None:
    passage = tiny_retriever.passage("a_shanghai#0")
    assert tiny_retriever.article("a_shanghai").body[passage.start : passage.end] == passage.text
    assert [p.ordinal for p in tiny_retriever.article_passages("b_summit")] == list(
        range(len(tiny_retriever.article_passages("b_summit")))
    )
    with pytest.raises(NotFoundError):
        tiny_retriever.passage("a_shanghai#999")
    with pytest.raises(NotFoundError):
        tiny_retriever.article("zzz")


def test_precomputed_query_vector_gives_the_same_hits(tiny_retriever: Retriever) -> None:
    query = "representative office Shanghai"
    vector = tiny_retriever.encode_queries([query])[0]
    assert tiny_retriever.search(tiny_retriever.read(query).with_vector(vector)) == tiny_retriever.search(query)


def test_a_query_is_read_once_into_one_record(tiny_retriever: Retriever, fake_encoder: FakeEncoder) -> None:
    before = fake_encoder.texts_encoded
    query = tiny_retriever.read("  representative office Shanghai ")
    assert (query.text, query.lang, query.covered, query.vector) == ("representative office Shanghai", "en", True, None)
    assert query.reading("keyword") == QueryReading(lang="en", dense=False) and query.dense("hybrid")
    assert fake_encoder.texts_encoded == before  # reading never calls the model
    encoded = tiny_retriever.encoded(query)
    assert encoded.vector is not None and fake_encoder.texts_encoded == before + 1
    assert tiny_retriever.encoded(encoded) is encoded
    # A keyword search needs no vector, so a record without one costs no model call.
    tiny_retriever.search(query, mode="keyword")
    assert fake_encoder.texts_encoded == before + 1
    with pytest.raises(InvalidQueryError):
        tiny_retriever.read("   ")


def test_best_sentence_lifts_a_passage_whose_one_sentence_matches(tiny_index: Path, fake_encoder: FakeEncoder) -> None:
    query = "Gao Jun delegation visited"
    plain = Retriever.open(tiny_index, encoder=fake_encoder, fusion=FusionConfig(sentence_weight=0.0))
    blended = Retriever.open(tiny_index, encoder=fake_encoder, fusion=FusionConfig(sentence_weight=1.0))
    vector = fake_encoder.encode([query])[0]
    top = blended.search(query, k=1, mode="dense")[0]
    rows = [s for s in blended.index.sentences if s.article_id == top.passage.article_id]
    best = max(
        float(blended.index.sentence_embeddings[blended.index.sentences.index(s)] @ vector)
        for s in rows
        if s.start >= top.passage.start and s.end <= top.passage.end
    )
    assert top.scores.dense == pytest.approx(best, abs=1e-5)
    assert plain.search(query, k=1, mode="dense")[0].scores.dense == pytest.approx(
        float(
            plain.index.embeddings[plain.index.passages.index(plain.search(query, k=1, mode="dense")[0].passage)]
            @ vector
        ),
        abs=1e-5,
    )
