"""The keyword analyser: one function turning text into search terms, for indexing and queries alike.

Each word is analysed by its script, so mixed text ("визит JITRI в Сучжоу") works:

- Latin words (and numbers) as before: lower-cased, English stopwords dropped, English Snowball stem;
- Cyrillic words: lower-cased, ё read as е, Russian stopwords dropped, Russian Snowball stem;
- Han runs as overlapping character bigrams (a lone character stays a unigram). Chinese has no
  spaces; bigrams need no dictionary and find any name a segmenter would, at the cost of a few
  spurious pairs that BM25's IDF weighs down.

``ANALYZER`` names this behaviour; the index manifest records it, so changing any rule here
(bump the version) makes the next build write a new keyword index.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import threading
from types import ModuleType

import Stemmer

from indexer.text.language import script_of


def _bm25s_stopwords() -> ModuleType:
    """bm25s's stopword lists (NLTK's), without importing the bm25s package.

    Its ``__init__`` imports numba and scipy, about 0.8 s of every service start, and the keyword
    index no longer needs it (indexer/keyword.py scores with numpy); ``stopwords.py`` is plain data.
    """
    package = importlib.util.find_spec("bm25s")  # a top-level spec: found, not imported
    if package is None or not package.submodule_search_locations:
        raise ImportError("bm25s is not installed")
    location = f"{next(iter(package.submodule_search_locations))}/stopwords.py"
    spec = importlib.util.spec_from_file_location("indexer.text._bm25s_stopwords", location)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot read {location}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_STOPWORD_LISTS = _bm25s_stopwords()
STOPWORDS_EN: tuple[str, ...] = tuple(_STOPWORD_LISTS.STOPWORDS_EN)
STOPWORDS_EN_PLUS: tuple[str, ...] = tuple(_STOPWORD_LISTS.STOPWORDS_EN_PLUS)
STOPWORDS_RUSSIAN: tuple[str, ...] = tuple(_STOPWORD_LISTS.STOPWORDS_RUSSIAN)

ANALYZER = "polysearch-script-analyser/1"

_WORD = re.compile(r"\w+")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_ENGLISH_STOPWORDS = frozenset(STOPWORDS_EN)
# The common Russian list, less the number words: "сколько" questions are answered by them.
_RUSSIAN_STOPWORDS = frozenset(w.replace("ё", "е") for w in STOPWORDS_RUSSIAN) - {"один", "два", "три"}
# Words a query is made of besides its topic: question words, auxiliaries, pronouns (the common
# 179-word English list, plus "whose"). Passages keep them (the index is unchanged); a query drops
# them, since in an archive of other news "what", "does" and "has" are rare enough to outweigh the
# topic: "What does TSARI stand for?" ranked three encyclopedia pages above the one with TSARI.
_QUERY_STOPWORDS = frozenset(STOPWORDS_EN_PLUS) | {"whose"}
_QUERY_WORD = re.compile(r"\w+(?:['’]\w+)?")
_local = threading.local()


def _stemmer(language: str) -> Stemmer.Stemmer:
    # PyStemmer objects keep a cache and are not safe to share between threads.
    stemmers: dict[str, Stemmer.Stemmer] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    if language not in stemmers:
        stemmers[language] = Stemmer.Stemmer(language)
    return stemmers[language]


@functools.lru_cache(maxsize=262_144)
def _term(word: str) -> str | None:
    """The term one lower-cased, non-Han word becomes, or ``None`` for a stopword or a lone letter."""
    if len(word) < 2:
        return None
    if any(script_of(char) == "cyrillic" for char in word):
        word = word.replace("ё", "е")
        return None if word in _RUSSIAN_STOPWORDS else str(_stemmer("russian").stemWord(word))
    if word in _ENGLISH_STOPWORDS:
        return None
    if all(char.isascii() or script_of(char) == "latin" for char in word):
        return str(_stemmer("english").stemWord(word))
    return word


def analyse_query(text: str) -> list[str]:
    """The search terms of a query: ``analyse`` less the words any question is made of."""
    return analyse(
        _QUERY_WORD.sub(lambda word: " " if word.group().lower() in _QUERY_STOPWORDS else word.group(), text)
    )


def _han_terms(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def analyse(text: str) -> list[str]:
    """The search terms of ``text``, in order (repeats kept: BM25 counts them)."""
    terms: list[str] = []
    for match in _WORD.finditer(text.lower()):
        word = match.group()
        cursor = 0
        for han in _HAN_RUN.finditer(word):
            _add(terms, word[cursor : han.start()])
            terms.extend(_han_terms(han.group()))
            cursor = han.end()
        _add(terms, word[cursor:])
    return terms


def _add(terms: list[str], word: str) -> None:
    if word:
        term = _term(word)
        if term is not None:
            terms.append(term)
