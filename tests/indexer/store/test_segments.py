"""Segments: an index grown, changed and shrunk by segments searches exactly like one built at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import bm25s
import numpy as np
import pytest

from indexer.build.builder import BuildOptions, build_index
from indexer.errors import IndexMismatchError
from indexer.models import SearchFilters
from indexer.search.retriever import Retriever
from indexer.store import segmented, segments, writer
from indexer.store.dense import DenseIndex
from indexer.store.keyword import ANALYZER, K1, B, KeywordIndex
from indexer.store.layout import STORIES, TOMBSTONES, live_version_dir
from indexer.store.plan import MAX_SEGMENTS, choose_merge
from indexer.store.reader import load_index, verify_index
from indexer.store.segmented import SegmentedDense
from indexer.store.segments import SEGMENT_FILES
from indexer.text.analysis import analyse, analyse_query
from tests.conftest import SEEDS
from tests.fakes import FakeEncoder, use_analyser

OPTIONS = BuildOptions()
QUERIES = [
    "When was the office in Shanghai opened?",
    "summit of technical universities",
    "delegation internships joint laboratories",
    "students from China",
    "robots",
]


def _extra_articles() -> dict[str, str]:
    """Twelve short articles made of the seeds' own sentences, so they share terms with them."""
    sentences = [s.strip() for path in sorted(SEEDS.glob("*.txt")) for s in path.read_text("utf-8").split(". ")]
    sentences = [s for s in sentences if len(s) > 40]
    return {
        f"x{i:02d}_extra.txt": f"Extra article {i}\n\n" + ". ".join(sentences[i * 3 : i * 3 + 5]) + "."
        for i in range(12)
    }


def _folder(path: Path, names: list[str], extra: dict[str, str]) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    for name in names:
        if name in extra:
            (path / name).write_text(extra[name], encoding="utf-8")
        else:
            shutil.copy(SEEDS / name, path / name)
    return path


def _snapshot(index_dir: Path) -> dict[str, object]:
    """Everything a reader sees: records in row order, BM25 scores and idf, and every mode's ranking."""
    index = load_index(index_dir)
    retriever = Retriever(index, FakeEncoder())
    rankings = {
        (query, mode): [
            (h.passage.id, h.score, h.scores.dense, h.scores.keyword) for h in retriever.search(query, 10, mode)
        ]
        for query in QUERIES
        for mode in ("dense", "keyword", "hybrid")
    }
    # Filters take the dense search's restricted path (per-segment allowed rows).
    some = frozenset(list(index.articles)[::2])
    filtered = {
        query: [(h.passage.id, h.score) for h in retriever.search(query, 5, "dense", SearchFilters(article_ids=some))]
        for query in QUERIES
    }
    return {
        "filtered": filtered,
        "articles": list(index.articles.items()),
        "passages": list(index.passages),
        "sentences": list(index.sentences),
        "embeddings": np.asarray(index.embeddings).tobytes(),
        "sentence_embeddings": np.asarray(index.sentence_embeddings).tobytes(),
        "bm25": [index.keyword.scores(q).tobytes() for q in QUERIES],
        "idf": [index.keyword.idf(t) for q in QUERIES for t in analyse(q)],
        "rankings": rankings,
        "counts": index.manifest.counts,
    }


def _one_shot(tmp_path: Path, names: list[str], extra: dict[str, str]) -> dict[str, object]:
    folder = _folder(tmp_path / "one-shot-articles", names, extra)
    out = tmp_path / "one-shot-index"
    shutil.rmtree(out, ignore_errors=True)
    build_index(folder, out, FakeEncoder(), OPTIONS)
    return _snapshot(out)


@pytest.mark.parametrize("precomputed", [False, True])
def test_bm25_from_term_counts_equals_bm25s_itself(precomputed: bool) -> None:
    bodies = [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    texts = [body[i : i + 600] for body in bodies for i in range(0, len(body), 450)]
    ours = KeywordIndex.build(texts)
    if precomputed:  # as the service does once it is ready; before, each query computes its columns
        ours.precompute()
    reference = bm25s.BM25(k1=K1, b=B)
    # Words only: acronym terms (analyse_passage) are not counted in lengths, and lower-case queries have none.
    reference.index([analyse(t) for t in texts], show_progress=False)
    compared = 0
    for query in [*QUERIES, texts[3][:120], texts[-1][:200]]:
        # Queries drop question words (analyse_query); passages keep them.
        known = [t for t in analyse_query(query) if t in reference.vocab_dict]
        if known:
            np.testing.assert_array_equal(ours.scores(query.lower()), reference.get_scores(known))
            compared += 1
    assert compared >= 5


def test_added_articles_go_into_new_segments_and_search_like_a_one_shot_build(tmp_path: Path) -> None:
    extra = _extra_articles()
    seeds = sorted(p.name for p in SEEDS.glob("*.txt"))
    folder, out = tmp_path / "articles", tmp_path / "index"
    _folder(folder, seeds, extra)
    encoder = FakeEncoder()
    build_index(folder, out, encoder, OPTIONS)
    for name in sorted(extra)[:3]:
        (folder / name).write_text(extra[name], encoding="utf-8")
        before = encoder.texts_encoded
        report = build_index(folder, out, encoder, OPTIONS)
        assert report.added == [name.removesuffix(".txt")] and encoder.texts_encoded - before == report.encoded + (
            report.sentences_encoded
        )
    index = load_index(out)
    assert len(index.manifest.segments) == 4 and index.manifest.segments[0].path == ""
    assert [e.path for e in index.manifest.segments[1:]] == [f"segments/{e.name}" for e in index.manifest.segments[1:]]
    assert _snapshot(out) == _one_shot(tmp_path, seeds + sorted(extra)[:3], extra)
    assert verify_index(out).ok


def test_kept_segments_are_hard_links_not_copies(tmp_path: Path) -> None:
    extra = _extra_articles()
    seeds = sorted(p.name for p in SEEDS.glob("*.txt"))
    folder, out = _folder(tmp_path / "articles", seeds, extra), tmp_path / "index"
    build_index(folder, out, FakeEncoder(), OPTIONS)
    old = live_version_dir(out)
    inodes = {name: (old / name).stat().st_ino for name in SEGMENT_FILES}
    (folder / "x00_extra.txt").write_text(extra["x00_extra.txt"], encoding="utf-8")
    build_index(folder, out, FakeEncoder(), OPTIONS)
    new = live_version_dir(out)
    assert new != old and not old.exists()
    assert {name: (new / name).stat().st_ino for name in SEGMENT_FILES} == inodes  # taken over, not rewritten
    added = load_index(out).manifest.segments[1].path
    written = {
        p.relative_to(new).as_posix() for p in new.rglob("*") if p.is_file() and p.stat().st_ino not in inodes.values()
    }
    # The version's own small files (manifest, tombstones, story groups) and the new segment: nothing else.
    assert written == {"manifest.json", TOMBSTONES, STORIES} | {f"{added}/{name}" for name in SEGMENT_FILES}


def test_changed_and_removed_articles_are_tombstoned_and_equal_a_one_shot_build(tmp_path: Path) -> None:
    extra = _extra_articles()
    seeds = sorted(p.name for p in SEEDS.glob("*.txt"))
    folder, out = _folder(tmp_path / "articles", seeds + sorted(extra)[:4], extra), tmp_path / "index"
    build_index(folder, out, FakeEncoder(), OPTIONS)
    # Add one, then remove it again: the index is the original one, row for row.
    (folder / "x09_extra.txt").write_text(extra["x09_extra.txt"], encoding="utf-8")
    build_index(folder, out, FakeEncoder(), OPTIONS)
    (folder / "x09_extra.txt").unlink()
    report = build_index(folder, out, FakeEncoder(), OPTIONS)
    assert report.removed == ["x09_extra"] and report.encoded == 0
    assert _snapshot(out) == _one_shot(tmp_path, seeds + sorted(extra)[:4], extra)
    # Change a seed and remove another: old copies are marked deleted, the new copy is a segment.
    changed = (SEEDS / seeds[1]).read_text("utf-8").replace("university", "institute")
    (folder / seeds[1]).write_text(changed, encoding="utf-8")
    (folder / seeds[3]).unlink()
    report = build_index(folder, out, FakeEncoder(), OPTIONS)
    assert report.updated == [seeds[1].removesuffix(".txt")] and report.removed == [seeds[3].removesuffix(".txt")]
    version = live_version_dir(out)
    assert seeds[3].removesuffix(".txt") in (version / TOMBSTONES).read_text("utf-8")
    expected_folder = _folder(tmp_path / "expected", [n for n in seeds + sorted(extra)[:4] if n != seeds[3]], extra)
    (expected_folder / seeds[1]).write_text(changed, encoding="utf-8")
    expected = tmp_path / "expected-index"
    build_index(expected_folder, expected, FakeEncoder(), OPTIONS)
    assert _snapshot(out) == _snapshot(expected)


def test_many_small_updates_only_add_segments_and_still_equal_a_one_shot_build(tmp_path: Path) -> None:
    extra = _extra_articles()
    seeds = sorted(p.name for p in SEEDS.glob("*.txt"))
    folder, out = _folder(tmp_path / "articles", seeds, extra), tmp_path / "index"
    build_index(folder, out, FakeEncoder(), OPTIONS)
    counts = []
    for name in sorted(extra):
        (folder / name).write_text(extra[name], encoding="utf-8")
        build_index(folder, out, FakeEncoder(), OPTIONS)
        counts.append(len(load_index(out).manifest.segments))
    # Merging is left to indexer.store.merging: each update adds exactly one segment.
    assert counts == list(range(2, len(extra) + 2))
    assert _snapshot(out) == _one_shot(tmp_path, seeds + sorted(extra), extra)


def test_a_build_merges_by_itself_past_its_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "BUILD_MAX_SEGMENTS", 4)
    extra = _extra_articles()
    seeds = sorted(p.name for p in SEEDS.glob("*.txt"))
    folder, out = _folder(tmp_path / "articles", seeds, extra), tmp_path / "index"
    build_index(folder, out, FakeEncoder(), OPTIONS)
    counts = []
    for name in sorted(extra)[:6]:
        (folder / name).write_text(extra[name], encoding="utf-8")
        build_index(folder, out, FakeEncoder(), OPTIONS)
        counts.append(len(load_index(out).manifest.segments))
    assert max(counts) == 4 and counts[-1] < 4, counts
    assert _snapshot(out) == _one_shot(tmp_path, seeds + sorted(extra)[:6], extra)


def test_a_damaged_file_of_a_further_segment_is_detected_and_repaired(tmp_path: Path) -> None:
    extra = _extra_articles()
    seeds = sorted(p.name for p in SEEDS.glob("*.txt"))
    folder, out = _folder(tmp_path / "articles", seeds, extra), tmp_path / "index"
    build_index(folder, out, FakeEncoder(), OPTIONS)
    (folder / "x00_extra.txt").write_text(extra["x00_extra.txt"], encoding="utf-8")
    build_index(folder, out, FakeEncoder(), OPTIONS)
    version = live_version_dir(out)
    segment = version / load_index(out).manifest.segments[1].path
    data = bytearray((segment / "keyword" / "term_counts.npy").read_bytes())
    data[-1] ^= 0x01
    (segment / "keyword" / "term_counts.npy").write_bytes(bytes(data))
    health = verify_index(out)
    assert not health.ok and "term_counts.npy" in (health.problem or "")
    assert build_index(folder, out, FakeEncoder(), OPTIONS).written
    assert verify_index(out).ok


@pytest.mark.parametrize(
    ("sizes", "merged"),
    [
        ([(100, 100)] * MAX_SEGMENTS, []),
        ([(1000, 1000)] + [(i, i) for i in range(1, MAX_SEGMENTS + 1)], [1, 2, 3, 4, 5]),
        ([(1000, 1000), (10, 30)], [1]),
        ([(400, 1000), (10, 10)], [0]),
    ],
)
def test_merge_policy(sizes: list[tuple[int, int]], merged: list[int]) -> None:
    assert choose_merge(sizes) == merged


def test_a_build_rewrites_neither_a_mostly_deleted_segment_nor_below_its_own_limit() -> None:
    assert choose_merge([(400, 1000), (10, 10)], max_segments=16, rewrite_deleted=False) == []
    assert choose_merge([(100, 100)] * 9, max_segments=16, rewrite_deleted=False) == []
    assert choose_merge([(100, 100)] * 17, max_segments=16, rewrite_deleted=False) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("overfetch", [4096, 0])
def test_segmented_dense_search_is_the_exact_search_of_the_live_rows(
    monkeypatch: pytest.MonkeyPatch, overfetch: int
) -> None:
    monkeypatch.setattr(segmented, "_OVERFETCH_DEAD", overfetch)  # 0: the selector path
    rng = np.random.default_rng(3)
    parts = [rng.standard_normal((n, 16)).astype(np.float32) for n in (40, 25)]
    parts = [p / np.linalg.norm(p, axis=1, keepdims=True) for p in parts]
    live = [np.array([i for i in range(40) if i % 3], dtype=np.int64), np.arange(25, dtype=np.int64)[5:]]
    # Interleave the live rows of both parts into one row order, as articles from two segments would be.
    order = [(0, int(r)) for r in live[0]] + [(1, int(r)) for r in live[1]]
    order = [order[i] for i in rng.permutation(len(order))]
    global_rows = [np.array([g for g, (p, r) in enumerate(order) if p == part], dtype=np.int64) for part in (0, 1)]
    local_sorted = [np.array([r for p, r in order if p == part], dtype=np.int64) for part in (0, 1)]
    by_local = [np.argsort(rows) for rows in local_sorted]
    dense = SegmentedDense(
        [DenseIndex.build(p, kind="flat") for p in parts],
        [local_sorted[i][by_local[i]] for i in (0, 1)],
        [global_rows[i][by_local[i]] for i in (0, 1)],
        len(order),
    )
    whole = DenseIndex.build(np.stack([parts[p][r] for p, r in order]), kind="flat")
    allowed = np.arange(0, len(order), 2, dtype=np.int64)
    for query in rng.standard_normal((5, 16)).astype(np.float32):
        for chosen in (None, allowed):
            got_scores, got = dense.search(query, 7, allowed=chosen)
            want_scores, want = whole.search(query, 7, allowed=chosen)
            assert got.tolist() == want.tolist()
            np.testing.assert_array_equal(got_scores, want_scores)


def test_a_new_analyser_redoes_the_term_counts_and_keeps_every_vector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = _extra_articles()
    names = sorted(p.name for p in SEEDS.glob("*.txt"))
    folder, out = _folder(tmp_path / "articles", names, extra), tmp_path / "index"
    encoder = FakeEncoder()
    # The index an older analyser wrote (words only, no acronym terms), grown by a second segment.
    with monkeypatch.context() as older:
        older.setattr("indexer.store.keyword.analyse_passage", analyse)
        use_analyser(older, "polysearch-script-analyser/1")
        build_index(folder, out, encoder, OPTIONS)
        (folder / "x00_extra.txt").write_text(extra["x00_extra.txt"], encoding="utf-8")
        build_index(folder, out, encoder, OPTIONS)
    old = live_version_dir(out)
    inodes = {name: (old / name).stat().st_ino for name in (segments.EMBEDDINGS, segments.KEYWORD_FILES[0])}
    assert len(load_index(out, any_analyzer=True).segments) == 2
    with pytest.raises(IndexMismatchError, match="analyser"):
        load_index(out)
    before = encoder.texts_encoded
    report = build_index(folder, out, encoder, OPTIONS)
    # Nothing encoded again; the vectors are the old files, linked; the counts are today's.
    assert report.written and encoder.texts_encoded == before
    new = live_version_dir(out)
    assert (new / segments.EMBEDDINGS).stat().st_ino == inodes[segments.EMBEDDINGS]
    assert (new / segments.KEYWORD_FILES[0]).stat().st_ino != inodes[segments.KEYWORD_FILES[0]]
    assert load_index(out).manifest.analyzer == ANALYZER and verify_index(out).ok
    assert _snapshot(out) == _one_shot(tmp_path, [*names, "x00_extra.txt"], extra)
