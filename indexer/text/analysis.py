"""The keyword analyser: one function turning text into search terms, for indexing and queries alike.

Each word is analysed by its script, so mixed text ("визит JITRI в Сучжоу") works:

- Latin words (and numbers) as before: lower-cased, English stopwords dropped, English Snowball stem;
- Cyrillic words: lower-cased, ё read as е, Russian stopwords dropped, Russian Snowball stem;
- Han runs as overlapping character bigrams (a lone character stays a unigram). Chinese has no
  spaces; bigrams need no dictionary and find any name a segmenter would, at the cost of a few
  spurious pairs that BM25's IDF weighs down;
- acronyms (passages: ``analyse_passage``; queries: ``analyse_query``): a name written out in a
  passage ("Nanjing University of Science and Technology") also gives the term of its initials,
  ``nust~``, and a word in capitals ("NUST"), in a passage or a query, gives the same. News writes
  a partner's name out and staff ask by the short one. The ``~`` keeps these terms apart from
  words ("car" does not find "Central Asian Republics"); the answerer's term checks use
  ``analyse`` alone.

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
    index no longer needs it (indexer/store/keyword.py scores with numpy); ``stopwords.py`` is plain data.
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

ANALYZER = "polysearch-script-analyser/2"

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

# A name is a run of capitalised words, joined by spaces (or hyphens) and by these lower-case words,
# which give no letter: "University of Science and Technology" is UST.
_NAME_JOINERS = frozenset({"of", "and", "for", "the", "de", "in", "on", "at", "и"})
_NAME_GAP = re.compile(r"[\s\-‐-―]+")
ACRONYM_MARK = "~"
# Initials worth a term: two letters match too much by chance, and longer runs are titles in title case.
_ACRONYM_LETTERS = (3, 8)
# More capitalised words in a row than a name has: a heading in title case, not a name.
_NAME_WORDS = 10


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
    """The search terms of a query: ``analyse`` less the words any question is made of, then the
    acronym term of each word in capitals (a query's written-out names already match as words)."""
    topic = _QUERY_WORD.sub(lambda word: " " if word.group().lower() in _QUERY_STOPWORDS else word.group(), text)
    return [*analyse(topic), *_capitals(text)]


def _han_terms(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def analyse(text: str) -> list[str]:
    """The search terms of ``text``'s words, in order (repeats kept: BM25 counts them)."""
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


def analyse_passage(text: str) -> list[str]:
    """What the keyword index holds for a passage: its words' terms, then its acronym terms."""
    return [*analyse(text), *acronym_terms(text)]


def _acronym(word: str) -> str | None:
    if word.isalpha() and word.isupper() and _ACRONYM_LETTERS[0] <= len(word) <= _ACRONYM_LETTERS[1]:
        return f"{word.lower()}{ACRONYM_MARK}"
    return None


def _capitals(text: str) -> list[str]:
    """The acronym term of each word in capitals ("NUST" gives ``nust~``)."""
    return [term for match in _WORD.finditer(text) if (term := _acronym(match.group())) is not None]


def acronym_terms(text: str) -> list[str]:
    """A passage's acronym terms: each word in capitals, and the initials of each written-out name.

    A name is a run of capitalised words; its initials are taken over every stretch of it, so
    "The Nanjing University of Science and Technology Rector" gives ``nust~`` among others.
    """
    terms = _capitals(text)
    run: list[str] = []  # the current name's initials
    joiner_seen = False  # one joining word at a time: "of the" ends a name
    previous_end = 0
    for match in _WORD.finditer(text):
        word = match.group()
        joined = _NAME_GAP.fullmatch(text[previous_end : match.start()]) is not None
        previous_end = match.end()
        capitalised = word[0].isupper() and word[0].isalpha()
        if run and joined and capitalised:
            run.append(word[0].lower())
            joiner_seen = False
        elif run and joined and not joiner_seen and word in _NAME_JOINERS:
            joiner_seen = True
        else:
            terms.extend(_initials(run))
            run = [word[0].lower()] if capitalised else []
            joiner_seen = False
    terms.extend(_initials(run))
    return terms


def _initials(run: list[str]) -> list[str]:
    """The terms of every stretch of a name's initials that is long enough; none for title-case text."""
    low, high = _ACRONYM_LETTERS
    if len(run) > _NAME_WORDS:
        return []
    found = dict.fromkeys(
        "".join(run[start:end])
        for start in range(len(run))
        for end in range(start + low, min(len(run), start + high) + 1)
    )
    return [f"{initials}{ACRONYM_MARK}" for initials in found]


def _add(terms: list[str], word: str) -> None:
    if word:
        term = _term(word)
        if term is not None:
            terms.append(term)
