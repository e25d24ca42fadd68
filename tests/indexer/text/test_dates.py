"""Dates as the university's pages write them, in English and Russian."""

from __future__ import annotations

import datetime as dt

import pytest

from indexer.text.dates import month_number, parse_date, search_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17 июля 2025", dt.date(2025, 7, 17)),
        ("17 июля 2025 г.", dt.date(2025, 7, 17)),
        ("3 Сентября 2024 года", dt.date(2024, 9, 3)),
        ("1 сент. 2024", dt.date(2024, 9, 1)),
        ("1 June 2023", dt.date(2023, 6, 1)),
        ("June 1, 2023", dt.date(2023, 6, 1)),
        ("Sept. 3, 2021", dt.date(2021, 9, 3)),
        ("2020.10.05", dt.date(2020, 10, 5)),
        ("2020-10-05", dt.date(2020, 10, 5)),
        ("05.10.2020", dt.date(2020, 10, 5)),
    ],
)
def test_whole_dates(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "hello", "31 февраля 2020", "13.13.2020", "Дата публикации: 2020.10.05", "2020"])
def test_not_a_date(text: str) -> None:
    assert parse_date(text) is None


def test_search_finds_the_first_date_in_running_text() -> None:
    assert search_date("Дата публикации: 2020.10.05") == dt.date(2020, 10, 5)
    assert search_date("Визит прошёл 17 июля 2025 г., а 1 June 2023 ...") == dt.date(2025, 7, 17)
    assert search_date("no date, only 2023") is None


def test_yo_reads_as_ye_and_case_does_not_matter() -> None:
    assert month_number("ФЕВРАЛЯ") == 2
    assert month_number("июнь") == 6
    assert month_number("Thursday") is None
