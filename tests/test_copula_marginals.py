"""SDV's copula marginals: a fit that collapsed is found and refitted, a sound one is kept."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import causalsynth as cs
from causalsynth.comparison import _derive, _split
from causalsynth.synthesizers._copula_marginals import collapsed_marginals

pytest.importorskip("sdv")


@pytest.fixture(scope="module")
def demo_training_rows():
    """The demo's training rows of seed 2 (acquisition, 5,000 rows, 20 % held out), on which
    ``copulas``' beta fit of revenue converged to a point mass at the real minimum."""
    dag = cs.load_dag("acquisition")
    train, _ = _split(dag.simulate(5_000, seed=2), 0.2, _derive(2, "split", 0))
    return dag, train


def test_a_collapsed_beta_is_named():
    from copulas.univariate import BetaUnivariate, GaussianUnivariate

    rng = np.random.default_rng(0)
    values = rng.normal(400_000, 47_500, 4_000)
    collapsed = BetaUnivariate()  # the fit seen on the demo's table of seed 2
    collapsed._params = {"loc": 78_003.15, "scale": 147_524.06, "a": 3_090_934.5, "b": 0.0975}
    collapsed.fitted = True
    sound = GaussianUnivariate()
    sound.fit(values)
    dag = cs.load_dag("acquisition")
    frame = pd.DataFrame({"revenue": values, "demand": values})
    assert collapsed_marginals({"revenue": collapsed, "demand": sound}, frame, dag) == [
        "revenue"]


def test_gaussian_copula_refits_a_collapsed_marginal(demo_training_rows):
    dag, train = demo_training_rows
    refit = r"'revenue' marginal\(s\) collapsed.*'truncnorm'"
    with pytest.warns(cs.MarginalRefitWarning, match=refit):
        synth = cs.make_synthesizer("gaussian_copula", random_state=0).fit(train, dag)
    assert synth.refitted_marginals_ == {"revenue": "truncnorm"}
    sample = synth.sample(20_000, seed=0)
    # before: every synthetic revenue was the real minimum (sd ratio 0.000)
    assert sample["revenue"].std() / train["revenue"].std() == pytest.approx(1.0, abs=0.05)
    assert sample["revenue"].median() == pytest.approx(train["revenue"].median(), rel=0.02)


def test_a_sound_fit_is_not_refitted():
    dag = cs.load_dag("acquisition")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        synth = cs.make_synthesizer("gaussian_copula", random_state=0).fit(
            dag.simulate(2_000, seed=5), dag)
    assert synth.refitted_marginals_ == {}
