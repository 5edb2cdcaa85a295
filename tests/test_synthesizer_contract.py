"""The contract every registered synthesizer follows, checked for each one.

One parametrized test over ``REGISTRY`` x checks (scikit-learn's ``parametrize_with_checks``
idea): a new synthesizer gets every check by being registered. Fits are cached per module, so
each synthesizer trains a few small models (small epochs; 400 rows) for all the checks.
Every registered module is imported when the tests are collected: a renamed or missing
module or class fails here, it is never skipped (torch and SDV are dependencies).

Parameters: every constructor parameter is declared in ``_parameter_constraints``, and a
value outside each declaration raises :class:`InvalidParameterError` naming the parameter and
the class (scikit-learn's ``check_param_validation`` idea); values are generated from the
declarations by :func:`_invalid_values`.
"""

from __future__ import annotations

import importlib
import random
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from causalsynth import load_dag
from causalsynth._params import (
    BOOLEAN,
    SEED,
    Interval,
    Options,
    Pattern,
    SequenceOf,
    check_param,
    check_params,
    param_problems,
)
from causalsynth.errors import CausalSynthError, DataError, InvalidParameterError, NotFittedError
from causalsynth.synthesizers import REGISTRY, make_synthesizer, synthesizer_class

#: small, fast parameters per synthesizer; a name missing here is tested with its defaults.
FAST_PARAMS: dict[str, dict] = {
    "gaussian_copula": {},
    "ctgan": {"epochs": 2},
    "tvae": {"epochs": 2},
    "copulagan": {"epochs": 2},
    "diffusion": {"epochs": 2},
    "wgan": {"epochs": 5},
    "causal": {},
    "par": {"epochs": 2},
}
#: per synthesizer, the DAG that stands in for a case's DAG: 'par' learns whole series, so it
#: is checked on one weekly series (weekly_mmm: continuous and binary nodes, a 'week' index)
CASE_DAGS: dict[str, dict[str, str]] = {
    "par": {"acquisition": "weekly_mmm", "ad_funnel": "weekly_mmm"},
}
#: rows of the copy check per synthesizer, where 2,000 is slow: PAR's sampling time grows
#: with the square of the series length (one series of 2,000 weeks: about a minute)
COPY_CHECK_ROWS: dict[str, int] = {"par": 400}
N_ROWS = 400  # training rows of the mixed-type and continuous cases
N_SAMPLE = 300


#: every registered class, imported now: an ImportError or AttributeError fails collection
CLASSES = {name: synthesizer_class(name) for name in REGISTRY}


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


def _dag(name: str, dag_name: str) -> str:
    """The DAG ``name`` is checked on where a case uses ``dag_name`` (see CASE_DAGS)."""
    return CASE_DAGS.get(name, {}).get(dag_name, dag_name)


def _fitted(name: str, dag_name: str):
    """One fit per (synthesizer, DAG) for the whole module."""
    dag_name = _dag(name, dag_name)
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
    dag = load_dag(_dag(name, "acquisition"))
    real = _real(_dag(name, "acquisition"))
    before = real.copy(deep=True)
    synth = _make(name)
    assert synth.fit(real, dag) is synth
    pd.testing.assert_frame_equal(real, before)


def _check_schema(name: str, dag_name: str) -> None:
    dag_name = _dag(name, dag_name)
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
    dag_name = _dag(name, "acquisition")
    _make(name).fit(_real(dag_name, 50), load_dag(dag_name)).sample(50, seed=0)
    after = np.random.get_state()
    assert np_before[0] == after[0] and np.array_equal(np_before[1], after[1])
    assert np_before[2:] == after[2:]
    assert random.getstate() == py_before
    if torch_before is not None:
        assert torch.equal(torch.get_rng_state(), torch_before)


def check_no_copied_rows(name: str) -> None:
    real = _real(_dag(name, "acquisition"))
    out = _fitted(name, "acquisition").sample(COPY_CHECK_ROWS.get(name, 2000), seed=2)
    copies = out.merge(real, how="inner")
    assert len(copies) == 0, f"{len(copies)} synthetic rows are copies of real rows"


def check_small_data_19_rows(name: str) -> None:
    dag = load_dag(_dag(name, "acquisition"))
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
        assert list(out.columns) == list(_real(_dag(name, "acquisition")).columns)
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
    module = importlib.import_module(CLASSES[name].__module__)
    with warnings.catch_warnings():
        for category in _own_warnings(module):
            warnings.filterwarnings("ignore", category=category)
        check(name)


def test_every_registered_name_has_fast_params():
    """A new synthesizer must state its small test parameters here."""
    assert set(REGISTRY) <= set(FAST_PARAMS), set(REGISTRY) - set(FAST_PARAMS)


# ---- parameters ----------------------------------------------------------------------------
#: values tried against every declaration (those the declaration accepts are dropped)
_CANDIDATES = ["not-a-value", "", -1, 0, 1, 2, 0.5, 1.5, -0.5, float("nan"), True, None,
               [0], (1, -2), {"x": 1}, object()]


def _invalid_values(specs: list) -> list:
    """Values the declaration ``specs`` rejects: wrong types and numbers just outside bounds."""
    candidates = list(_CANDIDATES)
    for spec in specs:
        if isinstance(spec, Interval):
            for bound in (spec.left, spec.right):
                if bound is not None:
                    candidates += [bound - 1, bound, bound + 1, bound - 0.5, bound + 0.5]
    return [v for v in candidates if param_problems("X", {"p": specs}, {"p": v})]


_DECLARED = [(name, param) for name, cls in CLASSES.items()
             for param in cls._parameter_constraints]


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_parameter_is_declared(name):
    cls = CLASSES[name]
    declared, params = set(cls._parameter_constraints), set(cls.param_names())
    assert declared == params, (f"{cls.__name__}: undeclared {params - declared}, declared but "
                                f"not a parameter {declared - params}")


@pytest.mark.parametrize(("name", "param"), _DECLARED,
                         ids=[f"{n}-{p}" for n, p in _DECLARED])
def test_bad_parameter_values_are_refused_at_fit(name, param):
    cls = CLASSES[name]
    bad = _invalid_values(cls._parameter_constraints[param])
    assert bad, f"no invalid value found for {cls.__name__}.{param}"
    real, dag = _real("acquisition", 50), load_dag("acquisition")
    for value in bad:
        synth = make_synthesizer(name, **{**FAST_PARAMS.get(name, {}), param: value})
        with pytest.raises(InvalidParameterError) as info:
            synth.fit(real, dag)  # checked before the table: nothing is fitted
        message = str(info.value)
        assert f"The {param!r} parameter of {cls.__name__} must be" in message, message
        assert message.endswith("instead.") and len(message.splitlines()) == 1, message
        assert not hasattr(synth, "dag_"), "fit went on after refusing a parameter"


def test_every_bad_parameter_is_reported_at_once():
    with pytest.raises(InvalidParameterError) as info:
        make_synthesizer("ctgan", epochs=0, pac="x", progress=1).fit(
            _real("acquisition", 50), load_dag("acquisition"))
    lines = str(info.value).splitlines()
    assert lines[0] == "3 problems with the parameters of CTGANAdapter:"
    assert [line.split("'")[1] for line in lines[1:]] == ["epochs", "pac", "progress"]


def test_unknown_parameter_names_are_refused_by_make_synthesizer():
    with pytest.raises(InvalidParameterError, match=(
            r"Invalid parameter 'epoch' for synthesizer 'tvae' \(TVAEAdapter\); did you mean "
            r"'epochs'\? Valid parameters are: epochs, batch_size, .*, sdv_params\.$")):
        make_synthesizer("tvae", epoch=3)
    with pytest.raises(InvalidParameterError, match="unknown synthesizer 'gan9'"):
        make_synthesizer("gan9")


def test_n_of_sample_uses_the_same_check():
    synth = _fitted("gaussian_copula", "acquisition")
    with pytest.raises(InvalidParameterError, match=(
            r"^The 'n' parameter of GaussianCopulaAdapter.sample must be an int between 1 and "
            r"16,666,666 \(at most 100,000,000 cells .*\)\. Got 2.5 \(float\) instead\.$")):
        synth.sample(2.5)


@pytest.mark.parametrize(("constraint", "good", "bad", "text"), [
    (Interval(int, 1, None), [1, np.int64(7)], [0, 1.0, True, "1"], "an int in the range [1, inf)"),
    (Interval(float, 0, 1, closed="neither"), [0.5, 1e-9, np.float32(0.2)],
     [0, 1, float("nan"), False], "a float in the range (0, 1)"),
    (Interval(float, 0, None, closed="left"), [0, 2.5], [-1e-9, float("-inf")],
     "a float in the range [0, inf)"),
    (Interval(int, 1, 10_000), [1, 10_000], [0, 10_001], "an int between 1 and 10,000"),
    (Options({"cpu", "auto"}), ["cpu"], ["gpu", 1], "a str among {'auto', 'cpu'}"),
    (Pattern(r"cuda:\d+", "a str such as 'cuda:0'"), ["cuda:1"], ["cuda:", 0],
     "a str such as 'cuda:0'"),
    (SequenceOf(Interval(int, 1, None)), [(), [4, 8], (16,)], [(0,), "ab", 3],
     "a tuple of ints in the range [1, inf)"),
    (SEED, [None, 0, np.random.default_rng(0)], [-1, 1.5, "abc", True],
     "an int >= 0, a numpy Generator or None"),
    (BOOLEAN, [True, np.bool_(False)], [1, "yes", None], "a bool"),
])
def test_constraints(constraint, good, bad, text):
    assert str(constraint) == text
    for value in good:
        check_param("p", value, constraint)
    for value in bad:
        with pytest.raises(InvalidParameterError, match=r"^The 'p' parameter must be "):
            check_param("p", value, constraint)


def test_check_param_wording():
    with pytest.raises(InvalidParameterError) as info:
        check_param("n", -3, Interval(int, 1, None), owner="simulate")
    assert str(info.value) == ("The 'n' parameter of simulate must be an int in the range "
                               "[1, inf). Got -3 instead.")
    with pytest.raises(InvalidParameterError) as info:  # a wrong type is named; None comes last
        check_param("k", "abc", [None, Interval(int, 1, None), dict], owner="f")
    assert str(info.value) == ("The 'k' parameter of f must be an int in the range [1, inf), a "
                               "dict or None. Got 'abc' (str) instead.")
    with pytest.raises(InvalidParameterError, match=r"\(why\)\. Got 1,000,000 instead\.$"):
        check_param("n", 10**6, Interval(int, 1, 10), hint="why")
    check_params("f", {"a": [int], "b": [None, float]}, {"a": 3, "b": None, "c": "unchecked"})
