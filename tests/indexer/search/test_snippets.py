"""Snippets: the window around the best-matching sentence, its exact offsets and its marked words."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from indexer.models import Passage
from indexer.search.snippets import make_snippet, query_terms

PREFIX = "Title line of the article.\n\n"
TEXT = (
    "The forum opened in April. Many guests came to the campus.\n\n"
    "In April 2024 the JITRI delegation was led by Director Liu Qing. "
    "The delegation visited three laboratories. "
    "They discussed joint seminars. "
    "A dinner closed the day."
)
BODY = PREFIX + TEXT


def passage(text: str = TEXT, start: int = len(PREFIX)) -> Passage:
    return Passage(
        id="a#0", article_id="a", ordinal=0, title="t", date="2024-04-02",
        start=start, end=start + len(text), n_tokens=1, text=text,
    )  # fmt: skip


def test_the_window_starts_at_the_sentence_with_most_query_terms() -> None:
    snippet = make_snippet(passage(), query_terms("Who led the JITRI delegation?"))
    assert snippet.text.startswith("In April 2024 the JITRI delegation was led by")
    # Widened forward first, to three sentences, within the budget.
    assert snippet.text.endswith("They discussed joint seminars.")
    assert snippet.cut_before and snippet.cut_after


def test_offsets_are_exact_into_the_article_body() -> None:
    snippet = make_snippet(passage(), query_terms("JITRI delegation"))
    assert BODY[snippet.start : snippet.end] == snippet.text
    marked = [BODY[a:b] for a, b in snippet.highlights]
    assert marked == ["JITRI", "delegation", "delegation"]


def test_words_are_marked_by_their_stem_not_their_spelling() -> None:
    snippet = make_snippet(passage(), query_terms("laboratory visits"))
    assert [BODY[a:b] for a, b in snippet.highlights] == ["visited", "laboratories"]


def test_a_paragraph_break_inside_the_window_is_kept() -> None:
    # "campus" is in the first paragraph's last sentence; the window grows into the next one.
    snippet = make_snippet(passage(), query_terms("campus"), max_sentences=2)
    assert (
        snippet.text
        == "Many guests came to the campus.\n\nIn April 2024 the JITRI delegation was led by Director Liu Qing."
    )


def test_ties_go_to_the_first_sentence_and_no_match_starts_at_the_top() -> None:
    tie = make_snippet(passage(), query_terms("April"), max_sentences=1)
    assert tie.text == "The forum opened in April."
    none = make_snippet(passage(), query_terms("zeppelin"), max_sentences=1)
    assert none.text == "The forum opened in April." and none.highlights == ()
    assert not none.cut_before


def test_weights_let_a_rare_term_outweigh_a_common_one() -> None:
    terms = query_terms("forum delegation")
    # Unweighted, the first sentence with either term wins; weighted, the rarer term's sentence.
    assert make_snippet(passage(), terms, max_sentences=1).text == "The forum opened in April."
    weighted = make_snippet(passage(), terms, weights={"forum": 0.1, "deleg": 2.0}, max_sentences=1)
    assert weighted.text == "In April 2024 the JITRI delegation was led by Director Liu Qing."


def test_the_character_budget_limits_the_window() -> None:
    snippet = make_snippet(passage(), query_terms("JITRI delegation"), max_chars=80)
    assert snippet.text == "In April 2024 the JITRI delegation was led by Director Liu Qing."


def test_a_long_sentence_is_cut_at_word_boundaries_around_its_first_match() -> None:
    long = " ".join(f"word{i}" for i in range(100)) + " JITRI " + " ".join(f"tail{i}" for i in range(100)) + "."
    snippet = make_snippet(passage(long, start=5), query_terms("JITRI"), max_chars=120)
    assert len(snippet.text) <= 120 and "JITRI" in snippet.text
    body = "x" * 5 + long
    assert body[snippet.start : snippet.end] == snippet.text
    # Whole words only at both edges.
    assert body[snippet.start - 1] == " " and body[snippet.end] == " "
    assert [body[a:b] for a, b in snippet.highlights] == ["JITRI"]


def test_russian_words_match_by_stem() -> None:
    text = "Представительство в Шанхае открылось в апреле 2016 года. Офис работает до сих пор."
    snippet = make_snippet(passage(text, start=0), query_terms("Когда открылось представительство в Шанхае?"))
    assert [text[a:b] for a, b in snippet.highlights] == ["Представительство", "Шанхае", "открылось"]


@given(st.text(alphabet=st.sampled_from("ab .\n?Ж"), max_size=400), st.text(alphabet="ab Ж", max_size=20))
def test_any_passage_gives_a_slice_of_itself_within_budget(text: str, query: str) -> None:
    snippet = make_snippet(passage(text, start=3), query_terms(query), max_chars=60)
    body = "xyz" + text
    assert body[snippet.start : snippet.end] == snippet.text
    assert 3 <= snippet.start <= snippet.end <= 3 + len(text)
    assert len(snippet.text) <= 60
    assert all(snippet.start <= a < b <= snippet.end for a, b in snippet.highlights)
