"""Which languages an embedding model covers: declared at build time, recorded in the manifest.

A model embeds only the languages it was trained on meaningfully; the packaged all-MiniLM-L6-v2
saw English alone, and gives Russian or Chinese text vectors that sit close to each other and to
nothing in particular. The retriever ranks text outside these languages by keywords alone.
"""

from __future__ import annotations

from indexer.errors import BuildError
from indexer.text.language import DETECTED

DEFAULT_LANGUAGES: tuple[str, ...] = ("en",)
ALL_LANGUAGES: tuple[str, ...] = DETECTED
# Sentence-transformers models trained to put translations close together (parallel-data
# distillation or bilingual pairs), Russian and Chinese among their languages. A name is
# matched on its last path component, so "sentence-transformers/LaBSE" and a local copy match.
KNOWN_MULTILINGUAL = frozenset(
    {
        "paraphrase-multilingual-minilm-l12-v2",
        "paraphrase-multilingual-mpnet-base-v2",
        "distiluse-base-multilingual-cased-v1",
        "distiluse-base-multilingual-cased-v2",
        "labse",
        "bge-m3",
    }
)


def parse_languages(text: str) -> tuple[str, ...]:
    """``"ru,en"`` (or ``"ru en"``) as a sorted tuple of codes; ``BuildError`` on anything unknown."""
    codes = sorted({code.strip().lower() for code in text.replace(",", " ").split() if code.strip()})
    if not codes:
        raise BuildError("model languages must name at least one of " + ", ".join(ALL_LANGUAGES))
    unknown = [code for code in codes if code not in ALL_LANGUAGES]
    if unknown:
        raise BuildError(f"unknown model language(s) {', '.join(unknown)}; use {', '.join(ALL_LANGUAGES)}")
    return tuple(codes)


def model_languages(name: str, declared: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The languages to record for model ``name``: as declared, else known, else English only."""
    if declared is not None:
        return tuple(sorted(set(declared)))
    last = name.rstrip("/").replace("\\", "/").rsplit("/", 1)[-1].lower()
    return ALL_LANGUAGES if last in KNOWN_MULTILINGUAL else DEFAULT_LANGUAGES
