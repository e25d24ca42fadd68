"""CI gate for stories told in two languages: the question's language comes first, and no figure drops.

One index of the English seeds, the Russian test articles and the English versions of five of
them (eval/crosslang/articles/), built with the real packaged model, with the story groups of
eval/crosslang/stories.json (and, apart, with the groups the build found itself). Russian
questions (eval/ru/questions.jsonl) and English questions about the same five stories
(eval/crosslang/questions_en.jsonl) are held to their floors, and to the target: the
question-language version first for at least 90 % of them, in the ranking and in the results
folded by story.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from eval.backends.local import LocalBackend
from eval.floors import check_floors, load_floors
from eval.questions import load_questions
from eval.runner import evaluate
from eval.scoring import Metrics
from eval.versions import StoryView, read_groups, versions_of
from indexer.build.builder import BuildOptions, build_index
from indexer.encoders.torch_backend import SentenceTransformerEncoder
from indexer.models import SEARCH_MODES
from indexer.store.reader import load_index
from tests.conftest import REPO

pytestmark = pytest.mark.model

CROSSLANG = REPO / "eval" / "crosslang"
LANG_FIRST_TARGET = 0.90
SETS = {"ru": REPO / "eval" / "ru" / "questions.jsonl", "en": CROSSLANG / "questions_en.jsonl"}


@pytest.fixture(scope="module")
def crosslang_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SentenceTransformerEncoder]:
    """The seeds, the Russian articles and the English versions, built once with the real model."""
    corpus = tmp_path_factory.mktemp("crosslang")
    for folder in (REPO / "seeds", REPO / "eval" / "ru" / "articles", CROSSLANG / "articles"):
        for article in sorted(folder.glob("*.txt")):
            shutil.copy(article, corpus / article.name)
    encoder = SentenceTransformerEncoder()
    out = tmp_path_factory.mktemp("crosslang-index") / "index"
    build_index(corpus, out, encoder, BuildOptions())
    return out, encoder


def test_the_question_language_version_comes_first(crosslang_index: tuple[Path, SentenceTransformerEncoder]) -> None:
    index, encoder = crosslang_index
    backend = LocalBackend.open(index, encoder=encoder)
    stories = read_groups(CROSSLANG / "stories.json")
    view = StoryView.of(stories, backend.article_langs(sorted(versions_of(stories))))

    for lang, path in SETS.items():
        questions = load_questions(path)
        evaluation = evaluate(backend, questions, modes=SEARCH_MODES, k=10, stories=view)
        metrics: dict[str, Metrics] = {mode: run.metrics for mode, run in evaluation.runs.items()}
        assert check_floors(metrics, load_floors(CROSSLANG / f"floors_{lang}.json")) == [], (lang, metrics)
        hybrid = metrics["hybrid"]
        # Every answerable question of the set is about a story told in both languages but ru_006's.
        assert hybrid["n_lang_first"] == sum(q.answerable and "ru_006" not in q.doc_ids[0] for q in questions)
        for name in ("lang_first", "lang_first_folded"):
            value = hybrid[name]
            assert value is not None and value >= LANG_FIRST_TARGET, (lang, name, value)


def test_the_build_finds_the_translations_itself(crosslang_index: tuple[Path, SentenceTransformerEncoder]) -> None:
    # No declared link: the files state neither language nor story, so the groups are the build's own.
    index, encoder = crosslang_index
    found = load_index(index).stories
    declared = read_groups(CROSSLANG / "stories.json").groups()
    # Precision first: every group found is a declared one; four of the five are found (the
    # summer school's two versions share too few numbers and names).
    assert set(found.groups()) <= set(declared) and len(found.groups()) >= 4, found.groups()
    backend = LocalBackend.open(index, encoder=encoder)
    view = StoryView.of(found, backend.article_langs(sorted(versions_of(found))))
    for path in SETS.values():
        hybrid = evaluate(backend, load_questions(path), modes=("hybrid",), k=10, stories=view).runs["hybrid"].metrics
        for name in ("lang_first", "lang_first_folded"):
            value = hybrid[name]
            assert value is not None and value >= LANG_FIRST_TARGET, (path.name, name, value)
