"""causalsynth's ``fit_mmm`` next to pymc-marketing's MMM on the same simulated weekly tables.

For each seed ``s`` the time-indexed DAG (default the built-in ``weekly_mmm``) draws one series
``dag.simulate(weeks, seed=s)`` (``weeks`` default: three seasonal periods, 156 for weekly_mmm)
and both tools fit it:

* ``causalsynth``: ``causalsynth.evaluate.mmm.fit_mmm(table, dag)``, point estimate, main
  environment, timed in-process;
* ``pymc-marketing``: ``MMM(adstock=GeometricAdstock(l_max=L), saturation=
  LogisticSaturation())`` with the library's default priors, pymc's NUTS (default 2 chains x
  1,000 draws after 1,000 tuning steps, target_accept 0.9, chains on 2 cores), fitted by
  ``benchmarks/mmm_peers/run_pymc_marketing.py`` in its OWN virtual environment
  (``--peer-python``) through a CSV and a JSON spec; ROAS and mROAS from the library's own
  incrementality utilities (posterior means). See that script for every modelling choice.

Two cases per seed, on the same simulated table (``--cases``, default both):

* ``dates`` (the issue-24 case, what a real export looks like): the table's ``trend`` and
  ``season`` columns dropped, a DAG without those two nodes and without a simulation block
  but with the same ``time`` block (``without_nodes`` of ``benchmarks/bench_time_mmm.py``).
  ``fit_mmm`` builds its own time features from that block; pymc-marketing gets its
  documented set-up for such data: ``yearly_seasonality=2`` and a linear trend control ``t``
  (the week index) beside the DAG's other controls;
* ``columns`` (the earlier case): the table as simulated and the full DAG; no Fourier terms:
  the table's own trend and season columns are controls of both tools.

Everything comes from the DAG, nothing is copied from it here: the channels (numeric spend
nodes among the outcome's ancestors, as ``fit_mmm`` reports them), the controls handed to
pymc-marketing (the outcome's parents that are neither spend nor driven by spend: the
controls ``fit_mmm`` uses), ``max_lag`` per channel (the carryover declared in the DAG's
simulation block; pymc-marketing takes the largest, one ``l_max`` for all channels), the true
decay, and the truth ``causalsynth.simulation.ground_truth(dag, n_periods=weeks).mmm``
(``roas``: revenue lost with zero spend in every week of the series, per unit spent;
``mroas``: revenue of +1 % spend per extra unit; ``contribution_share``). A change of the
DAG's simulation block is picked up by a re-run.

Per seed and channel: the relative ROAS and mROAS errors, the contribution share error
(points) and the decay error of both tools. Seconds: ``fit_mmm``'s time, pymc-marketing's
model-to-ROAS time (building and sampling the model plus its ROAS utilities, ``peer_s``) and
the peer subprocess' wall time (Python start, imports and pytensor compilation included).
A table per channel (median and max |error| over seeds) is printed, with the speed ratio; one
JSON line per (seed, channel) with both tools' figures and the run's settings is appended to
``benchmarks/results/mmm_peers.jsonl``.

Create the peer's environment once (outside the repository; pymc-marketing 1.3 needs
Python >= 3.12 and a C compiler for pytensor)::

    python3.12 -m venv /work/venvs/pymc-marketing   # any 3.12, e.g. pyenv's 3.12.1
    /work/venvs/pymc-marketing/bin/pip install -r benchmarks/mmm_peers/requirements.txt

(the system Python here is 3.11; pyenv's ``/root/.pyenv/versions/3.12.1/bin/python`` served.)

Run (main environment; with the default sampler one pymc-marketing fit took 108-202 s,
median 134 s, on the 2 shared cores at load 7-9, fit_mmm 0.3-1.1 s. The 2026-12-07 run of both
cases, seeds 1-10, used 2 chains x 500 draws after 500 tuning steps, one chain at a time:
73-147 s per pymc-marketing fit at load 5-9 under nice 19, 0 divergences, R-hat <= 1.02, bulk
ESS >= 150; about 4 minutes per seed)::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_mmm_peers.py --seeds 5
    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python benchmarks/bench_mmm_peers.py --seeds 10 \
        --chains 2 --tune 500 --draws 500 --cores 1   # the 2026-12-07 run
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_mmm_peers.py --quick   # smoke run
    .venv/bin/python benchmarks/bench_mmm_peers.py --report   # reprint the latest saved run
    .venv/bin/python benchmarks/bench_mmm_peers.py --report --runs RUN1 RUN2   # runs together
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bench_time_mmm import TIME_NODES, without_nodes
from run_info import git_state, machine_load, run_peer

import causalsynth as cs
from causalsynth.evaluate.metric import jsonable
from causalsynth.evaluate.mmm import fit_mmm
from causalsynth.simulation import ground_truth

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "mmm_peers" / "run_pymc_marketing.py"
DEFAULT_OUT = HERE / "results" / "mmm_peers.jsonl"
DEFAULT_PEER_PYTHON = os.environ.get("CAUSALSYNTH_MMM_PEER",
                                     "/work/venvs/pymc-marketing/bin/python")
TOOLS = ("causalsynth", "pymc-marketing")
CASES = ("dates", "columns")
CASE_NOTE = {"dates": "dates only: no trend/season columns; fit_mmm's time features, "
                      "pymc-marketing yearly_seasonality=2 + trend control t",
             "columns": "no Fourier terms: the table's own trend and season columns are "
                        "controls"}
METRICS = ("roas", "mroas", "contribution_share", "decay")


def peer_help(path: str) -> str:
    return (f"pymc-marketing's environment not found at {path}; create it with\n"
            f"  python3.12 -m venv /work/venvs/pymc-marketing\n"
            f"  /work/venvs/pymc-marketing/bin/pip install -r "
            f"benchmarks/mmm_peers/requirements.txt\n"
            f"or pass --peer-python PATH (or set CAUSALSYNTH_MMM_PEER)")


def controls_of(dag, channels: list[str]) -> list[str]:
    """The outcome's parents that are neither a channel nor driven by one (fit_mmm's rule)."""
    return [p for p in dag.parents(dag.outcome)
            if p not in channels and not set(channels) & set(dag.ancestors(p))]


def declared_decays(dag) -> dict[str, float]:
    carry = ((dag.simulation or {}).get(dag.outcome, {}) or {}).get("carryover", {}) or {}
    return {c: float(v["decay"]) for c, v in carry.items() if "decay" in v}


def peer_table(table: pd.DataFrame, dag, channels: list[str], controls: list[str]
               ) -> tuple[pd.DataFrame, list[str]]:
    """The columns pymc-marketing gets: outcome, channels, controls (categories as 0/1)."""
    out = table[[dag.outcome, *channels]].astype(float).copy()
    names = []
    for c in controls:
        node = dag.node(c)
        if node.type == "categorical":
            for cat in node.categories[1:]:
                out[f"{c}={cat}"] = (table[c] == cat).astype(float)
                names.append(f"{c}={cat}")
        else:
            out[c] = table[c].astype(float)
            names.append(c)
    return out, names


def fit_peer(table: pd.DataFrame, dag, channels, controls, max_lag, seed: int, args,
             case: str = "columns") -> dict[str, Any]:
    """pymc-marketing's per-channel figures and seconds, from its own environment."""
    with tempfile.TemporaryDirectory(prefix="mmm_peer_") as tmp:
        tmp_path = Path(tmp)
        frame, names = peer_table(table, dag, channels, controls)
        frame.to_csv(tmp_path / "train.csv", index=False)
        spec = {"train": str(tmp_path / "train.csv"), "out": str(tmp_path / "out.json"),
                "outcome": dag.outcome, "channels": channels, "controls": names,
                "max_lag": max_lag, "seed": seed,
                "yearly_seasonality": 2 if case == "dates" else None,
                "trend_control": case == "dates",
                "sampler": {"chains": args.chains, "draws": args.draws, "tune": args.tune,
                            "target_accept": args.target_accept, "cores": args.cores}}
        wall = run_peer(args.peer_python, RUNNER, spec, tmp_path, "pymc-marketing",
                        args.peer_timeout)
        result = json.loads((tmp_path / "out.json").read_text())
    result["wall_s"] = wall
    return result


def _errors(est: dict, truth: pd.Series, decay: float | None) -> dict[str, float | None]:
    def rel(key):
        v = est.get(key)
        return None if v is None else float(v) / float(truth[key]) - 1.0

    share = est.get("contribution_share")
    return {"roas": est.get("roas"), "roas_err": rel("roas"),
            "mroas": est.get("mroas"), "mroas_err": rel("mroas"),
            "share": share,
            "share_err": None if share is None else float(share - truth["contribution_share"]),
            "decay": est.get("decay"),
            "decay_err": None if decay is None or est.get("decay") is None
            else float(est["decay"]) - decay}


def case_inputs(dag, table: pd.DataFrame, case: str):
    """(DAG, table) of one case: as simulated, or dates only (see the module notes)."""
    if case == "columns":
        return dag, table
    drop = sorted(TIME_NODES & set(dag.nodes))
    return without_nodes(dag, set(drop)), table.drop(columns=drop)


def run_seed(dag, seed: int, truth: pd.DataFrame, args) -> list[dict[str, Any]]:
    full = dag.simulate(args.weeks, seed=seed)
    rows = []
    for case in args.cases:
        rows += run_case(dag, *case_inputs(dag, full, case), case, seed, truth, args)
    return rows


def run_case(dag, fit_dag, table: pd.DataFrame, case: str, seed: int, truth: pd.DataFrame,
             args) -> list[dict[str, Any]]:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_mmm(table, fit_dag)
    cs_s = time.perf_counter() - start
    ours = fit.channels.set_index("channel")
    channels = list(ours.index)
    controls = controls_of(fit_dag, channels)
    max_lag = {c: int(ours.loc[c, "max_lag"]) for c in channels}
    decays = declared_decays(dag)
    peer, peer_error = None, None
    if not args.causalsynth_only:
        try:
            peer = fit_peer(table, fit_dag, channels, controls, max_lag, seed, args, case)
        except Exception as exc:  # a failed peer fit is recorded, the run goes on
            peer_error = f"{type(exc).__name__}: {exc}"[:2000]
    theirs = {r["channel"]: r for r in (peer or {}).get("channels", [])}
    rows = []
    for c in channels:
        t = truth.loc[c]
        row = {"case": case, "seed": seed, "channel": c, "truth_roas": float(t["roas"]),
               "truth_mroas": float(t["mroas"]),
               "truth_share": float(t["contribution_share"]), "truth_decay": decays.get(c),
               "causalsynth": _errors(ours.loc[c].to_dict(), t, decays.get(c)),
               "causalsynth_s": cs_s}
        if peer is not None:
            row["pymc-marketing"] = _errors(theirs.get(c, {}), t, decays.get(c))
            row["pymc-marketing"]["roas_from_contributions"] = theirs.get(c, {}).get(
                "roas_from_contributions")
            row["peer_s"] = float(peer["fit_s"]) + float(peer["metrics_s"])
            row["peer_fit_s"], row["peer_wall_s"] = peer["fit_s"], peer["wall_s"]
            row["peer_divergences"] = peer.get("divergences")
            row["peer_rhat_max"] = peer.get("rhat_max")
            row["peer_ess_bulk_min"] = peer.get("ess_bulk_min")
        if peer_error:
            row["peer_error"] = peer_error
        rows.append(row)
    status = f"seed {seed} {case}: fit_mmm {cs_s:.2f} s"
    if peer is not None:
        status += (f", pymc-marketing {rows[0]['peer_s']:.1f} s (wall {peer['wall_s']:.0f} s, "
                   f"{peer.get('divergences')} divergences, R-hat max "
                   f"{_fmt(peer.get('rhat_max'), '.3f')})")
    elif peer_error:
        status += f", pymc-marketing FAILED: {peer_error.splitlines()[0][:120]}"
    print(f"  {status} (load {machine_load()})", flush=True)
    return rows


def _fmt(value, spec: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format(value, spec)


def _abs(values) -> np.ndarray:
    v = np.array([abs(x) for x in values if x is not None and math.isfinite(x)], dtype=float)
    return v


def summary(rows: list[dict]) -> pd.DataFrame:
    """Per channel and tool: median and max |error| over seeds, seconds per fit."""
    out = []
    for c in dict.fromkeys(r["channel"] for r in rows):
        mine = [r for r in rows if r["channel"] == c]
        for tool in TOOLS:
            got = [r[tool] for r in mine if tool in r]
            if not got:
                continue
            rec = {"channel": c, "tool": tool, "seeds": len(got),
                   "truth_roas": mine[0]["truth_roas"]}
            for key in ("roas_err", "mroas_err", "share_err", "decay_err"):
                v = _abs(g[key] for g in got)
                rec[f"{key}_median"] = float(np.median(v)) if len(v) else None
                rec[f"{key}_max"] = float(np.max(v)) if len(v) else None
            secs = [r["causalsynth_s" if tool == "causalsynth" else "peer_s"] for r in mine
                    if tool in r]
            rec["seconds_median"] = float(np.median(secs))
            out.append(rec)
    return pd.DataFrame(out)


def case_of(row: dict) -> str:
    """A row's case; rows saved before the cases existed are the ``columns`` case."""
    return row.get("case", "columns")


def table(rows: list[dict]) -> str:
    """One table per case, the ``dates`` case first."""
    cases = sorted({case_of(r) for r in rows}, key=lambda c: CASES.index(c))
    return "\n\n".join(f"case {c}: {CASE_NOTE[c]}\n"
                        + case_table([r for r in rows if case_of(r) == c]) for c in cases)


def case_table(rows: list[dict]) -> str:
    s = summary(rows)
    head = (f"{'channel':<14} {'tool':<15} {'seeds':>5} {'true ROAS':>9} "
            f"{'|ROAS err| med':>14} {'max':>7} {'|mROAS| med':>11} {'share pp med':>12} "
            f"{'|decay| med':>11} {'s/fit':>8}")
    lines = [head, "-" * len(head)]
    for _, r in s.iterrows():
        lines.append(
            f"{r['channel']:<14} {r['tool']:<15} {r['seeds']:>5} {r['truth_roas']:>9.3f} "
            f"{_fmt(r['roas_err_median'], '.1%'):>14} {_fmt(r['roas_err_max'], '.1%'):>7} "
            f"{_fmt(r['mroas_err_median'], '.1%'):>11} {_fmt(r['share_err_median'], '.2f'):>12} "
            f"{_fmt(r['decay_err_median'], '.3f'):>11} {r['seconds_median']:>8.2f}")
    ours = s[s["tool"] == "causalsynth"].set_index("channel")
    theirs = s[s["tool"] == "pymc-marketing"].set_index("channel")
    if len(theirs):
        both = ours.index.intersection(theirs.index)
        no_worse = [c for c in both
                    if ours.loc[c, "roas_err_median"] <= theirs.loc[c, "roas_err_median"]]
        cs_s = float(np.median([r["causalsynth_s"] for r in rows]))
        pm_s = float(np.median([r["peer_s"] for r in rows if "peer_s" in r]))
        wall = float(np.median([r["peer_wall_s"] for r in rows if "peer_wall_s" in r]))
        lines.append("")
        lines.append(f"median |ROAS error| no worse than pymc-marketing's on {len(no_worse)} of "
                     f"{len(both)} channels ({', '.join(no_worse) or 'none'})")
        lines.append(f"seconds per fit (median): fit_mmm {cs_s:.2f} s, pymc-marketing "
                     f"{pm_s:.1f} s model to ROAS ({wall:.0f} s subprocess wall): "
                     f"{pm_s / cs_s:.0f}x faster (goal >= 10x)")
        fits = {(r["seed"], r.get("peer_divergences"), r.get("peer_rhat_max"),
                 r.get("peer_ess_bulk_min")) for r in rows if "peer_s" in r}
        div = [f[1] for f in fits if f[1] is not None]
        rhat = [f[2] for f in fits if f[2] is not None]
        ess = [f[3] for f in fits if f[3] is not None]
        if rhat:
            lines.append(f"pymc-marketing sampler over {len(fits)} fits: divergences total "
                         f"{sum(div)} (fits with any: {sum(d > 0 for d in div)}), R-hat max "
                         f"{max(rhat):.3f}, bulk ESS min {min(ess):.0f} (media parameters)")
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dag", default="weekly_mmm", help="a time-indexed DAG (name or path)")
    p.add_argument("--seeds", type=int, default=5, help="seeds 1..N")
    p.add_argument("--first-seed", type=int, default=1)
    p.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES),
                   help="dates: no trend/season columns; columns: as simulated "
                        "(default: both, on the same tables)")
    p.add_argument("--weeks", type=int, default=None,
                   help="periods per series (default: three seasonal periods of the DAG)")
    p.add_argument("--chains", type=int, default=2)
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--tune", type=int, default=1000)
    p.add_argument("--target-accept", type=float, default=0.9)
    p.add_argument("--cores", type=int, default=2, help="processes for pymc's chains")
    p.add_argument("--peer-python", default=DEFAULT_PEER_PYTHON,
                   help="python of pymc-marketing's environment (default %(default)s)")
    p.add_argument("--peer-timeout", type=float, default=1800.0)
    p.add_argument("--causalsynth-only", action="store_true", help="skip pymc-marketing")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON lines appended here")
    p.add_argument("--no-save", action="store_true")
    p.add_argument("--report", action="store_true",
                   help="fit nothing: print the table of the latest saved run in --out")
    p.add_argument("--runs", nargs="+", default=None,
                   help="with --report: these saved runs (their 'run' stamps) together, e.g. "
                        "one series of seeds run in parts")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 1 seed, 1 chain of 100 draws after 100 tuning steps")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds, args.chains, args.draws, args.tune, args.cores = 1, 1, 100, 100, 1
    return args


def saved_runs(path: Path, runs: list[str] | None = None) -> list[dict]:
    """The rows of ``runs`` in ``path`` (default: the latest run)."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] \
        if path.exists() else []
    if not rows:
        return []
    wanted = set(runs or [rows[-1]["run"]])
    return [r for r in rows if r.get("run") in wanted]


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.report:
        rows = saved_runs(args.out, args.runs)
        if not rows:
            print(f"no saved run {args.runs or ''} in {args.out}", file=sys.stderr)
            return 1
        r0 = rows[0]
        print(f"run {', '.join(dict.fromkeys(r['run'] for r in rows))} ({r0['dag']}, "
              f"{r0['weeks']} weeks, pymc-marketing {r0['settings']}, seeds "
              f"{sorted({r['seed'] for r in rows})})")
        print(table(rows))
        return 0
    if not args.causalsynth_only and not Path(args.peer_python).exists():
        print(peer_help(args.peer_python), file=sys.stderr)
        return 2
    dag = cs.load_dag(args.dag)
    if dag.time is None:
        print(f"DAG {dag.name!r} has no time index; this benchmark needs a time-indexed DAG "
              f"such as weekly_mmm", file=sys.stderr)
        return 2
    args.weeks = int(args.weeks or 3 * dag.time.period)
    truth = ground_truth(dag, n_periods=args.weeks).mmm.set_index("channel")
    settings = {"chains": args.chains, "draws": args.draws, "tune": args.tune,
                "target_accept": args.target_accept, "cores": args.cores}
    run = datetime.now(timezone.utc).isoformat(timespec="seconds")
    meta = {"run": run, "dag": dag.name, "weeks": args.weeks, "settings": settings,
            "command": " ".join(sys.argv),
            "git": git_state(), "causalsynth": cs.__version__}
    print(f"bench_mmm_peers: {dag.name}, {args.weeks} weeks, seeds {args.first_seed}.."
          f"{args.first_seed + args.seeds - 1}, pymc-marketing {settings}; "
          f"load {machine_load()}", flush=True)
    rows: list[dict] = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        new = [{**meta, **r, "load": machine_load()} for r in run_seed(dag, seed, truth, args)]
        rows.extend(new)
        if not args.no_save:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            with args.out.open("a") as fh:
                for r in new:
                    fh.write(json.dumps(jsonable(r)) + "\n")
    print()
    print(table(rows))
    failed = [r for r in rows if "peer_error" in r]
    for r in failed[:1]:
        print(f"\npymc-marketing failed on seed {r['seed']}:\n{r['peer_error']}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
