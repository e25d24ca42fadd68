"""The keyword index's stored term counts are the same files for the same texts, whatever the hash seed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import bm25s
import numpy as np

from indexer.store.keyword import K1, B, KeywordIndex
from indexer.text.analysis import analyse, analyse_query
from tests.conftest import REPO, SEEDS

TEXTS = [
    "The university opened an office in Shanghai in 2019.",
    "Students from Hangzhou joined the summer school on smart materials.",
    "The rector signed an agreement with colleagues from China.",
    "the and of",  # only stopwords: the row stays, with no terms
]

SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from indexer.store.keyword import TermCounts
    from tests.indexer.store.test_keyword import TEXTS

    TermCounts.of(TEXTS).save(Path(sys.argv[1]))
    """
)


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_files_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    for seed in ("1", "2"):
        subprocess.run(
            [sys.executable, "-c", SCRIPT, str(tmp_path / seed)],
            cwd=REPO,
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
            check=True,
            timeout=120,
        )
    first, second = _files(tmp_path / "1"), _files(tmp_path / "2")
    assert first and first == second


def test_scores_are_bm25s_own_for_plain_terms() -> None:
    ours = KeywordIndex.build(TEXTS)
    plain = bm25s.BM25(k1=K1, b=B)
    plain.index([analyse(text) for text in TEXTS], show_progress=False)
    for query in ("office in Shanghai", "smart materials Hangzhou", "agreement China rector", "nothing matches"):
        terms = [t for t in analyse_query(query) if t in plain.vocab_dict]
        expected = plain.get_scores(terms) if terms else np.zeros(len(TEXTS))
        assert np.allclose(ours.scores(query), expected, rtol=1e-6, atol=1e-7), query


def test_scores_are_the_same_before_and_after_they_are_precomputed() -> None:
    texts = [p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    langs = ["en", "ru", None, "en", "zh"][: len(texts)]
    index = KeywordIndex.build([t[i : i + 500] for t in texts for i in range(0, len(t), 400)], None)
    mixed = KeywordIndex.build(texts, langs)
    queries = ["office in Shanghai", "summit of technical universities", "Gao Jun robots", "zzz unknown"]
    for keyword in (index, mixed):
        lazy = [keyword.scores(q).tobytes() for q in queries]
        keyword.precompute()
        assert [keyword.scores(q).tobytes() for q in queries] == lazy
        assert any(keyword.scores(q).any() for q in queries)
