"""``polysearch sync`` on the command line: one-line errors, durations, and the end-to-end run."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.commands.main import main
from indexer.commands.sync import duration
from indexer.encoders.registry import DEFAULT_BACKEND, serving_backend
from indexer.sources.state import STATE_FILE
from indexer.store.reader import load_index
from tests.indexer.sources.site_server import Site, SiteServer

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def site() -> Iterator[Site]:
    with SiteServer() as served:
        yield served


def test_durations() -> None:
    assert duration("15m") == 900 and duration("2h") == 7200 and duration("90") == 90 and duration("1d") == 86400
    for bad in ("fast", "10s", "-5m", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            duration(bad)


def test_bad_source_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sync", "--source", str(tmp_path / "nope"), "--out", str(tmp_path / "index")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("polysearch sync: error:") and "no such" in err[0]
    assert not (tmp_path / "index").exists()


def test_index_refuses_an_index_that_sync_keeps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "index"
    out.mkdir()
    (out / STATE_FILE).write_bytes(b"")
    assert main(["index", "--seeds", str(REPO / "seeds"), "--out", str(out), "--quiet"]) == 2
    assert "polysearch sync" in capsys.readouterr().err


@pytest.mark.model
def test_sync_then_search_with_the_real_model(site: Site, tmp_path: Path) -> None:
    """The issue's "done when", end to end: sync a sitemap, then search shows urls and dates."""
    out = tmp_path / "index"
    polysearch = str(REPO / ".venv" / "bin" / "polysearch")
    # A cache of its own, so the ONNX file below can only have come from this sync.
    env = {**os.environ, "POLYSEARCH_ENCODER_CACHE": str(tmp_path / "encoders")}
    run = subprocess.run(
        [polysearch, "sync", "--source", site.page("/sitemap.xml"), "--out", str(out), "--json", "--quiet"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["written"] and len(report["added"]) == 4 and report["pages"]["fetched"] == 4
    # Encoded with the default backend, as `polysearch index` would; the queries' ONNX file made ready.
    assert load_index(out).manifest.model.backend == DEFAULT_BACKEND == serving_backend(DEFAULT_BACKEND) == "onnx"
    assert list((tmp_path / "encoders").glob("*/model-fused.onnx"))
    search = subprocess.run(
        [polysearch, "search", "When was the representative office in Shanghai opened?", "--index", str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    hits = json.loads(search.stdout)
    assert hits[0]["url"] == site.page("/news/office/") and hits[0]["date"] == "2023-06-01"


_LOOPING = """
import sys
import indexer.encoders.torch_backend
import indexer.encoders.bf16_backend
import indexer.encoders.onnx_backend
from indexer.commands.main import main
from tests.fakes import FakeEncoder
# Whichever backend a sync picks.
indexer.encoders.torch_backend.SentenceTransformerEncoder = lambda model=None: FakeEncoder()
indexer.encoders.bf16_backend.Bf16Encoder = lambda model=None, **options: FakeEncoder()
indexer.encoders.onnx_backend.OnnxEncoder = lambda model=None, **options: FakeEncoder()
sys.exit(main(sys.argv[1:]))
"""


def test_every_loops_until_sigterm_and_stops_cleanly(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text("Office opens\n\nThe office opened in Shanghai.", encoding="utf-8")
    out = tmp_path / "index"
    args = ["sync", "--source", str(folder), "--out", str(out), "--every", "1m", "--json", "--quiet"]
    child = subprocess.Popen(
        [sys.executable, "-c", _LOOPING, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    first = json.loads(child.stdout.readline())  # the first pass has finished and is waiting
    assert first["written"] and first["added"] == ["a"]
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=60) == 0
    assert (out / STATE_FILE).is_file() and (out / "CURRENT").is_file()
