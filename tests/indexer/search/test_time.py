"""Time read from the query in search: a stated window filters (never wider than the caller's); hints, "latest" rank."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from indexer.build.builder import BuildOptions, build_index
from indexer.models import SearchFilters, TimeReading
from indexer.search.retriever import CLOSENESS_WEIGHT, RECENCY_FLOOR, RECENCY_WEIGHT, Retriever
from tests.fakes import FakeEncoder

TODAY = dt.date(2026, 6, 15)

# Three versions of one report, years apart, worded alike so relevance barely separates them.
TITLE = "Annual exchange report\n\n"
REPORTS = {
    "r2020.txt": f"{TITLE}5 March 2020 News 1\n\nThe exchange programme sent forty students abroad.",
    "r2022.txt": f"{TITLE}5 March 2022 News 1\n\nThe exchange programme sent forty-two students abroad.",
    "r2024.txt": f"{TITLE}5 March 2024 News 1\n\nThe exchange programme sent forty-five students abroad.",
    "undated.txt": "Annual exchange report\n\nThe exchange programme sent many students abroad.",
    # Unrelated news, so that relevance has a range for the reports to stand out in.
    "canteen.txt": "Canteen menu\n\n1 June 2025 News 1\n\nThe canteen serves soup and pancakes on Fridays.",
    "library.txt": "Library hours\n\n2 June 2025 News 1\n\nThe library opens at nine and closes at midnight.",
}
REPORT_IDS = {"r2020", "r2022", "r2024", "undated"}


@pytest.fixture
def reports(tmp_path: Path, fake_encoder: FakeEncoder) -> Retriever:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name, text in REPORTS.items():
        (seeds / name).write_text(text, encoding="utf-8")
    build_index(seeds, tmp_path / "index", fake_encoder, BuildOptions(chunk_tokens=64, overlap_tokens=8))
    return Retriever.open(tmp_path / "index", encoder=fake_encoder)


def articles(retriever: Retriever, text: str, **kwargs: object) -> list[str]:
    query = retriever.read(text, today=TODAY, infer_dates=bool(kwargs.pop("infer", True)))
    return [hit.passage.article_id for hit in retriever.search(query, k=10, **kwargs)]  # type: ignore[arg-type]


def test_a_stated_publication_year_filters(reports: Retriever) -> None:
    # The dated reports outside the window go; the undated one stays (it may be from any year).
    assert set(articles(reports, "exchange programme report of 2022")) == {"r2022", "undated"}
    # 2025: no dated report was published then, only the unrelated news.
    assert REPORT_IDS & set(articles(reports, "exchange programme report в прошлом году")) == {"undated"}
    found = articles(reports, "exchange programme report between 2021 and 2024")
    assert set(found) == {"r2022", "r2024", "undated"}
    assert "r2024" not in articles(reports, "exchange programme report of 2022")


def test_a_window_the_caller_sets_drops_undated_articles_and_one_read_from_the_words_keeps_them(
    reports: Retriever,
) -> None:
    # Words like "last year" or "in 2002" may name the event's time in an undated report, and an
    # undated article cannot be shown to fall outside the window; a caller's dates ask for proof.
    assert "undated" in articles(reports, "exchange programme report of 2022")
    theirs = SearchFilters(date_from=dt.date(2022, 1, 1), date_to=dt.date(2022, 12, 31))
    assert articles(reports, "exchange programme report", filters=theirs, infer=False) == ["r2022"]
    assert articles(reports, "exchange programme report of 2022", filters=theirs) == ["r2022"]


def test_without_inference_the_year_is_only_a_word(reports: Retriever) -> None:
    assert set(articles(reports, "exchange programme report of 2022", infer=False)) >= REPORT_IDS


def test_an_inferred_window_narrows_the_callers_and_never_widens_it(reports: Retriever) -> None:
    wide = SearchFilters(date_from=dt.date(2019, 1, 1), date_to=dt.date(2023, 12, 31))
    assert articles(reports, "exchange programme report of 2022", filters=wide) == ["r2022"]
    # The caller asked for 2024 only; the words say 2022: the caller's dates win, nothing wider.
    theirs = SearchFilters(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 12, 31))
    assert articles(reports, "exchange programme report of 2022", filters=theirs) == ["r2024"]
    only = SearchFilters(article_ids=frozenset({"r2020", "r2022"}))
    assert articles(reports, "exchange programme report of 2022", filters=only) == ["r2022"]
    english = SearchFilters(langs=frozenset({"ru"}))  # every report is English: the language filter stays
    assert articles(reports, "exchange programme report of 2022", filters=english) == []


def test_a_hinted_year_decides_between_equals_and_keeps_the_rest(reports: Retriever) -> None:
    # r2022 and r2024 score alike for these words (r2020 a little better): the hint puts the
    # nearer of the two first, filters nothing, and is too small to overturn r2020's lead.
    found = articles(reports, "exchange programme 2022")
    assert set(found) >= REPORT_IDS and found.index("r2022") < found.index("r2024")
    found = articles(reports, "exchange programme 2024")
    assert found.index("r2024") < found.index("r2022") and found[0] == "r2020"


def test_latest_puts_the_newest_relevant_report_first(reports: Retriever) -> None:
    plain = reports.search(reports.read("exchange programme report", today=TODAY), k=10)
    latest = articles(reports, "latest exchange programme report")
    assert plain[0].passage.article_id != "r2024"  # without "latest" it is not first
    assert latest[0] == "r2024" and latest.index("r2022") < latest.index("canteen"), latest


def test_the_boosts_are_bounded_shares_of_the_best_score(reports: Retriever) -> None:
    rows = {reports.index.passages[row].article_id: row for row in range(len(reports.index.passages))}
    fused = {rows["r2020"]: 1.0, rows["r2024"]: 0.6, rows["undated"]: 0.9, rows["r2022"]: 0.3}
    latest = reports._timed(fused, TimeReading(recency=True))
    # r2022 scores under the floor (0.3 < 0.5 x 1.0): no boost; undated: none either.
    assert latest[rows["r2022"]] == 0.3 and latest[rows["undated"]] == 0.9
    assert latest[rows["r2020"]] == 1.0  # the oldest eligible gains nothing
    assert latest[rows["r2024"]] == pytest.approx(0.6 + RECENCY_WEIGHT * 1.0)
    assert RECENCY_FLOOR * 1.0 <= 0.6
    hinted = reports._timed(fused, TimeReading(date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 12, 31)))
    assert hinted[rows["r2024"]] == pytest.approx(0.6 + CLOSENESS_WEIGHT)
    assert rows["r2020"] in hinted and hinted[rows["r2020"]] - 1.0 < CLOSENESS_WEIGHT * 0.05
    assert hinted[rows["undated"]] == 0.9
    # A stated window filtered already: it adds nothing to the order.
    assert reports._timed(fused, TimeReading(date_from=dt.date(2024, 1, 1), filter=True)) == fused


def test_ask_answers_latest_from_the_newest_report(reports: Retriever) -> None:
    from indexer.answer.answerer import Answerer

    result = Answerer(reports).ask(reports.read("How many students did the latest exchange report send?", today=TODAY))
    assert result.answer is not None and result.answer.article_id == "r2024", result
