"""Every wait on a Dask scheduler is bounded by one deadline, and every failure is one line.

Issue 26, items 1 and 2: an address that cannot be valid is refused before any connection; a
port where something other than a Dask scheduler listens (a plain HTTP server, a socket that
answers garbage, one that accepts and never answers) is one clear error within the deadline;
a scheduler without workers is one clear error too; a failed client is closed quietly (no
"Exception ignored in Client.__del__" traceback). Every server here listens on 127.0.0.1,
is started by the test and stopped by it.
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import causalsynth._dask_connect as connect_mod
import causalsynth._grid_backends as backend_mod
from causalsynth import CausalSynthError, InvalidParameterError, load_dag

distributed = pytest.importorskip("distributed", reason="needs causalsynth[dask]")

#: the deadline the tests give (seconds); a hang would exceed it many times
DEADLINE = 2.0


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test's output stays clean
        return None


@pytest.fixture
def http_server():
    """``python -m http.server`` on a free loopback port, for the duration of the test."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _socket_server(answer: bytes | None):
    """A loopback socket that sends ``answer`` to every connection (None: stays silent)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    stop, conns = threading.Event(), []

    def serve():
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            conns.append(conn)
            if answer is not None:
                with contextlib.suppress(OSError):
                    conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"tcp://127.0.0.1:{sock.getsockname()[1]}", stop, thread, sock, conns


@pytest.fixture(params=["garbage", "silent"])
def odd_server(request):
    answer = b"\xff" * 64 + b"this is not dask\n" * 8 if request.param == "garbage" else None
    address, stop, thread, sock, conns = _socket_server(answer)
    yield address
    stop.set()
    thread.join(5)
    for conn in conns:
        conn.close()
    sock.close()


def _connect_in_thread(address: str, timeout: float = DEADLINE) -> tuple[BaseException, float]:
    """DaskBackend(address) in a thread, so a hang fails the test instead of stalling it."""
    outcome: dict[str, BaseException] = {}

    def call():
        try:
            backend_mod.DaskBackend(address, timeout=timeout).close()
        except BaseException as exc:  # handed to the test thread
            outcome["error"] = exc

    start = time.monotonic()
    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(30 * timeout)
    assert not worker.is_alive(), f"DaskBackend({address!r}) hung"
    return outcome["error"], time.monotonic() - start


@pytest.mark.parametrize("address, why", [
    ("not-an-address", "it is not of the form host:port"),
    ("tcp://127.0.0.1:99999", "a port is an int from 1 to 65535"),
    ("tcp://127.0.0.1:0", "a port is an int from 1 to 65535"),
    ("http://127.0.0.1:8786", "the scheme is one of"),
])
def test_an_address_that_cannot_be_valid_is_refused_before_connecting(address, why,
                                                                    monkeypatch):
    def no_connection(*args, **kwargs):
        raise AssertionError("a connection was tried")

    monkeypatch.setattr(connect_mod, "_probe", no_connection)
    with pytest.raises(InvalidParameterError) as info:
        backend_mod.DaskBackend(address)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"The Dask scheduler address {address!r} is not valid: {why}")
    assert message.endswith("or use local processes (workers=N, --workers N).")


def test_an_http_server_is_one_clear_error_within_the_deadline(http_server):
    err, took = _connect_in_thread(http_server)
    assert type(err) is CausalSynthError
    assert str(err).startswith(f"cannot reach the Dask scheduler at {http_server!r} within 2 s")
    assert "\n" not in str(err) and "--workers N" in str(err)
    assert took < DEADLINE + 5  # the deadline plus thread start-up; a hang never returns


def test_garbage_or_silence_is_one_clear_error_within_the_deadline(odd_server):
    err, took = _connect_in_thread(odd_server)
    assert type(err) is CausalSynthError, repr(err)  # never MemoryError, ValueError, ...
    assert str(err).startswith(f"cannot reach the Dask scheduler at {odd_server!r} within 2 s")
    assert "\n" not in str(err)
    assert took < DEADLINE + 5


def test_a_scheduler_without_workers_is_one_clear_error_within_the_deadline():
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp://", scheduler_port=0,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        err, took = _connect_in_thread(address)
    assert type(err) is CausalSynthError
    assert str(err).startswith(f"the Dask scheduler at {address!r} has no workers after 2 s")
    assert "dask worker" in str(err)
    assert took < DEADLINE + 5


def test_a_failed_client_closes_quietly_in_a_fresh_process(tmp_path):
    """No 'Exception ignored in: Client.__del__' traceback on stderr, at exit either."""
    script = tmp_path / "probe.py"
    script.write_text(textwrap.dedent("""
        import socket, threading
        import causalsynth._grid_backends as b
        from causalsynth import CausalSynthError
        sock = socket.socket(); sock.bind(("127.0.0.1", 0)); sock.listen(4)
        def serve():
            while True:
                conn, _ = sock.accept()
                conn.sendall(b"\\xff" * 64 + b"garbage" * 20)
        threading.Thread(target=serve, daemon=True).start()
        try:
            b.DaskBackend(f"tcp://127.0.0.1:{sock.getsockname()[1]}", timeout=2)
        except CausalSynthError as exc:
            print("ERROR", exc)
        import gc; gc.collect()
        sock.close()
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ERROR cannot reach the Dask scheduler"), done.stdout
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr, \
        done.stderr


def test_cli_compare_on_an_http_server_exits_2_with_one_line_and_writes_nothing(
        http_server, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import causalsynth.cli as cli

    monkeypatch.setattr(connect_mod, "CONNECT_TIMEOUT", DEADLINE)
    real = tmp_path / "real.csv"
    load_dag("acquisition").simulate(200, seed=0).to_csv(real, index=False)
    out = tmp_path / "comparison.json"
    for address in (http_server, "not-an-address", "tcp://127.0.0.1:99999"):
        res = CliRunner().invoke(cli.app, [
            "compare", str(real), "--dag", "acquisition", "--synthesizers",
            "gaussian_copula", "--scheduler", address, "--json", str(out)])
        assert res.exit_code == 2, res.output
        lines = [line for line in res.output.splitlines() if line.startswith("error:")]
        assert len(lines) == 1, res.output
        assert ("cannot reach the Dask scheduler" in lines[0]
                or "Dask scheduler address" in lines[0]), res.output
        assert "Traceback" not in res.output and "Exception ignored" not in res.output
        assert not out.exists()
