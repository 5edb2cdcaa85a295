"""Where the cells of a compare grid run: in this process, in local processes, or on Dask.

A *cell* is one (synthesizer, seed, DAG) job of :func:`causalsynth.compare`: fit on the
training rows, sample, validate. A cell carries its own seeds (derived from the caller's seed
and the cell's label, never from the order in which workers pick cells up), so a grid gives the
same numbers in this process, on local processes and on a cluster. A cell that fails returns
its error as a leaderboard row; a cell whose worker process dies comes back as a
:class:`WorkerLost` value, which the leaderboard also shows as that row's error. Either way the
other cells finish.

Backends (see :func:`resolve_backend` for what ``compare(..., backend=...)`` accepts):

* :class:`SerialBackend`: one cell after another in this process;
* :class:`ProcessBackend`: ``n_workers`` local processes (joblib's loky executor). When a
  process dies (out of memory, a crash in native code), the unfinished cells are run again one
  at a time, so that only the cell that kills its process ends as an error;
* :class:`DaskBackend`: a Dask distributed cluster, from a ``distributed.Client`` or a scheduler
  address (``pip install "causalsynth[dask]"``). An address that cannot be valid is refused
  before any connection (:func:`check_address`); then one deadline of ``timeout`` seconds
  (default :data:`CONNECT_TIMEOUT`) bounds every wait: the connection, Dask's handshake (a
  port where something else listens, an HTTP server or garbage, never hangs), and at least
  one worker to run the first cell. Any failure is one :class:`CausalSynthError` line, and a
  client that failed to start is closed quietly. Dask reruns a cell whose worker died on
  another worker (up to the scheduler's ``distributed.scheduler.allowed-failures``, 3 by
  default) and then reports it as lost.

Examples
--------
>>> SerialBackend().map(divmod, [7, 9], shared=(4,))
[(1, 3), (2, 1)]
>>> resolve_backend(3)
ProcessBackend(n_workers=3)
>>> resolve_backend(None) is None
True
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import math
import re
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from causalsynth.errors import (
    CausalSynthError,
    InvalidParameterError,
    MissingDependencyError,
    excerpt,
)

__all__ = ["Backend", "Cell", "DaskBackend", "ProcessBackend", "SerialBackend", "WorkerLost",
           "check_address", "error_text", "resolve_backend", "run_cell"]

#: seconds to wait for a Dask scheduler address to answer
CONNECT_TIMEOUT = 10.0
#: torch and SDV keep global random state per process: cells of one process run one at a time
_CELL_LOCK = threading.Lock()


class WorkerLost(CausalSynthError):
    """The process that ran a cell died (or the cluster went away) before the cell finished."""


def error_text(exc: BaseException) -> str:
    """One line: the exception's type and the first line of its message.

    >>> error_text(RuntimeError("the model diverged\\nmore"))
    'RuntimeError: the model diverged'
    """
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


# ---- cells ------------------------------------------------------------------------------
@dataclass
class Cell:
    """One job of a compare grid.

    ``synth`` is an unfitted synthesizer, or the exception that building it raised (the cell
    then only reports it), or None for the split-half reference (``split_seed`` splits the
    training rows). ``seed`` seeds the validation, ``sample_seed`` the synthetic sample;
    ``validate`` is the validation function ``(real, synthetic, dag, holdout, seed, margins,
    guarantee) -> Report``; ``draws``: synthetic tables of ``n`` rows sampled and validated
    together (the first with ``sample_seed``).
    """

    label: str
    synth: Any
    n: int
    seed: int
    sample_seed: int
    margins: Any
    validate: Callable[..., Any]
    draws: int = 1


@dataclass
class CellResult:
    report: Any = None
    fit_s: float = math.nan
    sample_s: float = math.nan
    error: str | None = None


def _quiet(*args: Any, **kwargs: Any) -> None:
    return None


def run_cell(cell: Cell, train: Any, holdout: Any, dag: Any,
             advance: Callable[..., None] = _quiet) -> CellResult:
    """Fit, sample and validate one cell (or judge the split-half reference); any failure of
    the cell becomes its result's ``error`` (one line)."""
    with _CELL_LOCK:
        if cell.synth is None:
            return _reference(cell, train, holdout, dag, advance)
        return _synthesizer(cell, train, holdout, dag, advance)


def _synthesizer(cell: Cell, train: Any, holdout: Any, dag: Any, advance: Callable) -> CellResult:
    out, label, synth = CellResult(), cell.label, cell.synth
    if isinstance(synth, BaseException):
        advance(label, "skipped", done=True)
        out.error = error_text(synth)
        return out
    try:
        advance(label, "fitting")
        t0 = time.perf_counter()
        synth.fit(train, dag)
        out.fit_s = time.perf_counter() - t0
        advance(label, "sampling")
        t0 = time.perf_counter()
        seeds = [cell.sample_seed, *(int(s) % (2**31 - 1) for s in np.random.SeedSequence(
            cell.sample_seed).generate_state(cell.draws - 1))]
        synthetic = [synth.sample(cell.n, seed=s) for s in seeds]
        synthetic = synthetic[0] if cell.draws == 1 else synthetic
        out.sample_s = time.perf_counter() - t0
        advance(label, "validating")
        report = cell.validate(train, synthetic, dag, holdout, cell.seed, cell.margins,
                               guarantee=getattr(synth, "guarantee_", None))
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except Exception as exc:  # one failing synthesizer must not sink the comparison
        advance(label, "failed", done=True)
        out.error = error_text(exc)
        return out
    if not report.meta.get("synthesizer"):
        report.meta["synthesizer"] = label
    report.meta.setdefault("timings", {})
    report.meta["timings"].update({"fit": out.fit_s, "sample": out.sample_s})
    advance(label, "done", done=True)
    out.report = report
    return out


def _reference(cell: Cell, train: Any, holdout: Any, dag: Any, advance: Callable) -> CellResult:
    """Two halves of the training rows judged against each other, like a synthesizer."""
    from causalsynth.data import check_data
    from causalsynth.evaluate.causal import split_half

    advance(cell.label, "validating")
    try:
        half_a, half_b = split_half(check_data(train, dag), dag, cell.sample_seed)
        report = cell.validate(half_a, half_b, dag, holdout, cell.seed, cell.margins)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except Exception as exc:  # e.g. a half too small or constant: say so in the row
        advance(cell.label, "failed", done=True)
        return CellResult(error=(
            f"no split-half reference for these {len(train):,} training rows: "
            f"{error_text(exc)} (a label level that occurs once cannot be in both halves)"))
    report.meta["synthesizer"] = cell.label
    advance(cell.label, "done", done=True)
    return CellResult(report=report)


# ---- backends ---------------------------------------------------------------------------
Done = Callable[[int, Any], None]


class Backend:
    """Runs ``fn(item, *shared)`` for every item; results in the items' order.

    ``shared`` holds the large arguments every call gets (the tables, the DAG): sent to each
    worker once where the backend can. ``on_done(i, result)`` is called as each item finishes,
    in any order. An item whose worker died gets a :class:`WorkerLost` as its result.
    """

    def map(self, fn: Callable[..., Any], items: Sequence[Any], shared: Sequence[Any] = (),
            on_done: Done | None = None) -> list[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Release what the backend opened (a Dask client it connected itself)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class SerialBackend(Backend):
    """Every item in this process, in order."""

    def map(self, fn, items, shared=(), on_done=None):
        results = []
        for i, item in enumerate(items):
            results.append(fn(item, *shared))
            (on_done or _quiet)(i, results[-1])
        return results

    def describe(self) -> str:
        return "serial (this process)"

    def __repr__(self) -> str:
        return "SerialBackend()"


class ProcessBackend(Backend):
    """``n_workers`` local processes (joblib's loky executor; processes start with each map).

    When a process dies, the cells that had not finished are run again, one at a time, so
    that only the cell that kills its process is reported as lost.
    """

    def __init__(self, n_workers: int):
        if isinstance(n_workers, bool) or not isinstance(n_workers, (int, np.integer)) \
                or n_workers < 1:
            raise CausalSynthError(f"The 'workers' parameter must be an int >= 1. Got "
                                   f"{n_workers!r} instead.")
        self.n_workers = int(n_workers)

    def map(self, fn, items, shared=(), on_done=None):
        from joblib.externals.loky import ProcessPoolExecutor
        from joblib.externals.loky.process_executor import BrokenProcessPool

        results: list[Any] = [None] * len(items)
        todo, alone = list(range(len(items))), False
        while todo:
            broken = []
            workers = 1 if alone else min(self.n_workers, len(todo))
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = {pool.submit(fn, items[i], *shared): i for i in todo}
                for future in cf.as_completed(futures):
                    i = futures[future]
                    try:
                        results[i] = future.result()
                    except BrokenProcessPool:
                        broken.append(i)
                        continue
                    except Exception as exc:  # e.g. an argument that cannot be pickled
                        results[i] = WorkerLost(f"the cell could not run in a worker "
                                                f"process: {error_text(exc)}")
                    (on_done or _quiet)(i, results[i])
            broken.sort()
            if broken and alone:  # one worker runs cells in order: the first unfinished died
                results[broken[0]] = WorkerLost(
                    "the local worker process running this cell died (out of memory, or a "
                    "crash in native code); run it alone, or with fewer workers")
                (on_done or _quiet)(broken[0], results[broken[0]])
                broken = broken[1:]
            todo, alone = broken, alone or bool(broken)
        return results

    def describe(self) -> str:
        return f"local processes ({self.n_workers})"

    def __repr__(self) -> str:
        return f"ProcessBackend(n_workers={self.n_workers})"


class DaskBackend(Backend):
    """A Dask distributed cluster: a ``distributed.Client``, or a scheduler address (then the
    client is opened here, within ``timeout`` seconds, and closed by :meth:`close`).

    Workers need causalsynth (the same version) installed. Start them with one thread each
    (``dask worker ADDRESS --nthreads 1 --nworkers N``): torch and SDV keep random state per
    process, so a worker process runs one cell at a time whatever its threads.
    """

    def __init__(self, client: Any, timeout: float | None = None):
        try:
            import distributed
        except ImportError as exc:
            raise MissingDependencyError(
                "running the compare grid on Dask needs the 'distributed' package; install it "
                "with: pip install \"causalsynth[dask]\"", name="distributed") from exc
        self._own = not isinstance(client, distributed.Client)
        if self._own:
            self.client = _connect(distributed, str(client),
                                   CONNECT_TIMEOUT if timeout is None else float(timeout))
        else:
            self.client = client
        self.address = self.client.scheduler.address

    def map(self, fn, items, shared=(), on_done=None):
        from distributed import as_completed

        client, done = self.client, on_done or _quiet
        token, futures, results = uuid.uuid4().hex[:12], {}, [None] * len(items)
        # every cell carries the tables itself, so it depends on no other task: a worker that
        # dies costs only the cells it was running (data scattered or computed once would be
        # lost with it, with every cell that needs it)
        for i, item in enumerate(items):
            try:
                with warnings.catch_warnings():  # large tables: sent with each cell on purpose
                    warnings.filterwarnings("ignore", message="(Sending large graph|Large object)")
                    future = client.submit(fn, item, *shared, pure=False,
                                           key=f"causalsynth-cell-{i}-{token}")
            except Exception as exc:  # the cell cannot be sent (pickling): its row's error
                results[i] = WorkerLost(f"the cell could not be sent to Dask: {error_text(exc)}")
                done(i, results[i])
                continue
            futures[future] = i
        for future in as_completed(list(futures)):  # cancelled and failed ones come back too
            i = futures[future]
            results[i] = self._result(future)
            done(i, results[i])
        for future in futures:
            future.release()
        return results

    def _result(self, future: Any) -> Any:
        from distributed import KilledWorker

        try:
            return future.result(timeout=30)
        except KilledWorker as exc:
            return WorkerLost(
                f"the Dask worker running this cell died ({error_text(exc)}); out of memory? "
                f"give the workers more memory or run fewer cells at a time")
        except Exception as exc:  # cancelled, lost dependencies, lost scheduler connection
            return WorkerLost(f"the cell was lost on the Dask cluster at {self.address}: "
                              f"{error_text(exc)}")

    def describe(self) -> str:
        workers = len(self.client.scheduler_info().get("workers", {}))
        return f"dask {self.address} ({workers} workers)"

    def close(self) -> None:
        if self._own:
            self.client.close()

    def __repr__(self) -> str:
        return f"DaskBackend({self.address!r})"


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


def _connect(distributed: Any, address: str, timeout: float) -> Any:
    """A Client on ``address`` with at least one worker, or a CausalSynthError, all within
    ``timeout`` seconds (one deadline for the connection, the handshake and the workers)."""
    address = check_address(address)
    deadline = _Deadline(timeout)
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


def _is_client(value: Any) -> bool:
    try:
        from distributed import Client
    except ImportError:
        return False
    return isinstance(value, Client)


def resolve_backend(backend: Any, timeout: float | None = None) -> Backend | None:
    """The backend that ``compare(..., backend=...)`` means.

    ``None``: None (compare's own serial loop, today's behaviour); an int ``n``: ``n`` local
    processes (1: this process); ``"serial"``; ``"processes"``: one local process per CPU;
    a ``distributed.Client``; any other str: a Dask scheduler address (``tcp://host:8786``),
    reached within ``timeout`` seconds (default :data:`CONNECT_TIMEOUT`); a :class:`Backend`:
    itself.
    """
    if backend is None or isinstance(backend, Backend):
        return backend
    if isinstance(backend, (int, np.integer)) and not isinstance(backend, bool):
        return SerialBackend() if backend == 1 else ProcessBackend(backend)
    if backend == "serial":
        return SerialBackend()
    if backend == "processes":
        from joblib import cpu_count

        return ProcessBackend(max(1, cpu_count()))
    if isinstance(backend, str) and backend.strip():
        return DaskBackend(backend.strip(), timeout=timeout)
    if _is_client(backend):
        return DaskBackend(backend)
    raise CausalSynthError(
        f"The 'backend' parameter of compare must be None, an int >= 1 (local processes), "
        f"'serial', 'processes', a Dask scheduler address or a distributed.Client. Got "
        f"{backend!r} ({type(backend).__name__}) instead.")
