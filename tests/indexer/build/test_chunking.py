from __future__ import annotations

from itertools import pairwise

import pytest
import tiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.build.builder import ENCODING, chunk_article
from indexer.build.chunking import Chunker
from indexer.errors import BuildError
from indexer.models import Article
from indexer.text.sentences import sentence_spans
from tests.fakes import FakeEncoder

ENC = tiktoken.get_encoding(ENCODING)

WORDS = st.sampled_from(
    [
        "university",
        "St.",
        "Prof.",
        "China",
        "Шанхай",
        "2016",
        "x",
        "上海交通大学",
        "agreement",
        "ATURC-2022",
        "«quote»",
        "🙂",
        "a",
        "Dr.",
        "г.",
        "т.",
        "В.",
        "上海。",
        "好！",
        "„цитата“",
        "Сучжоу",
    ]
)
SENTENCE = st.builds(
    lambda words, end: " ".join(words) + end,
    st.lists(WORDS, min_size=1, max_size=40),
    st.sampled_from([".", "!", "?", "", "…", ".»", "。", "！", "？", "。”"]),
)
PARAGRAPH = st.builds(lambda sentences: " ".join(sentences), st.lists(SENTENCE, min_size=1, max_size=8))
BODY = st.builds(
    lambda paragraphs, sep: sep.join(paragraphs),
    st.lists(PARAGRAPH, min_size=1, max_size=6),
    st.sampled_from(["\n\n", "\n", "\n \n"]),
)


def _covered(body: str, spans: list[tuple[int, int]]) -> set[int]:
    return {i for start, end in spans for i in range(start, end)}


@settings(max_examples=150, deadline=None)
@given(body=BODY, chunk_tokens=st.integers(8, 80), overlap_ratio=st.floats(0, 0.9))
def test_windows_are_exact_ordered_bounded_and_cover_the_body(
    body: str, chunk_tokens: int, overlap_ratio: float
) -> None:
    overlap = min(chunk_tokens - 1, int(chunk_tokens * overlap_ratio))
    spans = Chunker(ENC, chunk_tokens=chunk_tokens, overlap_tokens=overlap).chunk(body)
    assert spans, "a non-empty body yields passages"
    for span in spans:
        text = body[span.start : span.end]
        assert text == text.strip() and text
        assert span.n_tokens == len(ENC.encode_ordinary(text)) <= chunk_tokens
    assert [s.start for s in spans] == sorted(s.start for s in spans)
    assert all(a.end <= b.end and a.start < b.start for a, b in pairwise(spans))
    non_space = {i for i, ch in enumerate(body) if not ch.isspace()}
    assert non_space <= _covered(body, [(s.start, s.end) for s in spans])


@settings(max_examples=60, deadline=None)
@given(body=BODY, max_seq=st.integers(12, 60))
def test_guard_makes_every_passage_fit_the_model(body: str, max_seq: int) -> None:
    encoder = FakeEncoder(max_seq_length=max_seq)
    article = Article(id="a", title="Short title", date=None, body=body, source="a.txt", content_hash="h")
    passages = chunk_article(article, Chunker(ENC, chunk_tokens=200, overlap_tokens=20), encoder)
    for passage in passages:
        assert body[passage.start : passage.end] == passage.text
        assert encoder.count_tokens(f"{article.title}\n{passage.text}") <= max_seq
    assert [p.id for p in passages] == [f"a#{i}" for i in range(len(passages))]
    non_space = {i for i, ch in enumerate(body) if not ch.isspace()}
    assert non_space <= _covered(body, [(p.start, p.end) for p in passages])


def test_guard_splits_a_passage_the_model_would_truncate() -> None:
    body = " ".join(f"Sentence number {i} talks about the agreement." for i in range(30))
    article = Article(id="a", title="T", date=None, body=body, source="a.txt", content_hash="h")
    chunker = Chunker(ENC, chunk_tokens=400, overlap_tokens=0)
    unguarded = chunker.chunk(body)
    assert len(unguarded) == 1 and FakeEncoder(max_seq_length=40).count_tokens(body) > 40
    passages = chunk_article(article, chunker, FakeEncoder(max_seq_length=40))
    assert len(passages) > 1
    assert all(FakeEncoder().count_tokens("T\n" + p.text) <= 40 for p in passages)


def test_sentences_respect_abbreviations_and_initials() -> None:
    text = "Prof. Ivanov visited St. Petersburg. V. Putin spoke! Did they agree? Yes."
    sentences = [text[a:b] for a, b in sentence_spans(text)]
    assert sentences == ["Prof. Ivanov visited St. Petersburg.", "V. Putin spoke!", "Did they agree?", "Yes."]


def test_overlap_repeats_whole_trailing_sentences() -> None:
    body = " ".join(f"Fact {i} is here." for i in range(20))
    spans = Chunker(ENC, chunk_tokens=24, overlap_tokens=8).chunk(body)
    assert len(spans) > 2
    for first, second in pairwise(spans):
        assert second.start < first.end  # they overlap
        assert body[second.start : first.end].startswith("Fact ")


def test_one_long_sentence_is_split_by_tokens() -> None:
    body = "word " * 300 + "end."
    spans = Chunker(ENC, chunk_tokens=50, overlap_tokens=0).chunk(body.strip())
    assert len(spans) >= 6 and all(s.n_tokens <= 50 for s in spans)


def test_one_giant_word_is_split_inside_the_word() -> None:
    body = "x" * 3000 + "Шанхай" * 200
    spans = Chunker(ENC, chunk_tokens=30, overlap_tokens=0).chunk(body)
    assert "".join(body[s.start : s.end] for s in spans) == body
    assert all(s.n_tokens <= 30 for s in spans)


@pytest.mark.parametrize(("chunk", "overlap"), [(4, 0), (100, 100), (100, -1)])
def test_bad_parameters_are_refused(chunk: int, overlap: int) -> None:
    with pytest.raises(BuildError):
        Chunker(ENC, chunk_tokens=chunk, overlap_tokens=overlap)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Initials, "т. е." and "г." after a year do not end a sentence.
        (
            "Ректор В. В. Иванов подписал соглашение, т. е. меморандум. Затем делегация уехала.",
            ["Ректор В. В. Иванов подписал соглашение, т. е. меморандум.", "Затем делегация уехала."],
        ),
        (
            "В 2016 г. Политех открыл офис. Проф. Петров сказал «Да».",
            ["В 2016 г. Политех открыл офис.", "Проф. Петров сказал «Да»."],
        ),
        # Chinese stops end a sentence with no space after them.
        (
            "在2016年4月，上海代表处成立。它位于市中心！真的吗？是的",
            ["在2016年4月，上海代表处成立。", "它位于市中心！", "真的吗？", "是的"],
        ),
        ("“代表处成立。”它位于上海。", ["“代表处成立。”", "它位于上海。"]),
        ("The office opened in 2016. 上海 is its city.", ["The office opened in 2016.", "上海 is its city."]),
    ],
)
def test_russian_and_chinese_sentences(text: str, expected: list[str]) -> None:
    assert [text[a:b] for a, b in sentence_spans(text)] == expected
