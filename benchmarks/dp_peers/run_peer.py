"""Fit one DP peer (MST or AIM, smartnoise-synth) on a CSV; write a synthetic CSV.

Runs in the peers' OWN virtual environment (see requirements.txt beside this file); it imports
neither causalsynth nor anything of the main environment. Called by ``benchmarks/bench_dp.py``::

    /work/venvs/dp-peers/bin/python benchmarks/dp_peers/run_peer.py SPEC.json

SPEC.json holds: ``train`` (CSV path), ``out`` (synthetic CSV path), ``meta`` (JSON path written
at the end), ``synthesizer`` ("mst" or "aim"), ``epsilon``, ``delta``, ``seed``, ``rows`` to
sample, ``bins`` (equal-width bins of a numeric column), ``bounds_share``, ``aim`` (keyword
arguments of ``AIMSynthesizer``, e.g. ``{"rounds": 40}``) and ``columns``: a list of
``{"name", "type", "categories", "range"}`` (type: continuous, count, binary, categorical;
``range`` [lowest, highest] or null).

Discretization (marginal-based synthesizers need discrete columns; nothing here reads the data's
min or max):

* categorical: the index of the label among the DECLARED categories; binary: 0/1;
* numeric (continuous, count): ``bins`` equal-width bins over [lowest, highest], values clipped
  into the range, plus one extra cell for exact zeros when 0 lies in the range (spend that is
  switched off, a gated outcome: a point mass that a bin would smear). Back to numbers:
  uniform within the bin (a fixed seed), counts rounded to integers; the zero cell gives 0.
* the range is the column's declared ``range`` when given. Otherwise it is bought privately
  with ``bounds_share`` of the total zCDP budget (split equally over those columns): a Gaussian
  noisy histogram on a fixed, data-independent geometric grid (0 and +-10^k, k = -2 ... 12 in
  quarter decades), cells below three noise standard deviations dropped, the 0.1 % and 99.9 %
  points read off: the same rule as causalsynth's DP ``causal`` synthesizer.

Budget (add/remove-one-row neighbours): the total is smartnoise's own conversion of (epsilon,
delta) to zero-concentrated DP, ``rho_total = snsynth.utils.cdp_rho(epsilon, delta)`` (OpenDP's
zCDP -> approximate-DP conversion). The bounds take ``rho_bounds``; the synthesizer is handed the
epsilon' whose ``cdp_rho(epsilon', delta)`` is ``rho_total - rho_bounds``, so bounds plus
synthesizer compose (zCDP adds up) to ``rho_total``, i.e. to the requested (epsilon, delta).
Caveat of smartnoise's MST/AIM: they take the row count as public (``known_total``), as the
original private-pgm mechanisms do.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

GRID_POS = 10.0 ** np.arange(-2.0, 12.01, 0.25)
GRID = np.concatenate([-GRID_POS[::-1], [0.0], GRID_POS])


def gaussian_rho(sigma: float) -> float:
    """zCDP rho of the Gaussian mechanism with L2 sensitivity 1."""
    return 1.0 / (2.0 * sigma**2)


def private_range(x: np.ndarray, rho: float, rng: np.random.Generator, nonnegative: bool
                  ) -> tuple[float, float]:
    """Bounds from a noisy histogram on the fixed grid (sensitivity 1: one row, one cell)."""
    sigma = 1.0 / math.sqrt(2.0 * rho)
    counts = np.histogram(np.clip(x, GRID[0], GRID[-1]), bins=GRID)[0].astype(float)
    noisy = counts + rng.normal(0.0, sigma, counts.shape)
    noisy[noisy < 3.0 * sigma] = 0.0
    if noisy.sum() <= 0:
        lo, hi = (0.0, 1.0) if nonnegative else (-1.0, 1.0)
    else:
        cum = np.cumsum(noisy) / noisy.sum()
        lo = float(GRID[np.searchsorted(cum, 0.001)])
        hi = float(GRID[min(np.searchsorted(cum, 0.999) + 1, len(GRID) - 1)])
    if nonnegative:
        lo = max(lo, 0.0)
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


class Column:
    """Declared discretization of one column: codes 0 .. cardinality-1 and back."""

    def __init__(self, spec: dict, bins: int):
        self.name, self.type = spec["name"], spec["type"]
        self.categories = spec.get("categories")
        self.range = tuple(spec["range"]) if spec.get("range") is not None else None
        self.bins = bins

    @property
    def numeric(self) -> bool:
        return self.type in ("continuous", "count")

    @property
    def zero_cell(self) -> bool:
        return self.numeric and self.range[0] <= 0.0 <= self.range[1]

    @property
    def cardinality(self) -> int:
        if self.type == "binary":
            return 2
        if self.type == "categorical":
            return len(self.categories)
        return self.bins + int(self.zero_cell)

    def encode(self, col: pd.Series) -> np.ndarray:
        if self.type == "binary":
            return col.astype(int).to_numpy()
        if self.type == "categorical":
            lookup = {str(c): i for i, c in enumerate(self.categories)}
            return col.astype(str).map(lookup).to_numpy(int)
        lo, hi = self.range
        x = np.clip(col.to_numpy(float), lo, hi)
        code = np.minimum((self.bins * (x - lo) / (hi - lo)).astype(int), self.bins - 1)
        if self.zero_cell:
            code = np.where(col.to_numpy(float) == 0.0, self.bins, code)
        return code

    def decode(self, code: np.ndarray, rng: np.random.Generator):
        code = np.asarray(code, int)
        if self.type == "binary":
            return code
        if self.type == "categorical":
            return np.asarray(self.categories, dtype=object)[code]
        lo, hi = self.range
        width = (hi - lo) / self.bins
        value = lo + (np.minimum(code, self.bins - 1) + rng.uniform(size=len(code))) * width
        if self.zero_cell:
            value = np.where(code == self.bins, 0.0, value)
        if self.type == "count":
            value = np.clip(np.rint(value), max(lo, 0.0), hi).astype(np.int64)
        return value


def code_transformer(cardinality: int):
    """A smartnoise column transformer that passes codes through, with a DECLARED cardinality.

    (smartnoise's LabelTransformer would learn the categories from the data.)"""
    from snsynth.transform.base import ColumnTransformer
    from snsynth.transform.definitions import ColumnType

    class CodeTransformer(ColumnTransformer):
        def __init__(self):
            super().__init__()

        @property
        def output_type(self):
            return ColumnType.CATEGORICAL

        @property
        def cardinality(self):
            return [cardinality]

        def _fit(self, val):
            pass

        def _fit_finish(self):
            self._fit_complete = True
            self.output_width = 1

        def _clear_fit(self):
            self._fit_complete = True
            self.output_width = 1

        def _transform(self, val):
            return int(val)

        def _inverse_transform(self, val):
            return int(val)

    return CodeTransformer()


def sample_codes(synth, name: str, rows: int) -> pd.DataFrame:
    """``rows`` synthetic rows of codes, columns in the training order.

    Not ``synth.sample``, for two bugs of smartnoise-synth 1.0.8 on mbi 1.1.0:

    * mbi's default ``synthetic_data(method="round")`` (randomized rounding) assigns each
      column's values within a group of parent values in row order, so columns that the model
      keeps (nearly) independent come out strongly correlated: on acquisition at epsilon 10,
      tv_spend and social_clicks correlate 0.92 in the table against 0.27 in MST's own model
      (0.30 in the data), while every measured two-way marginal matches. ``method="sample"``
      draws the rows i.i.d. from the fitted model (post-processing: no privacy cost);
    * MST reads mbi's table by position, and mbi returns the columns in its junction-tree
      order (col0, col3, col5, ...): taken by name here, as AIM's own ``sample`` does.

    The codes need no inverse transform (``code_transformer`` passes them through).
    """
    data = synth.synthesizer.synthetic_data(rows=rows, method="sample")
    if name == "mst":
        data = synth.undo_compress_fn(data)
    colnames = ["col" + str(i) for i in range(synth._transformer.output_width)]
    return data.df[colnames].reset_index(drop=True)


def epsilon_for_rho(rho: float, delta: float) -> float:
    """The epsilon whose smartnoise conversion ``cdp_rho(epsilon, delta)`` equals ``rho``."""
    from snsynth.utils import cdp_rho

    lo, hi = 1e-6, 1.0
    while cdp_rho(hi, delta) < rho:
        hi *= 2.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if cdp_rho(mid, delta) < rho:
            lo = mid
        else:
            hi = mid
    return lo  # cdp_rho(lo) <= rho: never more than the share


def main(spec_path: str) -> None:
    import snsynth
    from snsynth.transform import TableTransformer
    from snsynth.utils import cdp_rho

    spec = json.loads(Path(spec_path).read_text())
    seed = int(spec.get("seed", 0))
    np.random.seed(seed)  # smartnoise's selection steps draw from numpy's global state
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    real = pd.read_csv(spec["train"])
    epsilon, delta = float(spec["epsilon"]), float(spec["delta"])
    rho_total = float(cdp_rho(epsilon, delta))
    columns = [Column(c, int(spec.get("bins", 32))) for c in spec["columns"]]
    unbounded = [c for c in columns if c.numeric and c.range is None]
    rho_bounds = float(spec.get("bounds_share", 0.1)) * rho_total if unbounded else 0.0
    bounds = {}
    for c in unbounded:
        c.range = private_range(real[c.name].to_numpy(float), rho_bounds / len(unbounded), rng,
                                nonnegative=c.type == "count")
        bounds[c.name] = list(c.range)
    rho_synth = rho_total - rho_bounds
    eps_synth = epsilon_for_rho(rho_synth, delta) if rho_bounds else epsilon
    codes = pd.DataFrame({c.name: c.encode(real[c.name]) for c in columns})
    transformer = TableTransformer([code_transformer(c.cardinality) for c in columns])
    name = spec["synthesizer"]
    if name == "mst":
        synth = snsynth.Synthesizer.create("mst", epsilon=eps_synth, delta=delta)
    elif name == "aim":
        rounds = spec.get("aim", {}).get("rounds")
        if rounds is not None and rounds <= len(columns):
            # AIM measures every one-way marginal at the per-round noise first: with rounds <=
            # columns that alone overspends rho, and smartnoise's AIM fails on a negative rest
            raise SystemExit(f"AIM needs rounds > columns ({len(columns)}); got {rounds}")
        # verbose: one line per round on stdout (the benchmark shows its tail on a failure)
        synth = snsynth.Synthesizer.create("aim", epsilon=eps_synth, delta=delta,
                                           verbose=True, **spec.get("aim", {}))
    else:
        raise SystemExit(f"unknown synthesizer {name!r}; use mst or aim")
    synth.fit(codes, transformer=transformer, preprocessor_eps=0.0)
    sys.stdout.flush()
    fit_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    sample = sample_codes(synth, name, int(spec["rows"]))
    sample.columns = [c.name for c in columns]
    out = pd.DataFrame({c.name: c.decode(sample[c.name].to_numpy(), rng) for c in columns})
    out.to_csv(spec["out"], index=False)
    sample_s = time.perf_counter() - t1
    rho_used = rho_bounds + float(cdp_rho(eps_synth, delta)) if rho_bounds else rho_total
    meta = {
        "synthesizer": name, "epsilon": epsilon, "delta": delta, "rho": rho_total,
        "rho_bounds": rho_bounds, "rho_synthesizer": rho_total - rho_bounds,
        "rho_spent": rho_used, "epsilon_synthesizer": eps_synth,
        "accountant": "zCDP, smartnoise-synth cdp_rho (OpenDP zCDP -> (epsilon, delta))",
        "bounds_bought": bounds,
        "ranges": {c.name: list(c.range) for c in columns if c.numeric},
        "bins": int(spec.get("bins", 32)),
        "cardinalities": {c.name: c.cardinality for c in columns},
        "model_cliques": [[columns[int(c[3:])].name for c in cl]
                          for cl in getattr(synth.synthesizer, "cliques", [])],
        "fit_s": fit_s, "sample_s": sample_s,
        "aim": spec.get("aim", {}) if name == "aim" else None,
        "versions": {p: _version(p) for p in ("smartnoise-synth", "opendp", "mbi", "jax")},
    }
    Path(spec["meta"]).write_text(json.dumps(meta, indent=1))


def _version(package: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
