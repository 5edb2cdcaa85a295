"""Where the cells of a compare grid run: in this process, in local processes, or on Dask.

Backends (see :func:`resolve_backend` for what ``compare(..., backend=...)`` accepts) run the
cells of :mod:`causalsynth._grid_cells`:

* :class:`SerialBackend`: one cell after another in this process;
* :class:`ProcessBackend`: ``n_workers`` local processes (joblib's loky executor). When a
  process dies (out of memory, a crash in native code), the unfinished cells are run again one
  at a time, so that only the cell that kills its process ends as an error;
* :class:`DaskBackend`: a Dask distributed cluster, from a ``distributed.Client`` or a scheduler
  address (``pip install "causalsynth[dask]"``), reached within one deadline
  (:mod:`causalsynth._dask_connect`). Dask reruns a cell whose worker died on another worker
  (up to the scheduler's ``distributed.scheduler.allowed-failures``, 3 by default) and then
  reports it as lost.

An item whose worker died gets a :class:`~causalsynth._grid_cells.WorkerLost` as its result.

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
import uuid
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from causalsynth._dask_connect import connect
from causalsynth._grid_cells import WorkerLost, error_text
from causalsynth.errors import CausalSynthError, MissingDependencyError

__all__ = ["Backend", "DaskBackend", "ProcessBackend", "SerialBackend", "resolve_backend"]


def _quiet(*args: Any, **kwargs: Any) -> None:
    return None


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
            self.client = connect(distributed, str(client), timeout)
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
    reached within ``timeout`` seconds (default
    :data:`~causalsynth._dask_connect.CONNECT_TIMEOUT`); a :class:`Backend`:
    itself.
    """
    if backend is None or isinstance(backend, Backend):
        return backend
    if isinstance(backend, (int, np.integer)) and not isinstance(backend, bool):
        return SerialBackend() if backend == 1 else ProcessBackend(int(backend))
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
