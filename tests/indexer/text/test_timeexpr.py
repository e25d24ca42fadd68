"""Time in a query: publication windows become filters, hints rank by closeness, topic dates stay words."""

from __future__ import annotations

import datetime as dt

import pytest

from indexer.text.timeexpr import read_time

TODAY = dt.date(2026, 6, 15)  # a Monday


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.mark.parametrize(
    ("query", "date_from", "date_to", "words"),
    [
        ("what did the rector say at the 2019 graduation", "2019-01-01", "2019-12-31", "2019"),
        ("news about the summer school in 2024", "2024-01-01", "2024-12-31", "2024"),
        ("что писали о приёмной кампании в 2023 году", "2023-01-01", "2023-12-31", "2023 году"),
        ("новости 2021 года о форуме", "2021-01-01", "2021-12-31", "2021 года"),
        ("articles between 2020 and 2022 on robotics", "2020-01-01", "2022-12-31", "between 2020 and 2022"),
        ("from 2019 to 2021 exchange programmes", "2019-01-01", "2021-12-31", "from 2019 to 2021"),
        ("что писали о стажировках с 2020 по 2022 год", "2020-01-01", "2022-12-31", "с 2020 по 2022 год"),
        ("новости между 2018 и 2019 годами", "2018-01-01", "2019-12-31", "между 2018 и 2019 годами"),
        ("конференции в 2020-2022 годах", "2020-01-01", "2022-12-31", "в 2020-2022 годах"),
        ("news of June 2023 about Hangzhou", "2023-06-01", "2023-06-30", "June 2023"),
        ("что писали в октябре 2024 года об энергетике", "2024-10-01", "2024-10-31", "октябре 2024 года"),
        ("новости за февраль 2024", "2024-02-01", "2024-02-29", "февраль 2024"),
        ("news in spring 2025 about Harbin", "2025-03-01", "2025-05-31", "in spring 2025"),
        ("весной 2025 года что нового", "2025-03-01", "2025-05-31", "весной 2025 года"),
        ("news from winter 2025", "2024-12-01", "2025-02-28", "winter 2025"),
        ("what was published on 24 May 2024 about Nanjing", "2024-05-24", "2024-05-24", "24 May 2024"),
        ("новость от 17.07.2025 о лаборатории", "2025-07-17", "2025-07-17", "17.07.2025"),
    ],
)
def test_a_stated_publication_time_becomes_a_filter(query: str, date_from: str, date_to: str, words: str) -> None:
    reading = read_time(query, TODAY)
    assert (reading.date_from, reading.date_to) == (d(date_from), d(date_to))
    assert reading.filter and not reading.recency
    assert reading.text is not None and reading.text.lower().replace("ё", "е") == words.lower()


@pytest.mark.parametrize(
    ("query", "date_from", "date_to"),
    [
        ("news from last year", "2025-01-01", "2025-12-31"),
        ("что писали о приёмной кампании в прошлом году", "2025-01-01", "2025-12-31"),
        ("this year's graduation", "2026-01-01", "2026-12-31"),
        ("новости этого года", "2026-01-01", "2026-12-31"),
        ("в позапрошлом году", "2024-01-01", "2024-12-31"),
        ("last month", "2026-05-01", "2026-05-31"),
        ("в этом месяце", "2026-06-01", "2026-06-30"),
        ("на прошлой неделе", "2026-06-08", "2026-06-14"),
        ("yesterday's news", "2026-06-14", "2026-06-14"),
        ("this spring", "2026-03-01", "2026-05-31"),
        ("last summer", "2025-06-01", "2025-08-31"),  # June 2026: this summer has not ended
        ("прошлой осенью", "2025-09-01", "2025-11-30"),
        ("этой зимой", "2025-12-01", "2026-02-28"),
        ("in the past 3 months", "2026-03-15", "2026-06-15"),
        ("за последние 2 года", "2024-06-15", "2026-06-15"),
        ("за последний месяц", "2026-05-15", "2026-06-15"),
        ("2 years ago", "2024-01-01", "2024-12-31"),
        ("3 года назад", "2023-01-01", "2023-12-31"),
    ],
)
def test_relative_expressions_resolve_against_today(query: str, date_from: str, date_to: str) -> None:
    reading = read_time(query, TODAY)
    assert (reading.date_from, reading.date_to, reading.filter) == (d(date_from), d(date_to), True)


def test_last_season_after_it_ended_is_this_years() -> None:
    reading = read_time("what happened last summer", dt.date(2025, 9, 1))
    assert (reading.date_from, reading.date_to) == (d("2025-06-01"), d("2025-08-31"))


def test_the_same_words_read_against_another_day_give_another_window() -> None:
    assert read_time("в прошлом году", dt.date(2020, 3, 1)).date_from == d("2019-01-01")
    assert read_time("в прошлом году", dt.date(2024, 3, 1)).date_from == d("2023-01-01")


@pytest.mark.parametrize(
    "query",
    [
        "the university founded in 1899",
        "the Olympics-80 stadium",
        "the 2030 strategy",
        "Strategy 2030 goals",
        "Priority-2030 programme",
        "стратегия развития до 2030 года",
        "университет, основанный в 1899 году",
        "which conference has been running since 2001",
        "с 2001 года проводится конференция",
        "where will the forum be held in 2027",
        "где пройдёт форум в 2026 году",
        "летняя школа в июле 2026 года",
        "where did Haier and the university sign the agreement in 2023",
        "где Политех и Haier подписали соглашение в 2023 году",
        "when did the university open an office in Shanghai in 2016",
        "в каком году открылось представительство",
        "who proclaimed 2024 and 2025 the Years of Culture",
        "the 100th anniversary of 1924",
    ],
)
def test_a_date_that_is_the_topic_is_no_filter(query: str) -> None:
    assert not read_time(query, TODAY).filter


@pytest.mark.parametrize(
    ("query", "year"),
    [("summer school 2023 winners", 2023), ("ATURC-2022 summit", 2022), ("rector 2019 speech", 2019)],
)
def test_a_bare_year_only_hints(query: str, year: int) -> None:
    reading = read_time(query, TODAY)
    assert not reading.filter
    assert (reading.date_from, reading.date_to) == (dt.date(year, 1, 1), dt.date(year, 12, 31))


def test_a_day_date_without_a_publication_word_only_hints() -> None:
    reading = read_time("the delegation that came on 23 May 2024", TODAY)
    assert not reading.filter and reading.date_from == reading.date_to == d("2024-05-23")


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("the newest news about the summer school", "newest"),
        ("latest news on admissions", "latest"),
        ("most recent article about JITRI", "most recent"),
        ("последние новости о летней школе", "последние"),
        ("свежие новости", "свежие"),
        ("что недавно писали о форуме", "недавно"),
        ("recently signed agreements", "recently"),
    ],
)
def test_latest_is_read_as_recency_without_a_window(query: str, words: str) -> None:
    reading = read_time(query, TODAY)
    assert reading.recency and reading.date_from is None and not reading.filter
    assert reading.text == words


@pytest.mark.parametrize("query", ["в последний раз", "last year", "за последние 3 месяца", "the last lecture"])
def test_last_and_последний_before_a_span_are_not_recency(query: str) -> None:
    assert not read_time(query, TODAY).recency


def test_recency_and_a_window_together() -> None:
    reading = read_time("the latest news of 2024", TODAY)
    assert reading.recency and reading.filter and reading.date_from == d("2024-01-01")
    assert reading.text == "2024 latest"


@pytest.mark.parametrize("query", ["who heads the Shanghai office", "68 universities", "room 1203", "12345 students"])
def test_no_time_reads_as_empty(query: str) -> None:
    reading = read_time(query, TODAY)
    assert reading.is_empty and reading.text is None and not reading.filter


def test_future_windows_never_filter() -> None:
    assert not read_time("news of 2031", TODAY).filter
    assert not read_time("between 2027 and 2029", TODAY).filter


def test_reading_is_a_pure_function_of_text_and_day() -> None:
    first = read_time("что писали весной 2025 года", TODAY)
    assert read_time("что писали весной 2025 года", TODAY) == first
