"""``validate``: one call that answers "does attribution hold up on this synthetic table?"."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

from causalsynth._random import as_generator, child_seed
from causalsynth.dag import DAG, load_dag
from causalsynth.data import check_data, index_notes
from causalsynth.errors import InvalidParameterError
from causalsynth.evaluate._shared import Tables
from causalsynth.evaluate.causal import CAUSAL_MAX_ROWS, compare_causal
from causalsynth.evaluate.draws import (
    draw_names,
    draws_within,
    real_sized_draws,
    synthetic_draws,
)
from causalsynth.evaluate.gate import check_holdout, privacy_gate
from causalsynth.evaluate.margins import Margins
from causalsynth.evaluate.reference import (
    canonical_rows,
    panel_periods,
    reference_summary,
    split_half,
)
from causalsynth.evaluate.report import Report
from causalsynth.guarantee import PrivacyGuarantee

__all__ = ["validate"]

_VERSIONED = ("causalsynth", "dowhy", "econml", "sdv", "sdmetrics", "numpy", "pandas", "scipy",
              "scikit-learn", "networkx", "torch")


def _versions() -> dict[str, str | None]:
    out = {}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _peak_memory_mb() -> float | None:
    """The process's peak resident memory so far, in MiB (None where the OS does not say)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, else KiB


def _section_bar(total: int):
    """A tqdm bar over validate's sections on stderr, shown only when stderr is a terminal."""
    from tqdm.auto import tqdm

    tty = getattr(sys.stderr, "isatty", None)
    return tqdm(total=total, disable=not (tty and tty()), leave=False, file=sys.stderr,
                unit="section")


def like_sized(synthetic: pd.DataFrame, rows: int, dag: DAG, seed) -> pd.DataFrame:
    """``rows`` synthetic rows drawn at random (kept in their order) when the table is larger
    and its rows are exchangeable; a time-indexed table's rows are series: kept whole."""
    if len(synthetic) <= rows or dag.time is not None:
        return synthetic
    keep = np.sort(as_generator(seed).choice(len(synthetic), rows, replace=False))
    return synthetic.iloc[keep].reset_index(drop=True)


def validate(real: pd.DataFrame, synthetic: pd.DataFrame | Sequence[pd.DataFrame], dag,
             holdout: pd.DataFrame | None = None,
             seed=0, margins: Margins | None = None, synthesizer: str | None = None,
             n_bootstrap: int | None = None, reference: bool = False,
             guarantee: PrivacyGuarantee | Mapping[str, Any] | None = None) -> Report:
    """Judge a synthetic table against the real one it was made from.

    Runs the causal comparison (ICI, treatment effects, implied independences, with a verdict)
    next to fidelity (SDMetrics quality, two-sample tests), utility (train on synthetic, test on
    real) and privacy (distance to closest record, copies, membership inference, anonymeter-style
    risks; figures for the ``holdout`` beside them when one is given), and the structure
    discovered on both tables beyond the declared DAG (``report.structure``; informational,
    not part of the verdict).

    Parameters
    ----------
    real : DataFrame
        The table the synthesizer was trained on (one column per DAG node).
    synthetic : DataFrame or list of DataFrames
        The synthetic table, same columns; or several draws of one synthesizer, each of the
        same size (a weekly table cannot be drawn longer than the real one: draws sharpen
        its comparison instead). The causal comparison combines the draws (their mean
        figures, with the standard error of a mean of independent draws); fidelity, utility
        and privacy read the first draw, and exact copies are counted over every draw. One
        table of exchangeable rows at least twice the real table's size is cut at random
        into draws of the real size for the causal comparison (at most 10, 100,000 rows in
        all; ``report.meta["synthetic_draws"]``): a draw the real table's size carries the
        same small-sample bias as the real figures, one larger table would not.
    dag : DAG, path or built-in name
    holdout : DataFrame, optional
        Real rows the synthesizer never saw: the reference for privacy and utility.
    seed : int or numpy Generator
    margins : Margins, optional
        Tolerances of the verdict (default: 5 ICI points, 10% effects, 0.05 independence).
    synthesizer : str, optional
        Name recorded in the report's meta.
    n_bootstrap : int, optional
        Bootstrap resamples for ICI/effect intervals (default 30 if linear or at most 2,000
        real rows, else 10), and for the marketing-mix refits of a time DAG (default 50, 20
        for a geo panel).
    reference : bool
        Also judge two random halves of the real table against each other (the best any
        synthesizer could do at half the size): shown beside each figure as the split-half
        column, under ``report.causal["reference"]``.
    guarantee : PrivacyGuarantee or dict, optional
        The differential-privacy guarantee of the synthesizer that made ``synthetic`` (its
        ``guarantee_``: ``epsilon``, ``delta``, ``accountant``, ``bounds``, ...), or its dict
        form (a saved report's ``meta["guarantee"]``). Recorded, in its dict form, as
        ``report.meta["guarantee"]`` and stated first in the report's privacy section; nothing
        is recorded when None. The evaluator takes it as stated: it cannot check it.

    Returns
    -------
    Report
        ``report.verdict`` is ``"preserved"``, ``"not preserved"`` or ``"inconclusive"``
        (agreement not shown within these margins at these sizes); ``report.reasons`` says
        to what precision it was. The same rows in any order give the same report.

    Examples
    --------
    >>> import causalsynth as cs
    >>> dag = cs.load_dag("acquisition")
    >>> real, fresh = dag.simulate(5000, seed=1), dag.simulate(5000, seed=2)
    >>> cs.validate(real, fresh, dag, seed=0).verdict   # doctest: +SKIP
    'preserved'
    >>> synth = cs.make_synthesizer("causal", epsilon=3.0).fit(real, dag)   # doctest: +SKIP
    >>> report = cs.validate(real, synth.sample(5000, seed=3), dag,
    ...                      guarantee=synth.guarantee_)                     # doctest: +SKIP
    >>> report.guarantee["epsilon"]                                          # doctest: +SKIP
    3.0
    """
    from causalsynth.evaluate.fidelity import evaluate_fidelity
    from causalsynth.evaluate.privacy import evaluate_privacy, exact_copies
    from causalsynth.evaluate.structure import structure_section
    from causalsynth.evaluate.utility import evaluate_utility

    dag = load_dag(dag)
    if guarantee is not None:
        try:
            guarantee = PrivacyGuarantee.from_dict(guarantee)
        except InvalidParameterError as exc:
            raise InvalidParameterError(
                f"The 'guarantee' parameter of validate must be a synthesizer's guarantee_ (a "
                f"PrivacyGuarantee), its dict with an 'epsilon', or None; {exc}") from None
    # fail early, with every problem of every table, before any long computation
    real_c = canonical_rows(check_data(real, dag, what="the real table"), dag)
    draws = synthetic_draws(synthetic)
    syn_cs = [canonical_rows(check_data(d, dag, allow_constant=True, what=what), dag)
              for d, what in zip(draws, draw_names(len(draws)), strict=True)]
    syn_c = syn_cs[0]
    hold_c = None if holdout is None else canonical_rows(
        # a few held-out weeks may lack a rare event: constant there is not bad input
        check_data(holdout, dag, min_periods=2, allow_constant=True,
                   what="the holdout table"), dag)
    if hold_c is not None:
        check_holdout(real_c, hold_c)
    # rows per geo of a geo panel (read from the raw tables' geo columns), else None
    periods = (panel_periods(real, dag), panel_periods(draws[0], dag),
               None if holdout is None else panel_periods(holdout, dag))
    rng = as_generator(seed)
    seeds = {k: child_seed(rng) for k in ("causal", "fidelity", "utility", "privacy",
                                          "reference", "structure", "draws")}
    # checked once: the metrics share these tables and what they compute from them. A
    # synthetic table drawn larger than the real one sharpens the causal comparison; the
    # fidelity, utility and privacy metrics compare like with like, on as many synthetic rows
    # as real ones (exact copies are still counted over every synthetic row)
    syn_like = like_sized(syn_c, len(real_c), dag, seeds["fidelity"])
    tables = Tables(dag, real_c, syn_like, hold_c, periods=periods)
    timings: dict[str, float] = {}
    bar = _section_bar(6 if reference else 5)  # on a terminal: which section is running

    def timed(name, fn, *args, **kwargs):
        start = time.perf_counter()
        bar.set_description(f"validate: {name}")
        try:
            return fn(*args, **kwargs)
        finally:
            timings[name] = time.perf_counter() - start
            bar.update()

    # one large table of exchangeable rows: measured as draws the real table's size
    causal_sides = real_sized_draws(
        syn_c, len(real_c), seeds["draws"],
        most=draws_within(len(real_c), CAUSAL_MAX_ROWS)) \
        if len(syn_cs) == 1 and dag.time is None else syn_cs
    causal = timed("causal", compare_causal, real_c, causal_sides, dag, seed=seeds["causal"],
                   margins=margins, n_bootstrap=n_bootstrap, checked=True,
                   periods=periods[:2])
    if reference:
        half_a, half_b = split_half(real_c, dag, seeds["reference"], periods[0])
        ref = timed("reference", compare_causal, half_a, half_b, dag, seed=seeds["causal"],
                    margins=margins, n_bootstrap=n_bootstrap, checked=True,
                    periods=(periods[0], periods[0]))
        causal["reference"] = reference_summary(ref)
    fidelity = timed("fidelity", evaluate_fidelity, tables, seed=seeds["fidelity"])
    utility = timed("utility", evaluate_utility, tables, seed=seeds["utility"])
    privacy = timed("privacy", evaluate_privacy, tables, seed=seeds["privacy"])
    structure = timed("structure", structure_section, tables, seed=seeds["structure"])
    if len(syn_like) < len(syn_c) or len(syn_cs) > 1:
        every = syn_cs[0] if len(syn_cs) == 1 else pd.concat(syn_cs, ignore_index=True)
        privacy["exact_copies"] = exact_copies(real_c, every, dag, holdout=hold_c)
    bar.close()
    timings["total"] = sum(timings.values())
    meta = {
        "dag": dag.name,
        "synthesizer": synthesizer,
        "seed": seed if isinstance(seed, (int, np.integer)) else None,
        "n_real": len(real_c), "n_synthetic": len(syn_c),
        **({"synthetic_draws": len(causal_sides)} if len(causal_sides) > 1 else {}),
        **({"n_synthetic_metrics": len(syn_like)} if len(syn_like) < len(syn_c) else {}),
        "n_holdout": None if hold_c is None else len(hold_c),
        **({} if guarantee is None else {"guarantee": guarantee.to_dict()}),
        # a synthetic table whose time index is missing or of another kind: compared row by
        # row without it, and the report says so
        **({"notes": notes} if (notes := index_notes(real, draws[0], dag)) else {}),
        "versions": _versions(),
        "timings": timings,
        "peak_memory_mb": _peak_memory_mb(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    copies = privacy.get("exact_copies")
    gate = privacy_gate(None if copies is None else copies.to_dict())
    return Report(verdict=causal["verdict"], causal=causal, privacy_gate=gate,
                  fidelity=fidelity, utility=utility,
                  privacy=privacy, meta=meta, structure=structure)
