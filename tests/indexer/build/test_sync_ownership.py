"""Who owns a synced article: two sources with one id, articles adopted from ``polysearch index``, releases held."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.build.builder import BuildOptions, build_index
from indexer.build.sync import SyncPolicy, SyncReport, sync_once
from indexer.errors import BuildError
from indexer.sources.fetching import PoliteFetcher
from indexer.sources.resolve import parse_source
from indexer.sources.state import STATE_FILE, SyncState, adopted_origin
from indexer.store.reader import load_index
from tests.fakes import FakeEncoder

OPTIONS = BuildOptions(chunk_tokens=64, overlap_tokens=8)


def write(folder: Path, name: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.txt").write_text(f"{name.title()}\n\n{body}", encoding="utf-8")


def sync(out: Path, *folders: Path, policy: SyncPolicy | None = None) -> SyncReport:
    fetcher = PoliteFetcher.for_hosts([])
    try:
        return sync_once(
            [parse_source(str(f)) for f in folders], out, FakeEncoder(), OPTIONS, fetcher=fetcher, policy=policy
        )
    finally:
        fetcher.close()


def test_the_first_source_to_bring_an_id_keeps_its_text(tmp_path: Path) -> None:
    first, second, out = tmp_path / "first", tmp_path / "second", tmp_path / "index"
    write(first, "shared", "The text of the first folder.")
    write(second, "shared", "The text of the second folder.")
    write(second, "other", "Only the second folder has this.")
    report = sync(out, first, second)
    assert report.conflicts == ["shared"]
    assert "first folder" in load_index(out).articles["shared"].body
    # Listing the two the other way round changes nothing: ownership, not order, decides.
    again = sync(out, second, first)
    assert again.conflicts == ["shared"] and again.build is not None and not again.build.written
    # The article stays while either source still lists it; once the owner lets it go, the other's text is taken.
    (first / "shared.txt").unlink()
    write(first, "keep", "Something so the folder is not empty.")
    report = sync(out, first, second)
    assert report.build is not None and not report.build.removed
    sync(out, first, second)
    assert "second folder" in load_index(out).articles["shared"].body
    with SyncState(out / STATE_FILE) as state:
        assert state.claimants("shared") == {str(second.resolve())}


def test_adopted_articles_give_way_to_a_source_but_are_never_deleted_by_one(tmp_path: Path) -> None:
    seeds, folder, out = tmp_path / "seeds", tmp_path / "folder", tmp_path / "index"
    write(seeds, "a", "Article a as the seeds say it.")
    write(seeds, "b", "Article b as the seeds say it.")
    build_index(seeds, out, FakeEncoder(), OPTIONS)
    write(folder, "a", "Article a, corrected in the folder.")
    report = sync(out, folder)
    assert report.adopted == 2 and report.foreign == ["b"] and not report.conflicts
    index = load_index(out)
    assert set(index.articles) == {"a", "b"} and "corrected" in index.articles["a"].body
    (folder / "a.txt").unlink()
    write(folder, "c", "Article c.")
    report = sync(out, folder)
    # The folder released its claim on a; the adopted one holds it still.
    assert report.build is not None and not report.build.removed and report.adopted == 0
    assert set(load_index(out).articles) == {"a", "b", "c"}
    with SyncState(out / STATE_FILE) as state:
        assert state.claimants("a") == {adopted_origin(out)} and state.adopted()
    pruned = sync(out, folder, policy=SyncPolicy(prune_foreign=True))
    assert pruned.build is not None and pruned.build.removed == ["a", "b"]


def test_a_stopped_mass_delete_commits_no_release(tmp_path: Path) -> None:
    folder, out = tmp_path / "folder", tmp_path / "index"
    for name in "abcd":
        write(folder, name, f"Article {name}.")
    sync(out, folder)
    for name in "abc":
        (folder / f"{name}.txt").unlink()
    guard = SyncPolicy(max_delete_share=0.5)
    with pytest.raises(BuildError, match="would remove 3 of 4 articles"):
        sync(out, folder, policy=guard)
    with SyncState(out / STATE_FILE) as state:
        assert state.article_ids() == {"a", "b", "c", "d"}
    assert sync(out, folder).build is not None  # no guard given: the library removes as told
    assert set(load_index(out).articles) == {"d"}
