"""Answer extraction: exact citations, one batched encode, abstention, answer-type cues."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from indexer.answer.answerer import Answerer
from indexer.models import SearchFilters
from indexer.search.retriever import Retriever
from tests.fakes import FakeEncoder


def test_answer_is_an_exact_sentence_of_the_article(tiny_retriever: Retriever) -> None:
    result = Answerer(tiny_retriever).ask("Who led the delegation that visited St. Petersburg?")
    assert not result.abstained and result.answer is not None
    answer = result.answer
    assert "Gao Jun" in answer.text
    assert answer.article_id == "c_weatherless"
    assert tiny_retriever.article(answer.article_id).body[answer.start : answer.end] == answer.text
    passage = tiny_retriever.passage(answer.passage_id)
    assert passage.start <= answer.start < answer.end <= passage.end
    assert answer.passage_id in [hit.passage.id for hit in result.citations]
    assert 0.0 <= answer.confidence <= 1.0


def test_unrelated_question_abstains_but_still_cites_hits(tiny_retriever: Retriever) -> None:
    result = Answerer(tiny_retriever).ask("Will it rain on the weekend?")
    assert result.abstained and result.answer is None
    assert result.citations  # the searched passages are still returned for the user to judge


def test_threshold_is_a_keyword_option(tiny_retriever: Retriever) -> None:
    question = "Who led the delegation that visited St. Petersburg?"
    assert Answerer(tiny_retriever, min_confidence=1.01).ask(question).abstained
    never_abstains = Answerer(tiny_retriever, min_confidence=0.0, check_evidence=False)
    assert not never_abstains.ask("Will it rain on the weekend?").abstained


def test_answering_reuses_sentence_vectors_from_the_index(tiny_retriever: Retriever, fake_encoder: FakeEncoder) -> None:
    question = "Where did the university open an office?"
    vector = tiny_retriever.encode_queries([question])[0]
    before = fake_encoder.texts_encoded
    result = Answerer(tiny_retriever).ask(tiny_retriever.read(question).with_vector(vector), k=3)
    assert result.citations and fake_encoder.texts_encoded == before


def test_stored_sentence_vectors_equal_fresh_encodings(tiny_retriever: Retriever, fake_encoder: FakeEncoder) -> None:
    index = tiny_retriever.index
    spans = [(s.article_id, s.start, s.end) for s in index.sentences]
    texts = [index.articles[a].body[start:end] for a, start, end in spans]
    # Stored as float16: equal to the fresh float32 encoding within half a float16 step (2**-12).
    np.testing.assert_allclose(tiny_retriever.sentence_vectors(spans), fake_encoder.encode(texts), atol=2.5e-4)
    # A span the build never embedded (inside a sentence) is encoded on demand.
    article_id, start, end = spans[0]
    fresh = tiny_retriever.sentence_vectors([(article_id, start, end - 1)])
    assert np.allclose(fresh, fake_encoder.encode([texts[0][:-1]]))


def test_overlapping_passages_give_each_sentence_once(tiny_retriever: Retriever) -> None:
    answerer = Answerer(tiny_retriever)
    question = "university office Shanghai"
    query = tiny_retriever.encoded(tiny_retriever.read(question))
    hits = tiny_retriever.search(query, k=50)
    spans = [(c.hit.passage.article_id, c.start, c.end) for c in answerer.candidates(query, hits)]
    assert len(spans) == len(set(spans))
    for candidate in answerer.candidates(query, hits):
        body = tiny_retriever.article(candidate.hit.passage.article_id).body
        assert body[candidate.start : candidate.end] == candidate.text
    assert 0.0 <= answerer.confidence(query, hits, answerer.candidates(query, hits)) <= 1.0


def test_filters_restrict_the_citations(tiny_retriever: Retriever) -> None:
    filters = SearchFilters(article_ids=frozenset({"a_shanghai"}))
    result = Answerer(tiny_retriever, min_confidence=0.0, check_evidence=False).ask(
        "Who led the delegation?", filters=filters
    )
    assert {hit.passage.article_id for hit in result.citations} == {"a_shanghai"}
    assert result.answer is not None and result.answer.article_id == "a_shanghai"


def test_no_hits_means_abstention(tiny_retriever: Retriever) -> None:
    filters = SearchFilters(article_ids=frozenset({"no-such-article"}))
    result = Answerer(tiny_retriever, min_confidence=0.0, check_evidence=False).ask(
        "Who led the delegation?", filters=filters
    )
    assert result.abstained and result.answer is None and result.citations == []


def test_answers_are_deterministic(tiny_retriever: Retriever) -> None:
    answerer = Answerer(tiny_retriever)
    runs = [answerer.ask("When did the university open an office in Shanghai?") for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]


def _one_article(tmp_path: Path, encoder: FakeEncoder, text: str) -> Retriever:
    """A retriever over an index of one article, ``text`` (its first line the title)."""
    from indexer.build.builder import BuildOptions, build_index

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "article.txt").write_text(text, encoding="utf-8")
    build_index(seeds, tmp_path / "index", encoder, BuildOptions())
    return Retriever.open(tmp_path / "index", encoder=encoder)


def test_heading_that_repeats_the_question_loses_to_the_sentence_that_answers(
    tmp_path: Path, fake_encoder: FakeEncoder
) -> None:
    retriever = _one_article(
        tmp_path,
        fake_encoder,
        "Visit of the Nanjing delegation\n\nDelegation of Nanjing University\n\n"
        "The delegation was headed by Rector Fu Mengyin.",
    )
    question = "Who headed the delegation of Nanjing University?"
    answer = Answerer(retriever, min_confidence=0.0).ask(question).answer
    assert answer is not None and "Fu Mengyin" in answer.text
    # The heading shares more words with the question; only the penalties put it second.
    unpenalised = Answerer(
        retriever, min_confidence=0.0, heading_penalty=0, echo_penalty=0, kind_weight=0, check_evidence=False
    )
    heading = unpenalised.ask(question).answer
    assert heading is not None and heading.text == "Delegation of Nanjing University"


def test_the_sentence_naming_the_asked_event_in_other_words_wins(tmp_path: Path, fake_encoder: FakeEncoder) -> None:
    retriever = _one_article(
        tmp_path,
        fake_encoder,
        "The Technopolis project\n\nAmong them is the Technopolis project to help startups under the project.\n"
        "An international accelerator has been created under the project for startups.",
    )
    question = "What has been set up under the Technopolis project to help startups?"
    answer = Answerer(retriever, min_confidence=0.0, check_evidence=False).ask(question).answer
    assert answer is not None and "accelerator" in answer.text
    # The first sentence holds more of the question's words; only "set up" = "created" puts it second.
    plain = Answerer(retriever, min_confidence=0.0, check_evidence=False, event_weight=0).ask(question).answer
    assert plain is not None and plain.text.startswith("Among them")


def test_a_rare_term_no_article_mentions_lowers_confidence(tiny_retriever: Retriever) -> None:
    # Same shape as an answerable question, but "Harbin" appears nowhere: its rare term is uncovered.
    answerer = Answerer(tiny_retriever, min_confidence=0.0, check_evidence=False)
    known = answerer.ask("When did the university open an office in Shanghai?").answer
    unknown = answerer.ask("When did the university open an office in Harbin?").answer
    assert known is not None and unknown is not None
    assert unknown.confidence < known.confidence - 0.1
    threshold = (known.confidence + unknown.confidence) / 2
    assert (
        Answerer(tiny_retriever, min_confidence=threshold, check_evidence=False)
        .ask("When did the university open an office in Harbin?")
        .abstained
    )
