"""DoWhy's permutation-based falsification of a DAG, run as a second opinion by ``check_dag``.

DoWhy's ``falsify_graph`` counts the DAG's violated local Markov conditions and compares the
count with that of random node orders of the same graph (Eulig et al.). Here it runs with the
package's own residual test (passed in, so that the same test judges both), on at most
``rows`` rows: random rows of an i.i.d. table, whole series of a time-indexed one.

References
----------
Eulig, Mastakouri, Blöbaum, Hardt, Janzing. "Toward falsifying causal graphs using a
permutation-based test." AAAI 2025 (arXiv:2305.09565).

Examples
--------
>>> from causalsynth import load_dag
>>> from causalsynth.evaluate.independence import residual_test
>>> dag = load_dag("acquisition")
>>> out = falsify(dag.simulate(500, seed=0), dag, residual_test, seed=0, n_permutations=5)
>>> out["falsified"], out["tests"] > 0
(False, True)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from causalsynth._random import as_generator
from causalsynth.evaluate.series import TimeRows

__all__ = ["falsify"]


def falsify(clean: pd.DataFrame, dag, test: Callable, seed=None, n_permutations: int = 20,
            rows: int = 2000, layout: TimeRows | None = None) -> dict[str, Any]:
    """DoWhy's verdict on a typed table (``check_data``'s output) as a plain dict.

    ``test(x, y, z, rows)`` returns ``(effect, p_value, ...)`` like
    :func:`causalsynth.evaluate.independence.residual_test`; ``layout``: the rows are the
    periods of a time series (whole series are kept and passed to the test). Errors inside
    DoWhy are reported under ``"error"``, not raised. DoWhy permutes graphs with numpy's
    global generator: it is seeded from ``seed`` and restored afterwards.
    """
    from dowhy.gcm import config
    from dowhy.gcm.falsify import FalsifyConst, falsify_graph

    rng = as_generator(seed)
    if layout is None:
        sub = clean.iloc[np.sort(rng.choice(len(clean), min(rows, len(clean)), replace=False))]
    else:  # whole series, in time order: the tests condition on time and use HAC p-values
        keep = layout.sample(rows, rng)
        sub, layout = clean.iloc[keep], layout.take(keep)
    frame = pd.DataFrame({n: sub[n].astype(str).to_numpy() if dag.node_type(n) == "categorical"
                          else sub[n].to_numpy(float) for n in dag.nodes})
    shown = config.show_progress_bars
    config.show_progress_bars = False
    state = np.random.get_state()
    np.random.seed(int(rng.integers(2**31 - 1)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = falsify_graph(
                dag.to_networkx(), frame, n_permutations=n_permutations,
                independence_test=lambda x, y: test(x, y, None, layout)[1],  # p-values
                conditional_independence_test=lambda x, y, z: test(
                    x, y, [z[:, i] for i in range(z.shape[1])], layout)[1],
                show_progress_bar=False, n_jobs=1)
    except Exception as exc:  # DoWhy's test is a second opinion; report, don't fail
        return {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        np.random.set_state(state)
        config.show_progress_bars = shown
    if not result.can_evaluate:
        return {"error": "DoWhy cannot evaluate this graph (it implies no testable independence)"}
    lmc = result.summary[FalsifyConst.VALIDATE_LMC]
    tpa = result.summary[FalsifyConst.VALIDATE_TPA]
    return {
        "falsified": bool(result.falsified), "falsifiable": bool(result.falsifiable),
        "violations": int(lmc[FalsifyConst.GIVEN_VIOLATIONS]),
        "tests": int(lmc[FalsifyConst.N_TESTS]),
        "p_value": float(lmc[FalsifyConst.P_VALUE]),
        "p_value_informative": float(tpa[FalsifyConst.P_VALUE]),
        "significance_level": 0.05, "rows": len(frame), "n_permutations": n_permutations,
        "text": str(result),
    }
