"""Format 5: records as columns round-trip exactly, refuse what they cannot hold, and damage is still caught."""

from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np
import pytest

from indexer.build.builder import BuildOptions, build_index
from indexer.errors import BuildError, IndexCorruptError, IndexMismatchError
from indexer.models import Article, Passage, Sentence
from indexer.search.retriever import Retriever
from indexer.store import checksums
from indexer.store.layout import MANIFEST, live_version_dir
from indexer.store.reader import load_index, verify_deferred
from indexer.store.segments import IndexContent
from indexer.store.tables import RecordsError, to_columns
from indexer.store.writer import write_index
from tests.fakes import FakeEncoder

OPTIONS = BuildOptions(chunk_tokens=32, overlap_tokens=8)
BODY = "Первая фраза. Second sentence — with ü. 第三句。"


def _article(article_id: str = "a", body: str = BODY) -> Article:
    return Article(id=article_id, title="T", date="2024-01-02", body=body, source=f"{article_id}.txt",
                   content_hash="h", url="https://example.org/a", lang="ru", date_source="header")  # fmt: skip


def _passage(article: Article, ordinal: int, start: int, end: int, **changes: object) -> Passage:
    fields: dict[str, object] = {
        "id": f"{article.id}#{ordinal}", "article_id": article.id, "ordinal": ordinal, "title": article.title,
        "date": article.date, "start": start, "end": end, "n_tokens": 3, "text": article.body[start:end],
        "url": article.url, "lang": "ru",
    }  # fmt: skip
    fields.update(changes)
    return Passage(**fields)  # type: ignore[arg-type]


def test_loaded_records_equal_the_built_ones_and_cite_real_text(tiny_seeds: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build_index(tiny_seeds, index_dir, FakeEncoder(), OPTIONS)
    index = load_index(index_dir)
    again = load_index(index_dir)
    assert list(index.passages) == list(again.passages) and len(index.passages) >= 3
    for row, passage in enumerate(index.passages):
        article = index.articles[passage.article_id]
        assert article.body[passage.start : passage.end] == passage.text
        assert passage.id == f"{article.id}#{passage.ordinal}" and passage.title == article.title
        assert index.passages.row_of(passage.id) == row
    for row, sentence in enumerate(index.sentences):
        assert index.sentences.row_of(sentence.article_id, sentence.start, sentence.end) == row
    assert index.passages.row_of("nope#0") is None and index.passages.row_of("nope") is None
    assert index.sentences.row_of("nope", 0, 1) == -1
    assert "a_shanghai" in index.articles and "nope" not in index.articles


def test_columns_round_trip_non_ascii_bodies_and_every_field() -> None:
    article = _article()
    passages = [_passage(article, 0, 0, 13), _passage(article, 1, 14, len(BODY), lang=None)]
    sentences = [Sentence(article_id="a", start=0, end=13), Sentence(article_id="a", start=14, end=40)]
    columns = to_columns([article], passages, sentences)
    from indexer.store.tables import ArticleTable, PassageTable, SegmentRecords, SentenceTable

    header = msgspec.json.decode(msgspec.json.encode(columns.header), type=type(columns.header))
    records = SegmentRecords(header, columns.bodies, columns.passages, columns.sentences)
    articles = ArticleTable.of_segment(records)
    assert articles["a"] == article
    assert list(PassageTable.of_segment(records, articles)) == passages
    assert list(SentenceTable.of_segment(records, articles)) == sentences


@pytest.mark.parametrize(
    "change", [{"text": "not the body"}, {"title": "Other"}, {"id": "a#7"}, {"url": None}, {"article_id": "b"}]
)
def test_a_passage_that_is_not_its_articles_text_is_refused(change: dict[str, object]) -> None:
    article = _article()
    with pytest.raises(RecordsError):
        to_columns([article], [_passage(article, 0, 0, 13, **change)], [])


def test_the_builder_reports_unstorable_records_as_a_build_error(tmp_path: Path) -> None:
    article = _article()
    bad = _passage(article, 0, 0, 13, text="tampered")
    content = IndexContent([article], [bad], np.ones((1, 4), np.float32) / 2, [], np.zeros((0, 4), np.float32))
    from indexer.models import ChunkParams, ModelInfo

    with pytest.raises(BuildError, match="not its article's text"):
        write_index(
            tmp_path / "index",
            model=ModelInfo(name="m", dimension=4, max_seq_length=8),
            chunking=ChunkParams(chunk_tokens=8, overlap_tokens=0, encoding="e", pipeline=1),
            content=content,
            dense_kind="flat",
        )
    assert not list((tmp_path / "index").glob("v-*"))


def test_an_older_format_is_refused_with_a_rebuild_message(tiny_index: Path) -> None:
    version_dir = live_version_dir(tiny_index)
    path = version_dir / MANIFEST
    manifest = msgspec.json.decode(path.read_bytes())
    manifest["format_version"] = 4
    path.write_bytes(msgspec.json.encode(manifest))
    with pytest.raises(IndexMismatchError, match=r"format 4, this polysearch reads 5 and 6; rebuild it \(`polysearch"):
        load_index(tiny_index)


def test_a_format_5_index_still_loads(tiny_index: Path) -> None:
    # Format 6 only adds all-zero (lazy) sentence rows; a format-5 index has none, so it reads as before.
    path = live_version_dir(tiny_index) / MANIFEST
    manifest = msgspec.json.decode(path.read_bytes())
    manifest["format_version"] = 5
    path.write_bytes(msgspec.json.encode(manifest))
    assert load_index(tiny_index).manifest.format_version == 5


def _flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_deferred_checksums_still_catch_a_damaged_large_file(tiny_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checksums, "DEFER_CHECKSUM_BYTES", 0)  # every file counts as large here
    target = live_version_dir(tiny_index) / "sentence_embeddings.npy"
    _flip(target, target.stat().st_size - 3)  # a vector value, not the header: the file still loads
    index = load_index(tiny_index, defer_checksums=True)
    assert "sentence_embeddings.npy" in index.unverified and "manifest.json" not in index.unverified
    with pytest.raises(IndexCorruptError, match=r"sentence_embeddings\.npy does not match its checksum"):
        verify_deferred(index)
    with pytest.raises(IndexCorruptError, match=r"sentence_embeddings\.npy"):
        load_index(tiny_index)  # the default load hashes everything


def test_deferred_load_of_an_intact_index_verifies_and_searches_the_same(
    tiny_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = Retriever.open(tiny_index, encoder=FakeEncoder())
    monkeypatch.setattr(checksums, "DEFER_CHECKSUM_BYTES", 0)
    deferred = Retriever.open(tiny_index, encoder=FakeEncoder(), defer_checksums=True)
    verify_deferred(deferred.index)
    assert deferred.index.unverified and not full.index.unverified
    for query in ("office in Shanghai", "summit universities", "Gao Jun"):
        assert deferred.search(query, 5) == full.search(query, 5)


def test_a_truncated_large_file_is_refused_even_when_checksums_are_deferred(
    tiny_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checksums, "DEFER_CHECKSUM_BYTES", 0)
    target = live_version_dir(tiny_index) / "bodies.txt"
    target.write_bytes(target.read_bytes()[:-5])
    with pytest.raises(IndexCorruptError, match="truncated"):
        load_index(tiny_index, defer_checksums=True)


def test_each_passages_sentences_are_those_lying_wholly_inside_it(seeds_index: Path) -> None:
    retriever = Retriever.open(seeds_index, encoder=FakeEncoder())
    index = retriever.index
    sentences = list(index.sentences)
    starts = np.cumsum(retriever._sentence_count) - retriever._sentence_count
    for row, passage in enumerate(index.passages):
        expected = sorted(
            (s.start, s.end, i)
            for i, s in enumerate(sentences)
            if s.article_id == passage.article_id and passage.start <= s.start and s.end <= passage.end
        )
        got = retriever._sentence_flat[starts[row] : starts[row] + retriever._sentence_count[row]].tolist()
        assert got == [i for _, _, i in expected]
    assert int(retriever._sentence_count.sum()) > len(index.passages)
