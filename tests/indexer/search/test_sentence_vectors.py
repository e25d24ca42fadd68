"""Sentence vectors left to the first search: as built, cached, shared, crash-safe, kept across versions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from indexer.answer.answerer import Answerer
from indexer.build.builder import BuildOptions, build_index
from indexer.encoders.registry import load_encoder
from indexer.search.retriever import Retriever
from indexer.store.sentence_cache import SentenceCache, cache_path, sentence_key
from tests.conftest import REPO
from tests.fakes import FakeEncoder

QUESTIONS = (
    "When did the university open an office in Shanghai?",
    "How many universities are members of the association?",
    "Who led the delegation from Jiangsu?",
    "Where did the summit take place?",
)


def _build(seeds: Path, out: Path, encoder: object, when: str) -> Path:
    build_index(seeds, out, encoder, BuildOptions(chunk_tokens=32, overlap_tokens=8, sentence_vectors=when))  # type: ignore[arg-type]
    return out


def _all_rows(retriever: Retriever) -> np.ndarray:
    return np.arange(len(retriever.index.sentences), dtype=np.int64)


class RefusingEncoder(FakeEncoder):
    """Encodes queries and passages, but fails the test if asked for a sentence the cache should hold."""

    def __init__(self, sentences: set[str]) -> None:
        super().__init__()
        self.sentences = sentences

    def encode(self, texts, *, batch_size=64, show_progress=False):  # type: ignore[no-untyped-def]
        asked = self.sentences.intersection(texts)
        assert not asked, f"re-encoded cached sentences: {sorted(asked)[:3]}"
        return super().encode(texts, batch_size=batch_size, show_progress=show_progress)


def test_lazy_build_encodes_passages_only(tiny_seeds: Path, tmp_path: Path) -> None:
    eager, lazy = FakeEncoder(), FakeEncoder()
    _build(tiny_seeds, tmp_path / "eager", eager, "build")
    _build(tiny_seeds, tmp_path / "lazy", lazy, "lazy")
    retriever = Retriever.open(tmp_path / "lazy", encoder=FakeEncoder())
    n_passages, n_sentences = len(retriever.index.passages), len(retriever.index.sentences)
    assert lazy.texts_encoded == n_passages
    assert eager.texts_encoded == n_passages + n_sentences
    assert not np.asarray(retriever.index.sentence_embeddings[_all_rows(retriever)]).any()


def test_lazy_vectors_equal_build_time_ones_and_answers_do_not_change(tiny_seeds: Path, tmp_path: Path) -> None:
    eager = Retriever.open(_build(tiny_seeds, tmp_path / "eager", FakeEncoder(), "build"), encoder=FakeEncoder())
    lazy = Retriever.open(_build(tiny_seeds, tmp_path / "lazy", FakeEncoder(), "lazy"), encoder=FakeEncoder())
    # Answers first, so the vectors below are filled in the order questions touch them.
    for question in QUESTIONS:
        assert Answerer(lazy).ask(question) == Answerer(eager).ask(question)
        assert lazy.search(question, k=5) == eager.search(question, k=5)
    rows = _all_rows(eager)
    np.testing.assert_array_equal(lazy.sentence_store[rows], np.asarray(eager.index.sentence_embeddings[rows]))
    assert lazy.sentence_store.encoded > 0


def test_lazy_vectors_equal_build_time_ones_with_the_real_model(
    real_seeds: Path, tmp_path: Path, shared_encoder_cache: Path
) -> None:
    model = load_encoder(None, backend="onnx", cache_dir=shared_encoder_cache)
    eager = Retriever.open(_build(real_seeds, tmp_path / "eager", model, "build"), encoder=model)
    lazy = Retriever.open(_build(real_seeds, tmp_path / "lazy", model, "lazy"), encoder=model)
    rows = _all_rows(eager)
    built = np.asarray(eager.index.sentence_embeddings[rows], dtype=np.float32)
    encoded = lazy.sentence_store[rows].astype(np.float32)
    # The same text through the same model; batches differ (padding), float16 storage absorbs the rest.
    assert np.abs(encoded - built).max() < 2e-3
    cosine = np.sum(encoded * built, axis=1) / np.linalg.norm(encoded, axis=1) / np.linalg.norm(built, axis=1)
    assert float(cosine.min()) > 0.9999
    for question in ("When was the office in Shanghai opened?", "Who is the rector of the university?"):
        assert Answerer(lazy).ask(question) == Answerer(eager).ask(question)


def test_second_process_reads_the_cache_instead_of_encoding(tiny_seeds: Path, tmp_path: Path) -> None:
    index = _build(tiny_seeds, tmp_path / "index", FakeEncoder(), "lazy")
    # Another worker (a process of its own) is the first to need every sentence.
    script = (
        "import sys, numpy as np\n"
        "from indexer.search.retriever import Retriever\n"
        "from tests.fakes import FakeEncoder\n"
        "r = Retriever.open(__import__('pathlib').Path(sys.argv[1]), encoder=FakeEncoder())\n"
        "r.sentence_store[np.arange(len(r.index.sentences))]\n"
        "print(r.sentence_store.encoded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(index)], cwd=REPO, capture_output=True, text=True, check=True
    )
    here = Retriever.open(index, encoder=FakeEncoder())
    rows = _all_rows(here)
    texts = {here.sentence_store.text(int(row)) for row in rows}
    assert int(done.stdout) == len(texts)
    refusing = Retriever.open(index, encoder=RefusingEncoder(texts))
    vectors = refusing.sentence_store[rows]
    assert refusing.sentence_store.encoded == 0
    assert np.all(np.abs(np.linalg.norm(vectors.astype(np.float32), axis=1) - 1) < 1e-2)


def test_unchanged_sentences_keep_their_cached_vectors_in_a_new_version(tiny_seeds: Path, tmp_path: Path) -> None:
    index = _build(tiny_seeds, tmp_path / "index", FakeEncoder(), "lazy")
    first = Retriever.open(index, encoder=FakeEncoder())
    first.sentence_store[_all_rows(first)]
    old_texts = {first.sentence_store.text(int(row)) for row in _all_rows(first)}
    changed = tiny_seeds / "c_weatherless.md"
    changed.write_text(changed.read_text(encoding="utf-8") + " A new sentence about robotics was added.", "utf-8")
    _build(tiny_seeds, index, FakeEncoder(), "lazy")
    second = Retriever.open(index, encoder=FakeEncoder())
    assert second.version != first.version
    second.sentence_store[_all_rows(second)]
    new_texts = {second.sentence_store.text(int(row)) for row in _all_rows(second)}
    # Only sentences that did not exist before are encoded again.
    assert second.sentence_store.encoded == len(new_texts - old_texts) == 1


WRITER = """
import sys, numpy as np
from pathlib import Path
from indexer.store.sentence_cache import SentenceCache, sentence_key
cache = SentenceCache(Path(sys.argv[1]), 64)
n = 0
while True:
    batch = [(sentence_key("m", str(i)), np.full(64, (i % 97) / 97, np.float32)) for i in range(n, n + 4000)]
    cache.append(batch)
    n += 4000
    print(n, flush=True)
"""


def _whole_and_right(cache: SentenceCache) -> dict[bytes, np.ndarray]:
    records = cache.read_new()
    for i in range(len(records)):
        vector = records.get(sentence_key("m", str(i)))
        if vector is None:
            break
        np.testing.assert_array_equal(vector, np.full(64, (i % 97) / 97, np.float16))
    return records


def test_cache_survives_a_writer_killed_mid_append(tmp_path: Path) -> None:
    path = tmp_path / "cache.bin"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    writer.stdout.readline()  # one append finished: the next is under way
    time.sleep(0.05)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    records = _whole_and_right(SentenceCache(path, 64))
    assert len(records) >= 4000 and len(records) % 4000 == 0
    # Whatever the kill left, the next writer appends aligned records the next reader sees whole.
    with path.open("ab") as handle:
        handle.write(b"\x01" * 100)  # a torn record, as a kill inside one write leaves
    after = SentenceCache(path, 64)
    assert len(after.read_new()) == len(records)
    after.append([(sentence_key("m", "late"), np.ones(64, np.float32))])
    fresh = SentenceCache(path, 64).read_new()
    assert len(fresh) == len(records) + 1
    np.testing.assert_array_equal(fresh[sentence_key("m", "late")], np.ones(64, np.float16))
    assert path.stat().st_size % after.record_bytes == 0


def test_damaged_record_is_skipped_not_trusted(tmp_path: Path) -> None:
    cache = SentenceCache(tmp_path / "cache.bin", 8)
    cache.append([(sentence_key("m", str(i)), np.full(8, i, np.float32)) for i in range(3)])
    data = bytearray(cache.path.read_bytes())
    data[cache.record_bytes + 20] ^= 0xFF  # a byte of the second record's vector
    cache.path.write_bytes(bytes(data))
    records = SentenceCache(cache.path, 8).read_new()
    assert set(records) == {sentence_key("m", "0"), sentence_key("m", "2")}


def test_cache_file_sits_beside_versions(tiny_seeds: Path, tmp_path: Path) -> None:
    index = _build(tiny_seeds, tmp_path / "index", FakeEncoder(), "lazy")
    retriever = Retriever.open(index, encoder=FakeEncoder())
    retriever.search("Shanghai office", k=3)
    path = cache_path(index, retriever.sentence_store.model)
    assert path.is_file() and path.parent == index
    # A rebuild that changes nothing and removes leftovers keeps it.
    _build(tiny_seeds, index, FakeEncoder(), "lazy")
    assert path.is_file()


@pytest.mark.parametrize("when", ["sometimes"])
def test_unknown_sentence_vectors_setting_is_refused(tiny_seeds: Path, tmp_path: Path, when: str) -> None:
    from indexer.errors import BuildError

    with pytest.raises(BuildError, match="sentence_vectors"):
        _build(tiny_seeds, tmp_path / "index", FakeEncoder(), when)


def test_warming_fills_every_sentence_newest_article_first(tiny_seeds: Path, tmp_path: Path) -> None:
    index = _build(tiny_seeds, tmp_path / "index", FakeEncoder(), "lazy")
    retriever = Retriever.open(index, encoder=FakeEncoder())
    calls: list[int] = []

    def stop_after_one_chunk() -> bool:
        calls.append(1)
        return len(calls) > 1

    assert retriever.warm_sentences(stop=stop_after_one_chunk, chunk=2) == 2
    # The first chunk was the newest article's: a_shanghai is dated 2023, b_summit 2022, c undated.
    first = {retriever.index.sentences[row].article_id for row in retriever.sentence_store._rows}
    assert first == {"a_shanghai"}
    rows = _all_rows(retriever)
    assert retriever.warm_sentences() == len(rows) - 2
    texts = {retriever.sentence_store.text(int(row)) for row in rows}
    refusing = Retriever.open(index, encoder=RefusingEncoder(texts))
    assert refusing.warm_sentences() == len(rows) and refusing.sentence_store.encoded == 0
