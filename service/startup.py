"""What ``polysearch serve`` does before and after uvicorn starts: check the index, take the port, say when it is ready.

Each failure a person starting the service can meet (an index that is missing or damaged,
a port already taken) becomes one named error, so the command prints one line and exits
non-zero before any worker starts. Once ``/ready`` answers yes, one plain line on stdout
gives the address to open; the JSON logs stay on stderr.
"""

from __future__ import annotations

import errno
import http.client
import socket
import sys
import threading
from pathlib import Path

from indexer.store.checksums import verify_files
from indexer.store.layout import live_version_dir, read_manifest
from service.errors import ListenError

# The header that marks the readiness polls below, so the request log keeps them at debug level.
PROBE_HEADER = "x-polysearch-probe"
# Seconds between polls of /ready while the index loads, and the most one poll may take.
POLL_INTERVAL_S = 0.2
POLL_TIMEOUT_S = 5.0
# Addresses that mean "every interface": a local client reaches them through loopback.
_WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}


def check_index(index_dir: Path) -> None:
    """The live version, its manifest, and every file it lists with its size (small ones checksummed).

    The worker's own load checks the rest (large files' checksums, the model); this catches
    the usual mistakes before a port is taken.
    """
    version_dir = live_version_dir(index_dir)
    verify_files(version_dir, read_manifest(version_dir), defer_large=True)


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket uvicorn serves on, bound here so that a taken port is one error, not a log of the shutdown.

    The options are uvicorn's own (``Config.bind_socket``): IPv6 for an address with a colon,
    SO_REUSEADDR so a restart does not wait for the old connections' TIME_WAIT.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ListenError(f"cannot listen on {host_port(host, port)}: {_why(exc)}") from None
    sock.set_inheritable(True)  # worker processes serve on it too
    return sock


def _why(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return "the port is in use (another polysearch? choose another with --port)"
    if exc.errno == errno.EACCES:
        return "not permitted (ports below 1024 need privileges)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return "that address is not one of this machine's (see --host)"
    if isinstance(exc, socket.gaierror):
        return f"{exc.strerror} (see --host)"
    return exc.strerror or str(exc)


def host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def ready_url(host: str, port: int) -> str:
    return f"http://{host_port(host, port)}/"


def probe_host(host: str) -> str:
    """Where a client on this machine reaches a server bound to ``host``."""
    return _WILDCARDS.get(host, host)


def is_ready(host: str, port: int) -> bool:
    connection = http.client.HTTPConnection(probe_host(host), port, timeout=POLL_TIMEOUT_S)
    try:
        connection.request("GET", "/ready", headers={PROBE_HEADER: "startup"})
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False  # not listening yet, or a worker restarting
    finally:
        connection.close()


class ReadyAnnouncer:
    """A thread that polls ``/ready`` until it says yes, then prints the address once."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="polysearch-ready", daemon=True)

    def __enter__(self) -> ReadyAnnouncer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(POLL_INTERVAL_S):
            if is_ready(self.host, self.port):
                print(f"polysearch is ready: {ready_url(self.host, self.port)}", file=sys.stdout, flush=True)
                return
