"""Ray stays optional: the default commands run with it absent, and only indexer/engines/ray_*.py import it."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import REPO

# Runs in a fresh interpreter where importing ray fails, as on an install without the extra.
SCRIPT = textwrap.dedent(
    """
    import sys

    class NoRay:
        def find_spec(self, name, path=None, target=None):
            if name == "ray" or name.startswith("ray."):
                raise ImportError("ray is blocked by this test")
            return None

    sys.meta_path.insert(0, NoRay())

    import indexer.encoders.torch_backend
    from tests.fakes import FakeEncoder

    def fake(name=None):
        return FakeEncoder()

    # The commands load the real model by this name; the fake keeps this test fast.
    indexer.encoders.torch_backend.SentenceTransformerEncoder = fake
    from indexer.commands.main import main

    seeds, out = sys.argv[1], sys.argv[2]
    for argv in (["--help"], ["serve", "--help"], ["index", "--help"]):
        try:
            main(argv)
        except SystemExit as exc:
            assert exc.code == 0, (argv, exc.code)
    assert main(["index", "--seeds", seeds, "--out", out, "--quiet"]) == 0
    assert main(["search", "Shanghai office", "--index", out]) == 0
    import service.app  # the service without the extra
    service.app.create_app()
    assert "ray" not in sys.modules, "a default command imported ray"
    code = main(["index", "--seeds", seeds, "--out", out, "--engine", "ray", "--quiet"])
    assert code == 2, code
    assert main(["serve", "--index", out, "--engine", "ray"]) == 2
    assert main(["sync", "--source", seeds, "--out", out + "-sync", "--engine", "ray", "--quiet"]) == 2
    print("OK")
    """
)


def test_default_commands_run_without_ray(tiny_seeds: Path, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tiny_seeds), str(tmp_path / "index")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith("OK")
    # --engine ray without the extra: one line saying how to install it, no traceback.
    assert "error: the ray engine needs the optional extra: pip install 'polysearch[ray]'" in run.stderr
    assert "Traceback" not in run.stderr


def _imports_ray(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        if any(name == "ray" or name.startswith("ray.") for name in names):
            return True
    return False


def test_only_the_ray_engine_modules_import_ray() -> None:
    importers = {
        str(path.relative_to(REPO))
        for package in ("indexer", "service", "eval")
        for path in (REPO / package).rglob("*.py")
        if _imports_ray(path)
    }
    assert importers
    assert all(name.startswith("indexer/engines/ray_") for name in importers), importers
