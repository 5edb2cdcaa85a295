"""anonymeter's privacy attacks, re-implemented (anonymeter pins numpy < 2): the risk
arithmetic they share, linkability and attribute inference (singling out is in
:mod:`causalsynth.evaluate.privacy.singling_out`).

Each attack runs on training rows (main) and on holdout rows (control), with a baseline of
random guesses; risk = (main - control) / (1 - control), with Wilson-score intervals. The
reference figure is the same attack with one half of the holdout in the synthetic table's place
and the other half as control. Distances are anonymeter's own Gower-like L1, so that the
figures agree with anonymeter's.

References
----------
Giomi, M., Boenisch, F., Wehmeyer, C., Tasnádi, B. (2023). A unified framework for quantifying
privacy risk in synthetic data. Proceedings on Privacy Enhancing Technologies 2023(2), 312-328.
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
JASA 22, 209-212.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from causalsynth._random import as_generator
from causalsynth.dag import DAG
from causalsynth.evaluate._shared import Distinct, Tables, distinct_rows, nearest_distinct, prepare
from causalsynth.evaluate._tabular import MixedEncoder
from causalsynth.evaluate.metric import MetricResult, MetricSpec, measures
from causalsynth.evaluate.privacy._common import CONFIDENCE, no_holdout, split_holdout

__all__ = [
    "ATTACK_REFERENCE",
    "N_ATTACKS",
    "attack_summary",
    "default_link_columns",
    "inference_risk",
    "linkability_risk",
    "residual_risk",
    "wilson_rate",
    "with_reference",
]

N_ATTACKS = 500  # anonymeter's default number of attacks
TOLERANCE = 0.05  # relative tolerance of a correct guess of a numeric secret (anonymeter's)
#: what the reference figure of every attack is
ATTACK_REFERENCE = ("the same attack with half of the holdout as the synthetic table and the "
                    "other half as control")

LINKABILITY_RISK = MetricSpec("linkability_risk", "Linkability risk",
                              "anonymeter-style, 0 = no risk", "lower", ATTACK_REFERENCE)
INFERENCE_RISK = MetricSpec("inference_risk", "Attribute-inference risk",
                            "anonymeter-style, 0 = no risk", "lower", ATTACK_REFERENCE)


def wilson_rate(n_total: int, n_success: float,
                confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson-score estimate of a success rate and its error bound (anonymeter's formula).

    Examples
    --------
    >>> [round(v, 4) for v in wilson_rate(500, 50)]
    [0.103, 0.0264]
    """
    z = float(norm.ppf(0.5 * (1.0 + confidence)))
    z2 = z * z
    denominator = n_total + z2
    rate = (n_success + 0.5 * z2) / denominator
    error = (z / denominator) * math.sqrt(n_success * (n_total - n_success) / n_total + 0.25 * z2)
    return rate, error


def residual_risk(n_main: int, k_main: float, n_control: int, k_control: float,
                  confidence: float = CONFIDENCE) -> dict[str, float]:
    """Risk = (main - control) / (1 - control) with propagated error, bounded to [0, 1].

    Examples
    --------
    >>> r = residual_risk(500, 400, 500, 100)
    >>> round(r["risk"], 3), r["ci_low"] < r["risk"] < r["ci_high"]
    (0.746, True)
    """
    main, main_err = wilson_rate(n_main, k_main, confidence)
    ctrl, ctrl_err = wilson_rate(n_control, k_control, confidence)
    residual = (main - ctrl) / (1.0 - ctrl)
    d_main = 1 / abs(1 - ctrl)
    d_ctrl = (main - 1) / (1 - ctrl) ** 2
    error = math.sqrt((main_err * d_main) ** 2 + (ctrl_err * d_ctrl) ** 2)
    clip = lambda v: min(max(v, 0.0), 1.0)  # noqa: E731
    return {"risk": clip(residual), "ci_low": clip(residual - error),
            "ci_high": clip(residual + error), "main_rate": main, "main_error": main_err,
            "control_rate": ctrl, "control_error": ctrl_err}


def attack_summary(n_main: int, k_main: float, n_control: int, k_control: float,
                   n_base: int, k_base: float) -> dict[str, Any]:
    """The residual risk of an attack, with its counts and the baseline's success rate."""
    out = residual_risk(n_main, k_main, n_control, k_control)
    base, _ = wilson_rate(n_base, k_base)
    out.update({"baseline_rate": base, "n_attacks": n_main, "n_success": k_main,
                "n_control_attacks": n_control, "n_control_success": k_control,
                "n_baseline_success": k_base,
                "attack_beats_baseline": bool(out["main_rate"] > base)})
    return out


def with_reference(attack: Callable[..., list[dict[str, Any]]],
                   tables: Tables | Mapping[str, Any], rng: np.random.Generator
                   ) -> tuple[list[dict], float | None, list[dict]]:
    """Run ``attack(ori, syn, control, rng)`` (a list of result rows, each with a ``risk``) on
    the training, synthetic and holdout ``tables`` (frames or arrays), then again with one
    half of the holdout as the synthetic table and the other half as control.

    Returns the main rows, the reference (the largest risk of the halves; None when the holdout
    is too small to split) and the reference rows.
    """
    main = attack(tables["real"], tables["synthetic"], tables["holdout"], rng)
    split = split_holdout(len(tables["holdout"]), rng)
    if split is None:
        return main, None, []
    hold = tables["holdout"]
    half_a, half_b = ((hold.iloc[rows] if isinstance(hold, pd.DataFrame) else hold[rows])
                      for rows in split)
    ref_rows = attack(tables["real"], half_a, half_b, rng)
    return main, max(r["risk"] for r in ref_rows), ref_rows


class _GowerSpace:
    """The synthetic rows in anonymeter's Gower-like encoding of every node, encoded and
    de-duplicated once and searched on each attack's columns (the scaling of a column does
    not depend on which other columns are searched)."""

    def __init__(self, dag: DAG, syn: pd.DataFrame, ori: pd.DataFrame, control: pd.DataFrame):
        self.encoder = MixedEncoder(dag, kind="gower").fit(syn, ori, control)
        enc, pos = self.encoder, 0
        self.where: dict[str, list[int]] = {}
        for c in enc.numeric_ + enc.labels_:
            width = 1 if c in enc.numeric_ else len(enc.categories_[c])
            self.where[c], pos = list(range(pos, pos + width)), pos + width
        self.syn: Distinct = distinct_rows(self.encoder.transform(syn))

    def nearest(self, targets: pd.DataFrame, cols: list[str], k: int) -> np.ndarray:
        """Row numbers of the ``k`` nearest synthetic rows (L1 on ``cols``) of each target."""
        idx = [j for c in cols for j in self.where[c]]
        _, i = nearest_distinct(self.encoder.transform(targets)[:, idx], self.syn, k=k,
                                metric="manhattan", return_index=True, columns=idx)
        return i


def _linkability(ori: pd.DataFrame, syn: pd.DataFrame, control: pd.DataFrame,
                 aux: tuple[list[str], list[str]], n_attacks: int, k: int,
                 rng: np.random.Generator, space: _GowerSpace) -> dict[str, Any]:
    def links(targets: pd.DataFrame) -> int:
        found = [space.nearest(targets, cols, k) for cols in aux]
        return int(sum(bool(set(a) & set(b)) for a, b in zip(found[0], found[1], strict=True)))

    n_main = min(n_attacks, len(ori))
    n_ctrl = min(n_attacks, len(control))
    k_main = links(ori.iloc[rng.choice(len(ori), n_main, replace=False)])
    k_ctrl = links(control.iloc[rng.choice(len(control), n_ctrl, replace=False)])
    kk = min(k, len(syn))
    rand = lambda: np.array([rng.choice(len(syn), kk, replace=False)  # noqa: E731
                             for _ in range(n_main)])
    k_base = int(sum(bool(set(a) & set(b)) for a, b in zip(rand(), rand(), strict=True)))
    return attack_summary(n_main, k_main, n_ctrl, k_ctrl, n_main, k_base)


def default_link_columns(dag: DAG) -> tuple[list[str], list[str]]:
    """The DAG's nodes in topological order, split in two halves (causes first)."""
    nodes = dag.nodes
    half = max(1, len(nodes) // 2)
    return nodes[:half], nodes[half:]


@measures(LINKABILITY_RISK)
def linkability_risk(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                     dag: DAG | None = None, rng=None, holdout: pd.DataFrame | None = None,
                     n_attacks: int = N_ATTACKS, n_neighbors: int = 1,
                     aux_cols: tuple[list[str], list[str]] | None = None) -> MetricResult:
    """anonymeter's linkability risk.

    The attacker holds two parts of a record (``aux_cols``; default: the DAG's nodes in
    topological order, split in halves) and links them if both parts have a common synthetic
    row among their ``n_neighbors`` nearest (anonymeter's Gower-like L1 distance: numeric
    columns over their range, one unit per mismatching label). Main attack on training rows,
    control on holdout rows, baseline with random neighbours; risk = (main - control) /
    (1 - control), Wilson intervals. Lower is better.

    References
    ----------
    Giomi et al. (2023), PoPETs 2023(2).
    """
    t = prepare(real, synthetic, dag, holdout)
    if t.holdout is None:
        return no_holdout(LINKABILITY_RISK)
    rng = as_generator(rng)
    aux = aux_cols or default_link_columns(t.dag)

    def attack(ori, syn, ctrl, rng):
        space = _GowerSpace(t.dag, syn, ori, ctrl)
        return [_linkability(ori, syn, ctrl, aux, n_attacks, n_neighbors, rng, space)]

    main, reference, _ = with_reference(attack, t, rng)
    row = main[0]
    details = {"aux_cols": [list(aux[0]), list(aux[1])], "n_neighbors": n_neighbors,
               "risk_ci": [row["ci_low"], row["ci_high"]], "confidence": CONFIDENCE,
               "distance": "anonymeter's Gower-like L1"}
    return LINKABILITY_RISK.result(row["risk"], reference, pd.DataFrame(main), details)


def _inference(dag: DAG, ori: pd.DataFrame, syn: pd.DataFrame, control: pd.DataFrame,
               secret: str, n_attacks: int, rng: np.random.Generator,
               space: _GowerSpace) -> dict[str, Any]:
    aux = [c for c in dag.nodes if c != secret]
    regression = dag.node_type(secret) in ("continuous", "count")
    syn_secret = syn[secret].astype(object).to_numpy() if not regression else \
        syn[secret].to_numpy(dtype=float)

    def correct(guess, truth) -> np.ndarray:
        if regression:
            truth = np.asarray(truth, dtype=float)
            guess = np.asarray(guess, dtype=float)
            return np.abs(guess - truth) <= TOLERANCE * np.abs(guess)
        return np.asarray(guess) == np.asarray(truth)

    def truth_of(frame):
        return frame[secret].to_numpy(dtype=float) if regression else \
            frame[secret].astype(object).to_numpy()

    def guesses(targets: pd.DataFrame) -> np.ndarray:
        return syn_secret[space.nearest(targets, aux, 1)[:, 0]]

    n_main, n_ctrl = min(n_attacks, len(ori)), min(n_attacks, len(control))
    main_t = ori.iloc[rng.choice(len(ori), n_main, replace=False)]
    ctrl_t = control.iloc[rng.choice(len(control), n_ctrl, replace=False)]
    k_main = int(correct(guesses(main_t), truth_of(main_t)).sum())
    k_ctrl = int(correct(guesses(ctrl_t), truth_of(ctrl_t)).sum())
    n_base = min(len(syn), n_main)
    base_t = ori.iloc[rng.choice(len(ori), n_base, replace=False)]
    k_base = int(correct(syn_secret[rng.choice(len(syn), n_base, replace=False)],
                         truth_of(base_t)).sum())
    out = attack_summary(n_main, k_main, n_ctrl, k_ctrl, n_base, k_base)
    out.update({"secret": secret, "task": "regression" if regression else "classification"})
    return out


@measures(INFERENCE_RISK)
def inference_risk(real: pd.DataFrame | Tables, synthetic: pd.DataFrame | None = None,
                   dag: DAG | None = None, rng=None, holdout: pd.DataFrame | None = None,
                   n_attacks: int = N_ATTACKS, secrets: list[str] | None = None) -> MetricResult:
    """anonymeter's attribute-inference risk, per secret column (``value``: the largest).

    The attacker knows every other column of a target and guesses the secret as the secret of
    the nearest synthetic row (anonymeter's Gower-like L1 distance). A guess of a numeric secret
    is right within 5 % of the guess; of a label, when equal. Main attack on training rows,
    control on holdout rows, baseline = random synthetic values; risk = (main - control) /
    (1 - control), Wilson intervals. When the control attack already succeeds nearly always
    (a near-deterministic secret) the interval is wide. Lower is better.

    References
    ----------
    Giomi et al. (2023), PoPETs 2023(2).
    """
    t = prepare(real, synthetic, dag, holdout)
    if t.holdout is None:
        return no_holdout(INFERENCE_RISK)
    rng = as_generator(rng)
    secrets = secrets or t.dag.nodes

    def attack(ori, syn, ctrl, rng):
        space = _GowerSpace(t.dag, syn, ori, ctrl)
        return [_inference(t.dag, ori, syn, ctrl, secret, n_attacks, rng, space)
                for secret in secrets]

    main, reference, ref_rows = with_reference(attack, t, rng)
    table = pd.DataFrame(main)
    cols = ["secret"] + [c for c in table.columns if c != "secret"]
    table = table[cols].copy()  # a frame of its own: no write to a slice of another
    if ref_rows:
        table = table.assign(reference_risk=[r["risk"] for r in ref_rows])
    worst = max(main, key=lambda r: r["risk"])
    details = {"worst_secret": worst["secret"], "risk_ci": [worst["ci_low"], worst["ci_high"]],
               "n_attacks": n_attacks, "tolerance": TOLERANCE, "confidence": CONFIDENCE}
    return INFERENCE_RISK.result(worst["risk"], reference, table, details)
