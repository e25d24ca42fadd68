"""The command line as a whole: --version, help for every option, global options on either side of the subcommand."""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.commands import main as main_module
from indexer.commands.main import CORE_COMMANDS, build_parser, main, package_version
from tests.conftest import REPO
from tests.fake_cli import use_fake_model


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    for name in ("indexer", "service", "eval"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).setLevel(logging.NOTSET)
        logging.getLogger(name).propagate = True


def _declared_version() -> str:
    return str(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"])


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"polysearch {_declared_version()}\n"


def test_version_without_installed_metadata_comes_from_pyproject(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> str:
        raise main_module.PackageNotFoundError(name)

    monkeypatch.setattr(main_module, "version", not_installed)
    assert package_version() == _declared_version()
    monkeypatch.setattr(main_module, "_PYPROJECT", Path("/nonexistent/pyproject.toml"))
    assert package_version() == "unknown"


def _unexplained(parser: argparse.ArgumentParser, path: str) -> Iterator[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _unexplained(sub, f"{path} {name}")
        elif not (action.help or "").strip():
            yield f"{path} {'/'.join(action.option_strings) or action.dest}"


def test_every_option_of_every_subcommand_has_help() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(CORE_COMMANDS) | {"serve", "eval", "bench"} <= set(commands.choices)
    assert list(_unexplained(parser, "polysearch")) == []


def test_the_walk_finds_an_option_without_help() -> None:
    parser = argparse.ArgumentParser()
    parser.add_subparsers().add_parser("x").add_argument("--quiet-one")
    assert list(_unexplained(parser, "p")) == ["p x --quiet-one"]


@pytest.mark.parametrize(
    ("argv", "level"),
    [
        (["search", "x", "--log-level", "debug"], "DEBUG"),
        (["--log-level", "info", "search", "x"], "INFO"),
        (["--log-level", "error", "search", "x", "--log-level", "Debug"], "DEBUG"),
        (["search", "x"], "WARNING"),
    ],
)
def test_log_level_before_or_after_the_subcommand(
    argv: list[str], level: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--index", str(tmp_path / "none")]) == 2
    assert logging.getLevelName(logging.getLogger("indexer").level) == level
    assert capsys.readouterr().err.count("\n") == 1


def test_index_accepts_log_level_after_its_options(
    tiny_seeds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_fake_model(monkeypatch.setattr)
    argv = ["index", "--seeds", str(tiny_seeds), "--out", str(tmp_path / "index"), "--quiet", "--log-level", "debug"]
    assert main(argv) == 0
    assert logging.getLogger("indexer").isEnabledFor(logging.DEBUG)


def test_a_bad_log_level_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["search", "x", "--log-level", "loud"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "argument --log-level: expected one of DEBUG, INFO, WARNING, ERROR" in err


def test_the_installed_command_prints_its_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "indexer.commands", "--version"], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout == f"polysearch {_declared_version()}\n"


def test_a_reader_that_stops_early_gets_no_error_line(tiny_index: Path) -> None:
    command = [sys.executable, "-m", "tests.fake_cli", "search", "summit", "--index", str(tiny_index), "--json"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before the command has written anything: it has to import first
    err = process.stderr.read()
    assert process.wait(timeout=300) == 141
    assert err == b""
