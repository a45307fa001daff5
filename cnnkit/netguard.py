"""Offline guard: block and record every network connection that is not loopback.

The kit must never download anything (users sit behind firewalls; the VGG weights
and the Kaggle data are installed by hand). ``make test`` and ``make demo`` run
with the guard on, in their own process and in every subprocess they start
(nbgrader, Jupyter kernels), through a ``sitecustomize`` module put on
``PYTHONPATH``. Blocked attempts are appended to a log file; the test session
and the demo fail when that log is not empty.

Notes
-----
Allowed: AF_UNIX sockets and the loopback addresses (127.0.0.0/8, ::1,
``localhost``), which Jupyter kernels use. ZeroMQ's own sockets never pass
through Python's ``socket`` module and are loopback anyway.
"""
from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

LOG_ENV = "COURSE_NETGUARD_LOG"
SITE_DIR = Path(__file__).with_name("netguard_site")


class NetworkBlocked(OSError):
    """Raised instead of connecting anywhere but loopback."""


def _is_loopback(host) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _record(what: str) -> None:
    log = os.environ.get(LOG_ENV)
    if log:
        with open(log, "a") as handle:
            handle.write(f"pid {os.getpid()}: {what}\n")


def install() -> None:
    """Patch ``socket`` in this process (idempotent)."""
    if getattr(socket.socket.connect, "_netguard", False):
        return
    original_connect = socket.socket.connect
    original_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            _record(f"connect to {address!r}")
            raise NetworkBlocked(f"network access to {address!r} is blocked: the course kit works offline")
        return original_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host if not isinstance(host, bytes) else host.decode()):
            _record(f"name lookup of {host!r}")
            raise NetworkBlocked(f"name lookup of {host!r} is blocked: the course kit works offline")
        return original_getaddrinfo(host, *args, **kwargs)

    connect._netguard = True
    socket.socket.connect = connect
    socket.getaddrinfo = getaddrinfo


def enable(log: Path) -> dict[str, str]:
    """Turn the guard on here and for every subprocess started from now on.

    Returns the environment variables it set (already applied to ``os.environ``).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    log.touch()
    paths = [str(SITE_DIR), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {LOG_ENV: str(log), "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}
    os.environ.update(env)
    install()
    return env


def violations(log: Path) -> list[str]:
    """Blocked attempts recorded so far."""
    return log.read_text().splitlines() if log.is_file() else []
