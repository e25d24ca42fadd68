"""Language detection restricted to the archive's languages, and language tags as sources state them."""

from __future__ import annotations

import pytest

from indexer.text.language import detect_language, normalise_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Когда открылось представительство в Шанхае?", "ru"),
        ("визит JITRI в Сучжоу", "ru"),
        ("Елена Ковалёва возглавляет представительство", "ru"),
        ("When was the representative office in Shanghai opened?", "en"),
        ("JITRI", "en"),
        ("上海代表处什么时候成立的？", "zh"),
        ("苏州 JITRI 访问", "zh"),
        ("مرحبا بالعالم", "other"),
        ("こんにちは", "other"),
        ("2016", "other"),
        ("", "other"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("ru-RU", "ru"), ("EN", "en"), ("zh_Hans", "zh"), ("de", "other"), ("", None), (None, None), ("1", None)],
)
def test_normalise_language(tag: str | None, expected: str | None) -> None:
    assert normalise_language(tag) == expected
