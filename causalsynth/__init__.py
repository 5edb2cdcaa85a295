"""causalsynth: causal-aware synthetic data and marketing attribution.

Declare a marketing DAG, synthesize a shareable table, and check that attribution (intrinsic
causal influence, treatment effects, conditional independences) still holds on it.
"""

from importlib import metadata as _metadata

from causalsynth.comparison import Comparison, compare
from causalsynth.dag import DAG, load_dag
from causalsynth.datasets import load_example
from causalsynth.errors import (
    CausalSynthError,
    DAGError,
    DataError,
    InvalidParameterError,
    MarginalRefitWarning,
    MissingDependencyError,
    NotFittedError,
    PrivacyBoundsWarning,
    SynthesizerError,
)
from causalsynth.evaluate.discovery import DiscoveredGraph, discover
from causalsynth.evaluate.independence import DAGCheck, check_dag
from causalsynth.evaluate.influence import ICIResult, intrinsic_influence
from causalsynth.evaluate.margins import Margins
from causalsynth.evaluate.mmm import MMMFit, fit_mmm
from causalsynth.evaluate.report import Report, judge, read_report
from causalsynth.evaluate.report_sections import CausalSection, PrivacyGate, Verdict
from causalsynth.evaluate.validate import validate
from causalsynth.guarantee import PrivacyGuarantee
from causalsynth.simulation import GroundTruth, simulate
from causalsynth.synthesizers import Synthesizer, available_synthesizers, make_synthesizer

try:  # one place for the version: pyproject.toml, read from the installed metadata
    __version__ = _metadata.version("causalsynth")
except _metadata.PackageNotFoundError:  # a source tree on sys.path without `pip install -e .`
    __version__ = "0+unknown"


__all__ = [
    "DAG",
    "CausalSection",
    "CausalSynthError",
    "Comparison",
    "DAGCheck",
    "DAGError",
    "DataError",
    "DiscoveredGraph",
    "GroundTruth",
    "ICIResult",
    "InvalidParameterError",
    "MMMFit",
    "MarginalRefitWarning",
    "Margins",
    "MissingDependencyError",
    "NotFittedError",
    "PrivacyBoundsWarning",
    "PrivacyGate",
    "PrivacyGuarantee",
    "Report",
    "Synthesizer",
    "SynthesizerError",
    "Verdict",
    "__version__",
    "available_synthesizers",
    "check_dag",
    "compare",
    "discover",
    "fit_mmm",
    "intrinsic_influence",
    "judge",
    "load_dag",
    "load_example",
    "make_synthesizer",
    "read_report",
    "simulate",
    "validate",
]
