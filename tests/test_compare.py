"""compare(): split, fit, sample, validate every synthesizer; failures recorded; leaderboard."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

# the package exports the function compare(); the module is reached through sys.modules
import causalsynth.comparison as cmp
from causalsynth import CausalSynthError, DataError, Margins, load_dag
from causalsynth.evaluate.metric import MetricResult
from causalsynth.evaluate.report import Report
from causalsynth.synthesizers.base import Synthesizer


class IndependentNormal(Synthesizer):
    """Each column from its own normal: keeps the marginals' moments, destroys the DAG."""

    name = "independent_normal"

    def __init__(self, scale: float = 1.0):
        self.scale = scale

    def _fit(self, data, dag):
        self.mean_, self.sd_ = data.mean(), data.std()

    def _sample(self, n, rng, **kwargs):
        return pd.DataFrame({c: rng.normal(self.mean_[c], self.scale * self.sd_[c], n)
                             for c in self.columns_})


class LinearGaussian(Synthesizer):
    """A multivariate normal with the real covariance: preserves a linear-Gaussian DAG."""

    name = "linear_gaussian"

    def __init__(self):
        pass

    def _fit(self, data, dag):
        self.mean_, self.cov_ = data.mean().to_numpy(), data.cov().to_numpy()

    def _sample(self, n, rng, **kwargs):
        return pd.DataFrame(rng.multivariate_normal(self.mean_, self.cov_, n),
                            columns=self.columns_)


class Broken(Synthesizer):
    name = "broken"

    def __init__(self):
        pass

    def _fit(self, data, dag):
        raise RuntimeError("the model diverged\nsecond line")


def fake_validate(real, synthetic, dag, holdout, seed, margins=None, guarantee=None):
    """Stands in for causalsynth.validate: a correlation-based verdict, real figures only (of
    the first draw, when compare passes several)."""
    synthetic = synthetic[0] if isinstance(synthetic, list) else synthetic
    diff = (real.corr() - synthetic.corr()).abs().to_numpy().max()
    verdict = "preserved" if diff < 0.25 else "not preserved"
    ici = [{"node": c, "real_share": 10.0, "synthetic_share": 10.0 + 30 * diff * (i == 0),
            "diff_pp": 30 * diff * (i == 0)} for i, c in enumerate(real.columns)]
    return Report(
        verdict=verdict,
        causal={"verdict": verdict, "reasons": [f"max corr diff {diff:.2f}"], "ici": ici,
                "effects": [{"treatment": "tv_spend", "rel_diff": -diff}],
                "independences": [{"status": "beyond" if diff > 0.25 else "within"},
                                  {"status": "within"}]},
        fidelity={"quality_score": MetricResult("quality_score", 1 - diff, "higher"),
                  "column_shapes": MetricResult("column_shapes", 0.9, "higher"),
                  "column_pair_trends": MetricResult("column_pair_trends", None,
                                                     error="ValueError: x")},
        privacy={"membership_inference_auc": MetricResult("membership_inference_auc", 0.5,
                                                          "lower")},
        meta={"seed": seed, "n_real": len(real), "n_synthetic": len(synthetic),
              "n_holdout": None if holdout is None else len(holdout),
              **({} if guarantee is None else {"guarantee": dict(guarantee)})},
    )


@pytest.fixture
def patched(monkeypatch):
    calls = []

    def spy(real, synthetic, dag, holdout, seed, margins=None, guarantee=None):
        draws = synthetic if isinstance(synthetic, list) else [synthetic]
        calls.append({"n_real": len(real), "n_synth": len(draws[0]), "n_draws": len(draws),
                      "n_holdout": len(holdout), "seed": seed, "real": real, "holdout": holdout,
                      "guarantee": guarantee})
        return fake_validate(real, synthetic, dag, holdout, seed, guarantee=guarantee)

    monkeypatch.setattr(cmp, "_run_validate", spy)
    return calls


@pytest.fixture(scope="module")
def real():
    return load_dag("acquisition").simulate(500, seed=0)


def test_leaderboard_ranks_and_records_failures(real, patched):
    result = cmp.compare(real, "acquisition",
                         synthesizers=[LinearGaussian(), IndependentNormal(), Broken()],
                         seed=3)
    board = result.leaderboard
    assert list(board.columns) == cmp.LEADERBOARD_COLUMNS
    assert list(board["synthesizer"]) == ["linear_gaussian", "independent_normal", "broken"]
    by = board.set_index("synthesizer")
    assert by.loc["linear_gaussian", "verdict"] == "preserved"
    assert by.loc["independent_normal", "verdict"] == "not preserved"
    assert by.loc["independent_normal", "max_ici_diff"] > by.loc["linear_gaussian",
                                                                  "max_ici_diff"]
    assert by.loc["independent_normal", "independences_broken"] == 1
    # a failed metric leaves NaN, not a crash
    assert np.isnan(by.loc["linear_gaussian", "pair_trends"])
    # the broken synthesizer: one-line error in its row, no report, others unaffected
    assert by.loc["broken", "error"] == "RuntimeError: the model diverged"
    assert by.loc["broken", "verdict"] is None and "broken" not in result.reports
    assert set(result.reports) == {"linear_gaussian", "independent_normal"}
    assert by.loc["linear_gaussian", "fit_s"] >= 0 and by.loc["linear_gaussian", "sample_s"] >= 0
    assert result.reports["linear_gaussian"].meta["synthesizer"] == "linear_gaussian"


def test_split_when_no_holdout_is_stated_and_disjoint(real, patched):
    result = cmp.compare(real, "acquisition", [LinearGaussian()], seed=1)
    call = patched[0]
    # ten synthetic draws the size of the training rows by default
    assert call["n_real"] == 400 and call["n_holdout"] == 100 and call["n_synth"] == 400
    assert call["n_draws"] == 10
    merged = pd.concat([call["real"], call["holdout"]]).sort_values("revenue")
    pd.testing.assert_frame_equal(merged.reset_index(drop=True),
                                  real.sort_values("revenue").reset_index(drop=True))
    assert "split" in result.meta["holdout"] and "100 of 500" in result.meta["holdout"]
    assert result.meta["n_train"] == 400


def test_given_holdout_and_n_are_used(real, patched):
    holdout = load_dag("acquisition").simulate(50, seed=9)
    result = cmp.compare(real, "acquisition", [LinearGaussian()], holdout=holdout, n=123)
    assert patched[0]["n_real"] == 500 and patched[0]["n_holdout"] == 50
    assert patched[0]["n_synth"] == 123
    assert result.meta["holdout"].startswith("given")


def test_same_seed_same_leaderboard(real, patched):
    a = cmp.compare(real, "acquisition", [IndependentNormal()], seed=5).leaderboard
    b = cmp.compare(real, "acquisition", [IndependentNormal()], seed=5).leaderboard
    c = cmp.compare(real, "acquisition", [IndependentNormal()], seed=6).leaderboard
    cols = ["quality", "max_ici_diff"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert not a[cols].equals(c[cols])
    assert patched[0]["seed"] == 5  # the validation gets the caller's seed


def test_unknown_name_is_a_row_error_not_a_crash(real, patched):
    result = cmp.compare(real, "acquisition", ["no_such_synth", LinearGaussian()])
    by = result.leaderboard.set_index("synthesizer")
    assert "unknown synthesizer 'no_such_synth'" in by.loc["no_such_synth", "error"]
    assert by.loc["linear_gaussian", "verdict"] == "preserved"


def test_duplicate_labels_are_numbered(real, patched):
    result = cmp.compare(real, "acquisition", [IndependentNormal(), IndependentNormal(2.0)])
    assert list(result.leaderboard["synthesizer"]) == ["independent_normal",
                                                       "independent_normal-2"]


class Guaranteed(LinearGaussian):
    """A stand-in for a private synthesizer: states a guarantee after fitting."""

    name = "guaranteed"

    def __init__(self, epsilon: float = 1.0):
        self.epsilon = epsilon

    def _fit(self, data, dag):
        super()._fit(data, dag)
        self.guarantee_ = {"epsilon": self.epsilon, "delta": 1e-6}


def test_labelled_entries_and_the_guarantee_reach_the_leaderboard(real, patched):
    specs = {"lg": LinearGaussian(), "private": Guaranteed(2.0),
             "copula": ("gaussian_copula", {"no_such_param": 1})}
    result = cmp.compare(real, "acquisition", specs, seed=0)
    by = result.leaderboard.set_index("synthesizer")
    assert list(by.index) == ["lg", "private", "copula"]
    assert by.loc["private", "epsilon"] == 2.0 and np.isnan(by.loc["lg", "epsilon"])
    assert "no_such_param" in by.loc["copula", "error"]  # (name, params) reached make_synthesizer
    assert [c["guarantee"] for c in patched] == [None, {"epsilon": 2.0, "delta": 1e-6}]
    assert result.meta["families"] == {"lg": "linear_gaussian", "private": "guaranteed",
                                       "copula": None}
    assert len(result.frontier()) == 1  # one guarantee: a point, not a frontier
    with pytest.raises(CausalSynthError, match=r"must be \(name, parameters\)"):
        cmp.compare(real, "acquisition", {"x": ("causal",)})


def test_epsilon_sweep_builds_labelled_entries():
    sweep = cmp.epsilon_sweep("causal", [0.5, 2], delta=1e-5)
    assert sweep == {"causal ε=0.5": ("causal", {"delta": 1e-5, "epsilon": 0.5}),
                     "causal ε=2": ("causal", {"delta": 1e-5, "epsilon": 2.0})}


def test_bad_inputs_raise_clear_errors(real, patched):
    with pytest.raises(DataError, match="missing from the real table"):
        cmp.compare(real.drop(columns="revenue"), "acquisition", [LinearGaussian()])
    with pytest.raises(CausalSynthError, match="at least one synthesizer"):
        cmp.compare(real, "acquisition", [])
    with pytest.raises(CausalSynthError, match="'n' parameter"):
        cmp.compare(real, "acquisition", [LinearGaussian()], n=0)
    with pytest.raises(CausalSynthError, match="too few to split"):
        cmp.compare(real.head(12), "acquisition", [LinearGaussian()], holdout_fraction=0.1)
    assert not patched


def test_json_and_html_outputs(real, patched, tmp_path):
    result = cmp.compare(real, "acquisition", [LinearGaussian(), Broken()], progress=True)
    text = result.to_json(tmp_path / "c.json")
    data = json.loads((tmp_path / "c.json").read_text())
    assert json.loads(text) == data
    assert set(data) == {"leaderboard", "reports", "meta"}
    assert data["leaderboard"][1]["error"].startswith("RuntimeError")
    assert data["reports"]["linear_gaussian"]["verdict"] == "preserved"
    page = result.to_html(tmp_path / "c.html", links={"linear_gaussian": "lg.html"})
    assert (tmp_path / "c.html").read_text() == page
    assert "Leaderboard" in page and "Privacy vs causal fidelity" in page
    assert "href='lg.html'" in page and "failed: RuntimeError" in page
    assert page.count("<svg") >= 2  # scatter + embedded report plots
    assert "<html" not in result._repr_html_()


@pytest.mark.slow
def test_compare_with_real_validate_reference_and_rejudging(tmp_path):
    # 4,000 training rows decide at the default margins (ten synthetic draws of 4,000 rows)
    big = load_dag("acquisition").simulate(5_000, seed=0)
    result = cmp.compare(big, "acquisition", [LinearGaussian(), IndependentNormal()], seed=0,
                         reference=True)
    by = result.leaderboard.set_index("synthesizer")
    assert by.loc["linear_gaussian", "verdict"] == "preserved"
    assert by.loc["independent_normal", "verdict"] == "not preserved"
    assert by.loc["independent_normal", "max_ici_diff"] > by.loc["linear_gaussian",
                                                                  "max_ici_diff"]
    # the split-half reference: real against real, never called "not preserved" here
    assert by.loc[cmp.REFERENCE, "verdict"] in ("preserved", "inconclusive")
    assert result.reports[cmp.REFERENCE].meta["n_real"] == 2_000
    # saved and re-judged with wider margins: nothing refitted, verdicts only move up
    result.to_json(tmp_path / "c.json")
    loaded = cmp.Comparison.read_json(tmp_path / "c.json")
    assert loaded.leaderboard["verdict"].tolist() == result.leaderboard["verdict"].tolist()
    wide = loaded.judge(Margins(ici_points=50, effect_rel=5.0, independence=0.9))
    assert wide.leaderboard.set_index("synthesizer").loc["linear_gaussian",
                                                          "verdict"] == "preserved"


def test_max_effect_diff_counts_only_judged_effects():
    """A per-unit slope the verdict does not judge (zero-inflated spend) is not the headline."""
    effects = [{"rel_diff": 0.02, "status": "within"}, {"rel_diff": -0.04, "status": "unclear"},
               {"rel_diff": 0.25, "status": "not judged"}]
    row = cmp.leaderboard_row("x", {"causal": {"effects": effects, "ici": []}})
    assert row["max_effect_diff"] == pytest.approx(0.04)


def test_n_bootstrap_reaches_every_validation_and_travels_to_workers(real, monkeypatch):
    """compare(n_bootstrap=) is validate's, for every cell (the reference too); the bound
    validation function pickles, as process and Dask workers need."""
    import pickle

    seen = []

    def spy(real_, synthetic, dag, holdout, seed, margins=None, guarantee=None,
            n_bootstrap=None):
        seen.append(n_bootstrap)
        return fake_validate(real_, synthetic, dag, holdout, seed)

    monkeypatch.setattr(cmp, "_run_validate", spy)
    cmp.compare(real, "acquisition", [LinearGaussian()], reference=True, n_bootstrap=7)
    assert seen == [7, 7]
    seen.clear()
    cmp.compare(real, "acquisition", [LinearGaussian()])
    assert seen == [None]
    with pytest.raises(CausalSynthError, match="'n_bootstrap' parameter of compare"):
        cmp.compare(real, "acquisition", [LinearGaussian()], n_bootstrap=10**6)
    monkeypatch.undo()
    cell = cmp._cells(["causal"], None, 0, 10, None, False, 1, n_bootstrap=5)[0]
    assert pickle.loads(pickle.dumps(cell.validate)).keywords == {"n_bootstrap": 5}
