"""stories.json in each version: written by builds, checked like every file, loaded, kept by merges, restricted."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from indexer.build.builder import BuildOptions, build_from_articles
from indexer.build.stories.detect import STORY_RULES
from indexer.build.sync import _up_to_date
from indexer.errors import IndexCorruptError
from indexer.models import Article, Manifest
from indexer.sources.articles import read_articles
from indexer.store.layout import MANIFEST, STORIES, VERSION_PREFIX, live_version_dir, switch_current
from indexer.store.merging import merge_once
from indexer.store.reader import load_index, verify_index
from indexer.store.tables import ArticleMeta
from indexer.store.writer import index_version
from tests.fakes import FakeEncoder
from tests.indexer.build.stories.helpers import article, seed_bodies

OPTIONS = BuildOptions()


def _articles() -> list[Article]:
    bodies = seed_bodies()
    first = sorted(bodies)[0]
    return [
        *(article(i, b) for i, b in sorted(bodies.items())),
        article("repost", f"Reposted.\n\n{bodies[first]}\n\nShare this."),
        article("x1", "First line of an export about the new lab.", story="k"),
        article("x2", "Second line of an export about the new lab.", story="k"),
    ]


def _build(articles: list[Article], out: Path) -> None:
    build_from_articles(articles, out, FakeEncoder(), OPTIONS)


def test_a_build_writes_the_groups_and_a_load_reads_them(tmp_path: Path) -> None:
    out = tmp_path / "index"
    _build(_articles(), out)
    index = load_index(out)
    first = sorted(seed_bodies())[0]
    assert index.stories.groups() == ((first, "repost"), ("x1", "x2"))
    assert index.stories.versions("x2") == ("x1", "x2")
    assert index.manifest.stories == STORY_RULES and STORIES in index.manifest.files
    assert verify_index(out).stories == 2
    assert json.loads((index.directory / STORIES).read_bytes()) == {"groups": [[first, "repost"], ["x1", "x2"]]}


def test_the_file_has_the_same_bytes_whatever_order_the_articles_came_in(tmp_path: Path) -> None:
    articles = _articles()
    _build(articles, tmp_path / "a")
    _build(articles[::-1], tmp_path / "b")
    a, b = (live_version_dir(tmp_path / n) / STORIES for n in ("a", "b"))
    assert a.read_bytes() == b.read_bytes()


def test_a_damaged_file_is_refused_like_any_other(tmp_path: Path) -> None:
    out = tmp_path / "index"
    _build(_articles(), out)
    path = live_version_dir(out) / STORIES
    path.write_bytes(path.read_bytes().replace(b"x1", b"x9"))
    with pytest.raises(IndexCorruptError, match="checksum"):
        load_index(out)


def _as_before_stories(out: Path) -> None:
    """The live version as a polysearch without story groups wrote it: no file, no rules in the manifest,
    a content version fingerprinted without them, in the folder named after it."""
    version = live_version_dir(out)
    manifest = msgspec.json.decode((version / MANIFEST).read_bytes(), type=Manifest)
    files = {k: v for k, v in manifest.files.items() if k != STORIES}
    fingerprint = index_version(manifest.model, manifest.chunking, manifest.articles, manifest.dense_requested)
    older = msgspec.structs.replace(manifest, files=files, stories=None, version=fingerprint)
    (version / MANIFEST).write_bytes(msgspec.json.encode(older))
    (version / STORIES).unlink()
    version.rename(out / f"{VERSION_PREFIX}{fingerprint}")
    switch_current(out, f"{VERSION_PREFIX}{fingerprint}")


def test_an_older_version_loads_alone_and_the_next_build_groups_it(tmp_path: Path) -> None:
    out = tmp_path / "index"
    articles = _articles()
    _build(articles, out)
    _as_before_stories(out)
    assert load_index(out).stories.groups() == ()
    report = build_from_articles(articles, out, FakeEncoder(), OPTIONS)
    # Nothing re-encoded: only the groups were missing.
    assert report.written and report.encoded == 0 and report.stories == 2
    assert len(load_index(out).stories.groups()) == 2


def test_a_removed_version_leaves_its_story(tmp_path: Path) -> None:
    out = tmp_path / "index"
    articles = _articles()
    _build(articles, out)
    _build([a for a in articles if a.id != "x2"], out)
    groups = load_index(out).stories.groups()
    assert len(groups) == 1 and "x1" not in {a for g in groups for a in g}


def test_a_merge_keeps_the_groups(tmp_path: Path) -> None:
    out = tmp_path / "index"
    articles = _articles()
    _build(articles[:3], out)
    _build(articles, out)
    before = load_index(out)
    stored = (before.directory / STORIES).read_bytes()
    assert len(before.manifest.segments) == 2
    report = merge_once(out, everything=True)
    assert report is not None
    after = load_index(out)
    assert len(after.manifest.segments) == 1 and after.directory != before.directory
    assert after.stories == before.stories and after.manifest.stories == STORY_RULES
    assert (after.directory / STORIES).read_bytes() == stored


def test_stored_articles_keep_what_they_declare_and_older_records_read_without_it(tmp_path: Path) -> None:
    out = tmp_path / "index"
    declared = article(
        "en", "A page with a Russian version.", url="https://u.example/en", alternates=("https://u.example/ru",)
    )
    _build([*_articles(), declared], out)
    index = load_index(out)
    assert index.articles["x1"].story == "k" and index.articles["en"].alternates == ("https://u.example/ru",)
    older = b'["a","Title",null,"a.txt","hash",null,"en",null,0,4]'
    meta = msgspec.json.decode(older, type=ArticleMeta)
    assert meta.alternates == () and meta.story is None


def test_a_sync_rebuilds_an_index_whose_groups_came_from_other_rules(tmp_path: Path) -> None:
    out = tmp_path / "index"
    articles = _articles()
    _build(articles, out)
    assert _up_to_date(out, articles, "fake-encoder", OPTIONS) is not None
    _as_before_stories(out)
    assert _up_to_date(out, articles, "fake-encoder", OPTIONS) is None


CROSSLANG = Path(__file__).resolve().parents[3] / "eval" / "crosslang" / "articles"
RU = Path(__file__).resolve().parents[3] / "eval" / "ru" / "articles"


def test_a_folder_build_pairs_translations_whose_languages_no_source_stated(tmp_path: Path) -> None:
    # Files state no language: the build detects it, for fresh articles now and for unchanged
    # ones from their stored records, and the translation rule needs it on both sides.
    articles = [*read_articles(CROSSLANG), *read_articles(RU)]
    assert {a.lang for a in articles} == {None}
    out = tmp_path / "index"
    _build(articles, out)
    found = load_index(out).stories.groups()
    assert len(found) >= 3, found
    assert all(len(g) == 2 and g[0].replace("en_", "ru_") == g[1] for g in found), found
    # The next build encodes only the new article; the pairs come from the stored languages.
    _build([*articles, article("x1", "An unrelated export line about a concert.")], out)
    assert load_index(out).stories.groups() == found
