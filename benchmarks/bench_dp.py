"""DP ``causal`` next to MST and AIM (smartnoise-synth), at the same (epsilon, delta).

For each DAG (acquisition, saturation, ad_funnel; real = ``dag.simulate(20000, seed=1)``,
holdout = ``dag.simulate(5000, seed=3)``) and each epsilon in {0.5, 1, 3, 10} (delta = 1e-6):

* ``dp-causal``: ``make_synthesizer("causal", epsilon=, delta=, random_state=0)``, main
  environment;
* ``mst`` and ``aim``: smartnoise-synth's MST and AIM (private-pgm), fitted by
  ``benchmarks/dp_peers/run_peer.py`` in their OWN virtual environment (``--peers-python``),
  through CSV files; the synthetic CSV is read back with the DAG's dtypes and categories;
* references, once per DAG: the non-private ``causal`` synthesizer and a fresh draw
  ``dag.simulate(20000, seed=2)`` (what a perfect synthesizer would give).

Each synthetic table (as many rows as the real one) is judged by ``causalsynth.validate(real,
synthetic, dag, holdout=holdout, seed=0)``; one row per (DAG, synthesizer, epsilon): the largest
|ICI difference| (points), the largest |relative effect difference| (over every effect row,
"not judged" ones included: on saturation a per-unit effect of a saturating spend differs by
~50 % even on a fresh draw; the JSON rows also keep the judged-only maximum and the worst
effect), SDMetrics' quality score, the verdict, the membership-inference AUC (0.5 = no leak),
``dcr_share_closer_to_train`` (how often a synthetic row is nearer its closest training row
than a holdout row is: 0.5 = like unseen real rows, 1 = copies, well below 0.5 = synthetic rows
far from every real row, i.e. poor fidelity) and the fit seconds; the JSON rows also keep
SDMetrics' share of synthetic rows closer to training than to holdout
(``sdmetrics_closer_to_training``, a 500-row sample). One table is printed and every row is
appended as a JSON line to ``benchmarks/results/dp.jsonl``. Also printed: the DP-causal fit
time at epsilon = 3 over the non-private ``causal`` fit time
(goal: <= 2).

Bounds (``--bounds``). ``declared`` (default): every numeric node gets the public range below
(``DECLARED_RANGES``, what an analyst knows of the domain without looking at the rows; a range
the DAG already declares wins), written into the DAG handed to DP-causal and to the peers, so
nobody spends budget on bounds. ``private``: no range is declared; DP-causal buys its bounds
with its ``bounds_share`` (10 %) and the peers with the same share of their budget and the same
rule (noisy histogram on a fixed geometric grid), counted in their (epsilon, delta).

Peers' discretization (see ``dp_peers/run_peer.py``): ``--bins`` (32) equal-width bins over the
range plus a zero cell when 0 lies in the range, back to values uniformly within the bin; labels
by their declared categories. Their budget is smartnoise's own (epsilon, delta) -> zCDP conversion
(OpenDP's, tighter than the ``rho + 2 sqrt(rho log(1/delta))`` of DP-causal: at epsilon 1,
delta 1e-6 the peers get rho 0.0244 against DP-causal's 0.0175, i.e. 40 % more; both are
(epsilon, delta)-DP). AIM's ``rounds`` default to 16 x columns; ``--aim-rounds`` caps them
(stated in every row and in the table as ``aim rN``).

Create the peers' environment once (outside the repository)::

    python3 -m venv /work/venvs/dp-peers
    /work/venvs/dp-peers/bin/pip install -r benchmarks/dp_peers/requirements.txt

Run (main environment; on 2 shared cores the peers take about an hour, validate ~10-60 s a
table, DP-causal minutes; AIM at epsilon 10 on acquisition and saturation ran past 20 minutes a
fit (smartnoise re-fits its model 1,000 mirror-descent steps a round), so use nohup)::

    .venv/bin/python benchmarks/bench_dp.py --quick          # smoke run, a few minutes
    nohup .venv/bin/python benchmarks/bench_dp.py > dp.log 2>&1 &
    .venv/bin/python benchmarks/bench_dp.py --dags saturation --epsilons 1 3 --synthesizers mst
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

import pandas as pd
from run_info import git_state, machine_load, run_peer

import causalsynth as cs
from causalsynth.dag import DAG
from causalsynth.data import check_data
from causalsynth.evaluate.metric import jsonable

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "dp_peers" / "run_peer.py"
DEFAULT_OUT = HERE / "results" / "dp.jsonl"
DEFAULT_PEERS_PYTHON = os.environ.get("CAUSALSYNTH_DP_PEERS", "/work/venvs/dp-peers/bin/python")
SYNTHESIZERS = ("dp-causal", "mst", "aim", "causal", "fresh")
PEERS = ("mst", "aim")
REFERENCES = ("causal", "fresh")

#: public ranges of the numeric nodes: round numbers covering the simulated domain (about the
#: 0.05 % to 99.95 % points of a 200,000-row draw with another seed), never the private rows'
DECLARED_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "acquisition": {
        "demand": (10_000, 200_000), "tv_spend": (20_000, 180_000),
        "social_spend": (10_000, 200_000), "organic_clicks": (50_000, 250_000),
        "social_clicks": (100_000, 400_000), "revenue": (200_000, 600_000),
    },
    "saturation": {
        "season": (20, 180), "tv_spend": (0, 80_000), "search_spend": (0, 20_000),
        "social_spend": (0, 100_000), "brand_searches": (0, 600), "revenue": (0, 150_000),
    },
    "ad_funnel": {"revenue": (0, 250)},
}


def peers_help(path: str) -> str:
    return (f"the DP peers' environment {path} was not found; create it with\n"
            f"    python3 -m venv {Path(path).parent.parent}\n"
            f"    {Path(path).parent}/pip install -r {RUNNER.parent / 'requirements.txt'}\n"
            f"or pass --peers-python PATH (or set CAUSALSYNTH_DP_PEERS)")


def with_ranges(dag: DAG, bounds: str) -> DAG:
    """The DAG handed to the synthesizers: declared ranges on every numeric node (``declared``),
    or as it is (``private``: the synthesizers buy the missing bounds from their budget)."""
    if bounds == "private":
        return dag
    spec = dag.to_dict()
    declared = DECLARED_RANGES.get(dag.name, {})
    for node in spec["nodes"]:
        if node["type"] in ("continuous", "count") and "range" not in node:
            if node["name"] not in declared:
                raise SystemExit(f"no declared range for {dag.name}.{node['name']}; add it to "
                                 f"DECLARED_RANGES or use --bounds private")
            node["range"] = [float(v) for v in declared[node["name"]]]
    return cs.load_dag(spec)


def column_specs(dag: DAG) -> list[dict[str, Any]]:
    out = []
    for name in dag.nodes:
        node = dag.node(name)
        out.append({"name": name, "type": node.type,
                    "categories": list(node.categories) if node.categories else None,
                    "range": list(node.range) if node.range is not None else None})
    return out


def read_synthetic(path: Path, dag: DAG, who: str) -> pd.DataFrame:
    """A peer's CSV with the DAG's dtypes (labels as text, then ``check_data``'s categories)."""
    dtypes = {n: (str if dag.node_type(n) == "categorical" else
                  "int64" if dag.node_type(n) in ("binary", "count") else float)
              for n in dag.nodes}
    frame = pd.read_csv(path, dtype=dtypes, keep_default_na=False)
    return check_data(frame, dag, allow_constant=True, what=f"{who}'s synthetic table")


def fit_peer(name: str, real: pd.DataFrame, dag: DAG, epsilon: float, args
             ) -> tuple[pd.DataFrame, float, dict]:
    """(synthetic table, fit seconds, runner's meta) from the peers' environment."""
    with tempfile.TemporaryDirectory(prefix=f"dp_{name}_") as tmp:
        tmp_path = Path(tmp)
        real.to_csv(tmp_path / "train.csv", index=False)
        aim = {}
        if name == "aim" and args.aim_rounds:
            aim["rounds"] = args.aim_rounds
        if name == "aim" and args.aim_degree != 2:
            aim["degree"] = args.aim_degree
        spec = {"train": str(tmp_path / "train.csv"), "out": str(tmp_path / "synthetic.csv"),
                "meta": str(tmp_path / "meta.json"), "synthesizer": name,
                "epsilon": epsilon, "delta": args.delta, "seed": args.seed,
                "rows": len(real), "bins": args.bins, "bounds_share": args.bounds_share,
                "aim": aim, "columns": column_specs(dag)}
        wall = run_peer(args.peers_python, RUNNER, spec, tmp_path, name, args.peer_timeout)
        meta = json.loads((tmp_path / "meta.json").read_text())
        meta["wall_s"] = wall
        synthetic = read_synthetic(tmp_path / "synthetic.csv", dag, name)
    return synthetic, float(meta["fit_s"]), meta


def fit_causal(real: pd.DataFrame, dag: DAG, epsilon: float | None, args
               ) -> tuple[pd.DataFrame, float, dict]:
    params: dict[str, Any] = {"random_state": args.seed}
    if epsilon is not None:
        params.update(epsilon=epsilon, delta=args.delta)
    synth = cs.make_synthesizer("causal", **params)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth.fit(real, dag)
    fit_s = time.perf_counter() - start
    synthetic = synth.sample(len(real), seed=args.seed)
    meta = {"guarantee": jsonable(getattr(synth, "guarantee_", None))} if epsilon else {}
    return synthetic, fit_s, meta


def _max_abs(rows, key: str) -> float:
    vals = [abs(float(r[key])) for r in rows or [] if r.get(key) is not None]
    vals = [v for v in vals if math.isfinite(v)]
    return max(vals) if vals else float("nan")


def _worst(rows, key: str, label: str) -> str | None:
    rows = [r for r in rows or [] if r.get(key) is not None and math.isfinite(float(r[key]))]
    return str(max(rows, key=lambda r: abs(float(r[key])))[label]) if rows else None


def _worst_effect(rows) -> dict | None:
    """The effect behind the largest relative difference, with its real and synthetic values."""
    rows = [r for r in rows or []
            if r.get("rel_diff") is not None and math.isfinite(float(r["rel_diff"]))]
    if not rows:
        return None
    r = max(rows, key=lambda r: abs(float(r["rel_diff"])))
    return {k: jsonable(r.get(k)) for k in ("treatment", "outcome", "kind", "real", "synthetic")}


def _value(section: dict, key: str) -> float:
    metric = section.get(key)
    value = getattr(metric, "value", None)
    return float(value) if value is not None else float("nan")


def _sdmetrics_closer(privacy: dict) -> float:
    """SDMetrics' DCROverfittingProtection: share of synthetic rows (a 500-row sample) closer
    to a training row than to a holdout row (0.5 = no overfitting)."""
    metric = privacy.get("sdmetrics_dcr_overfitting_protection")
    frame = getattr(metric, "breakdown", None)
    try:
        return float(frame.loc[frame["table"] == "synthetic", "closer_to_training"].iloc[0])
    except (AttributeError, KeyError, IndexError, TypeError):
        return float("nan")


def judge(real, synthetic, dag, holdout, args) -> dict[str, Any]:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = cs.validate(real, synthetic, dag, holdout=holdout, seed=0)
    return {
        "max_ici_diff_pp": _max_abs(report.causal.get("ici"), "diff_pp"),
        "ici_worst_node": _worst(report.causal.get("ici"), "diff_pp", "node"),
        "max_rel_effect_diff": _max_abs(report.causal.get("effects"), "rel_diff"),
        "max_rel_effect_diff_judged": _max_abs(
            [r for r in report.causal.get("effects") or [] if r.get("status") != "not judged"],
            "rel_diff"),
        "effect_worst": _worst_effect(report.causal.get("effects")),
        "quality": _value(report.fidelity, "quality_score"),
        "verdict": report.verdict,
        "mia_auc": _value(report.privacy, "membership_inference_auc"),
        "dcr_closer_to_train": _value(report.privacy, "dcr_share_closer_to_train"),
        "sdmetrics_closer_to_training": _sdmetrics_closer(report.privacy),
        "lost_columns": list(report.causal.get("lost_columns") or []),
        "validate_s": time.perf_counter() - start,
    }


def run_one(name: str, epsilon: float | None, data: dict, args) -> dict[str, Any]:
    dag, fit_dag = data["dag"], data["fit_dag"]
    row: dict[str, Any] = {"dag": dag.name, "synthesizer": name, "epsilon": epsilon,
                           "delta": args.delta if epsilon is not None else None,
                           "rows": len(data["real"]), "bounds": args.bounds}
    if name in PEERS:
        row.update(bins=args.bins, aim_rounds=args.aim_rounds if name == "aim" else None,
                   aim_degree=args.aim_degree if name == "aim" else None)
    try:
        if name == "fresh":
            start = time.perf_counter()
            synthetic = dag.simulate(len(data["real"]), seed=2)
            fit_s, meta = time.perf_counter() - start, {}
        elif name in PEERS:
            synthetic, fit_s, meta = fit_peer(name, data["real"], fit_dag, epsilon, args)
        else:
            synthetic, fit_s, meta = fit_causal(data["real"], fit_dag, epsilon, args)
        row["fit_s"] = fit_s
        row.update(judge(data["real"], synthetic, dag, data["holdout"], args))
        row["meta"] = meta
    except Exception as exc:  # one failure is a row, not the end of the run
        row["error"] = f"{type(exc).__name__}: {exc}"[:2000]
    row["load"] = machine_load()
    row["created"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    row["causalsynth"] = cs.__version__
    row["git"] = args.git
    return row


def fmt(value, spec: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format(value, spec)


def table(rows: list[dict]) -> str:
    head = (f"{'dag':<12} {'synthesizer':<11} {'eps':>5} {'ICI pp':>7} {'eff rel':>8} "
            f"{'quality':>8} {'verdict':<14} {'MIA AUC':>7} {'DCR tr':>6} {'fit s':>8}")
    lines = [head, "-" * len(head)]
    for r in rows:
        label = r["synthesizer"] + (f" r{r['aim_rounds']}" if r.get("aim_rounds") else "")
        if "error" in r:
            lines.append(f"{r['dag']:<12} {label:<11} {fmt(r['epsilon'], '5g'):>5} "
                         f"FAILED: {r['error'].splitlines()[0][:80]}")
            continue
        lines.append(
            f"{r['dag']:<12} {label:<11} {fmt(r['epsilon'], '5g'):>5} "
            f"{fmt(r['max_ici_diff_pp'], '7.2f'):>7} {fmt(r['max_rel_effect_diff'], '8.1%'):>8} "
            f"{fmt(100 * r['quality'], '7.2f'):>7}% {r['verdict']:<14} "
            f"{fmt(r['mia_auc'], '7.3f'):>7} {fmt(r['dcr_closer_to_train'], '6.3f'):>6} "
            f"{fmt(r['fit_s'], '8.2f'):>8}")
    return "\n".join(lines)


def time_ratio(rows: list[dict], epsilon: float = 3.0) -> list[str]:
    out = []
    for dag in dict.fromkeys(r["dag"] for r in rows):
        dp = [r for r in rows if r["dag"] == dag and r["synthesizer"] == "dp-causal"
              and r["epsilon"] == epsilon and "fit_s" in r]
        plain = [r for r in rows if r["dag"] == dag and r["synthesizer"] == "causal"
                 and "fit_s" in r]
        if dp and plain:
            ratio = dp[0]["fit_s"] / plain[0]["fit_s"]
            out.append(f"{dag}: DP-causal fit at epsilon={epsilon:g} {dp[0]['fit_s']:.3f} s / "
                       f"causal {plain[0]['fit_s']:.3f} s = {ratio:.2f} "
                       f"({'within' if ratio <= 2 else 'over'} the goal of 2)")
    return out


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dags", nargs="+", default=["acquisition", "saturation", "ad_funnel"])
    p.add_argument("--epsilons", nargs="+", type=float, default=[0.5, 1.0, 3.0, 10.0])
    p.add_argument("--delta", type=float, default=1e-6)
    p.add_argument("--synthesizers", nargs="+", default=list(SYNTHESIZERS),
                   choices=SYNTHESIZERS)
    p.add_argument("--rows", type=int, default=20_000)
    p.add_argument("--holdout-rows", type=int, default=5_000)
    p.add_argument("--bins", type=int, default=32, help="peers: equal-width bins per number")
    p.add_argument("--bounds", choices=("declared", "private"), default="declared")
    p.add_argument("--bounds-share", type=float, default=0.1,
                   help="peers with --bounds private: share of the budget for the bounds")
    p.add_argument("--aim-rounds", type=int, default=None,
                   help="cap on AIM's rounds, > columns (default: AIM's own, 16 x columns)")
    p.add_argument("--aim-degree", type=int, default=2,
                   help="AIM's workload: all marginals of this many columns (smartnoise's "
                        "default 2; its max_cells=10000 drops bigger ones, so 3 needs "
                        "--bins <= 20)")
    p.add_argument("--peers-python", default=DEFAULT_PEERS_PYTHON,
                   help="python of the peers' environment (default %(default)s)")
    p.add_argument("--peer-timeout", type=float, default=4 * 3600.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON lines appended here")
    p.add_argument("--no-save", action="store_true")
    p.add_argument("--report", action="store_true",
                   help="fit nothing: print the table of the latest row per (DAG, synthesizer, "
                        "epsilon) in --out for these --dags, --rows, --bounds, --bins and AIM "
                        "options")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 2,000 rows (holdout 1,000), epsilon 1")
    args = p.parse_args(argv)
    if args.quick:
        args.rows, args.holdout_rows, args.epsilons = 2_000, 1_000, [1.0]
    return args


def saved_rows(args) -> list[dict]:
    """The latest saved row per (DAG, synthesizer, epsilon) matching this run's settings."""
    latest: dict[tuple, dict] = {}
    for line in args.out.read_text().splitlines() if args.out.exists() else []:
        row = json.loads(line)
        if (row["dag"] in args.dags and row["synthesizer"] in args.synthesizers
                and row["rows"] == args.rows and row.get("bounds") == args.bounds
                and (row["epsilon"] is None or row["epsilon"] in args.epsilons)
                and (row["synthesizer"] not in PEERS or row.get("bins", 32) == args.bins)
                and (row["synthesizer"] != "aim"
                     or (row.get("aim_degree") or 2) == args.aim_degree)):
            latest[row["dag"], row["synthesizer"], row["epsilon"]] = row
    order = {name: i for i, name in enumerate(args.dags)}
    rank = {name: i for i, name in enumerate(SYNTHESIZERS)}
    return sorted(latest.values(), key=lambda r: (
        order[r["dag"]], r["epsilon"] is not None, r["epsilon"] or 0.0,
        rank[r["synthesizer"]]))


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.report:
        rows = saved_rows(args)
        print(table(rows))
        for line in time_ratio(rows):
            print(line)
        return 0
    if any(s in PEERS for s in args.synthesizers) and not Path(args.peers_python).exists():
        print(peers_help(args.peers_python), file=sys.stderr)
        return 2
    print(f"bench_dp: dags {args.dags}, epsilons {args.epsilons}, delta {args.delta:g}, "
          f"{args.rows} rows, bounds {args.bounds}, peers' bins {args.bins}, AIM rounds "
          f"{args.aim_rounds or 'default (16 x columns)'}; load {machine_load()}", flush=True)
    args.git = git_state()
    rows: list[dict] = []
    for name in args.dags:
        dag = cs.load_dag(name)
        data = {"dag": dag, "fit_dag": with_ranges(dag, args.bounds),
                "real": dag.simulate(args.rows, seed=1),
                "holdout": dag.simulate(args.holdout_rows, seed=3)}
        plan = [(s, None) for s in REFERENCES if s in args.synthesizers]
        plan += [(s, eps) for eps in args.epsilons
                 for s in ("dp-causal", "mst", "aim") if s in args.synthesizers]
        for synth, eps in plan:
            row = run_one(synth, eps, data, args)
            rows.append(row)
            if not args.no_save:
                args.out.parent.mkdir(parents=True, exist_ok=True)
                with args.out.open("a") as fh:
                    fh.write(json.dumps(jsonable(row), default=str) + "\n")
            status = row.get("error", "").splitlines()[0][:120] if "error" in row else (
                f"fit {row['fit_s']:.1f} s, validate {row['validate_s']:.0f} s, "
                f"ICI {row['max_ici_diff_pp']:.2f} pp, {row['verdict']}")
            print(f"  {name:<12} {synth:<10} eps={eps}: {status} (load {row['load']})",
                  flush=True)
    print()
    print(table(rows))
    for line in time_ratio(rows):
        print(line)
    failed = [r for r in rows if "error" in r]
    for r in failed:
        print(f"\n{r['dag']} {r['synthesizer']} eps={r['epsilon']} failed:\n{r['error']}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
