"""The offline guard blocks and records any non-loopback connection, in subprocesses too."""
import socket
import subprocess
import sys

import pytest

from cnnkit import netguard

DOWNLOAD = (
    "import urllib.request\n"
    "try:\n    urllib.request.urlopen('http://192.0.2.1/vgg11-8a719046.pth', timeout=2)\n"
    "except OSError as error:\n    print('blocked' if 'blocked' in str(error) else repr(error))\n"
)


def test_guard_is_on_in_this_session(tmp_path, monkeypatch):
    log = tmp_path / "blocked.log"
    monkeypatch.setenv(netguard.LOG_ENV, str(log))  # keep the session's own log clean
    with pytest.raises(netguard.NetworkBlocked):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    assert len(netguard.violations(log)) == 1


def test_guard_reaches_subprocesses_and_records(tmp_path, monkeypatch):
    log = tmp_path / "blocked.log"
    monkeypatch.setenv(netguard.LOG_ENV, str(log))
    out = subprocess.run([sys.executable, "-c", DOWNLOAD], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "blocked"
    assert netguard.violations(log) and "192.0.2.1" in netguard.violations(log)[0]


def test_loopback_is_allowed():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    client = socket.create_connection(server.getsockname(), timeout=5)
    client.close()
    server.close()
