"""Several synthetic draws measured as one synthetic side (evaluate/draws.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import causalsynth as cs
from causalsynth.errors import DataError
from causalsynth.evaluate.causal import measure_causal
from causalsynth.evaluate.draws import combine_draws, draw_bootstrap
from causalsynth.evaluate.verdict import judge_causal


def _effects(synthetic: float, se: float) -> pd.DataFrame:
    return pd.DataFrame([{"treatment": "tv", "kind": "per_unit", "method": "gcm", "real": 1.0,
                          "synthetic": synthetic, "synthetic_low": 0.0, "synthetic_high": 0.0,
                          "se_synthetic": se}])


def test_combined_figure_is_the_mean_and_its_se_that_of_a_mean():
    out = combine_draws("effects", [_effects(1.0, 1.3), _effects(2.0, 1.4), _effects(3.0, 1.5)])
    assert out["synthetic"].item() == pytest.approx(2.0)
    se = np.sqrt((1.3 ** 2 + 1.4 ** 2 + 1.5 ** 2) / 3 / 3)
    assert out["se_synthetic"].item() == pytest.approx(se)
    assert out["synthetic_low"].item() == pytest.approx(2.0 - 1.959964 * se, rel=1e-6)
    assert out["draws_between_se"].item() == pytest.approx(1.0 / np.sqrt(3))
    assert out["real"].item() == 1.0  # the real side is untouched


def test_the_spread_between_draws_floors_a_bootstrap_that_understates_it():
    """Each draw's bootstrap says se 0.3-0.5, the draws scatter by 1: the combined se is the
    between-draw one, sd / sqrt(m), not the pooled bootstrap's sqrt(u / m)."""
    out = combine_draws("effects", [_effects(1.0, 0.3), _effects(2.0, 0.4), _effects(3.0, 0.5)])
    assert out["se_synthetic"].item() == pytest.approx(1.0 / np.sqrt(3))
    assert out["se_synthetic"].item() > np.sqrt((0.09 + 0.16 + 0.25) / 3 / 3)


def test_draws_share_the_bootstrap_budget():
    assert draw_bootstrap(30, 1) == 30
    assert draw_bootstrap(30, 5) == 8  # at least 8 per draw: 35 degrees of freedom pooled
    assert draw_bootstrap(50, 5) == 10
    assert draw_bootstrap(4, 3) == 4  # never more than the single table's budget


@pytest.fixture(scope="module")
def weekly():
    dag = cs.load_dag("weekly_mmm")
    real = dag.simulate(104, seed=1)
    draws = [dag.simulate(104, seed=20 + j) for j in range(3)]
    single = [measure_causal(real, d, dag, seed=0, n_bootstrap=4) for d in draws]
    combined = measure_causal(real, draws, dag, seed=0, n_bootstrap=12)
    return dag, real, draws, single, combined


@pytest.mark.slow
def test_the_synthetic_side_of_several_draws_is_the_mean_of_each_draw_measured_alone(weekly):
    """Point estimates do not depend on the bootstrap: the combined synthetic figures equal
    the mean of the figures each draw gives alone (ICI, effects, ROAS), to 1e-6; the real
    side is the single measurement's."""
    _, _, _, single, combined = weekly
    for table, value in (("ici", "synthetic_share"), ("effects", "synthetic"),
                         ("mmm", "synthetic")):
        each = np.vstack([getattr(c, table)[value].to_numpy(float) for c in single])
        got = getattr(combined, table)[value].to_numpy(float)
        np.testing.assert_allclose(got, np.nanmean(each, axis=0), rtol=1e-6, atol=1e-9,
                                   err_msg=table)
        real = "real_share" if table == "ici" else "real"
        np.testing.assert_allclose(getattr(combined, table)[real].to_numpy(float),
                                   getattr(single[0], table)[real].to_numpy(float),
                                   rtol=1e-9, err_msg=table)
    assert combined.n_draws == 3 and combined.n_synthetic == 104
    assert combined.method["draws"]["m"] == 3


@pytest.mark.slow
def test_several_draws_narrow_the_synthetic_side_and_the_precision_shown(weekly):
    """Three draws: the synthetic standard errors fall to about 1/sqrt(3) of one draw's
    (median ratio below 0.8 over effects and ROAS), and the headline names the draws."""
    _, _, _, single, combined = weekly
    ratios = []
    for table in ("effects", "mmm"):
        one = getattr(single[0], table)["se_synthetic"].to_numpy(float)
        ratios.append(getattr(combined, table)["se_synthetic"].to_numpy(float) / one)
    ratio = np.nanmedian(np.concatenate(ratios))
    assert 0.3 < ratio < 0.8
    v = judge_causal(combined)
    assert v.verdict != "not preserved"
    assert "104 real rows and 3 synthetic draws of 104 rows" in v.reasons[0]


@pytest.mark.slow
def test_validate_counts_copies_in_every_draw(weekly):
    """A later draw that copies real rows is caught by the privacy gate: exact copies are
    counted over every draw, not only the first (which the other metrics read)."""
    dag, real, draws, _, _ = weekly
    leaky = draws[1].copy()
    leaky.iloc[:20] = real.iloc[:20].to_numpy()
    report = cs.validate(real, [draws[0], leaky], dag, seed=0, n_bootstrap=4)
    assert report.meta["synthetic_draws"] == 2
    copies = report.privacy["exact_copies"]
    assert copies.value >= 20 and copies.details["n_synthetic"] == 2 * len(real)
    assert report.privacy_gate["flagged"]


def test_bad_draws_get_clear_errors():
    dag = cs.load_dag("acquisition")
    real = dag.simulate(300, seed=1)
    with pytest.raises(DataError, match="no synthetic table given"):
        measure_causal(real, [], dag)
    with pytest.raises(DataError, match="different sizes"):
        measure_causal(real, [dag.simulate(300, seed=2), dag.simulate(310, seed=3)], dag)
    with pytest.raises(DataError, match="must be DataFrames"):
        measure_causal(real, [dag.simulate(300, seed=2), "table.csv"], dag)
    broken = dag.simulate(300, seed=3).drop(columns=["revenue"])
    with pytest.raises(DataError, match="synthetic draw 2 of 2"):
        measure_causal(real, [dag.simulate(300, seed=2), broken], dag)


def test_compare_hands_every_cell_its_draws(tmp_path, monkeypatch):
    """`causalsynth compare --draws 3`: each synthesizer's validation receives three tables of
    the same size from three seeds (the first the single-draw sample), and the comparison's
    meta says so; a time DAG defaults to five draws, exchangeable rows to one table."""
    from typer.testing import CliRunner

    import causalsynth.cli as cli
    import causalsynth.comparison as cmp
    from causalsynth.comparison import default_synthetic_draws
    from causalsynth.evaluate.validate import validate

    seen = []

    def fake(real, synthetic, dag, holdout, seed, margins=None, guarantee=None):
        seen.append(synthetic)
        first = synthetic[0] if isinstance(synthetic, list) else synthetic
        return validate(real, first, dag, seed=seed, n_bootstrap=2)

    monkeypatch.setattr(cmp, "_run_validate", fake)
    dag = cs.load_dag("acquisition")
    path = tmp_path / "real.csv"
    dag.simulate(300, seed=1).to_csv(path, index=False)
    out = tmp_path / "c.json"
    res = CliRunner().invoke(cli.app, ["compare", str(path), "--dag", "acquisition",
                                       "--synthesizers", "gaussian_copula", "--rows", "100",
                                       "--draws", "3", "--json", str(out)])
    assert res.exit_code in (0, 1, 3), res.output
    (draws,) = seen
    assert isinstance(draws, list) and [len(d) for d in draws] == [100, 100, 100]
    assert not draws[0].equals(draws[1])
    import json
    assert json.loads(out.read_text())["meta"]["synthetic_draws"] == 3
    assert default_synthetic_draws(cs.load_dag("weekly_mmm")) == 5
    assert default_synthetic_draws(dag, 100) == 10
    bad = CliRunner().invoke(cli.app, ["compare", str(path), "--dag", "acquisition",
                                       "--draws", "0"])
    assert bad.exit_code == 2 and "draws" in bad.output


def test_a_draw_missing_a_rare_label_by_chance_is_set_aside():
    """Three draws of a table with a one-week label; one draw lacks it (as chance explains
    for a single week): that draw is set aside and the other two are measured, instead of
    leaving the whole synthetic side unmeasured. Every draw lacking it: unmeasured, as a single
    table is."""
    from causalsynth.evaluate.causal import _usable_draws

    real = pd.DataFrame({"x": np.arange(100.0), "flag": [1] + [0] * 99})
    has = real.sample(frac=1.0, random_state=1).reset_index(drop=True)
    lacks = real.assign(flag=0)
    lost, chance, used, short = _usable_draws(real, [has, lacks, has])
    assert (lost, chance, len(used), short) == ([], [], 2, 1)
    lost, chance, used, short = _usable_draws(real, [lacks, lacks])
    assert (lost, chance, len(used), short) == ([], ["flag"], 2, 0)
    gone = real.assign(x=1.0)  # a numeric column constant: lost, whatever the other draws say
    lost, chance, used, short = _usable_draws(real, [has, gone])
    assert lost == ["x"] and len(used) == 2
