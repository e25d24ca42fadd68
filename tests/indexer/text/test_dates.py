"""Dates as the university's pages write them, in English and Russian."""

from __future__ import annotations

import datetime as dt

import pytest

from indexer.text.dates import line_date, month_number, parse_date, search_date


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


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # The university's own line: date, category, view count, with or without separators.
        ("1 June 2023 · International activities · 542", dt.date(2023, 6, 1)),
        ("1 June 2023 International activities 542", dt.date(2023, 6, 1)),
        ("17 июля 2025 · Международная деятельность · 542", dt.date(2025, 7, 17)),
        ("17 июля 2025 г. | Наука | 1 203", dt.date(2025, 7, 17)),
        ("Опубликовано: 17.07.2025", dt.date(2025, 7, 17)),
        ("Опубликовано 17.07.2025 в 10:30 МСК", dt.date(2025, 7, 17)),
        ("Опубликовано admin, пт, 17.03.2023 - 14:05", dt.date(2023, 3, 17)),
        ("Posted on June 1, 2023 by Jane Doe", dt.date(2023, 6, 1)),
        ("Thursday, June 1, 2023", dt.date(2023, 6, 1)),
        ("Четверг, 17 июля 2025, 12:30", dt.date(2025, 7, 17)),
        ("By Jane Doe · Jan 9, 2024 · 7 min read", dt.date(2024, 1, 9)),
        ("June 1, 2023 10:42 AM GMT+3 · Updated June 2, 2023", dt.date(2023, 6, 1)),
        ("Updated 3 June 2023 · Published 1 June 2023", dt.date(2023, 6, 1)),
        ("17:45 17.07.2025 (обновлено: 18:20 18.07.2025)", dt.date(2025, 7, 17)),
        ("2023-06-01T10:00:00+03:00", dt.date(2023, 6, 1)),
        ("Дата публикации: 2020.10.05", dt.date(2020, 10, 5)),
    ],
)
def test_date_lines_with_other_items(line: str, expected: dt.date) -> None:
    assert line_date(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "Last updated: 14 November 2025",
        "Последнее обновление: 2 сентября 2025",
        "Обновлено: 2 сентября 2025 · Наука",
        "The office opened on 1 June 2023 in Shanghai.",
        "1 June 2023 the delegation arrived in Hangzhou",
        "17 июля 2025 года делегация прибыла в Сиань",
        "Deadline: 1 June 2023",
        "Upcoming event: 15 September 2024 · Open day",
        "3 June 2024 Students win the robotics hackathon",
        "© 2013–2025 Peter the Great St. Petersburg Polytechnic University",
        "1 June 2023 · " + "a long sentence that goes on " * 6,
    ],
)
def test_lines_that_are_not_a_publication_date(line: str) -> None:
    assert line_date(line) is None


def test_a_labelled_line_needs_its_label() -> None:
    assert line_date("Дата публикации: 2020.10.05", labelled=True) == dt.date(2020, 10, 5)
    assert line_date("Posted on June 1, 2023", labelled=True) == dt.date(2023, 6, 1)
    # At the end of a text a bare date is as likely a related-news entry.
    assert line_date("3 June 2024 · Library", labelled=True) is None
