"""The contract every registered synthesizer follows, checked for each one.

One parametrized test over ``REGISTRY`` x checks (scikit-learn's ``parametrize_with_checks``
idea): a new synthesizer gets every check by being registered. Fits are cached per module, so
each synthesizer trains a few small models (small epochs; 400 rows) for all the checks.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from causalsynth import load_dag
from causalsynth.errors import CausalSynthError, DataError, NotFittedError
from causalsynth.synthesizers import REGISTRY, make_synthesizer

#: small, fast parameters per synthesizer; a name missing here is tested with its defaults.
FAST_PARAMS: dict[str, dict] = {
    "gaussian_copula": {},
    "ctgan": {"epochs": 2},
    "tvae": {"epochs": 2},
    "copulagan": {"epochs": 2},
    "diffusion": {"epochs": 2},
    "wgan": {"epochs": 5},
    "causal": {},
}
N_ROWS = 400  # training rows of the mixed-type and continuous cases
N_SAMPLE = 300


def _require(name: str):
    """Skip a registered synthesizer whose module is not written yet (names the module)."""
    module = REGISTRY[name].split(":")[0]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"module {module} (synthesizer {name!r}) does not exist yet")
    return importlib.import_module(module)


def _own_warnings(module) -> list[type[Warning]]:
    """Warning classes a synthesizer module defines (e.g. a GAN's mode-collapse warning).

    They tell users about quality, which a 2-epoch fit lacks by design; the contract is about
    the interface. Third-party warnings still fail the test (pytest turns them into errors).
    """
    return [obj for obj in vars(module).values() if isinstance(obj, type)
            and issubclass(obj, Warning) and obj.__module__.startswith("causalsynth")]


def _make(name: str):
    return make_synthesizer(name, **FAST_PARAMS.get(name, {}))


_REAL: dict[tuple[str, int], pd.DataFrame] = {}
_FITTED: dict[tuple[str, str], object] = {}


def _real(dag_name: str, n: int = N_ROWS) -> pd.DataFrame:
    if (dag_name, n) not in _REAL:
        _REAL[dag_name, n] = load_dag(dag_name).simulate(n, seed=11)
    return _REAL[dag_name, n].copy()


def _fitted(name: str, dag_name: str):
    """One fit per (synthesizer, DAG) for the whole module."""
    if (name, dag_name) not in _FITTED:
        _FITTED[name, dag_name] = _make(name).fit(_real(dag_name), load_dag(dag_name))
    return _FITTED[name, dag_name]


# ---- the checks --------------------------------------------------------------------------
def check_constructor_stores_params_only(name: str) -> None:
    synth = _make(name)
    params = synth.get_params()
    for key, value in FAST_PARAMS.get(name, {}).items():
        assert params[key] == value, f"get_params()[{key!r}] is {params[key]!r}, not {value!r}"
    clone = type(synth)(**params)
    assert clone.get_params() == params
    learned = [a for a in vars(synth) if a.endswith("_") and not a.startswith("__")]
    assert not learned, f"learned state {learned} set before fit"


def check_sample_before_fit_raises(name: str) -> None:
    with pytest.raises(NotFittedError, match="fit"):
        _make(name).sample(5, seed=0)


def check_fit_returns_self_and_keeps_input(name: str) -> None:
    dag = load_dag("acquisition")
    real = _real("acquisition")
    before = real.copy(deep=True)
    synth = _make(name)
    assert synth.fit(real, dag) is synth
    pd.testing.assert_frame_equal(real, before)


def _check_schema(name: str, dag_name: str) -> None:
    real = _real(dag_name)
    out = _fitted(name, dag_name).sample(N_SAMPLE, seed=1)
    assert list(out.columns) == list(real.columns)
    assert len(out) == N_SAMPLE
    assert out.dtypes.to_dict() == real.dtypes.to_dict()
    for col in real.columns:  # category sets and declared value ranges of the types
        if isinstance(real[col].dtype, pd.CategoricalDtype):
            assert list(out[col].cat.categories) == list(real[col].cat.categories)
    assert not out.isna().any().any(), "synthetic table has missing values"
    dag = load_dag(dag_name)
    for col in dag.nodes:
        if dag.node_type(col) == "binary":
            assert set(out[col].unique()) <= {0, 1}, f"{col} is binary but holds other values"
        if dag.node_type(col) == "count":
            assert (out[col] >= 0).all(), f"{col} is a count but holds negative values"


def check_schema_mixed_types(name: str) -> None:
    _check_schema(name, "ad_funnel")


def check_schema_continuous(name: str) -> None:
    _check_schema(name, "acquisition")


def check_seeds(name: str) -> None:
    synth = _fitted(name, "acquisition")
    a, b, c = synth.sample(200, seed=5), synth.sample(200, seed=5), synth.sample(200, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c), "different seeds gave the same table"
    gen = synth.sample(200, seed=np.random.default_rng(5))
    assert len(gen) == 200  # a Generator is accepted as well as an int


def check_global_random_state_untouched(name: str) -> None:
    np_before, py_before = np.random.get_state(), random.getstate()
    torch = sys.modules.get("torch")
    torch_before = torch.get_rng_state() if torch is not None else None
    _make(name).fit(_real("acquisition", 50), load_dag("acquisition")).sample(50, seed=0)
    after = np.random.get_state()
    assert np_before[0] == after[0] and np.array_equal(np_before[1], after[1])
    assert np_before[2:] == after[2:]
    assert random.getstate() == py_before
    if torch_before is not None:
        assert torch.equal(torch.get_rng_state(), torch_before)


def check_no_copied_rows(name: str) -> None:
    real = _real("acquisition")
    out = _fitted(name, "acquisition").sample(2000, seed=2)
    copies = out.merge(real, how="inner")
    assert len(copies) == 0, f"{len(copies)} synthetic rows are copies of real rows"


def check_small_data_19_rows(name: str) -> None:
    dag = load_dag("acquisition")
    real = dag.simulate(19, seed=3)
    synth = _make(name)
    try:
        synth.fit(real, dag)
    except DataError as exc:
        assert synth.min_rows > 19
        assert str(synth.min_rows) in str(exc), f"message does not state the minimum: {exc}"
        return
    out = synth.sample(2000, seed=0)
    assert out.shape == (2000, len(real.columns))
    assert not out.isna().any().any()


def check_interventions(name: str) -> None:
    synth = _fitted(name, "acquisition")
    if type(synth).supports_interventions:
        out = synth.sample(50, seed=0, interventions={"tv_spend": "+10%"})
        assert list(out.columns) == list(_real("acquisition").columns)
    else:
        with pytest.raises(CausalSynthError, match="interventions"):
            synth.sample(50, seed=0, interventions={"tv_spend": "+10%"})


CHECKS = [
    check_constructor_stores_params_only,
    check_sample_before_fit_raises,
    check_fit_returns_self_and_keeps_input,
    check_schema_mixed_types,
    check_schema_continuous,
    check_seeds,
    check_global_random_state_untouched,
    check_no_copied_rows,
    check_small_data_19_rows,
    check_interventions,
]


@pytest.mark.parametrize(
    ("name", "check"),
    [(name, check) for name in REGISTRY for check in CHECKS],
    ids=[f"{name}-{check.__name__.removeprefix('check_')}" for name in REGISTRY
         for check in CHECKS],
)
def test_synthesizer_contract(name, check):
    module = _require(name)
    with warnings.catch_warnings():
        for category in _own_warnings(module):
            warnings.filterwarnings("ignore", category=category)
        check(name)


def test_every_registered_name_has_fast_params():
    """A new synthesizer must state its small test parameters here."""
    assert set(REGISTRY) <= set(FAST_PARAMS), set(REGISTRY) - set(FAST_PARAMS)
