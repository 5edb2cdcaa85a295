"""Bad or odd inputs of issue 17 (items 5-8, 11-13): one clear error, or a correct result.

Each test asserts the error type, the one-line message naming the column or node, and that
the input frame or file is unchanged (a copy or a checksum before and after).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import random
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import causalsynth as cs
import causalsynth.cli as cli
from causalsynth import DAGError, DataError, load_dag
from causalsynth._random import as_generator
from causalsynth.data import MAX_ABS_VALUE, MAX_COUNT, check_data
from causalsynth.errors import CausalSynthError, InvalidParameterError, excerpt
from causalsynth.evaluate.fidelity import column_histograms
from causalsynth.evaluate.independence import (
    check_dag,
    implied_independences,
    independence_tests,
    rank_claims,
)


def checksum(df: pd.DataFrame) -> str:
    """Values, index, column names and dtypes of a frame, hashed."""
    try:
        h = hashlib.sha256(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    except TypeError:  # unhashable cells (lists): the pickled frame instead
        h = hashlib.sha256(pickle.dumps(df))
    h.update(repr([(str(c), str(t)) for c, t in df.dtypes.items()]).encode())
    return h.hexdigest()


def file_sum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_refused(df: pd.DataFrame, dag, *fragments: str, error=DataError, **kwargs) -> str:
    """check_data refuses ``df`` with ``error``; message holds the fragments; df unchanged."""
    before, copy = checksum(df), df.copy(deep=True)
    with pytest.raises(error) as info:
        check_data(df, dag, **kwargs)
    msg = str(info.value)
    assert len(msg.splitlines()) == 1, msg
    for f in fragments:
        assert f in msg, msg
    assert checksum(df) == before
    pd.testing.assert_frame_equal(df, copy)
    return msg


@pytest.fixture()
def sat(saturation):
    return saturation.simulate(60, seed=0)


@pytest.fixture()
def acq(acquisition):
    return acquisition.simulate(60, seed=0)


# ---- item 5: counts that cannot be stored -----------------------------------------------------
@pytest.mark.parametrize("value", [1e20, 9.3e18, 2.0**63, 1e16])
def test_count_beyond_exact_range_is_refused(sat, saturation, value):
    df = sat.assign(brand_searches=sat["brand_searches"].astype(float))
    df.loc[7, "brand_searches"] = value
    msg = assert_refused(df, saturation, "column 'brand_searches' is a count but holds", "2**53")
    assert f"{value:.4g}" in msg


def test_int64_count_just_above_exact_range_is_refused(sat, saturation):
    df = sat.copy()
    df.loc[3, "brand_searches"] = MAX_COUNT + 1  # exact in int64, not in float64
    assert_refused(df, saturation, "column 'brand_searches'", f"{MAX_COUNT + 1:,}")


def test_largest_exact_count_is_kept_exactly(sat, saturation):
    df = sat.copy()
    df.loc[3, "brand_searches"] = MAX_COUNT
    out = check_data(df, saturation)
    assert out["brand_searches"].dtype == "int64" and out.loc[3, "brand_searches"] == MAX_COUNT
    assert out["brand_searches"].min() >= 0


def test_uint64_count_is_refused_not_wrapped(sat, saturation):
    df = sat.assign(brand_searches=sat["brand_searches"].astype("uint64"))
    df.loc[0, "brand_searches"] = np.uint64(2**64 - 1)
    assert_refused(df, saturation, "column 'brand_searches' is a count")


def test_fit_refuses_a_wrapping_count_before_training(sat, saturation):
    df = sat.assign(brand_searches=sat["brand_searches"].astype(float))
    df.loc[1, "brand_searches"] = 1e20
    before = checksum(df)
    with pytest.raises(DataError, match="'brand_searches' is a count but holds 1e\\+20"):
        cs.make_synthesizer("causal").fit(df, saturation)
    assert checksum(df) == before


# ---- item 6: numbers whose squares or sums overflow ------------------------------------------
@pytest.mark.parametrize("value", [1e308, -1e308, 1e51, 1.7976931348623157e308])
def test_overflowing_value_is_refused_up_front(acq, acquisition, value):
    df = acq.copy()
    df.loc[5, "tv_spend"] = value
    assert_refused(df, acquisition, "column 'tv_spend' holds 1 number(s) beyond ±1e50",
            f"{value!r}", "rescale the column")


def test_tiny_column_is_refused(acq, acquisition):
    df = acq.assign(revenue=acq["revenue"] * 1e-300)
    assert_refused(df, acquisition, "column 'revenue'", "smaller than 1e-50", "rescale")


def test_bound_is_inclusive_and_all_zero_is_not_tiny(acq, acquisition):
    df = acq.copy()
    df.loc[0, "demand"] = MAX_ABS_VALUE
    assert check_data(df, acquisition)["demand"].max() == MAX_ABS_VALUE


@pytest.mark.parametrize("scale", [1e44, 1e-44])
def test_independence_tests_do_not_depend_on_units(acquisition, scale):
    """At the bounds' scale the computations stay finite and give the unit-scale answers."""
    data = acquisition.simulate(800, seed=3)
    scaled = data.copy()
    for c in data.columns:
        scaled[c] = data[c] * scale
    base = independence_tests(data, acquisition, seed=0, progress=False)
    other = independence_tests(scaled, acquisition, seed=0, progress=False)
    assert np.isfinite(other["effect"]).all() and np.isfinite(other["p_value"]).all()
    np.testing.assert_allclose(other["effect"], base["effect"], rtol=1e-6, atol=1e-9)
    assert (other["holds"] == base["holds"]).all()


# ---- item 7: duplicate keys, YAML 1.1 types, dates and bools ------------------------------------
DUPLICATE_PARENTS = """\
name: dup
nodes:
  - {name: demand, type: continuous}
  - {name: tv_spend, type: continuous, role: spend}
  - name: revenue
    type: continuous
    role: outcome
    parents: [demand, tv_spend]
    parents: []
"""


def test_duplicate_key_in_a_dag_file_is_an_error(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(DUPLICATE_PARENTS)
    before = file_sum(path)
    with pytest.raises(DAGError) as info:
        load_dag(path)
    msg = str(info.value)
    assert len(msg.splitlines()) == 1
    assert "key 'parents' appears 2 times in one mapping (lines 8, 9)" in msg
    assert str(path) in msg
    assert file_sum(path) == before


def test_every_duplicate_key_is_reported_together():
    text = DUPLICATE_PARENTS + "name: again\nnodes: []\n"
    with pytest.raises(DAGError) as info:
        load_dag(text)
    assert len(info.value.problems) == 3  # parents, name, nodes
    assert {"'parents'", "'name'", "'nodes'"} <= {p.split()[1] for p in info.value.problems}


def test_merge_keys_are_not_duplicates():
    text = """\
nodes:
  - &cont {name: demand, type: continuous}
  - {<<: *cont, name: revenue, role: outcome, parents: [demand]}
"""
    dag = load_dag(text)
    assert dag.parents("revenue") == ["demand"] and dag.node_type("revenue") == "continuous"


BOOL_LIKE = """\
nodes:
  - {name: NO, type: categorical, categories: [NO, YES]}
  - {name: region, type: categorical, categories: [01, 02, 1.0, on, ~x]}
  - {name: revenue, type: continuous, role: outcome, parents: [NO, region]}
simulation:
  NO: {probabilities: {NO: 0.5, YES: 0.5}}
  region: {probabilities: {01: 0.2, 02: 0.2, 1.0: 0.2, on: 0.2, ~x: 0.2}}
  revenue:
    intercept: 10
    coefficients: {NO: {NO: 1, YES: 2}, region: {01: 0, 02: 1, 1.0: 2, on: 3, ~x: 4}}
    noise: {distribution: normal, sd: 1}
"""


def test_categories_and_names_are_read_as_written():
    dag = load_dag(BOOL_LIKE)
    assert dag.nodes == ["NO", "region", "revenue"]
    assert dag.node("NO").categories == ("NO", "YES")
    assert dag.node("region").categories == ("01", "02", "1.0", "on", "~x")
    table = dag.simulate(200, seed=0)
    assert set(table["NO"].astype(str)) == {"NO", "YES"}
    assert set(table["region"].astype(str)) <= {"01", "02", "1.0", "on", "~x"}
    check_data(table, dag)


def test_numbers_and_bools_from_a_csv_match_categories_written_as_text():
    dag = load_dag("""\
nodes:
  - {name: zone, type: categorical, categories: [01, 02]}
  - {name: member, type: categorical, categories: [true, false]}
  - {name: revenue, type: continuous, role: outcome, parents: [zone, member]}
""")
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"zone": rng.choice([1, 2], 30), "member": rng.choice([True, False], 30),
                       "revenue": rng.normal(size=30)})  # what read_csv makes of 01 and true
    before = checksum(df)
    out = check_data(df, dag)
    assert set(out["zone"].astype(str)) == {"01", "02"}
    assert set(out["member"].astype(str)) == {"true", "false"}
    assert checksum(df) == before


@pytest.mark.parametrize("make", [
    lambda n: pd.Series(pd.date_range("2024-01-01", periods=n, freq="D")),
    lambda n: pd.Series(pd.date_range("2024-01-01", periods=n, freq="h", tz="UTC")),
    lambda n: pd.Series(pd.to_timedelta(np.arange(n), unit="D")),
    lambda n: pd.Series(list(pd.date_range("2024-01-01", periods=n)), dtype=object),
], ids=["datetime64", "tz-aware", "timedelta", "Timestamp-objects"])
def test_datetime_column_in_a_numeric_node_is_an_error(acq, acquisition, make):
    df = acq.assign(demand=make(len(acq)))
    assert_refused(df, acquisition, "column 'demand' holds dates or times", "declared continuous",
            "convert them to numbers")


def test_bool_column_is_binary_but_not_continuous_or_count(ad_funnel, saturation, sat, acq,
                                                          acquisition):
    table = ad_funnel.simulate(80, seed=1)
    as_bool = table.assign(click=table["click"].astype(bool))
    out = check_data(as_bool, ad_funnel)
    assert out["click"].dtype == "int64" and set(out["click"]) <= {0, 1}
    pd.testing.assert_series_equal(out["click"], check_data(table, ad_funnel)["click"])
    mixed = table.assign(click=table["click"].astype(object).where(table.index % 2 == 0,
                                                                    table["click"] == 1))
    assert (check_data(mixed, ad_funnel)["click"] == out["click"]).all()
    assert_refused(acq.assign(revenue=acq["revenue"] > acq["revenue"].median()), acquisition,
            "column 'revenue' holds True/False values but is declared continuous")
    assert_refused(sat.assign(brand_searches=sat["brand_searches"] > 200), saturation,
            "column 'brand_searches' holds True/False values but is declared count")


def test_complex_and_object_columns_are_named(acq, acquisition):
    assert_refused(acq.assign(demand=acq["demand"].astype(complex)), acquisition,
            "column 'demand' holds complex numbers")
    objects = acq.assign(demand=pd.Series([[1, 2]] * len(acq), dtype=object))
    assert_refused(objects, acquisition, "column 'demand' is continuous but holds values that are "
                                  "not numbers")


def test_duplicated_csv_column_is_named_as_a_duplicate(acq, acquisition):
    df = acq.assign(**{"tv_spend.1": acq["tv_spend"]})
    assert_refused(df, acquisition, "'tv_spend.1'", "renamed", "remove the duplicate columns")


def test_allow_constant(acq, acquisition):
    df = acq.assign(revenue=2.5)
    assert_refused(df, acquisition, "column 'revenue' is constant (2.5)")
    assert check_data(df, acquisition, allow_constant=True)["revenue"].eq(2.5).all()


# ---- item 8: alias bombs and bounded messages ---------------------------------------------------
def laughs(depth: int, width: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for d in range(1, depth + 1):
        lines.append(f"a{d}: &a{d} [" + ", ".join([f"*a{d - 1}"] * width) + "]")
    return "\n".join(lines) + f"\nnodes: *a{depth}\n"


@pytest.mark.parametrize("depth", [8, 9])
def test_billion_laughs_is_refused_small(tmp_path, depth):
    """Refused before expansion: peak memory stays under 20 MB (its speed:
    benchmarks/bench_input_speed.py)."""
    path = tmp_path / "bomb.yaml"
    path.write_text(laughs(depth))
    assert path.stat().st_size < 700
    before = file_sum(path)
    tracemalloc.start()
    try:
        with pytest.raises(DAGError) as info:
            load_dag(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000
    msg = str(info.value)
    # a5 = 9**6 values is the first anchor over the budget: line 6 of the file
    assert "the YAML value at line 6 expands to more than 200,000 values through its " \
           "aliases" in msg and len(msg) < 400
    assert file_sum(path) == before


def test_modest_aliases_are_fine():
    text = laughs(2, width=3).replace("nodes: *a2\n", "") + (
        "nodes:\n  - {name: x, type: categorical, categories: *a0}\n"
        "  - {name: y, type: continuous, role: outcome, parents: [x]}\n")
    with pytest.raises(DAGError, match="unknown top-level key 'a0'"):
        load_dag(text)  # the anchors' holders are unknown keys, reported as such


def test_recursive_alias_is_refused():
    with pytest.raises(DAGError, match="value at line 1 contains an alias to itself"):
        load_dag("nodes: &a [*a]\n")


@pytest.mark.parametrize("depth", [60, 3000])
def test_deep_nesting_is_refused(depth):
    with pytest.raises(DAGError, match="more than 50 levels deep"):
        load_dag("nodes: " + "[" * depth + "]" * depth + "\n")


def test_messages_quote_bounded_excerpts():
    huge = "x" * 100_000
    text = f"""\
nodes:
  - {{name: a, type: {huge}}}
  - {{name: b, type: categorical, categories: [{", ".join(["c"] * 5000)}]}}
  - {{name: y, type: continuous, role: outcome, parents: [{huge}]}}
"""
    with pytest.raises(DAGError) as info:
        load_dag(text)
    for problem in info.value.problems:
        assert len(problem) <= 600, problem[:200]
    assert "'xxxxxxxx" in str(info.value) and "…" in str(info.value)
    assert len(str(info.value)) < 4000


def test_excerpt_is_short_on_shared_structures():
    """9**30 items if expanded: the excerpt visits a few (it returns at all; its speed:
    benchmarks/bench_input_speed.py)."""
    x: list = ["lol"] * 9
    for _ in range(30):
        x = [x] * 9
    text = excerpt(x)
    assert len(text) <= 80 and text.startswith("[[[") and text.endswith("…")


def test_long_cell_values_are_cut_in_data_messages(acq, acquisition):
    df = acq.assign(demand=acq["demand"].astype(object))
    df.loc[2, "demand"] = "y" * 50_000
    msg = assert_refused(df, acquisition, "column 'demand' is continuous but holds text")
    assert len(msg) < 400


def test_unreadable_dag_files_are_one_line_errors(tmp_path):
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\x00nodes")
    with pytest.raises(DAGError, match="not UTF-8"):
        load_dag(binary)
    with pytest.raises(DAGError, match="line 2, column 6: expected "):
        load_dag("nodes: [a, b\n  - c: d\n")
    for name in ("0" * 5000, "x" * 300 + ".yaml", "a\x00b.yaml"):  # names the OS refuses
        with pytest.raises(DAGError, match=r"no (built-in )?DAG"):
            load_dag(name)


# ---- item 11: histogram edges of small tables ---------------------------------------------------
@pytest.mark.parametrize("dag_name", ["acquisition", "saturation"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_small_table_edges_do_not_pin_the_extremes(dag_name, seed):
    """19 rows: no bin edge within 5% of the real range from a real minimum or maximum."""
    dag = load_dag(dag_name)
    real, synthetic = dag.simulate(19, seed=seed), dag.simulate(2000, seed=seed + 100)
    before = checksum(real)
    hists = column_histograms(real, synthetic, dag)
    for col, spec in hists.items():
        if "bins" not in spec:
            continue
        edges, values = np.asarray(spec["bins"]), real[col].to_numpy(float)
        span = values.max() - values.min()
        assert len(edges) >= 2 and np.all(np.diff(edges) > 0)
        assert np.abs(edges - values.min()).min() > 0.05 * span, (col, edges)
        assert np.abs(edges - values.max()).min() > 0.05 * span, (col, edges)
        assert sum(spec["real"]) == 19 and sum(spec["synthetic"]) == 2000  # open outer bins
        assert len(spec["real"]) == len(edges) - 1
    assert checksum(real) == before


def test_large_table_edges_keep_twenty_bins(acquisition):
    real = acquisition.simulate(2000, seed=0)
    hists = column_histograms(real, acquisition.simulate(2000, seed=1), acquisition)
    assert all(len(h["bins"]) == 21 for h in hists.values())


# ---- item 12: the claim budget ------------------------------------------------------------------
def sparse_dag(n_nodes: int, seed: int = 0):
    """Like benchmarks/bench_check_dag.py: 3 roots, then 1-3 parents per node, linear-Gaussian."""
    rnd = random.Random(seed)
    names = [f"x{i:03d}" for i in range(n_nodes)]
    nodes, sim = [], {}
    for i, name in enumerate(names):
        parents = [] if i < 3 else sorted(rnd.sample(names[:i], min(i, rnd.choice([1, 2, 3]))))
        nodes.append({"name": name, "type": "continuous", "parents": parents,
                      "role": "outcome" if i == n_nodes - 1 else "context"})
        sim[name] = ({"intercept": 0, "coefficients": {p: 0.7 for p in parents},
                      "noise": {"distribution": "normal", "sd": 1}} if parents
                     else {"distribution": "normal", "mean": 0, "sd": 1})
    return load_dag({"name": f"sparse{n_nodes}", "nodes": nodes, "simulation": sim})


COLUMNS = ["x", "y", "given", "test", "effect", "residual_corr", "p_value", "holds"]


def test_claim_budget_tests_the_most_informative_and_states_the_rest(capsys):
    dag = sparse_dag(40)
    data = dag.simulate(400, seed=1)
    before = checksum(data)
    claims = implied_independences(dag)
    check = check_dag(data, dag, seed=0, max_claims=30, progress=False)
    assert list(check.independences.columns[:8]) == COLUMNS
    assert len(check.independences) == 30 and len(check.untested) == len(claims) - 30
    tested = {(r.x, r.y) for r in check.independences.itertuples()}
    assert tested == {(x, y) for x, y, _ in rank_claims(dag)[:30]}
    assert "skipped" in check.falsification
    summary = check.summary()
    assert f"{len(claims) - 30:,} of the DAG's {len(claims):,} implied independences were NOT " \
           f"tested" in summary
    assert "DoWhy permutation test skipped" in summary
    d = check.to_dict()
    assert d["claims"] == len(claims) and d["tested"] == 30 and len(d["untested"]) == len(
        claims) - 30
    json.dumps(d, allow_nan=False)
    assert capsys.readouterr().err == ""  # progress=False: nothing on stderr
    assert checksum(data) == before


def test_rank_claims_puts_near_nodes_and_small_sets_first():
    dag = sparse_dag(30)
    graph = dag.to_networkx().to_undirected()
    import networkx as nx

    keys = [(nx.shortest_path_length(graph, x, y), len(g)) for x, y, g in rank_claims(dag)]
    assert keys == sorted(keys)
    assert sorted(rank_claims(dag)) == sorted(implied_independences(dag))


def test_small_dags_are_tested_in_full_with_dowhy(acquisition):
    data = acquisition.simulate(2000, seed=0)
    check = check_dag(data, acquisition, seed=0, progress=False)
    assert len(check.independences) == len(implied_independences(acquisition))
    assert check.untested.empty and "falsified" in check.falsification
    assert "NOT tested" not in check.summary()
    table = independence_tests(data, acquisition, max_claims=None, progress=False)
    assert list(table.columns) == COLUMNS


def test_progress_bar_goes_to_stderr_when_asked(acquisition, capsys):
    independence_tests(acquisition.simulate(300, seed=0), acquisition, progress=True)
    assert "independence tests" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [0, -1, 2.5, "all", True])
def test_bad_claim_budget_is_a_parameter_error(acquisition, bad):
    with pytest.raises(InvalidParameterError, match="'max_claims' parameter must be an int"):
        independence_tests(acquisition.simulate(50, seed=0), acquisition, max_claims=bad)


def test_cli_max_claims(tmp_path):
    dag = sparse_dag(25)
    dag_path, data_path, js = tmp_path / "d.yaml", tmp_path / "t.csv", tmp_path / "c.json"
    dag.to_yaml(dag_path)
    dag.simulate(300, seed=2).to_csv(data_path, index=False)
    sums = {p: file_sum(p) for p in (dag_path, data_path)}
    res = CliRunner().invoke(cli.app, ["check-dag", str(data_path), "--dag", str(dag_path),
                                       "--max-claims", "12", "--json", str(js)])
    assert res.exit_code in (0, 1), res.output
    out = json.loads(js.read_text())
    assert out["tested"] == 12 and out["claims"] == len(implied_independences(dag))
    assert "NOT tested" in out["summary"]
    assert all(file_sum(p) == s for p, s in sums.items())


# ---- item 13 (API): sizes and seeds -----------------------------------------------------------
@pytest.fixture(scope="module")
def fitted(acquisition):
    real = acquisition.simulate(300, seed=0)
    return {name: cs.make_synthesizer(name).fit(real, acquisition)
            for name in ("causal", "gaussian_copula")}


@pytest.mark.parametrize("name", ["causal", "gaussian_copula"])
def test_huge_n_is_refused_before_allocating(fitted, name):
    synth = fitted[name]
    cls = type(synth).__name__
    tracemalloc.start()
    try:
        with pytest.raises(InvalidParameterError) as info:
            synth.sample(10**12, seed=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000
    msg = str(info.value)
    assert msg.startswith(f"The 'n' parameter of {cls}.sample must be an int between 1 and "
                          f"16,666,666")
    assert msg.endswith("Got 1,000,000,000,000 instead.") and len(msg.splitlines()) == 1
    for bad in (0, -5, 2.5, "10", True, None):
        with pytest.raises(InvalidParameterError, match="'n' parameter"):
            synth.sample(bad)


@pytest.mark.parametrize("name", ["causal", "gaussian_copula"])
def test_bad_seeds_are_parameter_errors(fitted, acquisition, name):
    synth = fitted[name]
    cls = type(synth).__name__
    with pytest.raises(InvalidParameterError, match=(
            f"The 'seed' parameter of {cls}.sample must be an int >= 0, a numpy Generator or "
            f"None. Got 'abc' \\(str\\) instead.")):
        synth.sample(10, seed="abc")
    real = acquisition.simulate(50, seed=0)
    before = checksum(real)
    with pytest.raises(InvalidParameterError, match=(
            f"The 'random_state' parameter of {cls} must be an int >= 0, a numpy Generator or "
            f"None. Got 'abc' \\(str\\) instead.")):
        cs.make_synthesizer(name, random_state="abc").fit(real, acquisition)
    assert checksum(real) == before


@pytest.mark.parametrize("seed", ["abc", -1, 1.5, True, [1], object()])
def test_as_generator_names_the_parameter(seed):
    with pytest.raises(InvalidParameterError, match="The 'random_state' parameter of X must be"):
        as_generator(seed, name="random_state", owner="X")
    assert issubclass(InvalidParameterError, (CausalSynthError, ValueError))


def test_good_seeds_still_work():
    assert as_generator(np.int64(3)).integers(100) == as_generator(3).integers(100)
    rng = np.random.default_rng(0)
    assert as_generator(rng) is rng
    as_generator(None)
    as_generator(np.random.SeedSequence(1))
