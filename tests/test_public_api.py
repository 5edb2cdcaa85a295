"""The public API is small and pinned; importing it stays light."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import causalsynth
from causalsynth import errors

PUBLIC = {
    "DAG", "Comparison", "DAGCheck", "ICIResult", "Margins", "Report", "Synthesizer",
    "GroundTruth",
    "CausalSynthError", "DAGError", "DataError", "MissingDependencyError", "NotFittedError",
    "SynthesizerError", "__version__", "available_synthesizers", "check_dag", "compare",
    "intrinsic_influence", "load_dag", "make_synthesizer", "simulate", "validate",
    "InvalidParameterError", "judge", "load_example", "read_report", "MMMFit", "fit_mmm",
    "DiscoveredGraph", "discover", "PrivacyBoundsWarning", "MarginalRefitWarning",
    "Verdict", "CausalSection", "PrivacyGate", "PrivacyGuarantee",
}


def test_all_is_pinned():
    assert set(causalsynth.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(causalsynth, name) is not None


#: the tree documented in causalsynth/errors.py: each error and every base it must have
ERROR_BASES = {
    "CausalSynthError": (Exception,),
    "DAGError": (errors.CausalSynthError, ValueError),
    "DataError": (errors.CausalSynthError, ValueError),
    "InvalidParameterError": (errors.CausalSynthError, ValueError),
    "NotFittedError": (errors.CausalSynthError, AttributeError),
    "MissingDependencyError": (errors.CausalSynthError, ImportError),
    "SynthesizerError": (errors.CausalSynthError, RuntimeError),
    # a warning, not an error: a private fit whose bounds do not describe a column
    "PrivacyBoundsWarning": (UserWarning,),
    # a copula marginal that collapsed and was refitted with another family
    "MarginalRefitWarning": (UserWarning,),
}


def test_exception_tree():
    assert set(ERROR_BASES) == set(errors.__all__)
    for name, bases in ERROR_BASES.items():
        cls = getattr(errors, name)
        assert getattr(causalsynth, name) is cls, name
        for base in bases:  # each base on its own: issubclass(x, (A, B)) holds if either does
            assert issubclass(cls, base), f"{name} should derive from {base.__name__}"


def test_version_comes_from_the_package_metadata():
    from importlib.metadata import version

    assert causalsynth.__version__ == version("causalsynth")


def test_import_does_not_load_heavy_libraries():
    """One interpreter, three moments: ``import causalsynth`` loads none of torch, SDV, DoWhy
    or EconML; importing the synthesizers (torch's helpers included) still loads neither SDV nor
    torch; building a torch synthesizer loads torch."""
    code = textwrap.dedent("""
        import json, sys
        heavy = ("torch", "sdv", "dowhy", "econml")
        loaded = lambda: sorted(m for m in heavy if m in sys.modules)
        import causalsynth
        moments = {"package": loaded()}
        import causalsynth.synthesizers, causalsynth.synthesizers._torch
        from causalsynth.synthesizers import make_synthesizer
        moments["synthesizers"] = loaded()
        make_synthesizer("diffusion", epochs=2)
        moments["diffusion built"] = loaded()
        print(json.dumps(moments))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300)
    moments = json.loads(out.stdout.strip().splitlines()[-1])
    assert moments["package"] == [], "import causalsynth loaded heavy libraries"
    assert "sdv" not in moments["synthesizers"] and "torch" not in moments["synthesizers"]
    assert "torch" in moments["diffusion built"], "building diffusion did not load torch"


def test_registry_names():
    assert causalsynth.available_synthesizers() == [
        "gaussian_copula", "ctgan", "tvae", "copulagan", "causal", "diffusion", "wgan", "par"]
