"""Whether a query asks something: the rule that decides if the search page shows an answer card."""

from __future__ import annotations

import pytest

from indexer.text.query_form import asks_question


@pytest.mark.parametrize(
    "query",
    [
        "Who led the JITRI delegation?",
        "who led the JITRI delegation",  # a question word, no mark
        "JITRI?",  # a mark alone makes a question
        "Where will the business accelerator be located",
        "did SPbPU sign an agreement with NUST",
        "the rector was elected in 2020",  # a statement to verify: an auxiliary
        "Polytech opened an office in Shanghai",  # an English past tense in a sentence
        "Когда открылось представительство в Шанхае",
        "Сколько студентов из Китая",
        "кто возглавлял делегацию",
        "Политех открыл офис в Шанхае",  # a Russian past tense
        "есть ли в университете бизнес-акселератор",  # the particle ли
        "Что такое JITRI？",  # a full-width question mark
    ],
)
def test_questions_and_statements_ask_something(query: str) -> None:
    assert asks_question(query)


@pytest.mark.parametrize(
    "query",
    [
        "JITRI",
        "jitri delegation",
        "business accelerator Shanghai",
        "advanced materials",  # -ed adjective in two words
        "opened",  # one word is a keyword, whatever its form
        "Шанхай",
        "представительство в Шанхае",
        "филиал университета",  # a noun that ends like a past tense
        "материал конференции",
        "2016",
        "   ",
        "",
    ],
)
def test_keywords_and_names_ask_nothing(query: str) -> None:
    assert not asks_question(query)
