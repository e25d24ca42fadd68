"""Translations: shared numbers, Latin names and urls plus close dates; blocking finds what every pair would."""

from __future__ import annotations

import itertools
import random

from indexer.build.stories.anchors import (
    anchors_of,
    document_frequency,
    is_translation,
    numbers,
    translation_pairs,
)
from indexer.models import Article
from tests.indexer.build.stories.helpers import article

EN = (
    "SPbPU and JITRI will open a joint additive manufacturing laboratory in Suzhou. Twelve researchers, "
    "12 in all, will work there from January 2026; the Chinese side gives 30 million yuan over five years. "
    "The laboratory prints parts from heat-resistant alloys; details at https://jitri.example/lab-2026."
)
RU = (
    "Политех и JITRI откроют в Сучжоу совместную лабораторию аддитивных технологий. В ней будут работать 12 "
    "исследователей, первые проекты стартуют в январе 2026 года; китайская сторона выделит 30 миллионов юаней. "
    "Подробности: https://jitri.example/lab-2026."
)
OTHER_RU = (
    "В Политехе прошёл энергетический форум с участием State Grid: около 300 участников, соглашение о подготовке "
    "40 инженеров в год, первая группа начнёт обучение в марте 2025 года."
)


def _pool(*extra: Article) -> list[Article]:
    # Filler articles make the archive statistics of a realistic size: JITRI is rare among them.
    filler = [article(f"f{i:02d}", f"News item {i} about the university and its 2025 plans.") for i in range(40)]
    return [*filler, *extra]


def _judge(a: Article, b: Article) -> bool:
    items = [anchors_of(x) for x in _pool(a, b)]
    return is_translation(anchors_of(a), anchors_of(b), document_frequency(items), len(items))


def test_numbers_are_written_one_way() -> None:
    assert numbers("2,150 students and 2 150 more, 1,5 times, May 23, 2024, 7 days") == {
        "2150",
        "1.5",
        "23",
        "2024",
    }


def test_a_translation_published_within_days_is_one_story() -> None:
    en = article("en", EN, date="2025-07-17")
    ru = article("ru", RU, date="2025-07-18", lang="ru")
    assert _judge(en, ru)
    assert translation_pairs(_pool(ru, en)) == [("en", "ru")]


def test_dates_far_apart_unknown_dates_or_languages_and_one_language_never_merge() -> None:
    en = article("en", EN, date="2025-07-17")
    assert not _judge(en, article("ru", RU, date="2025-07-25", lang="ru"))
    assert not _judge(en, article("ru", RU, date=None, lang="ru"))
    assert not _judge(en, article("ru", RU, date="2025-07-17", lang=None))
    assert not _judge(en, article("en2", RU, date="2025-07-17", lang="en"))


def test_a_different_item_of_the_same_day_sharing_a_name_is_not_a_translation() -> None:
    en = article("en", EN, date="2025-10-22")
    assert not _judge(en, article("ru", OTHER_RU, date="2025-10-22", lang="ru"))
    only_name = "Делегация JITRI посетила Политех; стороны обсудили стажировки."
    assert not _judge(en, article("ru", only_name, date="2025-10-22", lang="ru"))


def _generated() -> list[Article]:
    """Stories told in English and Russian, some versions edited or published days apart, names reused."""
    rng = random.Random(3)
    names = [f"Q{a}{b}X" for a in "ABCDEFG" for b in "KLMN"]
    articles = []
    for story in range(30):
        anchors = rng.sample(names, 2) + [str(rng.randint(100, 999)) for _ in range(4)]
        day = rng.randint(1, 20)
        for lang, offset in (("en", 0), ("ru", rng.randint(0, 5))):
            told = [rng.choice(names) if rng.random() < 0.2 else x for x in anchors]
            filler = "Новости университета" if lang == "ru" else "University news"
            articles.append(
                article(
                    f"s{story:02d}{lang}",
                    f"{filler}: " + ", ".join(told) + ".",
                    date=f"2025-07-{day + offset:02d}",
                    lang=lang,
                )
            )
    return articles


def test_blocking_finds_every_pair_an_exhaustive_comparison_finds() -> None:
    articles = _generated()
    items = [anchors_of(a) for a in articles]
    df = document_frequency(items)
    rare = max(3, len(items) // 50)
    expected = sorted(
        (a.id, b.id)
        for a, b in itertools.combinations(items, 2)
        if is_translation(a, b, df, len(items)) and any(df[x] <= rare for x in a.kept & b.kept)
    )
    # Not vacuous: some stories found, some missed (edited or published too late).
    assert 3 <= len(expected) < 30
    assert translation_pairs(articles) == expected
