"""The disk cache of ground truths (:mod:`causalsynth._cache`): computed once per machine.

A cached truth equals the computed one exactly (every frame, dtype and text); the key follows
the DAG's spec, every argument and the source of the code; a corrupt entry is recomputed; the
cache can be turned off, and then writes nothing. Every test points the cache at its own
``tmp_path`` and starts with an empty in-process cache.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

import causalsynth._cache as cache_mod
import causalsynth.simulation as simulation
from causalsynth import load_dag

FRAMES = ("ici", "effects", "mmm", "response_curves")
#: small truths: Monte Carlo (saturation), binary treatments with NaN effects (ad_funnel) and a
#: time DAG with its channel frames (weekly_mmm: 3 series of 156 weeks)
CASES = [("saturation", {"n_samples": 3000}), ("ad_funnel", {"n_samples": 3000}),
         ("weekly_mmm", {"n_samples": 3 * 156})]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """The cache folder of this test, and an empty in-process cache."""
    monkeypatch.setenv(cache_mod.ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(simulation, "_TRUTHS", {})
    return tmp_path / "cache"


@pytest.fixture
def computed(monkeypatch):
    """Counts the truths actually computed (not read from a cache)."""
    calls = []
    real = simulation._ground_truth

    def counting(*args, **kwargs):
        calls.append(args[1:])
        return real(*args, **kwargs)

    monkeypatch.setattr(simulation, "_ground_truth", counting)
    return calls


def entries(folder):
    return sorted(folder.rglob("*.json")) if folder.exists() else []


def assert_same_truth(a, b):
    assert (a.target, a.method) == (b.target, b.method)
    for name in FRAMES:
        x, y = getattr(a, name), getattr(b, name)
        if x is None:
            assert y is None, name
            continue
        pd.testing.assert_frame_equal(x, y, check_exact=True, check_dtype=True)


@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_a_cached_truth_equals_the_computed_one_exactly(name, kwargs, folder, computed,
                                                        monkeypatch):
    dag = load_dag(name)
    monkeypatch.setenv(cache_mod.ENV, "off")
    uncached = dag.ground_truth(**kwargs)
    monkeypatch.setenv(cache_mod.ENV, str(folder))
    simulation._TRUTHS.clear()
    first = dag.ground_truth(**kwargs)            # a miss: computed, then saved
    simulation._TRUTHS.clear()
    again = dag.ground_truth(**kwargs)            # a hit: read from the file
    assert len(computed) == 2 and len(entries(folder)) == 1
    assert_same_truth(first, uncached)
    assert_same_truth(again, uncached)
    assert again is not first
    if name == "ad_funnel":  # NaN survives the file
        assert again.effects["shift_10pct"].isna().any()
    if name == "weekly_mmm":
        assert again.mmm is not None and again.response_curves is not None


def test_the_key_follows_the_seed_the_arguments_and_the_spec(folder, computed):
    dag = load_dag("saturation")
    spec = dag.to_dict()
    spec["simulation"]["revenue"]["noise"]["sd"] *= 2
    other = load_dag(spec)
    calls = [(dag, {"seed": 0}), (dag, {"seed": 1}), (dag, {"seed": 0, "n_samples": 2500}),
             (dag, {"seed": 0, "target": "brand_searches"}), (other, {"seed": 0})]
    truths = []
    for d, kwargs in calls:
        truths.append(d.ground_truth(**{"n_samples": 2000, **kwargs}))
    assert len(entries(folder)) == len(calls) and len(computed) == len(calls)
    assert truths[0].ici["share"].tolist() != truths[1].ici["share"].tolist()
    assert truths[0].ici["share"].tolist() != truths[4].ici["share"].tolist()
    simulation._TRUTHS.clear()
    for d, kwargs in calls:  # each read back from its own entry
        d.ground_truth(**{"n_samples": 2000, **kwargs})
    assert len(computed) == len(calls)


def test_the_key_follows_the_code_and_the_versions(monkeypatch):
    modules = cache_mod.source_modules("causalsynth.simulation")
    # the engine, the mechanisms and the estimator are in; evaluation and synthesizers are not
    assert {"causalsynth.simulation", "causalsynth.scm", "causalsynth._ici",
            "causalsynth.media.adstock", "causalsynth.dag"} <= set(modules)
    assert not [m for m in modules if m.startswith(("causalsynth.evaluate",
                                                    "causalsynth.synthesizers"))]
    inputs = {"spec": "name: x", "seed": 0}
    key = cache_mod.entry_key("ground_truth", inputs, "causalsynth.simulation")
    assert key == cache_mod.entry_key("ground_truth", dict(inputs), "causalsynth.simulation")
    assert key != cache_mod.entry_key("ground_truth", {**inputs, "seed": 1},
                                      "causalsynth.simulation")
    monkeypatch.setattr(cache_mod, "_source_digest", lambda module: "edited source")
    assert key != cache_mod.entry_key("ground_truth", inputs, "causalsynth.simulation")
    monkeypatch.undo()
    monkeypatch.setattr(np, "__version__", "0.0.1")
    assert key != cache_mod.entry_key("ground_truth", inputs, "causalsynth.simulation")


@pytest.mark.parametrize("damage", [
    b"", b"{not json", b'{"key": "another", "value": {}}', b'{"key": "KEY", "value": {}}',
    b'{"key": "KEY", "value": {"target": "revenue"}}', b"\xff\xfe binary",
])
def test_a_corrupt_entry_is_recomputed_and_written_again(damage, folder, computed):
    dag = load_dag("saturation")
    truth = dag.ground_truth(n_samples=2000)
    [path] = entries(folder)
    path.write_bytes(damage.replace(b"KEY", path.stem.encode()))
    simulation._TRUTHS.clear()
    again = dag.ground_truth(n_samples=2000)
    assert len(computed) == 2
    assert_same_truth(again, truth)
    assert json.loads(path.read_text())["key"] == path.stem  # a sound entry again
    simulation._TRUTHS.clear()
    dag.ground_truth(n_samples=2000)
    assert len(computed) == 2


@pytest.mark.parametrize("word", ["off", "OFF", "0", "false", "no", "none"])
def test_turned_off_it_reads_and_writes_nothing(word, tmp_path, monkeypatch, computed):
    monkeypatch.setenv(cache_mod.ENV, word)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(simulation, "_TRUTHS", {})
    assert cache_mod.cache_dir() is None
    dag = load_dag("saturation")
    dag.ground_truth(n_samples=2000)
    simulation._TRUTHS.clear()
    dag.ground_truth(n_samples=2000)
    assert len(computed) == 2
    assert list(tmp_path.rglob("*")) == []


def test_an_unseeded_truth_is_never_saved(folder, computed):
    dag = load_dag("saturation")
    dag.ground_truth(n_samples=2000, seed=np.random.default_rng(0))
    assert entries(folder) == [] and len(computed) == 1


def test_a_folder_that_cannot_be_written_only_costs_the_saving(tmp_path, monkeypatch, computed):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache_mod.ENV, str(blocker / "cache"))
    monkeypatch.setattr(simulation, "_TRUTHS", {})
    truth = load_dag("saturation").ground_truth(n_samples=2000)
    assert truth.ici["share"].sum() == pytest.approx(100.0) and len(computed) == 1
    assert blocker.read_text() == "not a folder"


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the Linux folders")
def test_the_default_folder_is_the_users_cache(tmp_path, monkeypatch):
    monkeypatch.delenv(cache_mod.ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_mod.cache_dir() == tmp_path / "xdg" / "causalsynth"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_mod.cache_dir() == tmp_path / ".cache" / "causalsynth"
    monkeypatch.setenv(cache_mod.ENV, "~/elsewhere")
    assert cache_mod.cache_dir() == tmp_path / "elsewhere"


def test_frames_round_trip_exactly_and_other_kinds_are_refused():
    frame = pd.DataFrame({"node": ["a", "b"], "share": [0.1 + 0.2, np.nan],
                          "n": np.array([1, 2], dtype="int64"), "kept": [True, False]})
    back = cache_mod.frame_from_json(json.loads(json.dumps(cache_mod.frame_to_json(frame))))
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    empty = pd.DataFrame([], columns=["treatment", "per_unit"])
    pd.testing.assert_frame_equal(cache_mod.frame_from_json(cache_mod.frame_to_json(empty)),
                                  empty, check_exact=True)
    with pytest.raises(TypeError, match="dtypes"):
        cache_mod.frame_to_json(pd.DataFrame({"t": pd.to_datetime(["2021-01-04"])}))
