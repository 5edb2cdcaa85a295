"""Fit pymc-marketing's MMM (GeometricAdstock + LogisticSaturation) on a weekly CSV.

Runs in the peer's OWN virtual environment (see requirements.txt beside this file); it imports
neither causalsynth nor anything of the main environment. Called by
``benchmarks/bench_mmm_peers.py``::

    /work/venvs/pymc-marketing/bin/python benchmarks/mmm_peers/run_pymc_marketing.py SPEC.json

SPEC.json holds: ``train`` (CSV path, one row per week in time order), ``out`` (JSON path
written at the end), ``outcome`` (revenue column), ``channels`` (spend columns), ``controls``
(control columns), ``max_lag`` (``{channel: lags}``; pymc-marketing's adstock has one ``l_max``
for every channel, so the largest is used), ``start_date`` (date of the first week),
``seed``, ``sampler``: keyword arguments of ``MMM.fit`` (``chains``, ``draws``, ``tune``,
``target_accept``, ``cores``), and optionally ``yearly_seasonality`` (number of Fourier modes,
default none) and ``trend_control`` (add a linear trend control ``t``, the week index 0..n-1,
default false): the library's documented set-up for a table with dates only is
``yearly_seasonality=2`` with ``t`` among the controls (its MMM docstring example).

The model is the library's documented one: ``MMM(date_column=..., channel_columns=...,
control_columns=..., adstock=GeometricAdstock(l_max=L), saturation=LogisticSaturation())``
with its default priors (adstock alpha ~ Beta(1, 3); saturation lam ~ Gamma(3, 1), beta ~
HalfNormal(2); controls ~ Normal(0, 2)), its default max-absolute scaling of the target and
the channels, an identity link and a Normal likelihood. Controls are divided by their maximum
absolute value first, as the library's docstring asks for controls far from the 0-1 range
(a linear rescaling: the model and its media estimates are the same otherwise; ``t`` becomes
0..1). Without ``yearly_seasonality`` there are no Fourier terms (the table's own season column
is then a control); with it, the library's Fourier modes of the day of year. Sampler: pymc's
NUTS.

Written per channel (posterior means):

* ``roas``: ``mmm.incrementality.contribution_over_spend(frequency="all_time")``, the
  library's ROAS: revenue predicted with the actual spend minus revenue predicted with the
  channel's spend set to 0 in every week of the table, summed up to the last week of the table
  (carryover past the end is not counted), per unit spent;
* ``mroas``: ``marginal_contribution_over_spend(frequency="all_time",
  spend_increase_pct=0.01)``: revenue of +1 % spend in every week per unit of extra spend;
* ``roas_from_contributions``: the same ROAS from the posterior ``channel_contribution`` (in
  revenue units) summed over the weeks, a check: equal to ``roas`` because a logistic
  saturation gives 0 at zero spend and the model is additive;
* ``contribution_share``: the channel's contribution in percent of all channels' contributions;
* ``decay`` (adstock alpha) and the saturation's ``lam`` and ``beta`` (posterior means).

With ``fit_s`` (building and sampling), ``metrics_s`` (the ROAS utilities), the number of
divergent transitions, the largest R-hat and the smallest bulk ESS over the media parameters,
and the versions of pymc-marketing, pymc and pytensor.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

MEDIA_PARAMS = ("adstock_alpha", "saturation_lam", "saturation_beta")


def _version(package: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _channel_means(values, channels: list[str]) -> dict[str, float]:
    """Posterior mean per channel of a (chain, draw, channel[, date...]) DataArray."""
    reduce = [d for d in values.dims if d != "channel"]
    mean = values.mean(dim=reduce)
    return {c: float(mean.sel(channel=c)) for c in channels}


def diagnostics(idata) -> dict[str, float | int | None]:
    """Divergences, largest R-hat and smallest bulk ESS over the media parameters."""
    out: dict[str, float | int | None] = {"divergences": None, "rhat_max": None,
                                          "ess_bulk_min": None}
    with contextlib.suppress(KeyError, TypeError, AttributeError):
        out["divergences"] = int(idata["sample_stats"]["diverging"].sum())
    try:
        import arviz_stats  # noqa: F401  (registers the .azstats accessor)

        post = idata["posterior"].to_dataset()[[v for v in MEDIA_PARAMS
                                                if v in idata["posterior"]]]
        out["rhat_max"] = float(max(float(v.max()) for v in post.azstats.rhat().values()))
        out["ess_bulk_min"] = float(min(float(v.min()) for v in post.azstats.ess().values()))
    except Exception as exc:  # diagnostics are reported, never a reason to fail the fit
        out["diagnostics_error"] = f"{type(exc).__name__}: {exc}"[:300]
    return out


def main(spec_path: str) -> None:
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    spec = json.loads(Path(spec_path).read_text())
    channels, controls = list(spec["channels"]), list(spec.get("controls") or [])
    outcome = spec["outcome"]
    l_max = int(max(spec["max_lag"].values()))
    sampler = {"chains": 2, "draws": 1000, "tune": 1000, "target_accept": 0.9, "cores": 2,
               **spec.get("sampler", {})}
    seed = int(spec.get("seed", 0))
    yearly = spec.get("yearly_seasonality")
    yearly = None if yearly is None else int(yearly)

    table = pd.read_csv(spec["train"])
    if spec.get("trend_control"):
        if "t" in table.columns:
            raise SystemExit("trend_control: the table already holds a column 't'; rename it")
        table["t"] = np.arange(len(table), dtype=float)
        controls = [*controls, "t"]
    dates = pd.date_range(spec.get("start_date", "2020-01-06"), periods=len(table), freq="W-MON")
    X = pd.DataFrame({"date": dates})
    for c in channels:
        X[c] = table[c].to_numpy(float)
    control_scale = {}
    for c in controls:
        scale = float(np.max(np.abs(table[c].to_numpy(float)))) or 1.0
        control_scale[c] = scale
        X[c] = table[c].to_numpy(float) / scale
    y = pd.Series(table[outcome].to_numpy(float), name=outcome)

    t0 = time.perf_counter()
    mmm = MMM(date_column="date", channel_columns=channels, control_columns=controls or None,
              target_column=outcome, adstock=GeometricAdstock(l_max=l_max),
              saturation=LogisticSaturation(), yearly_seasonality=yearly)
    mmm.build_model(X, y)
    mmm.add_original_scale_contribution_variable(var=["channel_contribution"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mmm.fit(X, y, progressbar=False, random_seed=seed, **sampler)
    fit_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        roas = _channel_means(
            mmm.incrementality.contribution_over_spend(frequency="all_time"), channels)
        mroas = _channel_means(
            mmm.incrementality.marginal_contribution_over_spend(
                frequency="all_time", spend_increase_pct=0.01), channels)
    metrics_s = time.perf_counter() - t1

    posterior = mmm.idata["posterior"]
    contrib = posterior["channel_contribution_original_scale"].sum(dim="date")
    contribution = _channel_means(contrib, channels)
    total = sum(contribution.values())
    spend = {c: float(X[c].sum()) for c in channels}
    params = {name: _channel_means(posterior[name], channels)
              for name in MEDIA_PARAMS if name in posterior}
    result = {
        "tool": "pymc-marketing",
        "model": {"adstock": f"GeometricAdstock(l_max={l_max})",
                  "saturation": "LogisticSaturation()", "priors": "library defaults",
                  "controls": controls, "control_scale": control_scale,
                  "yearly_seasonality": yearly, "likelihood": "Normal", "link": "identity"},
        "sampler": {**sampler, "nuts_sampler": "pymc", "random_seed": seed},
        "channels": [{
            "channel": c,
            "roas": roas[c],
            "mroas": mroas[c],
            "roas_from_contributions": contribution[c] / spend[c] if spend[c] > 0 else None,
            "contribution_share": 100.0 * contribution[c] / total if total > 0 else None,
            "decay": params.get("adstock_alpha", {}).get(c),
            "lam": params.get("saturation_lam", {}).get(c),
            "beta": params.get("saturation_beta", {}).get(c),
        } for c in channels],
        "fit_s": fit_s,
        "metrics_s": metrics_s,
        "weeks": len(table),
        **diagnostics(mmm.idata),
        "versions": {p: _version(p) for p in ("pymc-marketing", "pymc", "pytensor", "numpy")},
        "python": sys.version.split()[0],
    }
    Path(spec["out"]).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
