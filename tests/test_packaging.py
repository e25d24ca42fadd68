"""What ``pip install .`` installs: dependencies an older pip would leave out are named directly."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
_PINNED = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def direct_pins() -> dict[str, str]:
    dependencies = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    pins: dict[str, str] = {}
    for requirement in dependencies:
        match = _PINNED.match(requirement)
        assert match is not None, f"{requirement!r} is not pinned with =="
        pins[canonical(match.group(1))] = match.group(2)
    return pins


def test_lxml_html_clean_is_a_direct_pinned_requirement() -> None:
    # justext asks for lxml[html_clean]; pip 23.2 drops the extra, and without the package every
    # command fails with "Install lxml[html-clean]". A direct requirement does not depend on extras.
    pins = direct_pins()
    assert pins.get("lxml-html-clean") == importlib.metadata.version("lxml_html_clean")


def test_every_extra_a_dependency_asks_of_lxml_is_installed_directly() -> None:
    """Any ``lxml[...]`` extra an installed dependency requires must be in pyproject as its own package."""
    pins = direct_pins()
    wanted: set[str] = set()
    for name in ("justext", "trafilatura", "htmldate"):
        for requirement in importlib.metadata.requires(name) or []:
            if ";" in requirement and "extra ==" in requirement:
                continue  # an optional extra of that package, not installed by default
            match = re.match(r"^\s*lxml\s*\[([^\]]+)\]", requirement)
            if match:
                wanted |= {canonical(f"lxml-{extra.strip()}") for extra in match.group(1).split(",")}
    assert wanted <= set(pins), f"not named directly in pyproject.toml: {sorted(wanted - set(pins))}"
