"""Settings from POLYSEARCH_* variables: defaults, parsing, refusals, and the worker round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.cli import environment_of
from service.config import Settings
from service.errors import ConfigError


def test_defaults_are_safe() -> None:
    settings = Settings.from_env({})
    assert settings.index_dir == Path("index")
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.cors_origins == () and settings.frame_ancestors == ()
    assert settings.admin_token is None and settings.log_queries is False
    assert settings.max_body_bytes == 16 * 1024
    assert settings.compute_threads >= 1 and settings.torch_threads == 1


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "POLYSEARCH_INDEX_DIR": "/srv/index",
            "POLYSEARCH_HOST": "0.0.0.0",
            "POLYSEARCH_PORT": "9001",
            "POLYSEARCH_WORKERS": "3",
            "POLYSEARCH_CORS_ORIGINS": "https://a.example, https://b.example,",
            "POLYSEARCH_ADMIN_TOKEN": "a-long-enough-admin-token",
            "POLYSEARCH_LOG_LEVEL": "debug",
            "POLYSEARCH_LOG_QUERIES": "yes",
            "POLYSEARCH_FRAME_ANCESTORS": "https://intranet.example https://portal.example",
            "POLYSEARCH_COMPUTE_THREADS": "4",
            "POLYSEARCH_TORCH_THREADS": "2",
        }
    )
    assert settings.index_dir == Path("/srv/index")
    assert (settings.host, settings.port, settings.workers) == ("0.0.0.0", 9001, 3)
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.admin_token == "a-long-enough-admin-token"
    assert settings.log_level == "debug" and settings.log_queries is True
    assert settings.frame_ancestors == ("https://intranet.example", "https://portal.example")
    assert (settings.compute_threads, settings.torch_threads) == (4, 2)


def test_flags_override_the_environment() -> None:
    settings = Settings.from_env({"POLYSEARCH_PORT": "9001"}, port=7000, host=None)
    assert settings.port == 7000 and settings.host == "127.0.0.1"


def test_an_empty_token_disables_admin() -> None:
    assert Settings.from_env({"POLYSEARCH_ADMIN_TOKEN": ""}).admin_token is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PORT", "eighty", "whole number"),
        ("PORT", "70000", "port"),
        ("WORKERS", "0", "workers"),
        ("COMPUTE_THREADS", "-1", "compute_threads"),
        ("LOG_QUERIES", "maybe", "true or false"),
        ("LOG_LEVEL", "LOUD", "log level"),
        ("ADMIN_TOKEN", "short", "at least 16"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({f"POLYSEARCH_{name}": value})


def test_worker_processes_rebuild_the_same_settings(tmp_path: Path) -> None:
    settings = Settings(
        index_dir=tmp_path / "idx",
        port=8123,
        workers=2,
        cors_origins=("https://a.example",),
        admin_token="another-long-admin-token",
        log_level="WARNING",
        log_queries=True,
        frame_ancestors=("https://b.example",),
        compute_threads=3,
        torch_threads=2,
    )
    assert Settings.from_env(environment_of(settings)) == settings
    assert Settings.from_env(environment_of(Settings(index_dir=tmp_path))) == Settings(index_dir=tmp_path)
