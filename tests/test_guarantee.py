"""The typed differential-privacy guarantee (:class:`causalsynth.PrivacyGuarantee`).

A private fit's ``guarantee_`` is a frozen dataclass read by attribute; it still reads like
the dict it replaced (the compatibility path), writes exactly that dict's JSON (keys, order,
absent and unknown keys), and ``validate(..., guarantee=)`` takes it or its dict form alike.
"""

from __future__ import annotations

import dataclasses
import json
import pickle

import pytest

import causalsynth as cs
from causalsynth.errors import InvalidParameterError
from causalsynth.guarantee import PrivacyGuarantee

#: the keys of a causal fit's guarantee, in the order reports have always written them
LEGACY_KEYS = ["epsilon", "delta", "rho", "epsilon_spent", "accountant", "split", "bounds",
               "clipped", "notes"]
SAVED = {"epsilon": 3.0, "delta": 1e-6, "rho": 0.0571, "epsilon_spent": 2.98,
         "accountant": "zCDP (Bun & Steinke 2016)", "split": "equal",
         "bounds": {"tv_spend": "declared", "revenue": "fallback"}, "clipped": {"tv_spend": 0.02},
         "notes": ["the private bounds of 'revenue' could not be told from the noise"]}


@pytest.fixture(scope="module")
def private_fit(acquisition):
    """causal at epsilon 3 on 400 rows, and its real table."""
    real = acquisition.simulate(400, seed=0)
    return cs.make_synthesizer("causal", epsilon=3.0).fit(real, acquisition), real


# ---- to_dict / from_dict ------------------------------------------------------------------------
@pytest.mark.parametrize("saved", [
    SAVED,
    {"epsilon": 2, "delta": 1e-6},                     # another synthesizer's short dict
    {"delta": 1e-5, "epsilon": 0.5, "mechanism": "Laplace", "notes": []},  # order, unknown key
])
def test_a_saved_guarantee_reads_back_and_writes_out_byte_identical(saved):
    g = PrivacyGuarantee.from_dict(saved)
    assert g.to_dict() == saved and list(g.to_dict()) == list(saved)
    assert json.dumps(g.to_dict()) == json.dumps(saved)
    assert PrivacyGuarantee.from_dict(g) is g
    assert PrivacyGuarantee.from_dict(json.loads(json.dumps(g.to_dict()))) == g


def test_attributes_are_typed_and_unknown_keys_ride_in_extra():
    g = PrivacyGuarantee.from_dict({**SAVED, "mechanism": "Gaussian"})
    assert g.epsilon == 3.0 and g.delta == 1e-6 and g.accountant.startswith("zCDP")
    assert g.notes == (SAVED["notes"][0],) and isinstance(g.notes, tuple)
    assert g.bounds == {"tv_spend": "declared", "revenue": "fallback"}
    assert g.extra == {"mechanism": "Gaussian"} and g["mechanism"] == "Gaussian"
    assert list(g)[-1] == "mechanism"


def test_made_directly_it_writes_the_known_keys_in_the_reports_order():
    full = PrivacyGuarantee(epsilon=1.0, delta=1e-6, rho=0.01, epsilon_spent=0.99,
                            accountant="zCDP", split="equal", bounds={"x": "private"},
                            clipped={}, notes=())
    assert list(full.to_dict()) == LEGACY_KEYS
    assert full.to_dict()["notes"] == [] and full.to_dict()["bounds"] == {"x": "private"}
    # unknown figures (None) are left out rather than written as null
    assert PrivacyGuarantee(epsilon=1.0).to_dict() == {"epsilon": 1.0, "bounds": {},
                                                       "clipped": {}, "notes": []}


def test_it_is_frozen_and_shares_no_container_with_its_reader():
    source = {"epsilon": 1.0, "bounds": {"x": "private"}, "notes": ["a"]}
    g = PrivacyGuarantee.from_dict(source)
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.epsilon = 2.0  # type: ignore[misc]
    source["bounds"]["x"] = "declared"
    source["notes"].append("b")
    g["bounds"]["y"] = "private"   # a copy, as a dict's JSON form
    g.to_dict()["notes"].append("c")
    assert g.bounds == {"x": "private"} and g.notes == ("a",)
    assert pickle.loads(pickle.dumps(g)) == g and list(pickle.loads(pickle.dumps(g))) == list(g)


@pytest.mark.parametrize(("bad", "says"), [
    ({"delta": 1e-6}, "no 'epsilon'"),
    ({"epsilon": 0}, "'epsilon' must be a number > 0"),
    ({"epsilon": float("inf")}, "'epsilon' must be a number > 0"),
    ({"epsilon": "3"}, "'epsilon' must be a number > 0"),
    ({"epsilon": True}, "'epsilon' must be a number > 0"),
    ({"epsilon": 1.0, "delta": "1e-6", "accountant": 3}, "'delta' must be a number or None. Got "
                                                         "'1e-6' instead; its 'accountant'"),
    ({"epsilon": 1.0, "notes": "one sentence"}, "'notes' must be a list of sentences"),
    ({"epsilon": 1.0, "bounds": None}, r"\['bounds'\] are null"),
    ([("epsilon", 1.0)], "not a list"),
])
def test_a_malformed_guarantee_is_refused_with_what_is_wrong(bad, says):
    with pytest.raises(InvalidParameterError, match=says):
        PrivacyGuarantee.from_dict(bad)


# ---- the compatibility path ----------------------------------------------------------------------
def test_it_reads_like_the_dict_it_replaced():
    g = PrivacyGuarantee.from_dict(SAVED)
    assert g["epsilon"] == 3.0 and g.get("notes") == SAVED["notes"] and "rho" in g
    assert g.get("absent") is None and "absent" not in g and len(g) == len(SAVED)
    assert g == SAVED and dict(g) == SAVED
    assert SAVED == g  # noqa: SIM300 - the dict on the left: equality is symmetric
    assert g != {**SAVED, "epsilon": 1.0}
    with pytest.raises(KeyError):
        g["absent"]
    short = PrivacyGuarantee.from_dict({"epsilon": 1.0})
    with pytest.raises(KeyError):  # read from a dict without it: absent, as in that dict
        short["notes"]


def test_the_public_name_is_exported():
    assert cs.PrivacyGuarantee is PrivacyGuarantee


# ---- a private fit and validate -----------------------------------------------------------------
def test_a_private_fit_states_a_typed_guarantee(private_fit):
    synth, _ = private_fit
    g = synth.guarantee_
    assert isinstance(g, cs.PrivacyGuarantee)
    assert g.epsilon == 3.0 and g.delta == 1e-6 and 0 < g.epsilon_spent <= 3.0 + 1e-9
    assert list(g.to_dict()) == LEGACY_KEYS  # the keys reports have always held, in order
    legacy = {"epsilon": g.epsilon, "delta": g.delta, "rho": g.rho,
              "epsilon_spent": g.epsilon_spent, "accountant": g.accountant, "split": g.split,
              "bounds": dict(g.bounds), "clipped": dict(g.clipped), "notes": list(g.notes)}
    assert json.dumps(g.to_dict()) == json.dumps(legacy)
    assert g["bounds"] == {n: "private" for n in synth.ranges_}  # no declared ranges


def test_validate_takes_the_object_and_its_dict_alike(private_fit, acquisition, tmp_path):
    synth, real = private_fit
    synthetic = synth.sample(400, seed=1)
    typed = cs.validate(real, synthetic, acquisition, guarantee=synth.guarantee_,
                        n_bootstrap=5, seed=0)
    saved = json.loads(json.dumps(synth.guarantee_.to_dict()))  # as a saved report holds it
    plain = cs.validate(real, synthetic, acquisition, guarantee=saved, n_bootstrap=5, seed=0)
    assert type(typed.meta["guarantee"]) is dict  # the report holds the JSON form
    assert typed.meta["guarantee"] == plain.meta["guarantee"] == synth.guarantee_
    typed.to_json(tmp_path / "typed.json")
    plain.to_json(tmp_path / "plain.json")
    as_saved = [json.loads((tmp_path / f).read_text())["meta"]["guarantee"]
                for f in ("typed.json", "plain.json")]
    assert json.dumps(as_saved[0]) == json.dumps(as_saved[1]) == json.dumps(saved)
    assert typed.verdict == plain.verdict
    assert isinstance(typed.guarantee, PrivacyGuarantee)  # Report.guarantee: the typed value
    assert typed.guarantee.epsilon == synth.guarantee_.epsilon == 3.0


# ---- Report.guarantee ---------------------------------------------------------------------------
def test_a_reports_guarantee_is_typed_and_reads_like_its_dict():
    report = cs.Report("preserved", {}, meta={"guarantee": json.loads(json.dumps(SAVED))})
    g = report.guarantee
    assert isinstance(g, PrivacyGuarantee)
    assert (g.epsilon, g.delta, g.bounds["revenue"], g.notes) == (
        3.0, 1e-6, "fallback", ("the private bounds of 'revenue' could not be told from the "
                                "noise",))
    assert g == SAVED and g["clipped"] == {"tv_spend": 0.02} and list(g) == LEGACY_KEYS
    # the report still holds and writes the JSON form, byte-identical
    assert type(report.meta["guarantee"]) is dict
    back = cs.Report.from_dict(json.loads(report.to_json()))
    assert json.dumps(back.to_dict()["meta"]["guarantee"]) == json.dumps(SAVED)
    assert back.guarantee == g and json.dumps(back.guarantee.to_dict()) == json.dumps(SAVED)
    assert cs.Report("preserved", {}).guarantee is None
    assert cs.Report("preserved", {}, meta={"guarantee": None}).guarantee is None


def test_a_saved_report_with_a_malformed_guarantee_is_refused_when_read():
    bad = {"verdict": "preserved", "causal": {}, "meta": {"guarantee": {"epsilon": -1.0}}}
    with pytest.raises(cs.DataError, match=r"meta\['guarantee'\] is not a differential-"
                                           r"privacy guarantee: its 'epsilon' must be a "
                                           r"number > 0\. Got -1\.0 instead; write reports"):
        cs.Report.from_dict(bad)


def test_validate_names_the_parameter_and_the_problem(acquisition):
    real = acquisition.simulate(50, seed=0)
    with pytest.raises(InvalidParameterError, match=r"'guarantee' parameter of validate.*"
                                                    r"'epsilon' must be a number > 0"):
        cs.validate(real, real, acquisition, guarantee={"epsilon": -1.0})
