from __future__ import annotations

import logging
from pathlib import Path

import pytest

from indexer.errors import ArticleReadError
from indexer.sources.articles import read_article, read_articles
from tests.conftest import SEEDS

EXPECTED = {
    "000_7a98eeee1861e3cd": (
        "SPbPU and colleagues from China will establish a Center for Smart Materials and Intelligent Technologies",
        "2023-06-01",
    ),
    "001_beaca05ca1d529df": (
        "SPbPU signs cooperation agreement with Nanjing University of Science and Technology",
        "2024-05-24",
    ),
    "002_a033d0d0b69a656a": ("September Digest from the SPbPU Representative Office in Shanghai", "2020-10-05"),
    "003_81355e64a07f423b": ("Polytechnic University at the Fifth ATURC-2022 Summit", "2022-06-10"),
    "004_65cc03ef8546c71e": (
        "Chinese-Russian cooperation reaches new heights: JITRI and TSARI delegation visits "
        "St. Petersburg Polytechnic University",
        "2025-07-17",
    ),
}
BOILERPLATE = (
    "Print version",
    ">>Перейти к новости",
    ">>Перейти ко всем новостям",
    "Дата публикации",
    "International activities",
)


@pytest.mark.parametrize("article_id", sorted(EXPECTED))
def test_each_seed_has_its_title_and_date(article_id: str) -> None:
    article = read_article(SEEDS / f"{article_id}.txt")
    assert (article.title, article.date) == EXPECTED[article_id]
    assert article.id == article_id


@pytest.mark.parametrize("article_id", sorted(EXPECTED))
def test_seed_bodies_have_no_boilerplate_title_or_header(article_id: str) -> None:
    article = read_article(SEEDS / f"{article_id}.txt")
    for marker in BOILERPLATE:
        assert marker not in article.body
    assert not article.body.startswith(article.title)
    assert article.body == article.body.strip()


def test_body_keeps_article_text() -> None:
    article = read_article(SEEDS / "000_7a98eeee1861e3cd.txt")
    assert "In April 2016, a representative office of our university was established in Shanghai" in article.body


def test_markdown_heading_and_md_suffix(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("\n\n## Heading here\n\nBody text.\n", encoding="utf-8")
    article = read_article(path)
    assert (article.id, article.title, article.date, article.body) == ("note", "Heading here", None, "Body text.")


def test_dated_line_later_in_body_is_text_not_a_header(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Title\n\nIntro paragraph.\n\n1 June 2023 the delegation arrived.\n", encoding="utf-8")
    article = read_article(path)
    assert article.date is None
    assert "1 June 2023 the delegation arrived." in article.body


def test_impossible_dates_are_not_dates(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Title\n31 February 2023 News 5\nBody.\nДата публикации: 2020.13.40\n", encoding="utf-8")
    assert read_article(path).date is None


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty"), (b"   \n\n  ", "empty"), (b"Title \xff\xfe broken", "UTF-8"), (b"Only a title\n", "no body")],
)
def test_unusable_files_raise_naming_the_file(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ArticleReadError, match=reason) as info:
        read_article(path)
    assert "bad.txt" in str(info.value)


def test_build_skips_bad_files_with_a_warning(tiny_seeds: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tiny_seeds / "empty.txt").write_bytes(b"")
    (tiny_seeds / "latin1.txt").write_bytes("Caf\xe9 title\nBody".encode("latin-1"))
    (tiny_seeds / "ignored.pdf").write_bytes(b"%PDF")
    unreadable = tiny_seeds / "dir.txt"
    unreadable.mkdir()
    with caplog.at_level(logging.WARNING, logger="indexer"):
        ids = [a.id for a in read_articles(tiny_seeds)]
    assert ids == ["a_shanghai", "b_summit", "c_weatherless"]
    skipped = {getattr(record, "file", None) for record in caplog.records if record.getMessage() == "article_skipped"}
    assert skipped == {"empty.txt", "latin1.txt"}
