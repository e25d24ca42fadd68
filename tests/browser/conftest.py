"""A real service process, host pages on other origins, and headless Chromium driven by Playwright.

Everything listens on 127.0.0.1. The service is started exactly as a user would start it
(``polysearch serve``) against an index built from seeds/ plus one hostile article whose
title and body are HTML, so escaping is tested on data as well as on queries.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, sync_playwright

from tests.conftest import REPO, SEEDS

# The Russian test articles sit beside the English seeds, as in a real mixed archive.
RUSSIAN_ARTICLES = REPO / "eval" / "ru" / "articles"

CHROMIUM = Path(os.environ.get("POLYSEARCH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = REPO / "test-output" / "browser"
HOSTILE_ARTICLE = (
    "<img src=x onerror=\"window.pwned='title'\"> Quarantine <b>notice</b>\n\n"
    "3 March 2021 Campus life 7\n\n"
    "The quarantine notice for the <script>window.pwned='body'</script> dormitory laboratory "
    "was lifted. Residents of the dormitory laboratory may return on Monday.\n\nPrint version"
)
HOSTILE_ID = "zz_hostile"
# The admin token the service runs with, for the insights page.
ADMIN_TOKEN = "browser-admin-token-0123456789"
# How long a freshly started service may take to load the model and the index.
STARTUP_SECONDS = 240.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    skip = pytest.mark.skip(
        reason=f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install -y chromium) "
        "or set POLYSEARCH_CHROMIUM to run the browser tests"
    )
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.model)
            if not CHROMIUM.exists():
                item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class HostSite:
    """A static site on its own loopback port, standing in for an intranet page."""

    root: Path
    server: http.server.ThreadingHTTPServer = field(repr=False)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, name: str) -> str:
        return f"{self.origin}/{name}"

    def write(self, name: str, html: str) -> str:
        (self.root / name).write_text(html, encoding="utf-8")
        return self.url(name)


@contextlib.contextmanager
def host_site(root: Path) -> Iterator[HostSite]:
    root.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HostSite(root=root, server=server)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def allowed_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostSite]:
    """An intranet page whose origin the service is configured to trust."""
    with host_site(tmp_path_factory.mktemp("allowed-host")) as site:
        yield site


@pytest.fixture(scope="session")
def stranger_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostSite]:
    """A page on an origin the service does not trust."""
    with host_site(tmp_path_factory.mktemp("stranger-host")) as site:
        yield site


@pytest.fixture(scope="session")
def browser_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    seeds = tmp_path_factory.mktemp("browser-seeds") / "seeds"
    shutil.copytree(SEEDS, seeds)
    for article in sorted(RUSSIAN_ARTICLES.glob("*.txt")):
        shutil.copy(article, seeds / article.name)
    (seeds / f"{HOSTILE_ID}.txt").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    out = seeds.parent / "index"
    built = subprocess.run(
        [sys.executable, "-m", "indexer.commands", "index", "--seeds", str(seeds), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    return out


@dataclass(frozen=True)
class Service:
    origin: str

    def get(self, path: str, **params: str | int) -> dict[str, object]:
        response = httpx.get(f"{self.origin}{path}", params=params, timeout=60)
        response.raise_for_status()
        body: dict[str, object] = response.json()
        return body


@pytest.fixture(scope="session")
def service(browser_index: Path, allowed_host: HostSite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """``polysearch serve`` as a user runs it, trusting only ``allowed_host``."""
    port = free_port()
    env = {
        **os.environ,
        "POLYSEARCH_CORS_ORIGINS": allowed_host.origin,
        "POLYSEARCH_FRAME_ANCESTORS": allowed_host.origin,
        "POLYSEARCH_ADMIN_TOKEN": ADMIN_TOKEN,
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path_factory.mktemp("service") / "service.log"
    command = [sys.executable, "-m", "indexer.commands", "serve", "--index", str(browser_index)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
    origin = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(origin, process, log_path)
        yield Service(origin=origin)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(origin: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"polysearch serve exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{origin}/ready", timeout=5).status_code == 200:
                return
        time.sleep(0.25)
    pytest.fail(f"polysearch serve was not ready after {STARTUP_SECONDS:.0f}s:\n{log_path.read_text(errors='replace')}")


@dataclass
class Watched:
    """A browser page plus everything it did that a test may want to forbid."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


# Module scope, not session: Playwright's sync API keeps an asyncio loop running in this thread
# while it is open, and later tests that call asyncio.run() would fail if it outlived the module.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_page(
    browser: Browser, *, width: int = 1100, height: int = 900, locale: str = "en-GB"
) -> tuple[BrowserContext, Watched]:
    # The locale is what the browser sends as Accept-Language (and navigator.languages).
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    watched = Watched(page=page)

    def on_dialog(dialog: Dialog) -> None:
        watched.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    page.on("console", lambda message: watched.console.append(f"{message.type}: {message.text}"))
    context.on("request", lambda request: watched.requests.append(request.url))
    return context, watched


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context, page = open_page(browser)
    try:
        yield page
    finally:
        context.close()


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / name
    page.screenshot(path=str(path), full_page=full_page)
    return path
