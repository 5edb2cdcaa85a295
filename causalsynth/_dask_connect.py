"""Reaching a Dask scheduler for the compare grid, within one deadline.

An address that cannot be valid is refused before any connection (:func:`check_address`);
then one deadline of ``timeout`` seconds (default :data:`CONNECT_TIMEOUT`) bounds every wait:
the connection, Dask's handshake (a port where something else listens, an HTTP server or
garbage, never hangs), and at least one worker to run the first cell. Any failure is one
:class:`~causalsynth.errors.CausalSynthError` line, and a client that failed to start is
closed quietly.

Examples
--------
>>> check_address("127.0.0.1:8786")
'127.0.0.1:8786'
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from typing import Any

from causalsynth._grid_cells import error_text
from causalsynth.errors import CausalSynthError, InvalidParameterError, excerpt

__all__ = ["CONNECT_TIMEOUT", "check_address", "connect"]

#: seconds to wait for a Dask scheduler address to answer
CONNECT_TIMEOUT = 10.0


def check_address(address: str) -> str:
    """The scheduler address, or an InvalidParameterError before any connection is tried.

    Accepted: ``[scheme://]host:port`` with a port from 1 to 65535 (scheme ``tcp``, ``tls``,
    ``ws``, ``wss`` or ``ucx``; ``tcp`` when none) and ``inproc://`` addresses.

    >>> check_address(" tcp://127.0.0.1:8786 ")
    'tcp://127.0.0.1:8786'
    >>> check_address("tcp://127.0.0.1:99999")
    Traceback (most recent call last):
    ...
    causalsynth.errors.InvalidParameterError: The Dask scheduler address 'tcp://127.0.0.1:99999' \
is not valid: a port is an int from 1 to 65535; give it as [tcp://]host:port such as \
tcp://10.0.0.5:8786, or use local processes (workers=N, --workers N).
    """
    text = str(address).strip()
    match = _ADDRESS.fullmatch(text)
    if match and match["inproc"]:
        return text
    why = "it is not of the form host:port"
    if match:
        port = int(match["port"])
        if 1 <= port <= 65535:
            return text
        why = "a port is an int from 1 to 65535"
    elif "://" in text and text.split("://")[0].lower() not in _SCHEMES:
        why = f"the scheme is one of {', '.join(sorted(_SCHEMES))}"
    raise InvalidParameterError(
        f"The Dask scheduler address {excerpt(text)} is not valid: {why}; give it as "
        f"[tcp://]host:port such as tcp://10.0.0.5:8786, or use local processes (workers=N, "
        f"--workers N).")


_SCHEMES = {"tcp", "tls", "ws", "wss", "ucx", "inproc"}
_ADDRESS = re.compile(
    r"(?:(?P<scheme>tcp|tls|ws|wss|ucx)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)"
    r":(?P<port>\d{1,6})/?|(?P<inproc>inproc)://\S+")


class _Deadline:
    """One clock for every wait on a scheduler: connect, handshake, workers, first task."""

    def __init__(self, seconds: float):
        self.seconds, self.end = seconds, time.monotonic() + seconds

    def left(self) -> float:
        return max(self.end - time.monotonic(), 0.0)


def _unreachable(address: str, deadline: _Deadline, why: str) -> CausalSynthError:
    return CausalSynthError(
        f"cannot reach the Dask scheduler at {address!r} within {deadline.seconds:g} s "
        f"({why}); check the address (such as tcp://host:8786) and that 'dask scheduler' runs "
        f"there, or use local processes (workers=N, --workers N)")


async def _identity(address: str, timeout: float) -> Any:
    from distributed.comm import connect

    comm = await connect(address, timeout=timeout)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def _probe(address: str, deadline: _Deadline) -> None:
    """Ask the address who it is (Dask's ``identity``) within the deadline, in a thread of its
    own (the caller may run an event loop). Anything but a scheduler's answer is an error:
    Dask's handshake waits without a limit, and decoding a reply that is not Dask's (an HTTP
    server, garbage) can fail in any way, MemoryError included."""
    import asyncio

    outcome: dict[str, Any] = {}

    def ask() -> None:
        try:
            outcome["reply"] = asyncio.run(asyncio.wait_for(
                _identity(address, deadline.left()), deadline.left()))
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=ask, name="causalsynth-dask-probe", daemon=True)
    thread.start()
    thread.join(deadline.left() + 1.0)
    error, reply = outcome.get("error"), outcome.get("reply")
    if thread.is_alive() or isinstance(error, (asyncio.TimeoutError, TimeoutError)):
        raise _unreachable(address, deadline, "no Dask handshake: is something else listening "
                                              "on that port?") from None
    if error is not None:
        what = ("the reply is not Dask's" if not isinstance(error, OSError)
                else error_text(error))
        raise _unreachable(address, deadline, what) from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        kind = reply.get("type") if isinstance(reply, dict) else type(reply).__name__
        raise _unreachable(address, deadline, f"it answers, but as {excerpt(kind)}, not as a "
                                              f"Dask scheduler") from None


def _close_quietly(client: Any) -> None:
    """Close a client whose start failed, so that no 'Exception ignored in Client.__del__'
    traceback follows the error."""
    with contextlib.suppress(Exception):  # it never connected: only its loop to release
        client.close(timeout=1)
    client.status = "closed"
    with contextlib.suppress(Exception):
        client._loop_runner.stop()


def connect(distributed: Any, address: str, timeout: float | None = None) -> Any:
    """A Client on ``address`` with at least one worker, or a CausalSynthError, all within
    ``timeout`` seconds (one deadline for the connection, the handshake and the workers;
    None: :data:`CONNECT_TIMEOUT`). ``distributed``: the imported package."""
    address = check_address(address)
    deadline = _Deadline(CONNECT_TIMEOUT if timeout is None else float(timeout))
    _probe(address, deadline)
    client = distributed.Client.__new__(distributed.Client)
    try:
        client.__init__(address, timeout=max(deadline.left(), 0.1), set_as_default=False)
    except Exception as exc:
        _close_quietly(client)
        raise _unreachable(address, deadline, error_text(exc)) from None
    try:
        client.wait_for_workers(1, timeout=max(deadline.left(), 0.1))
    except Exception:
        _close_quietly(client)
        raise CausalSynthError(
            f"the Dask scheduler at {address!r} has no workers after {deadline.seconds:g} s, "
            f"so no cell could start; start some with 'dask worker {address} --nthreads 1', "
            f"or use local processes (workers=N, --workers N)") from None
    return client
