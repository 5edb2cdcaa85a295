"""One exception tree for the whole package.

Every error the package raises on purpose derives from :class:`CausalSynthError`,
so ``except causalsynth.CausalSynthError`` catches all of them. Errors about bad
input also derive from :class:`ValueError`, the exception Python users expect
for a wrong value. The tree (each error's second base in parentheses)::

    CausalSynthError
    ├── DAGError (ValueError)                the declared DAG is invalid
    ├── DataError (ValueError)               a table does not fit the DAG or the method
    ├── InvalidParameterError (ValueError)   a parameter has a wrong type or value
    ├── NotFittedError (AttributeError)      a model was used before ``fit``
    ├── MissingDependencyError (ImportError) an optional dependency is not installed
    └── SynthesizerError (RuntimeError)      a synthesizer failed while fitting or sampling

Two warnings (each a ``UserWarning``): :class:`PrivacyBoundsWarning`, when a differentially
private fit had to clip a column into bounds that do not describe it, and
:class:`MarginalRefitWarning`, when a copula model's fitted marginal of a column collapsed and
was refitted with another family.

Messages name the thing, the value and the fix. When several things are wrong at
once (a DAG with a cycle *and* an unknown type, a table with NaN *and* a missing
column) the error lists all of them in ``problems`` and in its message.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable

__all__ = [
    "CausalSynthError",
    "DAGError",
    "DataError",
    "InvalidParameterError",
    "MarginalRefitWarning",
    "MissingDependencyError",
    "NotFittedError",
    "PrivacyBoundsWarning",
    "SynthesizerError",
]


#: longest excerpt of a user's value that a message quotes (see :func:`excerpt`)
EXCERPT_CHARS = 80
#: longest single problem sentence; longer ones keep their start and their end (the fix)
_PROBLEM_CHARS = 600

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = EXCERPT_CHARS
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxfrozenset = _REPR.maxdeque = 6
_REPR.maxdict = 4
_REPR.maxlevel = 3


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """``repr(value)``, bounded: at most ``limit`` characters, ending in '…' when cut.

    Messages quote values from users' files and tables; a value can be huge (a YAML alias
    expanding to millions of items, a 1 MB cell). :mod:`reprlib` visits only the first few
    items of a container, so building the excerpt costs little whatever the value's size.

    >>> excerpt("x" * 200, limit=12)
    "'xxxxxxxxxx…"
    """
    text = _REPR.repr(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bounded(problem: str) -> str:
    if len(problem) <= _PROBLEM_CHARS:
        return problem
    tail = _PROBLEM_CHARS // 4
    return f"{problem[: _PROBLEM_CHARS - tail - 3]} … {problem[-tail:]}"


class CausalSynthError(Exception):
    """Base class of every error raised by causalsynth."""


class _ProblemsError(CausalSynthError, ValueError):
    """An error that carries a list of problems, each a full sentence."""

    what = "input"

    def __init__(self, problems: str | Iterable[str], *, source: str | None = None):
        problems = [problems] if isinstance(problems, str) else list(problems)
        self.problems = [_bounded(str(p)) for p in problems]
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


class InvalidParameterError(CausalSynthError, ValueError):
    """A parameter has a wrong type or value.

    Messages read "The 'n' parameter of X must be ... Got ... instead." (scikit-learn's form).
    """


class SynthesizerError(CausalSynthError, RuntimeError):
    """A synthesizer failed while fitting or sampling; the message says why and what to do."""


class PrivacyBoundsWarning(UserWarning):
    """A private fit's bounds of a column do not describe it: private bounds that fell back to
    a default range, or a declared ``range`` that excludes a visible share of the rows. The
    same sentences are in the synthesizer's ``guarantee_["notes"]``."""


class MarginalRefitWarning(UserWarning):
    """A copula model's fitted marginal of a column collapsed (its quartiles far from the
    data's: SDV's beta fit can converge to a point mass at one end) and was refitted with
    another family; the synthesizer's ``refitted_marginals_`` names the columns."""
