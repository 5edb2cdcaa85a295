"""The torch synthesizers ``diffusion`` and ``wgan`` and their shared encoder.

The registry's contract test (tests/test_synthesizer_contract.py) covers the interface; here:
lazy import of torch, the encoder's privacy guarantees (no verbatim values, extremes not
copied, point masses kept), what each model must learn on small data (zero shares, category
frequencies, 19 rows), reproducibility and parameter errors. Fits are small (hundreds of rows,
few epochs) and cached per module.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causalsynth import load_dag
from causalsynth.data import check_data
from causalsynth.errors import DataError, InvalidParameterError, SynthesizerError
from causalsynth.synthesizers import make_synthesizer
from causalsynth.synthesizers._torch import TabularEncoder

_CACHE: dict[str, object] = {}


def _real(dag_name: str, n: int, seed: int = 7) -> pd.DataFrame:
    return load_dag(dag_name).simulate(n, seed=seed)


def _verbatim_share(synthetic: pd.Series, real: pd.Series, atoms=(0.0,)) -> float:
    """Share of synthetic values (other than point masses) that equal some real value."""
    values = synthetic.to_numpy(float)
    values = values[~np.isin(values, atoms)]
    return float(np.isin(values, real.to_numpy(float)).mean()) if len(values) else 0.0


def _diffusion(dag_name: str, n: int = 600, **params):
    key = f"diffusion-{dag_name}-{n}-{sorted(params.items())}"
    if key not in _CACHE:
        params = {"epochs": 60, "n_threads": 1, **params}
        dag = load_dag(dag_name)
        real = _real(dag_name, n)
        _CACHE[key] = (real, make_synthesizer("diffusion", **params).fit(real, dag))
    return _CACHE[key]


# ---- the encoder -----------------------------------------------------------------------------
def test_encoder_point_masses_and_round_trip():
    dag = load_dag("saturation")
    real = check_data(_real("saturation", 1000), dag)
    enc = TabularEncoder().fit(real, dag, np.random.default_rng(0))
    # tv_spend (30% zeros) and social_spend (40%) get a point mass at 0; season does not
    masses = {b.name: b.values for b in enc.blocks_}
    assert masses["tv_spend__mass"] == [0.0, None]
    assert masses["social_spend__mass"] == [0.0, None]
    assert "season__mass" not in masses
    num, cat = enc.transform(real, np.random.default_rng(1))
    back = enc.inverse_transform(num, cat)
    for col in ("tv_spend", "social_spend"):
        np.testing.assert_array_equal(back[col] == 0, real[col] == 0)
    # away from the tails, decoding the encoded table returns the values (interpolation error
    # only); brand_searches is a dequantised count: back within one unit
    inner = (real["season"] > real["season"].quantile(0.01)) & (
        real["season"] < real["season"].quantile(0.99))
    # float32 latent: relative error ~1e-7
    np.testing.assert_allclose(back["season"][inner], real["season"][inner], rtol=1e-6)
    bs = real["brand_searches"]
    inner = (bs > bs.quantile(0.01)) & (bs < bs.quantile(0.99))
    assert (back["brand_searches"] - bs)[inner].abs().max() <= 1
    # the latent of the non-zero part is standard normal
    i = enc.kinds_["tv_spend"][1]
    spec = enc.numeric_[i]
    z = num[cat[:, spec.atom_block] == len(spec.atoms), i]
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05


def test_encoder_never_decodes_to_real_values_or_extremes():
    dag = load_dag("acquisition")
    real = check_data(_real("acquisition", 300), dag)
    enc = TabularEncoder().fit(real, dag, np.random.default_rng(0))
    rng = np.random.default_rng(2)
    # a wide latent (sd 3) pushes many values beyond the real range: they are reflected inside
    z = rng.normal(0, 3, size=(20_000, enc.n_numeric)).astype(np.float32)
    out = enc.inverse_transform(z, np.zeros((20_000, 0), dtype=np.int64))
    for col in real.columns:
        assert _verbatim_share(out[col], real[col], atoms=()) == 0.0, col
        assert out[col].min() > real[col].min() and out[col].max() < real[col].max(), col
        # no pile of identical values at the edges either
        assert out[col].value_counts().iloc[0] < 5, col


def test_encoder_codes_categories_and_binaries():
    dag = load_dag("ad_funnel")
    real = check_data(_real("ad_funnel", 500), dag)
    enc = TabularEncoder().fit(real, dag, np.random.default_rng(0))
    sizes = dict(zip([b.name for b in enc.blocks_], enc.cat_sizes, strict=True))
    assert sizes["device"] == 3 and sizes["click"] == 2 and sizes["revenue__mass"] == 2
    assert enc.n_numeric == 1  # revenue, its zeros as a point mass
    num, cat = enc.transform(real, np.random.default_rng(0))
    back = enc.inverse_transform(num, cat)
    for col in ("age_band", "device", "exposure", "conversion"):
        assert (back[col].astype(str).to_numpy() == real[col].astype(str).to_numpy()).all()


# ---- diffusion ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_diffusion_keeps_zero_shares_on_saturation():
    real, synth = _diffusion("saturation")
    out = synth.sample(4000, seed=0)
    for col in ("tv_spend", "social_spend"):  # true shares 0.30 and 0.40
        real_share, syn_share = (real[col] == 0).mean(), (out[col] == 0).mean()
        assert abs(syn_share - real_share) < 0.06, (col, real_share, syn_share)
    # the non-zero part is spread like the real one (median within 15%)
    for col in ("tv_spend", "season", "revenue"):
        r, s = real[col][real[col] > 0], out[col][out[col] > 0]
        assert abs(s.median() / r.median() - 1) < 0.15, col


@pytest.mark.slow
def test_diffusion_outputs_no_verbatim_values():
    real, synth = _diffusion("saturation")
    out = synth.sample(4000, seed=3)
    dag = load_dag("saturation")
    for col in dag.nodes:
        if dag.node_type(col) == "continuous":
            assert _verbatim_share(out[col], real[col]) < 0.001, col
            nonzero = real[col][real[col] != 0]
            assert out[col][out[col] != 0].min() > nonzero.min(), col
            assert out[col].max() < real[col].max(), col
    assert len(out.merge(real, how="inner")) == 0


@pytest.mark.slow
def test_diffusion_keeps_category_frequencies_on_ad_funnel():
    real, synth = _diffusion("ad_funnel", n=800)
    out = synth.sample(4000, seed=0)
    for col in ("age_band", "device", "slot", "exposure", "click"):
        p = real[col].astype(str).value_counts(normalize=True)
        q = out[col].astype(str).value_counts(normalize=True).reindex(p.index, fill_value=0)
        tvd = 0.5 * (p - q).abs().sum()
        assert tvd < 0.08, (col, tvd)
    # the funnel's gates hold mostly: no conversion, (almost) no revenue
    assert (out.loc[out["conversion"] == 0, "revenue"] == 0).mean() > 0.9


@pytest.mark.slow
def test_diffusion_same_seed_same_table_and_global_state_untouched():
    import torch

    dag = load_dag("ad_funnel")
    real = _real("ad_funnel", 200)
    state = torch.get_rng_state()
    threads = torch.get_num_threads()
    a = make_synthesizer("diffusion", epochs=3, random_state=4).fit(real, dag)
    b = make_synthesizer("diffusion", epochs=3, random_state=4, n_threads=1).fit(real, dag)
    c = make_synthesizer("diffusion", epochs=3, random_state=5).fit(real, dag)
    pd.testing.assert_frame_equal(a.sample(300, seed=1), b.sample(300, seed=1))
    assert not a.sample(300, seed=1).equals(c.sample(300, seed=1))
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.get_num_threads() == threads


def test_diffusion_history_and_early_stopping_fields():
    _, synth = _diffusion("saturation")
    h = synth.history_
    assert h["stopped"] in {"epochs", "early_stopping", "max_updates", "max_seconds"}
    assert h["updates"] >= 1 and len(h["val_loss"]) >= 1
    assert h["best_val_loss"] == min(h["val_loss"])


def test_diffusion_refuses_too_few_rows_with_the_minimum():
    dag = load_dag("acquisition")
    with pytest.raises(DataError, match="50"):
        make_synthesizer("diffusion", epochs=1).fit(_real("acquisition", 30), dag)


# ---- wgan ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wgan_19():
    dag = load_dag("acquisition")
    real = _real("acquisition", 19, seed=3)
    synth = make_synthesizer("wgan", epochs=300, n_threads=1).fit(real, dag)
    return real, synth


@pytest.mark.slow
def test_wgan_on_19_rows_samples_2000_without_copies(wgan_19):
    real, synth = wgan_19
    out = synth.sample(2000, seed=0)
    assert out.shape == (2000, 6) and not out.isna().any().any()
    assert len(out.merge(real, how="inner")) == 0
    for col in real.columns:
        assert _verbatim_share(out[col], real[col], atoms=()) == 0.0, col
    # the GAN learned something: means within half a real sd, not collapsed
    for col in real.columns:
        assert abs(out[col].mean() - real[col].mean()) < 0.5 * real[col].std(), col
    assert synth.history_["diversity_ratio"] > 0.5
    # revenue is the sum of both click columns in truth; the synthetic table keeps it strongly
    assert np.corrcoef(out["revenue"], out["organic_clicks"] + out["social_clicks"])[0, 1] > 0.8


@pytest.mark.slow
def test_wgan_mixed_types_and_seeds():
    dag = load_dag("ad_funnel")
    real = _real("ad_funnel", 150)
    a = make_synthesizer("wgan", epochs=40, n_threads=1).fit(real, dag)
    b = make_synthesizer("wgan", epochs=40, n_threads=1).fit(real, dag)
    out = a.sample(500, seed=2)
    pd.testing.assert_frame_equal(out, b.sample(500, seed=2))
    assert set(out["exposure"].unique()) <= {0, 1}
    assert set(out["device"].astype(str)) <= {"mobile", "desktop", "tablet"}


def test_wgan_warns_when_collapsed():
    from causalsynth.synthesizers.wgan import ModeCollapseWarning

    dag = load_dag("acquisition")
    real = _real("acquisition", 40)
    # an impossible threshold: every attempt counts as collapsed
    synth = make_synthesizer("wgan", epochs=5, collapse_ratio=100.0, max_retries=1)
    with pytest.warns(ModeCollapseWarning, match="collapsed"):
        synth.fit(real, dag)
    assert len(synth.attempts_) == 2
    assert synth.attempts_[0]["seed"] != synth.attempts_[1]["seed"]


# ---- parameters and devices ------------------------------------------------------------------
@pytest.mark.parametrize(("name", "cls"), [("diffusion", "DiffusionSynthesizer"),
                                           ("wgan", "WGANSynthesizer")])
def test_bad_parameters_are_named(name, cls):
    dag = load_dag("acquisition")
    real = _real("acquisition", 60)
    with pytest.raises(InvalidParameterError, match=(
            rf"^The 'epochs' parameter of {cls} must be an int in the range \[1, inf\)"
            rf"( or None)?\. Got 0 instead\.$")):
        make_synthesizer(name, epochs=0).fit(real, dag)
    with pytest.raises(InvalidParameterError, match=f"'random_state' parameter of {cls}"):
        make_synthesizer(name, epochs=1, random_state=-1).fit(real, dag)
    with pytest.raises(InvalidParameterError, match=(
            r"'device' parameter .* must be a str among \{'auto', 'cpu', 'cuda', 'mps'\}, a str "
            r"such as 'cuda:0' or None\. Got 'gpu' instead\.")):
        make_synthesizer(name, epochs=1, device="gpu").fit(real, dag)


@pytest.mark.parametrize("name", ["diffusion", "wgan"])
def test_devices(name):
    import torch

    dag = load_dag("acquisition")
    real = _real("acquisition", 60)
    quiet = {"collapse_ratio": 0.0} if name == "wgan" else {}  # 1 epoch: collapsed by design
    synth = make_synthesizer(name, epochs=1, device="auto", **quiet).fit(real, dag)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert synth.device_.type == expected
    if not torch.cuda.is_available():
        with pytest.raises(SynthesizerError, match="no CUDA GPU"):
            make_synthesizer(name, epochs=1, device="cuda").fit(real, dag)
