"""The public API is small and pinned; importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import causalsynth
from causalsynth import errors

PUBLIC = {
    "DAG", "Comparison", "DAGCheck", "ICIResult", "Margins", "Report", "Synthesizer",
    "GroundTruth",
    "CausalSynthError", "DAGError", "DataError", "MissingDependencyError", "NotFittedError",
    "SynthesizerError", "__version__", "available_synthesizers", "check_dag", "compare",
    "intrinsic_influence", "load_dag", "make_synthesizer", "simulate", "validate",
    "InvalidParameterError", "judge", "load_example", "read_report",
}


def test_all_is_pinned():
    assert set(causalsynth.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(causalsynth, name) is not None


def test_exception_tree():
    assert issubclass(errors.DAGError, (errors.CausalSynthError, ValueError))
    assert issubclass(errors.DataError, (errors.CausalSynthError, ValueError))
    assert issubclass(errors.NotFittedError, errors.CausalSynthError)
    assert issubclass(errors.MissingDependencyError, (errors.CausalSynthError, ImportError))


def test_import_does_not_load_heavy_libraries():
    code = ("import sys, causalsynth; "
            "print(sorted(m for m in ('torch', 'sdv', 'dowhy', 'econml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_registry_names():
    assert causalsynth.available_synthesizers() == [
        "gaussian_copula", "ctgan", "tvae", "copulagan", "causal", "diffusion", "wgan"]
