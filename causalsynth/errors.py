"""One exception tree for the whole package.

Every error the package raises on purpose derives from :class:`CausalSynthError`,
so ``except causalsynth.CausalSynthError`` catches all of them. Errors about bad
input also derive from :class:`ValueError`, the exception Python users expect
for a wrong value.

Messages name the thing, the value and the fix. When several things are wrong at
once (a DAG with a cycle *and* an unknown type, a table with NaN *and* a missing
column) the error lists all of them in ``problems`` and in its message.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "CausalSynthError",
    "DAGError",
    "DataError",
    "MissingDependencyError",
    "NotFittedError",
    "SynthesizerError",
]


class CausalSynthError(Exception):
    """Base class of every error raised by causalsynth."""


class _ProblemsError(CausalSynthError, ValueError):
    """An error that carries a list of problems, each a full sentence."""

    what = "input"

    def __init__(self, problems: str | Iterable[str], *, source: str | None = None):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        where = f" in {source}" if source else ""
        if len(self.problems) == 1:
            message = f"invalid {self.what}{where}: {self.problems[0]}"
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{len(self.problems)} problems with the {self.what}{where}:\n{lines}"
        super().__init__(message)


class DAGError(_ProblemsError):
    """The declared DAG is invalid (cycle, unknown node, type or role, no outcome...)."""

    what = "DAG"


class DataError(_ProblemsError):
    """A table does not fit the DAG or the method (missing column, NaN, text, too few rows...)."""

    what = "data"


class NotFittedError(CausalSynthError, AttributeError):
    """A model was used before ``fit`` was called."""


class MissingDependencyError(CausalSynthError, ImportError):
    """An optional heavy dependency (torch, plotting) is not installed."""


class SynthesizerError(CausalSynthError, RuntimeError):
    """A synthesizer failed while fitting or sampling; the message says why and what to do."""
