"""The languages recorded for an embedding model."""

from __future__ import annotations

import pytest

from indexer.errors import BuildError
from indexer.text.coverage import model_languages, parse_languages


def test_declared_known_and_default_languages() -> None:
    assert model_languages("sentence-transformers/all-MiniLM-L6-v2") == ("en",)
    assert model_languages("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2") == ("en", "ru", "zh")
    assert model_languages("/models/LaBSE/") == ("en", "ru", "zh")
    assert model_languages("/models/anything", ("ru", "en")) == ("en", "ru")


def test_parse_languages() -> None:
    assert parse_languages("ru, en") == ("en", "ru")
    assert parse_languages("zh en ru") == ("en", "ru", "zh")
    with pytest.raises(BuildError, match="unknown model language"):
        parse_languages("ru,fr")
    with pytest.raises(BuildError, match="at least one"):
        parse_languages(" , ")
