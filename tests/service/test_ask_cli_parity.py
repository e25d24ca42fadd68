"""``polysearch ask --json`` prints the record ``GET /ask`` returns for the same question and index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from indexer.commands.main import main
from tests.fake_cli import use_fake_model


@pytest.mark.parametrize(
    ("question", "params"),
    [
        ("Who led the delegation from Jiangsu?", {}),
        ("What is the Wi-Fi password?", {}),
        ("Where was the summit?", {"date_from": "2022-01-01", "k": "2"}),
        ("Шанхай", {}),
    ],
)
def test_cli_json_equals_the_http_answer(
    question: str,
    params: dict[str, str],
    client: TestClient[Litestar],
    tiny_index: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_fake_model(monkeypatch.setattr)
    http = client.get("/ask", params={"q": question, **params}).json()
    options = [f"--{name.replace('_', '-')}" if name != "k" else "-k" for name in params]
    argv = [item for pair in zip(options, params.values(), strict=True) for item in pair]
    assert main(["ask", question, "--index", str(tiny_index), "--json", *argv]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert isinstance(cli.pop("took_ms"), float) and isinstance(http.pop("took_ms"), float)
    http.pop("query_id")  # the service's query log id; the command line logs nothing
    assert cli == http
