"""causalsynth: causal-aware synthetic data and marketing attribution.

Declare a marketing DAG, synthesize a shareable table, and check that attribution (intrinsic
causal influence, treatment effects, conditional independences) still holds on it.
"""

from causalsynth.dag import DAG, load_dag
from causalsynth.errors import (
    CausalSynthError,
    DAGError,
    DataError,
    MissingDependencyError,
    NotFittedError,
    SynthesizerError,
)
from causalsynth.simulate import GroundTruth, simulate

__version__ = "0.1.0"

__all__ = [
    "DAG",
    "CausalSynthError",
    "DAGError",
    "DataError",
    "GroundTruth",
    "MissingDependencyError",
    "NotFittedError",
    "SynthesizerError",
    "__version__",
    "load_dag",
    "simulate",
]
