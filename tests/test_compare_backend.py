"""The compare grid on execution backends: local processes (joblib) and Dask distributed.

Every backend must give the serial run's numbers for the same seed (cells seed themselves from
their label, never from worker order), a failing cell must stay a row error, a worker process
that dies must cost at most its own cells, and an unreachable scheduler must be one clear error.
The Dask tests start a ``LocalCluster`` of 2 single-threaded worker processes inside the test.
Most tests validate with a stand-in (a correlation verdict; fast); one runs the real validate.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest

# the package exports the function compare(); the module is reached through sys.modules
import causalsynth._dask_connect as connect_mod
import causalsynth.comparison as cmp
from causalsynth import CausalSynthError, load_dag
from causalsynth.evaluate.metric import MetricResult
from causalsynth.evaluate.report import Report
from causalsynth.synthesizers.base import Synthesizer

distributed = pytest.importorskip("distributed", reason="needs causalsynth[dask]")

#: columns that must match between backends (timings differ)
NUMBERS = [c for c in cmp.LEADERBOARD_COLUMNS if c not in ("fit_s", "sample_s")]


class Gaussian(Synthesizer):
    """A multivariate normal with the real covariance, fitted after ``pause`` seconds (a
    negative pause: the fit fails)."""

    name = "gaussian"

    def __init__(self, pause: float = 0.0, random_state=0):
        self.pause, self.random_state = pause, random_state

    def _fit(self, data, dag):
        if self.pause < 0:
            raise RuntimeError("the model diverged\nsecond line")
        time.sleep(self.pause)
        # random_state matters: a jittered covariance, so seeds give different fits
        jitter = np.random.default_rng(self.random_state).uniform(0.9, 1.1)
        self.mean_, self.cov_ = data.mean().to_numpy(), data.cov().to_numpy() * jitter

    def _sample(self, n, rng, **kwargs):
        return pd.DataFrame(rng.multivariate_normal(self.mean_, self.cov_, n),
                            columns=self.columns_)


class KillsItsProcess(Synthesizer):
    """Ends the worker process it is fitted in (never the test process itself)."""

    name = "kills_its_process"

    def __init__(self, parent: int = 0):
        self.parent = parent  # the test process (a worker re-imports this module)

    def _fit(self, data, dag):
        if os.getpid() != self.parent:
            os._exit(3)
        raise RuntimeError("refusing to end the test process")


def stand_in_validate(real, synthetic, dag, holdout, seed, margins=None, guarantee=None):
    """validate() without the cost: a verdict from the largest correlation difference (of
    the first draw, when compare passes several)."""
    synthetic = synthetic[0] if isinstance(synthetic, list) else synthetic
    diff = float((real.corr() - synthetic.corr()).abs().to_numpy().max())
    verdict = "preserved" if diff < 0.25 else "not preserved"
    ici = [{"node": c, "diff_pp": 30 * diff * (i == 0) + float(synthetic[c].mean()) * 0}
           for i, c in enumerate(real.columns)]
    return Report(verdict=verdict,
                  causal={"verdict": verdict, "ici": ici,
                          "effects": [{"rel_diff": float(synthetic.iloc[:, 1].mean()
                                                         / real.iloc[:, 1].mean() - 1)}]},
                  fidelity={"quality_score": MetricResult("quality_score", 1 - diff, "higher")},
                  meta={"seed": seed, "n_real": len(real), "n_synthetic": len(synthetic)})


@pytest.fixture
def stand_in(monkeypatch):
    monkeypatch.setattr(cmp, "_run_validate", stand_in_validate)


@pytest.fixture(scope="module")
def real():
    return load_dag("acquisition").simulate(400, seed=0)


@pytest.fixture(scope="module")
def cluster():
    import dask

    # without Dask's MALLOC_TRIM_THRESHOLD_=65536: it halves the speed of the privacy metrics
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     host="127.0.0.1", scheduler_port=0,  # a free port
                                     dashboard_address=None) as lc, \
            distributed.Client(lc) as client:
        yield lc, client


def specs():
    return {"g": Gaussian(), "causal": {}, "broken": Gaussian(pause=-1),
            "nope": ("no_such_synth", {})}


def _numbers(result):
    return result.leaderboard[NUMBERS].reset_index(drop=True)


def test_seeds_make_a_grid_and_seeds_equal_to_seed_reproduce_the_plain_run(real, stand_in):
    named = {"causal": {}, "nope": ("no_such_synth", {}), "copula": ("gaussian_copula", {})}
    plain = cmp.compare(real, "acquisition", named, seed=3)
    one = cmp.compare(real, "acquisition", named, seed=3, seeds=[3])
    assert list(one.leaderboard["synthesizer"]) == [f"{k} seed=3" for k in named]
    pd.testing.assert_frame_equal(_numbers(plain).drop(columns="synthesizer"),
                                  _numbers(one).drop(columns="synthesizer"))
    grid = cmp.compare(real, "acquisition", {"g": Gaussian()}, seed=3, seeds=[0, 1, 0])
    by = grid.leaderboard.set_index("synthesizer")
    assert list(by.index) == ["g seed=0", "g seed=1"]  # repeated seeds counted once
    assert by.loc["g seed=0", "quality"] != by.loc["g seed=1", "quality"]
    assert grid.meta["seeds"] == [0, 1] and grid.meta["families"]["g seed=1"] == "gaussian"
    with pytest.raises(CausalSynthError, match="'seeds' parameter of compare"):
        cmp.compare(real, "acquisition", ["causal"], seeds=[-1])
    with pytest.raises(CausalSynthError, match="at least one seed"):
        cmp.compare(real, "acquisition", ["causal"], seeds=[])


def test_backend_values_are_checked_before_any_work(real, stand_in):
    with pytest.raises(CausalSynthError, match=r"'backend' parameter of compare .* Got 2\.5"):
        cmp.compare(real, "acquisition", ["causal"], backend=2.5)
    with pytest.raises(CausalSynthError, match="'workers' parameter must be an int >= 1"):
        cmp.compare(real, "acquisition", ["causal"], backend=0)
    serial = cmp.compare(real, "acquisition", specs(), seed=1, backend="serial")
    assert serial.meta["backend"] == "serial (this process)"
    pd.testing.assert_frame_equal(_numbers(serial),
                                  _numbers(cmp.compare(real, "acquisition", specs(), seed=1)))


def test_unreachable_scheduler_is_one_clear_error_within_the_timeout(real, stand_in, monkeypatch):
    monkeypatch.setattr(connect_mod, "CONNECT_TIMEOUT", 1.0)
    outcome: dict[str, BaseException] = {}

    def call():
        try:
            cmp.compare(real, "acquisition", ["causal"], backend="tcp://127.0.0.1:9")
        except BaseException as exc:  # handed to the test thread
            outcome["error"] = exc

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(60)  # a hang would leave the thread running
    assert not worker.is_alive(), "compare hung on an unreachable scheduler"
    err = outcome["error"]
    assert isinstance(err, CausalSynthError)
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9' within 1 s" in str(err)
    assert "--workers N" in str(err)


def test_dask_cluster_gives_the_serial_numbers_and_row_errors(real, stand_in, cluster):
    _, client = cluster
    grid = specs()
    serial = cmp.compare(real, "acquisition", specs(), seed=5, seeds=[0, 1])
    on_dask = cmp.compare(real, "acquisition", grid, seed=5, seeds=[0, 1], backend=client)
    pd.testing.assert_frame_equal(_numbers(serial), _numbers(on_dask), check_exact=True)
    by = on_dask.leaderboard.set_index("synthesizer")
    assert by.loc["broken seed=1", "error"] == "RuntimeError: the model diverged"
    assert "unknown synthesizer 'no_such_synth'" in by.loc["nope seed=0", "error"]
    assert by.loc["causal seed=1", "verdict"] in ("preserved", "not preserved")
    assert on_dask.meta["backend"].startswith(f"dask {client.scheduler.address} (2 workers")
    assert not hasattr(grid["g"], "mean_")  # the caller's instance went to the workers unfitted
    # the scheduler address instead of the client: the same numbers
    by_address = cmp.compare(real, "acquisition", grid, seed=5, seeds=[0, 1],
                             backend=client.scheduler.address)
    pd.testing.assert_frame_equal(_numbers(serial), _numbers(by_address), check_exact=True)


@pytest.mark.slow
def test_local_processes_give_the_serial_numbers_and_survive_a_dying_process(real, stand_in):
    specs = {"g": Gaussian(), "dies": KillsItsProcess(os.getpid()), "causal": {},
             "broken": Gaussian(pause=-1)}
    serial = cmp.compare(real, "acquisition", specs, seed=2, reference=True)
    local = cmp.compare(real, "acquisition", specs, seed=2, reference=True, backend=2)
    by = local.leaderboard.set_index("synthesizer")
    assert "worker process running this cell died" in by.loc["dies", "error"]
    assert by.loc["broken", "error"] == "RuntimeError: the model diverged"
    keep = local.leaderboard["synthesizer"] != "dies"
    pd.testing.assert_frame_equal(_numbers(serial)[keep.to_numpy()],
                                  _numbers(local)[keep.to_numpy()], check_exact=True)
    assert set(local.reports) == {"g", "causal", cmp.REFERENCE}
    assert local.meta["backend"] == "local processes (2)"


@pytest.mark.slow
@pytest.mark.parametrize("allowed_failures", [0, 3])
def test_a_worker_killed_mid_grid_costs_its_cells_not_the_grid(real, stand_in, cluster,
                                                               allowed_failures):
    """0 (strict): the dead worker's cells are row errors; 3 (Dask's default): they rerun on
    another worker with their own seeds and give the serial numbers."""
    lc, client = cluster
    specs = {f"g{i}": Gaussian(pause=1.5) for i in range(4)}
    # the serial reference without the pauses (they only keep a Dask worker busy to kill;
    # the fit's numbers do not depend on them)
    serial = cmp.compare(real, "acquisition", {k: Gaussian() for k in specs}, seed=0)
    pids = client.run(os.getpid)
    before = lc.scheduler.allowed_failures
    lc.scheduler.allowed_failures = allowed_failures
    killed: list[str] = []

    def kill_a_busy_worker():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = [w for w, keys in client.processing().items() if keys and w in pids]
            if busy:
                time.sleep(0.5)  # inside the cell's fit
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(busy[0])
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_a_busy_worker, daemon=True)
    killer.start()
    try:
        result = cmp.compare(real, "acquisition", specs, seed=0, backend=client)
    finally:
        killer.join(60)
        lc.scheduler.allowed_failures = before
        client.wait_for_workers(2, timeout=120)  # the nanny restarts the killed worker
    assert killed, "no worker was busy to kill"
    board = result.leaderboard
    assert list(board["synthesizer"]) == list(specs)  # no row lost
    lost = board["error"].notna().to_numpy()
    if allowed_failures == 0:
        assert lost.any() and not lost.all()
        assert board.loc[lost, "error"].str.contains("Dask worker running this cell died").all()
    else:
        assert not lost.any()
    pd.testing.assert_frame_equal(_numbers(serial)[~lost], _numbers(result)[~lost],
                                  check_exact=True, check_dtype=False)


@pytest.mark.slow
def test_real_validate_on_dask_equals_serial(cluster):
    """The real evaluation stack (SDV, DoWhy, EconML, SDMetrics) in the workers."""
    _, client = cluster
    real = load_dag("acquisition").simulate(500, seed=1)
    specs = ["gaussian_copula", "causal"]
    on_dask = cmp.compare(real, "acquisition", specs, seed=0, backend=client)
    for name, rep in on_dask.reports.items():
        errors = {k: m.error for k, m in rep.fidelity.items() if getattr(m, "error", None)}
        assert not errors, (name, errors)
    serial = cmp.compare(real, "acquisition", specs, seed=0)
    assert serial.leaderboard["error"].isna().all()
    pd.testing.assert_frame_equal(_numbers(serial), _numbers(on_dask), check_exact=True)
    ici = [{k: v for k, v in row.items() if k != "seconds"}
           for row in on_dask.reports["causal"].to_dict()["causal"]["ici"]]
    assert ici == [{k: v for k, v in row.items() if k != "seconds"}
                   for row in serial.reports["causal"].to_dict()["causal"]["ici"]]


# ---- the command line -----------------------------------------------------------------------
def test_cli_workers_scheduler_and_seeds(real, stand_in, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    import causalsynth.cli as cli

    path = tmp_path / "real.csv"
    real.to_csv(path, index=False)

    def run(*args):
        return CliRunner().invoke(cli.app, ["compare", str(path), "--dag", "acquisition",
                                            "--synthesizers", "causal", *args])

    res = run("--seeds", "0,1", "--workers", "1", "--json", str(tmp_path / "c.json"))
    assert res.exit_code in (0, 1), res.output
    assert "cells ran on serial (this process)" in res.output
    assert "causal seed=1" in (tmp_path / "c.json").read_text()
    res = run("--workers", "2", "--scheduler", "tcp://127.0.0.1:9")
    assert res.exit_code == 2 and "--workers and --scheduler exclude each other" in res.output
    res = run("--seeds", "0,x")
    assert res.exit_code == 2 and "--seeds must be comma-separated ints" in res.output
    monkeypatch.setattr(connect_mod, "CONNECT_TIMEOUT", 1.0)
    res = run("--scheduler", "tcp://127.0.0.1:9")
    assert res.exit_code == 2, res.output
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9' within 1 s" in res.output
    assert "Traceback" not in res.output
