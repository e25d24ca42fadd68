"""The bench empties its scratch directory only when it made it."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.bench.run import prepare_work_dir
from eval.errors import EvalError


def test_a_directory_it_did_not_make_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(EvalError, match="not made by polysearch bench"):
        prepare_work_dir(tmp_path)
    assert (tmp_path / "precious.txt").read_text(encoding="utf-8") == "keep me"


def test_its_own_directory_is_emptied_and_an_empty_one_is_taken(tmp_path: Path) -> None:
    work = tmp_path / "bench"
    prepare_work_dir(work)
    (work / "old-run.json").write_text("{}", encoding="utf-8")
    prepare_work_dir(work)
    assert [p.name for p in work.iterdir()] == [".polysearch-bench"]
    empty = tmp_path / "empty"
    empty.mkdir()
    prepare_work_dir(empty)
    assert (empty / ".polysearch-bench").is_file()
