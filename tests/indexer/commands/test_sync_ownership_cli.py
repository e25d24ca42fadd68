"""``polysearch sync`` into an index ``polysearch index`` built: ownership, dry run, the mass-delete guard, errors."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

import indexer.encoders.bf16_backend
import indexer.encoders.onnx_backend
import indexer.encoders.torch_backend
from indexer.commands.main import main
from indexer.commands.sync import share
from indexer.sources.state import STATE_FILE
from indexer.store.reader import load_index
from tests.fakes import FakeEncoder

REPO = Path(__file__).resolve().parents[3]
SEEDS = REPO / "seeds"
CHUNKS = ["--chunk-tokens", "64", "--overlap-tokens", "8", "--quiet"]


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    def factory(name: str | None = None, **options: object) -> FakeEncoder:
        return FakeEncoder()

    # Every backend the CLI may pick becomes the fake, for `polysearch index` and `polysearch sync` alike.
    monkeypatch.setattr(indexer.encoders.torch_backend, "SentenceTransformerEncoder", factory)
    monkeypatch.setattr(indexer.encoders.onnx_backend, "OnnxEncoder", factory)
    monkeypatch.setattr(indexer.encoders.bf16_backend, "Bf16Encoder", factory)


def seed_ids() -> set[str]:
    return {p.stem for p in SEEDS.glob("*.txt")}


def built_from_seeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "index"
    assert main(["index", "--seeds", str(SEEDS), "--out", str(out), *CHUNKS]) == 0
    capsys.readouterr()
    assert set(load_index(out).articles) == seed_ids()
    return out


def folder_of(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "folder"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(SEEDS / name, folder / name)
    return folder


def files(out: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(out)): (p.read_bytes(), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}


def sync(*args: str) -> int:
    return main(["sync", *args, *CHUNKS])


def test_a_folder_with_one_seed_article_keeps_the_other_four(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = built_from_seeds(tmp_path, capsys)
    one = sorted(p.name for p in SEEDS.glob("*.txt"))[1]
    folder = folder_of(tmp_path, one)
    assert sync("--source", str(folder), "--out", str(out)) == 0
    printed = capsys.readouterr().out
    assert "removed 0" in printed and "took over 5 articles" in printed
    assert set(load_index(out).articles) == seed_ids()
    # The folder losing its file releases only its own claim: the adopted article stays.
    (folder / one).unlink()
    (folder / "new.txt").write_text("New article\n\nA new article from the folder.", encoding="utf-8")
    assert sync("--source", str(folder), "--out", str(out)) == 0
    assert set(load_index(out).articles) == seed_ids() | {"new"}


def test_prune_foreign_drops_adopted_articles_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = built_from_seeds(tmp_path, capsys)
    kept = sorted(p.name for p in SEEDS.glob("*.txt"))[0]
    folder = folder_of(tmp_path, kept)
    assert sync("--source", str(folder), "--out", str(out)) == 0
    assert "kept 4 articles no given source brought" in capsys.readouterr().out
    before = files(out)
    assert sync("--source", str(folder), "--out", str(out), "--prune-foreign", "--dry-run") == 0
    plan = capsys.readouterr().out
    assert "would add 0, update 0, remove 4" in plan
    assert {line.split(": ", 1)[1] for line in plan.splitlines() if "would remove:" in line} == seed_ids() - {
        Path(kept).stem
    }
    assert files(out) == before
    # Four of five is over the default share: pruning them is a mass delete too.
    assert sync("--source", str(folder), "--out", str(out), "--prune-foreign", "--allow-mass-delete") == 0
    assert set(load_index(out).articles) == {Path(kept).stem}


def test_a_mass_delete_stops_unless_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    for n in range(5):
        (folder / f"a{n}.txt").write_text(f"Article {n}\n\nBody number {n} of the news folder.", encoding="utf-8")
    out = tmp_path / "index"
    assert sync("--source", str(folder), "--out", str(out)) == 0
    (folder / "a0.txt").unlink()
    # One of five (20 %) is not more than the default share.
    assert sync("--source", str(folder), "--out", str(out)) == 0
    capsys.readouterr()
    for n in (1, 2):
        (folder / f"a{n}.txt").unlink()
    before = files(out)
    assert sync("--source", str(folder), "--out", str(out)) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and "would remove 2 of 4 articles" in err[0] and "--allow-mass-delete" in err[0]
    assert captured.out == "" and set(load_index(out).articles) == {"a1", "a2", "a3", "a4"}
    assert {k: v for k, v in files(out).items() if k != STATE_FILE} == {
        k: v for k, v in before.items() if k != STATE_FILE
    }
    # A larger share, or --allow-mass-delete, lets it through.
    assert sync("--source", str(folder), "--out", str(out), "--max-delete-share", "0.5", "--dry-run") == 0
    assert "would add 0, update 0, remove 2" in capsys.readouterr().out
    assert sync("--source", str(folder), "--out", str(out), "--allow-mass-delete") == 0
    assert set(load_index(out).articles) == {"a3", "a4"}


def test_dry_run_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = folder_of(tmp_path, *sorted(p.name for p in SEEDS.glob("*.txt"))[:2])
    fresh = tmp_path / "fresh"
    assert sync("--source", str(folder), "--out", str(fresh), "--dry-run") == 0
    assert "would add 2" in capsys.readouterr().out and not fresh.exists()
    out = built_from_seeds(tmp_path, capsys)
    before = files(out)
    (folder / "new.txt").write_text("New article\n\nA new article from the folder.", encoding="utf-8")
    assert sync("--source", str(folder), "--out", str(out), "--dry-run") == 0
    printed = capsys.readouterr().out
    assert "would add 1, update 0, remove 0" in printed and "would add: new" in printed
    assert files(out) == before and not (out / STATE_FILE).exists()
    # The same pass for real does what the dry run said.
    assert sync("--source", str(folder), "--out", str(out)) == 0
    assert set(load_index(out).articles) == seed_ids() | {"new"}
    assert main(["sync", "--source", str(folder), "--out", str(out), "--dry-run", "--every", "15m"]) == 2


def test_a_failed_source_is_one_line_and_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.indexer.sources.site_server import SiteServer

    with SiteServer() as site:
        missing = site.page("/no-sitemap.xml")
        assert sync("--source", missing, "--out", str(tmp_path / "index")) == 2
        captured = capsys.readouterr()
        err = captured.err.strip().splitlines()
        assert len(err) == 1 and captured.out == ""
        assert err[0] == f"polysearch sync: error: source {missing} failed: answered 404"
        # Beside a source that works: its one report line says why, and the exit status is 1.
        folder = folder_of(tmp_path, sorted(p.name for p in SEEDS.glob("*.txt"))[0])
        assert sync("--source", str(folder), "--source", missing, "--out", str(tmp_path / "mixed")) == 1
        captured = capsys.readouterr()
        assert captured.err == ""
        assert [line for line in captured.out.splitlines() if missing in line] == [
            f"source {missing}: failed: answered 404"
        ]
        # A site whose robots.txt names only a sitemap that is gone: still one line, with the reason.
        site.routes.pop("/sitemap.xml")
        assert sync("--source", site.base + "/", "--out", str(tmp_path / "index")) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "none of its sitemaps could be read" in err[0] and "404" in err[0]


def test_shares() -> None:
    assert share("0.2") == share("20%") == 0.2 and share("0") == 0.0 and share("100%") == 1.0
    for bad in ("1.5", "-0.1", "many", "120%"):
        with pytest.raises(argparse.ArgumentTypeError):
            share(bad)


def test_the_json_report_says_what_was_adopted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = built_from_seeds(tmp_path, capsys)
    folder = folder_of(tmp_path, sorted(p.name for p in SEEDS.glob("*.txt"))[0])
    assert sync("--source", str(folder), "--out", str(out), "--json", "--dry-run") == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["dry_run"] and not plan["written"] and plan["adopted"] == 5 and plan["foreign"] == 4
    assert plan["removed"] == [] and plan["would_stop"] is None
    assert sync("--source", str(folder), "--out", str(out), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert not report["dry_run"] and report["adopted"] == 5 and report["removed"] == []
