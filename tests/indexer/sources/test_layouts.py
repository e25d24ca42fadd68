"""Pages laid out by common CMS templates and the university's own: title, date and text start right.

The corpus is ``layouts/`` (one HTML page per layout, English and Russian, with sidebars,
footers, "last updated" lines, comments and related-news lists that carry other dates) and
``layouts/expected.json`` (what a reader of each page sees). A deck or subtitle printed under
the heading (Ghost's excerpt, Substack's subtitle) is the text's first paragraph; a heading
repeated in the text, a kicker above it, the date line and counters are not.
``python -m eval.dates`` prints the same figures.
"""

from __future__ import annotations

import pytest

from eval.dates import DEFAULT_CORPUS, dated_share, load_corpus, score_corpus
from indexer.sources.pages import extract_page
from indexer.text.dates import line_date

CORPUS = load_corpus(DEFAULT_CORPUS)
# Layouts the corpus must keep: each CMS template named in docs/sync.md, in English and Russian.
LAYOUTS = {
    "university-en", "university-ru", "wordpress-en", "drupal-ru", "joomla-en", "bitrix-ru", "ghost-en",
    "medium-en", "blogger-ru", "hugo-en", "jekyll-ru", "news-agency-en", "news-agency-ru", "mediawiki-en",
    "wordpress-ru", "substack-en", "dle-ru", "tables-ru", "squarespace-en", "press-release-en",
}  # fmt: skip


def test_the_corpus_holds_every_layout() -> None:
    assert {name.removesuffix(".html") for name in CORPUS} >= LAYOUTS
    assert {expected.lang for expected in CORPUS.values()} >= {"en", "ru"}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_layout_gives_title_date_and_text_start(name: str) -> None:
    expected = CORPUS[name]
    page = extract_page((DEFAULT_CORPUS / name).read_bytes(), url=expected.url)
    assert (page.title, page.date, page.lang) == (expected.title, expected.date, expected.lang)
    assert page.body.startswith(expected.first_words), page.body[:200]
    # The date line is not text: no paragraph of the body is one.
    assert all(line_date(paragraph) is None for paragraph in page.body.split("\n\n"))


def test_at_least_95_percent_of_the_corpus_is_dated_right() -> None:
    scores = score_corpus(DEFAULT_CORPUS)
    wrong = [
        f"{s.name}: got {s.date} ({s.date_source}), expected {s.expected.date}" for s in scores if not s.date_right
    ]
    share = dated_share(scores)
    print(f"dated right: {share:.1%} of {len(scores)} pages")
    assert share >= 0.95, "dated wrong:\n" + "\n".join(wrong)
