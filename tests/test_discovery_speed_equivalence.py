"""The fast conditional-independence engine gives the statistics of the exact one.

``check_dag`` and ``discover``'s PC share one test (``residual_test``). Its fast path fits each
conditioning set once for every column (``ConditionalTests``), builds the spline basis without
scikit-learn's transformers, fits least squares from the basis's Gram matrix
(``gram_partial_out``, which hands a basis whose rank the Gram matrix cannot tell back to
least squares) and the i.i.d. ridge from the same Gram matrix. The figures pinned
below were computed by the exact path it replaced (``numpy.linalg.lstsq`` per test and per
variable, scikit-learn's ``SplineTransformer``, ``PolynomialFeatures``, ``StandardScaler`` and
``Ridge``) at commit 358c935; the fast path must give them to 1e-9 relative (it gives them to
about 2e-11: rounding). The golden tests hold check_dag's figures to 1e-7.
"""

from __future__ import annotations

import numpy as np
import pytest

import causalsynth as cs
from causalsynth.evaluate import _discovery_data, series
from causalsynth.evaluate.independence import (
    ConditionalTests,
    independence_tests,
    residual_test,
)
from causalsynth.evaluate.series import gram_partial_out, partial_out, time_rows

RTOL = 1e-9

# (dag, x, |given|, time-aware, effect, p-value, residual correlation) of x ⊥ tv_spend | the
# first |given| of GIVEN, on simulate(2000, seed=4), by the exact path (commit 358c935)
GIVEN = ["demand", "search_spend", "social_spend", "events", "season", "trend"]
PINNED = [
    ("weekly_mmm", "revenue", 1, True, 0.38863853769817, 6.681104553983982e-109,
     0.5023229693737458),
    ("weekly_mmm", "revenue", 1, False, 0.3510549937313481, 2.639254702526684e-90,
     0.42331179062695634),
    ("weekly_mmm", "revenue", 4, True, 0.42307695040778415, 1.1608244583039882e-139,
     0.6462928303357781),
    ("weekly_mmm", "revenue", 4, False, 0.37137691888796265, 1.7997516729502815e-123,
     0.5123331937804209),
    ("weekly_mmm", "revenue", 6, True, 0.43928753248569175, 8.635894154467099e-168,
     0.6456720523199715),
    ("weekly_mmm", "revenue", 6, False, 0.3814443914660105, 3.2880362502911254e-165,
     0.6356594052870825),
    ("weekly_mmm", "display_spend", 1, True, 0.026801304065477764, 0.23309193508256593,
     0.027102503050444548),
    ("weekly_mmm", "display_spend", 1, False, 0.027469047450321152, 0.21553049412089487,
     0.02775607960377802),
    ("weekly_mmm", "display_spend", 4, True, 0.030268398395809026, 0.18277541529296065,
     0.031987493146224906),
    ("weekly_mmm", "display_spend", 4, False, 0.03170672844734462, 0.1629957316588082,
     0.03339336767107001),
    ("weekly_mmm", "display_spend", 6, True, 0.02852459672267753, 0.20702579194470672,
     0.028971103311696708),
    ("weekly_mmm", "display_spend", 6, False, 0.04120312237608396, 0.08481444755994325,
     0.04720376604267905),
    ("geo_mmm", "revenue", 1, True, 0.38994739861519756, 1.573523217339642e-25,
     0.4816137802796958),
    ("geo_mmm", "revenue", 1, False, 0.5636884601577465, 2.5296781868631575e-182,
     0.5686161172816446),
    ("geo_mmm", "revenue", 4, True, 0.42079918037195035, 1.2533881466687906e-27,
     0.6338777978735561),
    ("geo_mmm", "revenue", 4, False, 0.2675697668110305, 1.6474684652804275e-78,
     0.4212300680296978),
    ("geo_mmm", "revenue", 6, True, 0.44837427095672233, 5.860647682539453e-31,
     0.6365998719373983),
    ("geo_mmm", "revenue", 6, False, 0.262667054077837, 2.9735690586108145e-70,
     0.4507884726805288),
    ("geo_mmm", "display_spend", 1, True, 0.03477318202201914, 0.08184779616214612,
     0.035126055653548975),
    ("geo_mmm", "display_spend", 1, False, 0.3366919271051399, 1.2026455146105071e-55,
     0.3383866369623009),
    ("geo_mmm", "display_spend", 4, True, 0.03555586262898141, 0.06419580832657801,
     0.03860733358122266),
    ("geo_mmm", "display_spend", 4, False, 0.15049832811393382, 9.05356877524332e-15,
     0.18352107750488694),
    ("geo_mmm", "display_spend", 6, True, 0.03487086189687057, 0.09061693554655409,
     0.03544373281330211),
    ("geo_mmm", "display_spend", 6, False, 0.13035804176184917, 8.552971667529245e-11,
     0.1760529790510583),
]

# check_dag's claims on ad_funnel at 1,000 rows (seed 3; i.i.d. ridge fits, labels one-hot),
# exact path: (x, y, given, effect, p-value, residual correlation)
PINNED_CHECK = {
    "ad_funnel": [
        ("click", "slot", ("ad_type", "age_band", "city_tier", "exposure", "gender"),
         0.04136484621146219, 0.5419183813245424, 0.044448968868396534),
        ("revenue", "ad_type", ("age_band", "city_tier", "conversion"),
         0.024518071459789747, 0.08585146223452712, 0.07048680564915588),
        ("age_band", "device", (), 0.09228764871418119, 0.04169128944465239,
         0.09228764871418117),
    ],
}


@pytest.fixture(scope="module")
def layouts():
    out = {}
    for name in ("weekly_mmm", "geo_mmm"):
        dag = cs.load_dag(name)
        out[name] = time_rows(dag.simulate(2000, seed=4), dag)
    return out


def _close(got, want):
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0)


@pytest.mark.parametrize("case", PINNED, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[3]}")
def test_residual_test_gives_the_exact_paths_figures(layouts, case):
    name, x, k, timed, *want = case
    frame, rows = layouts[name]
    given = [frame[g].to_numpy(float) for g in GIVEN[:k]]
    got = residual_test(frame[x].to_numpy(float), frame["tv_spend"].to_numpy(float), given,
                        rows if timed else None)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0)


@pytest.mark.parametrize("case", PINNED, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[3]}")
def test_conditional_tests_give_the_exact_paths_figures(layouts, case):
    """The cached engine: a set fitted once for every column, the i.i.d. fit after the
    time-aware one reusing its basis (no geos) or not (geos)."""
    name, x, k, timed, *want = case
    frame, rows = layouts[name]
    engine = ConditionalTests({c: frame[c].to_numpy(float) for c in frame.columns}, rows)
    given = tuple(GIVEN[:k])
    engine.residuals(given, list(frame.columns), True)
    engine.residuals(given, list(frame.columns), False)
    np.testing.assert_allclose(engine.test(x, "tv_spend", given, timed), want,
                               rtol=RTOL, atol=0)


def test_check_dag_engine_gives_the_exact_paths_figures():
    dag = cs.load_dag("ad_funnel")
    table = independence_tests(dag.simulate(1000, seed=3), dag, seed=0, progress=False)
    got = {(r.x, r.y, tuple(r.given)): (r.effect, r.p_value, r.residual_corr)
           for r in table.itertuples()}
    for x, y, given, *want in PINNED_CHECK["ad_funnel"]:
        _close(got[(x, y, given)], want)


def test_every_pc_test_equals_the_single_call_test(monkeypatch):
    """Each of PC's tests on a time table, through the cache (sets fitted once, time-aware
    and i.i.d. fits sharing a basis), equals residual_test called alone."""
    engines = []
    init = _discovery_data.GCMTest.__init__

    def spy(self, *args, **kwargs):
        init(self, *args, **kwargs)
        engines.append(self)

    monkeypatch.setattr(_discovery_data.GCMTest, "__init__", spy)
    dag = cs.load_dag("weekly_mmm")
    cs.discover(dag.simulate(400, seed=1), dag, seed=0, n_bootstrap=0)
    test = engines[0]
    prep = test.prepared
    assert len(test.results) > 300
    for key, (effect, p) in test.results.items():  # causal-learn's key: "x;y|s1.s2"
        pair, _, rest = key.partition("|")
        x, y = (prep.nodes[int(i)] for i in pair.split(";"))
        names = [prep.nodes[int(g)] for g in rest.split(".") if g]
        timed = not ({x, y} & prep.time_nodes)
        want = residual_test(prep.columns[x], prep.columns[y], [prep.columns[n] for n in names],
                             prep.layout if timed else None)
        _close((effect, p), want[:2])


def test_a_small_cache_evicts_and_refits_to_the_same_figures(layouts):
    frame, rows = layouts["weekly_mmm"]
    cols = {c: frame[c].to_numpy(float) for c in frame.columns}
    roomy, tight = ConditionalTests(cols, rows), ConditionalTests(cols, rows, max_bytes=1)
    for k in (1, 2, 3, 1, 2, 3):
        given = tuple(GIVEN[:k])
        _close(tight.test("display_spend", "tv_spend", given),
               roomy.test("display_spend", "tv_spend", given))
    assert len(tight._fits) == 1 and len(roomy._fits) == 3


def test_gram_partial_out_equals_least_squares_on_a_collinear_spline_basis():
    from causalsynth.evaluate.independence import _basis

    rng = np.random.default_rng(0)
    z = [rng.gamma(2.0, size=3000) * (rng.random(3000) > 0.3) for _ in range(3)]
    basis = np.column_stack([np.ones(3000), np.arange(3000) / 3000, _basis(z),
                             np.zeros(3000)])  # an all-zero column too
    y = np.column_stack([z[0] * z[1] + rng.normal(size=3000), rng.normal(size=3000)])
    want, rank = partial_out(y, basis)
    got, got_rank = gram_partial_out(y, basis)
    assert got_rank == rank < basis.shape[1]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10 * np.abs(want).max())


@pytest.fixture
def counted_partial_out(monkeypatch):
    """(calls, the exact least squares): each hand-over to least squares is recorded."""
    calls = []
    exact = series.partial_out

    def counted(*args):
        calls.append(1)
        return exact(*args)

    monkeypatch.setattr(series, "partial_out", counted)
    return calls, exact


def test_gram_partial_out_leaves_a_nearly_collinear_basis_to_least_squares(
        counted_partial_out):
    """An eigenvalue between rounding noise and the fitted directions: the Gram matrix cannot
    tell the rank, least squares decides."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 3))
    basis = np.column_stack([np.ones(500), x, x[:, 0] + 1e-6 * rng.normal(size=500)])
    y = rng.normal(size=500)
    calls, exact = counted_partial_out
    got, rank = gram_partial_out(y, basis)
    want, want_rank = exact(y, basis)
    assert calls and rank == want_rank == 5
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_gram_partial_out_leaves_a_direction_it_cannot_see_to_least_squares(
        counted_partial_out):
    """A singular value of 2e-11 of the largest (a column that differs from another on three
    rows only, by 1e-9): rounding noise to the Gram matrix, a direction to least squares, and
    the target leans on it. The residuals' lean on the basis shows it: least squares decides
    (the Gram fit alone would miss the three rows' 50-fold component)."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2000, 2))
    rare = np.zeros(2000)
    rare[:3] = rng.normal(size=3)
    basis = np.column_stack([np.ones(2000), x, x[:, 0] + 1e-9 * rare])
    y = rng.normal(size=2000) + 50 * rare
    calls, exact = counted_partial_out
    got, rank = gram_partial_out(y, basis)
    want, want_rank = exact(y, basis)
    assert calls and rank == want_rank == 4
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * np.abs(want).max())
