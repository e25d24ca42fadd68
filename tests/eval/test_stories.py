"""The story rules on the labelled pairs: the floors hold, the pool's variants are what their names say."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.stories.__main__ import main
from eval.stories.measure import Judged, RuleScore, below_floors, measure, read_floors, read_pairs
from eval.stories.pool import REPOST_FOOTER, REPOST_HEADER, base_articles, sentences, variant
from eval.stories.scale import lee_sentences, recombined
from indexer.build.builder import BuildOptions, build_from_articles
from indexer.build.stories.detect import detect_stories
from tests.fakes import FakeEncoder
from tests.indexer.build.stories.helpers import article


@pytest.fixture(scope="module")
def scores() -> list[RuleScore]:
    return measure(Judged.of(read_pairs()))


def test_the_rules_keep_their_floors_on_the_labelled_pairs(scores: list[RuleScore]) -> None:
    assert below_floors(scores, read_floors()) == []


def test_the_floors_would_catch_a_wrong_merge(scores: list[RuleScore]) -> None:
    near = next(s for s in scores if s.rule == "near-copy")
    worse = RuleScore(near.rule, near.pairs, near.true_pairs, near.right, near.wrong + 1)
    assert below_floors([worse], {k: v for k, v in read_floors().items() if k == "near-copy"}) != []


def test_the_labelled_set_holds_true_pairs_and_hard_negatives() -> None:
    pairs = read_pairs()
    assert sum(p.same for p in pairs) >= 20
    kinds = {p.kind for p in pairs if not p.same}
    assert {"bulletin", "digest", "same topic", "translation, hard"} <= kinds


def test_variants_are_made_as_named() -> None:
    base = base_articles()
    item = base["lee-bg-010"]
    repost = variant("lee-bg-010~repost", base)
    assert repost.body == f"{REPOST_HEADER}\n\n{item.body}\n\n{REPOST_FOOTER}"
    trimmed = variant("lee-bg-010~trimmed", base)
    assert trimmed.body == " ".join(sentences(item.body)[:-1])
    digest = variant("digest~lee-bg-010~lee-bg-020", base)
    assert digest.body.split("\n\n")[0] == " ".join(sentences(item.body)[:2])


def test_the_command_prints_the_table_and_refuses_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--gate"]) == 0
    assert "near-copy" in capsys.readouterr().out
    bad = tmp_path / "pairs.jsonl"
    bad.write_text('{"a": "lee-bg-001"}\n', encoding="utf-8")
    assert main(["--pairs", str(bad)]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_the_command_lists_an_index_s_groups(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "index"
    articles = [article("x1", "First line of an export.", story="k"), article("x2", "Second line.", story="k")]
    build_from_articles(articles, out, FakeEncoder(), BuildOptions())
    assert main(["--index", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"{out}: 1 stories with several versions\n  x1 x2\n" in printed
    assert main(["--index", str(tmp_path / "none")]) == 2


def test_recombined_real_sentences_group_only_their_reposts() -> None:
    # Articles sharing many sentences but no run of them are different stories; reposts are not.
    articles, pairs = recombined(400, lee_sentences())
    assert set(detect_stories(articles).groups()) == set(pairs) and len(pairs) == 4
