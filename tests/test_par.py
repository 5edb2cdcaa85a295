"""``par`` (SDV's PARSynthesizer): whole series on time-indexed DAGs, new geo labels, the real
index continued, seeds, no real extremes copied, non-time DAGs refused. Few epochs: these
check the interface and the leaks, not the quality of the series."""

from __future__ import annotations

import json
import random
import warnings

import numpy as np
import pandas as pd
import pytest

from causalsynth import load_dag
from causalsynth.datasets import load_example
from causalsynth.errors import DataError, InvalidParameterError, SynthesizerError
from causalsynth.synthesizers import make_synthesizer

WEEKLY = load_dag("weekly_mmm")
GEO = load_dag("geo_mmm")
EPOCHS = 3


@pytest.fixture(scope="module")
def weekly():
    return WEEKLY.simulate(156, seed=0)


@pytest.fixture(scope="module")
def panel():
    """5 geos x 156 weeks of geo_mmm's 40-geo panel."""
    full = GEO.simulate(6240, seed=0)
    keep = full["geo"].unique()[:5]
    return full[full["geo"].isin(keep)].reset_index(drop=True)


@pytest.fixture(scope="module")
def weekly_par(weekly):
    return make_synthesizer("par", epochs=EPOCHS).fit(weekly, WEEKLY)


@pytest.fixture(scope="module")
def panel_par(panel):
    return make_synthesizer("par", epochs=EPOCHS).fit(panel, GEO)


def test_single_series_is_one_sequence_with_index_first(weekly, weekly_par):
    assert weekly_par.layout_.n_series == 1 and weekly_par.layout_.periods == 156
    out = weekly_par.sample(156, seed=0)
    assert list(out.columns) == list(weekly.columns) == ["week", *WEEKLY.nodes]
    assert out.dtypes.to_dict() == weekly.dtypes.to_dict()
    assert out["week"].tolist() == list(range(156))
    assert not out.isna().any().any()
    assert set(out["events"].unique()) <= {0, 1}
    longer = weekly_par.sample(200, seed=0)  # more periods than trained on: the index goes on
    assert longer["week"].tolist() == list(range(200))


def test_panel_has_new_geo_labels_then_index_then_nodes(panel, panel_par):
    assert panel_par.layout_.n_series == 5
    out = panel_par.sample(5 * 156, seed=0)
    assert list(out.columns) == list(panel.columns) == ["geo", "week", *GEO.nodes]
    assert out.dtypes.to_dict() == panel.dtypes.to_dict()
    labels = [f"synthetic_{i:02d}" for i in range(1, 6)]
    assert out["geo"].unique().tolist() == labels  # series after series
    assert not set(out["geo"]) & set(panel["geo"])  # no real geo name
    for _, series in out.groupby("geo", sort=False):
        assert series["week"].tolist() == list(range(156))  # each series in time order
    for col in ("tv_spend", "revenue"):
        assert (out[col] >= 0).all()  # never negative in training: clipped at 0


def test_geos_sets_the_number_of_series(panel_par):
    out = panel_par.sample(3 * 40, seed=1, geos=3)
    assert out.groupby("geo", sort=False).size().tolist() == [40, 40, 40]
    assert out["week"].tolist() == list(range(40)) * 3


def test_n_not_a_multiple_of_the_series_is_refused(panel_par, weekly_par):
    with pytest.raises(InvalidParameterError, match=r"781 rows do not split into 5 geos.*"
                                                    r"n = 5 x periods \(such as 780"):
        panel_par.sample(781, seed=0)
    with pytest.raises(InvalidParameterError, match="geos"):
        weekly_par.sample(156, seed=0, geos=2)  # weekly_mmm has no geo column
    with pytest.raises(InvalidParameterError, match="interventions"):
        weekly_par.sample(156, seed=0, interventions={"tv_spend": "+10%"})


def test_a_dag_without_time_is_refused_before_anything_is_fitted():
    dag = load_dag("acquisition")
    synth = make_synthesizer("par", epochs=EPOCHS)
    with pytest.raises(InvalidParameterError, match=(
            r"needs a time-indexed DAG; DAG 'acquisition' declares no 'time' block.*"
            r"'gaussian_copula'")):
        synth.fit(dag.simulate(200, seed=0), dag)
    assert not hasattr(synth, "dag_") and not hasattr(synth, "model_")


def test_too_short_a_series_is_refused_with_the_minimum(weekly):
    with pytest.raises(DataError, match="20"):
        make_synthesizer("par", epochs=EPOCHS).fit(weekly.iloc[:19], WEEKLY)


def test_same_seed_same_table_and_global_state_untouched(weekly, panel_par):
    import torch

    np_before, py_before = np.random.get_state(), random.getstate()
    torch_before = torch.get_rng_state()
    a, b = panel_par.sample(2 * 60, seed=5, geos=2), panel_par.sample(2 * 60, seed=5, geos=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(panel_par.sample(2 * 60, seed=6, geos=2))
    fit_a = make_synthesizer("par", epochs=2, random_state=1).fit(weekly, WEEKLY)
    fit_b = make_synthesizer("par", epochs=2, random_state=1).fit(weekly, WEEKLY)
    pd.testing.assert_frame_equal(fit_a.sample(60, seed=0), fit_b.sample(60, seed=0))
    assert np.array_equal(np.random.get_state()[1], np_before[1])
    assert random.getstate() == py_before
    assert torch.equal(torch.get_rng_state(), torch_before)


def test_metadata_holds_no_real_value(panel, panel_par):
    text = json.dumps(panel_par.model_.get_metadata().to_dict(), default=str)
    numbers: list[str] = []  # every number in the metadata, as JSON text
    json.loads(text, parse_int=numbers.append, parse_float=numbers.append)
    assert numbers == [], f"metadata holds numbers {numbers}"
    assert "geo_0" not in text  # real geo labels never reach SDV
    for col in GEO.nodes:
        for v in (panel[col].min(), panel[col].max()):
            if v != 0:
                assert repr(float(v)) not in text


def test_no_synthetic_value_copies_a_real_extreme(panel, panel_par):
    """Clipping is off: no continuous value equals a real minimum or maximum (to 9 digits),
    except 0 in a column never negative in training (clipped at 0, a bound of the sign)."""
    out = panel_par.sample(5 * 156, seed=2)
    for col in GEO.nodes:
        if GEO.node_type(col) != "continuous":
            continue
        values = out[col].to_numpy(dtype=float)
        for extreme in (panel[col].min(), panel[col].max()):
            if extreme == 0 and (panel[col] >= 0).all():
                continue
            share = np.isclose(values, extreme, rtol=1e-9, atol=0.0).mean()
            assert share == 0.0, (col, extreme, share)


def test_no_value_is_the_real_mean(weekly, weekly_par):
    """PAR writes a column's real mean where it draws a value as "missing"; the adapter turns
    that flag off (before: 2-5 % of each column's cells after 128 epochs, ~50 % after 3)."""
    out = weekly_par.sample(156, seed=3)
    for col in WEEKLY.nodes:
        if WEEKLY.node_type(col) == "continuous":
            mean = weekly[col].mean()
            assert not np.isclose(out[col], mean, rtol=1e-12, atol=0.0).any(), col


def test_no_warnings_reach_the_user(weekly):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make_synthesizer("par", epochs=2).fit(weekly.iloc[:40], WEEKLY).sample(30, seed=0)
    assert not caught, [f"{w.category.__name__}: {w.message}" for w in caught]


def test_sdv_failure_during_fit_is_translated(monkeypatch, weekly):
    from sdv.sequential import PARSynthesizer

    def boom(self, data):
        raise RuntimeError("simulated PAR failure")

    monkeypatch.setattr(PARSynthesizer, "fit", boom)
    with pytest.raises(SynthesizerError, match=r"'par' failed while fitting \(RuntimeError: "
                                               r"simulated PAR failure\).*'causal'"):
        make_synthesizer("par", epochs=2).fit(weekly.iloc[:40], WEEKLY)


def test_real_weekly_table_with_dates_and_categories():
    """Robyn's 208 real weeks: a DATE index (text in the file) and a categorical node."""
    real = load_example("robyn_weekly")
    dag = load_dag("robyn_weekly")
    out = make_synthesizer("par", epochs=2).fit(real, dag).sample(208, seed=0)
    assert list(out.columns) == list(real.columns)
    dates = pd.to_datetime(out["DATE"])
    assert dates.tolist() == pd.to_datetime(real["DATE"]).tolist()  # the real weekly grid
    assert out["events"].dtype == real["events"].dtype
    assert set(out["events"]) <= set(real["events"].cat.categories)
