"""SDV adapters: the two real-value leaks closed, parameters passed through, errors translated,
no warnings, seeds. The generic contract (dtypes, NotFittedError, ...) is in
test_synthesizer_contract.py."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from causalsynth import MarginalRefitWarning, load_dag
from causalsynth.data import sdv_metadata
from causalsynth.errors import DataError, InvalidParameterError, SynthesizerError
from causalsynth.synthesizers import make_synthesizer
from causalsynth.synthesizers import sdv as sdv_mod
from causalsynth.synthesizers._torch import flush_denormal_enabled

FAST = {"gaussian_copula": {}, "ctgan": {"epochs": 2}, "tvae": {"epochs": 2},
        "copulagan": {"epochs": 2}}
NAMES = list(FAST)
ACQ = load_dag("acquisition")


@pytest.fixture(scope="module")
def small_real() -> pd.DataFrame:
    """19 rows: the published small-data case, where SDV's clipping leaked most."""
    return ACQ.simulate(19, seed=3)


_FITTED: dict[str, object] = {}


def _fitted_small(name: str, real: pd.DataFrame):
    if name not in _FITTED:
        _FITTED[name] = make_synthesizer(name, **FAST[name]).fit(real, ACQ)
    return _FITTED[name]


def _share_on_real_extremes(synthetic: pd.DataFrame, real: pd.DataFrame, rtol: float = 0.0):
    """Share of synthetic values equal (within rtol) to a real column's minimum or maximum."""
    shares = {}
    for col in real.columns:
        values = synthetic[col].to_numpy(dtype=float)
        hit = np.zeros(len(values), dtype=bool)
        for extreme in (real[col].min(), real[col].max()):
            hit |= np.isclose(values, extreme, rtol=rtol, atol=0.0)
        shares[col] = hit.mean()
    return shares


def _leaves(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _leaves(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _leaves(v)
    else:
        yield obj


# ---- leak 1: metadata -------------------------------------------------------------------
def test_metadata_dict_comes_from_node_types_only():
    md = sdv_metadata(load_dag("saturation"))
    columns = md["tables"]["table"]["columns"]
    dag = load_dag("saturation")
    assert list(columns) == list(dag.nodes)
    for name, col in columns.items():
        kind = dag.node_type(name)
        assert col == ({"sdtype": "numerical"} if kind == "continuous" else
                       {"sdtype": "numerical", "decimal_places": 0} if kind == "count" else
                       {"sdtype": "categorical"})


@pytest.mark.parametrize("name", NAMES)
def test_fitted_metadata_holds_no_real_value(name, small_real):
    synth = _fitted_small(name, small_real)
    md = synth.model_.get_metadata().to_dict()
    numbers = [v for v in _leaves(md) if isinstance(v, (int, float)) and not isinstance(v, bool)]
    assert numbers == [], f"metadata holds numbers {numbers}"
    text = json.dumps(md, default=str)
    assert "range_min" not in text and "range_max" not in text
    for col in small_real.columns:
        for v in (small_real[col].min(), small_real[col].max()):
            assert f"{v:.6g}" not in text and repr(float(v)) not in text


# ---- leak 2: clipping to the real extremes ------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_no_synthetic_value_copies_a_real_extreme(name, small_real):
    out = _fitted_small(name, small_real).sample(2000, seed=0)
    exact = _share_on_real_extremes(out, small_real)
    assert max(exact.values()) == 0.0, exact
    near = _share_on_real_extremes(out, small_real, rtol=1e-9)  # copies to 9 digits
    assert max(near.values()) <= 0.001, near


def test_plain_sdv_with_clipping_does_copy_real_extremes(small_real):
    """The check above can fail: SDV's defaults copy real extremes (PITFALLS: 9-21 %)."""
    from sdv.metadata import Metadata
    from sdv.single_table import CTGANSynthesizer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = CTGANSynthesizer(Metadata.load_from_dict(sdv_metadata(ACQ)),
                                 epochs=2)  # enforce_min_max_values=True by default
        with sdv_mod._seeded_global_rngs(0):
            plain.fit({"table": small_real})
            out = plain.sample(2000)["table"]
    assert max(_share_on_real_extremes(out, small_real).values()) > 0.05


@pytest.mark.parametrize("name", ["gaussian_copula", "copulagan"])
def test_rows_on_a_marginal_bound_are_redrawn(name, small_real):
    synth = _fitted_small(name, small_real)
    assert set(synth.marginal_bounds_) == set(small_real.columns)  # all continuous here
    col = "tv_spend"
    low, high = synth.marginal_bounds_[col]
    frame = synth.sample(4, seed=0)
    frame.loc[1, col] = low - 1.0  # on or beyond the lower bound
    frame.loc[3, col] = high + 1.0
    assert synth._on_bound(frame).tolist() == [False, True, False, True]


def test_count_and_nonnegative_columns_stay_nonnegative():
    dag = load_dag("saturation")
    real = dag.simulate(300, seed=0)
    synth = make_synthesizer("tvae", epochs=2).fit(real, dag)
    out = synth.sample(1000, seed=0)
    for col in dag.nodes:
        if dag.node_type(col) == "count" or (real[col] >= 0).all():
            assert (out[col] >= 0).all(), col
    counts = [c for c in dag.nodes if dag.node_type(c) == "count"]
    assert counts and all(out[c].dtype == np.int64 for c in counts)


# ---- parameters -------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "params", "expected"), [
    ("ctgan", {"epochs": 3, "batch_size": 40, "embedding_dim": 16, "pac": 4},
     {"epochs": 3, "batch_size": 40, "embedding_dim": 16, "pac": 4}),
    ("tvae", {"epochs": 3, "batch_size": 50, "compress_dims": (32,)},
     {"epochs": 3, "batch_size": 50, "compress_dims": (32,)}),
    ("copulagan", {"epochs": 1, "default_distribution": "norm"},
     {"epochs": 1, "default_distribution": "norm"}),
    ("gaussian_copula", {"default_distribution": "truncnorm"},
     {"default_distribution": "truncnorm"}),
    ("ctgan", {"epochs": 1, "sdv_params": {"log_frequency": False}}, {"log_frequency": False}),
])
def test_parameters_reach_the_sdv_model(name, params, expected, small_real):
    synth = make_synthesizer(name, **params).fit(small_real, ACQ)
    got = synth.model_.get_parameters()
    assert got["enforce_min_max_values"] is False
    for key, value in expected.items():
        assert got[key] == value, (key, got[key])
    if name in ("ctgan", "tvae"):  # the epochs really ran
        assert synth.model_.get_loss_values()["Epoch"].nunique() == params["epochs"]


def test_progress_shows_a_bar_and_is_silent_otherwise(capsys, small_real):
    make_synthesizer("tvae", epochs=2).fit(small_real, ACQ)
    quiet = capsys.readouterr()
    assert quiet.out == "" and quiet.err == ""
    make_synthesizer("tvae", epochs=2, progress=True).fit(small_real, ACQ)
    shown = capsys.readouterr()
    assert "2/2" in shown.err  # tqdm's epoch counter


@pytest.mark.parametrize("name", NAMES)
def test_no_warnings_reach_the_user(name):
    real = ACQ.simulate(60, seed=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # stricter than pytest's config: also SDV deprecations
        make_synthesizer(name, **FAST[name]).fit(real, ACQ).sample(100, seed=0)
    # ours, not SDV's: a copula marginal that collapsed was refitted (on these 60 rows
    # revenue's beta came out with a third of the data's spread; tests/test_copula_marginals.py)
    caught = [w for w in caught if not issubclass(w.category, MarginalRefitWarning)]
    assert not caught, [f"{w.category.__name__}: {w.message}" for w in caught]


def test_fit_seed_is_random_state(small_real):
    a = make_synthesizer("ctgan", epochs=2, random_state=1).fit(small_real, ACQ)
    b = make_synthesizer("ctgan", epochs=2, random_state=1).fit(small_real, ACQ)
    c = make_synthesizer("ctgan", epochs=2, random_state=2).fit(small_real, ACQ)
    pd.testing.assert_frame_equal(a.sample(100, seed=0), b.sample(100, seed=0))
    assert not a.sample(100, seed=0).equals(c.sample(100, seed=0))


def test_tvae_restores_flush_denormal_mode(small_real):
    import torch

    assert not flush_denormal_enabled(torch)
    make_synthesizer("tvae", epochs=1).fit(small_real, ACQ)
    assert not flush_denormal_enabled(torch)
    torch.set_flush_denormal(True)
    try:
        make_synthesizer("tvae", epochs=1).fit(small_real, ACQ)
        assert flush_denormal_enabled(torch)
    finally:
        torch.set_flush_denormal(False)


# ---- errors -----------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "params", "match"), [
    ("ctgan", {"batch_size": 25}, r"'batch_size' parameter of CTGANAdapter .* multiple of pac=10"),
    ("ctgan", {"epochs": 0}, r"^The 'epochs' parameter of CTGANAdapter must be an int in the "
                             r"range \[1, inf\)\. Got 0 instead\.$"),
    ("tvae", {"random_state": -1}, "'random_state' parameter of TVAEAdapter"),
    ("tvae", {"compress_dims": (32, 0)}, r"'compress_dims' .* a tuple of ints in the range"),
    ("gaussian_copula", {"sdv_params": {"enforce_min_max_values": True}}, "copies real"),
    ("gaussian_copula", {"sdv_params": {"nonsense": 1}}, "nonsense"),
    ("gaussian_copula", {"default_distribution": "bogus"},
     r"'default_distribution' parameter of GaussianCopulaAdapter must be a str among \{'beta'"),
    ("gaussian_copula", {"numerical_distributions": {"revenue": "bogus"}},  # SDV's own check
     r"make_synthesizer\('gaussian_copula'"),
])
def test_bad_parameters_raise_our_errors_at_fit(name, params, match, small_real):
    synth = make_synthesizer(name, **params)  # the constructor only stores
    with pytest.raises(InvalidParameterError, match=match):
        synth.fit(small_real, ACQ)


def test_a_generator_or_numpy_ints_are_accepted(small_real):
    a = make_synthesizer("tvae", epochs=np.int64(1), batch_size=np.int64(20),
                         compress_dims=[16], random_state=np.random.default_rng(0))
    assert a.fit(small_real, ACQ).model_.get_parameters()["compress_dims"] == (16,)


def test_sdv_errors_become_ours():
    from sdv.errors import InvalidDataError, SamplingError

    data_err = sdv_mod._translate(InvalidDataError(["column 'x' is bad"]), "ctgan", "fitting")
    assert isinstance(data_err, DataError) and "check_data" in str(data_err)
    other = sdv_mod._translate(SamplingError("boom"), "ctgan", "sampling from")
    assert isinstance(other, SynthesizerError)
    assert "boom" in str(other) and "gaussian_copula" in str(other)


def test_sdv_failure_during_fit_is_translated(monkeypatch, small_real):
    from sdv.single_table import GaussianCopulaSynthesizer

    def fail(self, data):
        raise ValueError("inner SDV failure")

    monkeypatch.setattr(GaussianCopulaSynthesizer, "fit", fail)
    with pytest.raises(SynthesizerError, match="inner SDV failure") as info:
        make_synthesizer("gaussian_copula").fit(small_real, ACQ)
    assert isinstance(info.value.__cause__, ValueError)
