"""The typed sections of a report (verdict enum, causal section, privacy gate): attributes
for new code, the saved JSON unchanged, and the dict reading kept for old code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import causalsynth as cs
from causalsynth.cli.exits import verdict_exit
from causalsynth.evaluate.report import judge, read_report
from causalsynth.evaluate.report_sections import Precision
from causalsynth.evaluate.verdict import VERDICTS

GOLDEN = Path(__file__).resolve().parent / "golden"
NAMES = ("acquisition", "saturation", "ad_funnel")


@pytest.fixture(scope="module", params=NAMES)
def golden_text(request):
    return (GOLDEN / f"report_{request.param}.json").read_text()


@pytest.fixture
def golden(golden_text):
    return json.loads(golden_text)


def test_the_verdict_enum_is_its_word():
    assert [v.value for v in cs.Verdict] == list(VERDICTS)
    for v in cs.Verdict:
        assert v == v.value and hash(v) == hash(v.value) and {v.value: 1}[v] == 1
        assert str(v) == f"{v}" == v.value and json.dumps(v) == json.dumps(v.value)
        assert cs.Verdict(v.value) is v
    # the command line's exit codes are keyed by the words
    assert [verdict_exit(v) for v in cs.Verdict] == [0, 1, 3]
    with pytest.raises(cs.InvalidParameterError,
                       match=r"one of 'preserved', 'not preserved', 'inconclusive'\. Got "
                             r"'kept' instead"):
        cs.Report("kept", {})


def test_a_saved_report_reads_back_and_writes_out_unchanged(golden, golden_text):
    report = cs.Report.from_dict(golden)
    assert isinstance(report.verdict, cs.Verdict) and report.verdict == golden["verdict"]
    assert isinstance(report.causal, cs.CausalSection)
    assert isinstance(report.privacy_gate, cs.PrivacyGate)
    back = report.to_dict()
    assert back == golden
    for key in ("causal", "privacy_gate"):  # each section's keys in the order read
        assert json.dumps(back[key]) == json.dumps(golden[key])
    # the golden files' own format (sorted keys), byte for byte; a file written by to_json
    # reads back to the same bytes (test_a_report_file_round_trips_and_rejudges)
    assert json.dumps(back, indent=1, sort_keys=True, default=str) == golden_text


def test_attributes_hold_what_the_dict_held(golden):
    report = cs.Report.from_dict(golden)
    causal, want = report.causal, golden["causal"]
    assert causal.verdict == want["verdict"] and causal.reasons == want["reasons"]
    assert causal.n_real == want["n_real"] == 1500 and causal.target == want["target"]
    assert causal.margins == cs.Margins(**want["margins"])
    assert isinstance(causal.confirmable, Precision)
    assert causal.confirmable.text == want["confirmable"]["text"] != ""
    assert causal.shown.effects == want["shown"]["effects"]
    assert causal.details == want["details"] and causal.ici == want["ici"]
    frame = causal.table("effects")
    assert len(frame) == len(want["effects"]) and list(frame["treatment"]) == [
        r["treatment"] for r in want["effects"]]
    gate = report.privacy_gate
    assert (gate.flagged, gate.assessed, gate.copy_share, gate.reason) == tuple(
        golden["privacy_gate"][k] for k in ("flagged", "assessed", "copy_share", "reason"))
    with pytest.raises(cs.InvalidParameterError, match="'name' parameter of CausalSection"):
        causal.table("mmm")


def test_the_compatibility_path_reads_like_the_dicts(golden):
    """Code written against the dicts keeps working: keys, .get, in, equality, dict()."""
    report = cs.Report.from_dict(golden)
    causal = report.causal
    assert causal["confirmable"]["text"] == golden["causal"]["confirmable"]["text"]
    assert causal["margins"] == golden["causal"]["margins"]  # the JSON form, not Margins
    assert causal["verdict"] == golden["causal"]["verdict"]
    assert type(causal["verdict"]) is str
    assert causal.get("mmm") is None and "mmm" not in causal and "ici" in causal
    assert list(causal) == list(golden["causal"]) and len(causal) == len(golden["causal"])
    assert causal == golden["causal"] and dict(causal) == golden["causal"]
    assert report.privacy_gate == golden["privacy_gate"]
    assert report.privacy_gate["flagged"] is golden["privacy_gate"]["flagged"]
    with pytest.raises(KeyError, match="reference"):
        causal["reference"]
    edited = dict(golden["causal"], n_real=3)
    assert causal != edited and causal != cs.CausalSection.from_dict(edited)


def test_absent_and_unknown_keys_survive_a_round_trip():
    """A section read from a partial dict (an older report, a stand-in) writes back only
    what it read; a key from a newer version rides along in ``extra``."""
    partial = {"reasons": ["r"], "verdict": "preserved", "from_the_future": {"x": 1}}
    section = cs.CausalSection.from_dict(partial)
    assert section.to_dict() == partial and list(section.to_dict()) == list(partial)
    assert section.extra == {"from_the_future": {"x": 1}}
    assert section.n_real == 0 and section.confirmable.text == ""  # defaults behind
    section.reference = {"verdict": "preserved"}  # set afterwards: written after the rest
    assert list(section.to_dict()) == [*partial, "reference"]
    report = cs.Report("preserved", {})
    assert report.to_dict()["causal"] == {} and report.to_dict()["privacy_gate"] == {}
    assert not report.copies_real_rows and report.privacy_gate.reason == ""
    # made directly: every known key, in declaration order
    made = cs.PrivacyGate(flagged=True, assessed=True, copy_share=0.5, reason="copies")
    assert made.to_dict() == {"flagged": True, "assessed": True, "copy_share": 0.5,
                              "reference_share": None, "reason": "copies"}
    assert cs.PrivacyGate.from_dict(made.to_dict()) == made


def test_a_report_file_round_trips_and_rejudges(golden, tmp_path):
    path = tmp_path / "report.json"
    report = cs.Report.from_dict(golden)
    report.to_json(path)
    again = read_report(path)
    assert again.to_json() == report.to_json() == path.read_text().rstrip("\n")
    rejudged = judge(path, {"ici_points": 50, "effect_rel": 5.0, "independence": 1.0})
    assert isinstance(rejudged.causal, cs.CausalSection)
    assert rejudged.causal.margins.ici_points == 50
    assert rejudged.verdict == rejudged.causal.verdict
    assert list(rejudged.causal)[:3] == ["verdict", "reasons", "target"]


@pytest.mark.parametrize(("edit", "match"), [
    (lambda d: d["causal"].update(verdict="kept"), r"causal section: A verdict must be one"),
    (lambda d: d["causal"].update(margins={"ici_points": -1}),
     r"causal margins .* cannot be read .*'ici_points' parameter of Margins"),
    (lambda d: d["causal"].update(confirmable="high"), r"its Precision is a str"),
])
def test_an_edited_section_is_a_data_error(golden, edit, match):
    edited = json.loads(json.dumps(golden))
    edit(edited)
    with pytest.raises(cs.DataError, match=match):
        cs.Report.from_dict(edited)
