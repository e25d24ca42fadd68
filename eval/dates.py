"""Page dates scored: how many pages of a labelled corpus get the right date, title and text start.

``python -m eval.dates [FOLDER]`` reads ``FOLDER/expected.json`` (``{"page.html": {"title",
"date", "first_words", "lang", "url"?}}``; default: the layout corpus under
``tests/indexer/sources/layouts``), extracts every page as a sync would, and prints one line per
page plus the share dated right. For comparison it also prints the date trafilatura and htmldate
give on their own for the whole page (``--compare``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import htmldate
import msgspec
import trafilatura

from indexer.errors import ArticleReadError
from indexer.sources.pages import extract_page

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "tests" / "indexer" / "sources" / "layouts"


class Expected(msgspec.Struct, frozen=True, kw_only=True):
    """What a reader of the page sees: its title, publication date and first words of text."""

    title: str
    date: str | None
    first_words: str
    lang: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class PageScore:
    """One page: what was expected and what came out."""

    name: str
    expected: Expected
    date: str | None
    date_source: str | None
    title: str
    body_start: str

    @property
    def date_right(self) -> bool:
        return self.date == self.expected.date

    @property
    def title_right(self) -> bool:
        return self.title == self.expected.title

    @property
    def body_right(self) -> bool:
        return self.body_start.startswith(self.expected.first_words)


def load_corpus(folder: Path) -> dict[str, Expected]:
    """The labels of a corpus folder: page file name -> what it should give."""
    return msgspec.json.decode((folder / "expected.json").read_bytes(), type=dict[str, Expected])


def score_page(folder: Path, name: str, expected: Expected) -> PageScore:
    try:
        page = extract_page((folder / name).read_bytes(), url=expected.url)
    except ArticleReadError:
        return PageScore(name, expected, None, None, "", "")
    return PageScore(name, expected, page.date, page.date_source, page.title, page.body[:200])


def score_corpus(folder: Path = DEFAULT_CORPUS) -> list[PageScore]:
    """Every page of the corpus scored, in file-name order."""
    return [score_page(folder, name, expected) for name, expected in sorted(load_corpus(folder).items())]


def dated_share(scores: list[PageScore]) -> float:
    """The share of pages whose date is right (an expected ``null`` is right when none is found)."""
    return sum(score.date_right for score in scores) / len(scores) if scores else 0.0


def _library_dates(path: Path, url: str | None) -> tuple[str | None, str | None]:
    """The dates trafilatura and htmldate give for the whole page on their own."""
    html = path.read_bytes().decode("utf-8", errors="replace")
    document = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    found = htmldate.find_date(html, url=url)
    return (getattr(document, "date", None) if document is not None else None), (str(found) if found else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.dates", description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--compare", action="store_true", help="also print trafilatura's and htmldate's own dates")
    args = parser.parse_args(argv)
    try:
        scores = score_corpus(args.folder)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        print(f"error: cannot read the corpus in {args.folder}: {exc}", file=sys.stderr)
        return 2
    for score in scores:
        marks = " ".join(
            f"{what}={'ok' if right else 'XX'}"
            for what, right in (("date", score.date_right), ("title", score.title_right), ("text", score.body_right))
        )
        line = f"{score.name:24} {marks} got={score.date} ({score.date_source}) expected={score.expected.date}"
        if args.compare:
            traf, html = _library_dates(args.folder / score.name, score.expected.url)
            line += f" trafilatura={traf} htmldate={html}"
        print(line)
    right = sum(score.date_right for score in scores)
    print(f"dated right: {right}/{len(scores)} = {dated_share(scores):.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
