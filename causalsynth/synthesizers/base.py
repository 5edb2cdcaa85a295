"""The contract every synthesizer follows (scikit-learn habits, SDV's public/private template).

* The constructor only stores parameters (``get_params`` returns them).
* ``fit(data, dag)`` checks the table against the DAG, calls ``_fit`` on a typed copy and
  returns ``self``; learned state gets a trailing underscore.
* ``sample(n, seed=...)`` calls ``_sample`` and returns a frame with the real table's columns,
  dtypes and category sets; the same seed gives the same table; before ``fit`` it raises
  :class:`~causalsynth.errors.NotFittedError`. ``n`` is checked before anything is allocated:
  an int from 1 to ``max_sample_cells // n_columns`` (100 million cells, 0.8 GB as float64,
  before the working copies a synthesizer makes); draw larger tables in batches with
  different seeds.
* Each class declares what its parameters accept in ``_parameter_constraints`` (name -> list
  of constraints, see :mod:`causalsynth._params`); ``fit`` checks them all before anything
  else and raises one :class:`~causalsynth.errors.InvalidParameterError` naming every bad
  parameter. ``seed`` and ``random_state`` take an int >= 0, a numpy Generator or None.
* ``interventions`` are accepted only by synthesizers that are causal models (``causal``).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from causalsynth._params import Interval, check_param, param_problems, raise_problems
from causalsynth._random import SeedLike, as_generator
from causalsynth.dag import DAG, load_dag
from causalsynth.data import MAX_COUNT, SeriesLayout, check_data, series_layout
from causalsynth.errors import InvalidParameterError, NotFittedError, SynthesizerError, excerpt

__all__ = ["Synthesizer", "check_is_fitted"]

_INT64_EDGE = float(np.nextafter(2.0**63, 0))  # the largest float below 2**63: no int64 wrap


def check_is_fitted(model: object, attributes: str | Sequence[str] | None = None,
                    action: str = "sample") -> None:
    """Raise :class:`~causalsynth.errors.NotFittedError` unless ``model`` has been fitted.

    scikit-learn's ``check_is_fitted``: a model is fitted when it holds the learned
    ``attributes`` (default: any attribute with a trailing underscore, the contract's mark of
    learned state), which ``fit`` sets and the constructor never does.

    Parameters
    ----------
    model : object
        A synthesizer (or any model that follows the trailing-underscore convention).
    attributes : str or sequence of str, optional
        Learned attributes that must all be present.
    action : str
        What the caller was about to do, for the message.

    Examples
    --------
    >>> from causalsynth import make_synthesizer
    >>> check_is_fitted(make_synthesizer("causal"))
    Traceback (most recent call last):
    ...
    causalsynth.errors.NotFittedError: this CausalSynthesizer is not fitted yet; call fit(...
    >>> class Model:
    ...     pass
    >>> model = Model()
    >>> model.weights_ = [0.5]
    >>> check_is_fitted(model)  # learned state present: no error
    >>> check_is_fitted(model, ["weights_", "bias_"], action="predict")
    Traceback (most recent call last):
    ...
    causalsynth.errors.NotFittedError: this Model is not fitted yet; call fit(...) before predict
    """
    names = [attributes] if isinstance(attributes, str) else attributes
    if names is not None:
        fitted = all(hasattr(model, name) for name in names)
    else:
        fitted = any(k.endswith("_") and not k.startswith("__") for k in vars(model))
    if not fitted:
        raise NotFittedError(f"this {type(model).__name__} is not fitted yet; call "
                             f"fit(data, dag) before {action}")


class Synthesizer:
    """Base class: subclasses implement ``_fit(data, dag)`` and ``_sample(n, rng)``.

    ``data`` given to ``_fit`` is typed by :func:`causalsynth.data.check_data` (float64,
    int64, pandas Categorical). ``_sample`` returns a frame in the same typing; the base class
    restores the user's dtypes.
    """

    name: ClassVar[str] = "base"
    #: fewest real rows the method can learn from; fit refuses fewer with this number.
    min_rows: ClassVar[int] = 10
    supports_interventions: ClassVar[bool] = False
    #: draws whole series (index and geo columns first) on a time-indexed DAG
    generates_series: ClassVar[bool] = False
    #: most cells (rows x columns) one ``sample`` call may draw
    max_sample_cells: ClassVar[int] = 100_000_000
    #: what each constructor parameter accepts: name -> list of constraints (scikit-learn's
    #: ``_parameter_constraints``; see :mod:`causalsynth._params`); ``fit`` checks them.
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}

    # ---- parameters ----------------------------------------------------------------
    @classmethod
    def param_names(cls) -> list[str]:
        """Names of the constructor's parameters, in the signature's order."""
        sig = inspect.signature(cls.__init__)
        varargs = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        return [p for p, spec in sig.parameters.items()
                if p != "self" and spec.kind not in varargs]

    def get_params(self) -> dict[str, Any]:
        """The constructor's parameters and their values."""
        return {p: getattr(self, p) for p in self.param_names()}

    def _validate_params(self) -> None:
        """Check every parameter against ``_parameter_constraints``, then the relations
        between them (:meth:`_more_param_problems`); raise one error listing all problems."""
        owner = type(self).__name__
        problems = param_problems(owner, self._parameter_constraints, self.get_params())
        raise_problems(owner, problems or self._more_param_problems())

    def _more_param_problems(self) -> list[str]:
        """Problems the declared constraints cannot express (relations between parameters);
        called only when every declared constraint holds. None by default."""
        return []

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    # ---- the public template ----------------------------------------------------------
    def fit(self, data: pd.DataFrame, dag: DAG | str | dict[str, Any]) -> Synthesizer:
        """Learn from ``data`` (a DataFrame whose columns are the DAG's nodes); returns self."""
        self._validate_params()
        dag = load_dag(dag)
        clean = check_data(data, dag, min_rows=self.min_rows,
                           what=f"the training table of {self.name!r}")
        self.dag_ = dag
        # node columns only: a time-indexed table's week and geo columns are not learned
        self.columns_ = [str(c) for c in data.columns if str(c) in dag.nodes]
        self.dtypes_ = {c: data[c].dtype for c in self.columns_}
        self.n_train_: int | None = len(clean)  # None: withheld (a private fit)
        # how the rows split into series (a time DAG), for synthesizers that make series
        self.layout_ = series_layout(data, dag) if dag.time is not None else None
        self._fit(clean, dag)
        return self

    def sample(self, n: int, seed: SeedLike = None,
               interventions: dict[str, Any] | None = None,
               geos: int | None = None) -> pd.DataFrame:
        """Draw ``n`` synthetic rows; the same ``seed`` gives the same table.

        On a time-indexed DAG a synthesizer that makes series (``generates_series``) draws
        whole series: ``n`` rows are ``geos`` series of ``n / geos`` periods (``geos``: as
        many as the training table had), with the index (and geo) columns first.
        """
        check_is_fitted(self, "dag_")
        self._check_n(n)
        rng = as_generator(seed, owner=f"{type(self).__name__}.sample")
        kwargs: dict[str, Any] = {}
        if geos is not None:
            if not self.generates_series or self.dag_.time is None or self.dag_.time.geo is None:
                what = (f"{self.name!r} draws independent rows" if not self.generates_series
                        else f"DAG {self.dag_.name!r} declares no geo column")
                raise InvalidParameterError(
                    f"geos={geos!r}: geos are sampled by the synthesizers that make series "
                    f"('causal', 'par') on a DAG with a geo column (time: {{geo: ...}}), and "
                    f"{what}: leave geos out")
            check_param("geos", geos, Interval(int, 1, int(n)),
                        owner=f"{type(self).__name__}.sample")
            kwargs["geos"] = int(geos)
        if interventions:
            if not self.supports_interventions:
                raise InvalidParameterError(
                    f"{self.name!r} learns a joint distribution, not a causal model, so it "
                    f"cannot sample under interventions; use make_synthesizer('causal')"
                )
            kwargs["interventions"] = interventions
        return self._restore_dtypes(self._sample(int(n), rng, **kwargs))

    def _series_layout(self) -> SeriesLayout:
        """How the training rows split into series: fitted on a time-indexed DAG only."""
        check_is_fitted(self, "layout_", action="drawing series")
        if self.layout_ is None:
            raise SynthesizerError(f"{self.name!r} was fitted on DAG {self.dag_.name!r}, which "
                                   f"declares no time index, so it has no series to draw")
        return self.layout_

    def _check_n(self, n: object) -> None:
        """``n`` is an int from 1 to the most rows ``max_sample_cells`` allows for this table."""
        cells, width = self.max_sample_cells, len(self.columns_)
        check_param("n", n, Interval(int, 1, max(1, cells // max(1, width))),
                    owner=f"{type(self).__name__}.sample",
                    hint=f"at most {cells:,} cells for this {width}-column table, "
                         f"{cells * 8 / 1e9:.1f} GB as float64; draw larger tables in batches "
                         f"with different seeds")

    # ---- for subclasses ----------------------------------------------------------------
    def _fit(self, data: pd.DataFrame, dag: DAG) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _sample(self, n: int, rng: np.random.Generator, **kwargs: Any) -> pd.DataFrame:
        raise NotImplementedError  # pragma: no cover - abstract

    def _restore_dtypes(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The user's column order and dtypes; categories keep the declared set.

        Counts are rounded and clipped to 0..2**53 (the range the data check accepts), binary
        values to 0..1 and other integer columns to the int64 range before the integer cast,
        so a value drawn beyond the real range never wraps around; a NaN or infinite draw in
        an integer column is a :class:`~causalsynth.errors.SynthesizerError` naming it.
        """
        out = {c: frame[c] for c in frame.columns if c not in self.columns_}  # index, geo
        for col in self.columns_:
            node, values, dtype = self.dag_.node(col), frame[col], self.dtypes_[col]
            if node.type == "categorical":
                values = pd.Categorical(values.astype(str), categories=node.categories)
                out[col] = (pd.Series(values) if isinstance(dtype, pd.CategoricalDtype)
                            else pd.Series(np.asarray(values.astype(str), dtype=object)))
                if pd.api.types.is_integer_dtype(dtype):  # categories written as numbers
                    out[col] = out[col].astype("int64")
            elif pd.api.types.is_bool_dtype(dtype):
                out[col] = pd.Series(np.asarray(values, dtype=float) > 0.5)
            elif pd.api.types.is_integer_dtype(dtype) or node.type in ("binary", "count"):
                raw = np.asarray(values, dtype=float)
                if not np.isfinite(raw).all():
                    raise SynthesizerError(
                        f"{self.name!r} drew {int((~np.isfinite(raw)).sum())} NaN or infinite "
                        f"value(s) in column {excerpt(col)}; check that column of the training "
                        f"table for extreme values, or try another synthesizer")
                top = {"binary": 1, "count": MAX_COUNT}.get(node.type, _INT64_EDGE)
                low = 0 if node.type in ("binary", "count") else -_INT64_EDGE
                whole = np.clip(np.rint(raw), low, top)
                out[col] = pd.Series(whole).astype(
                    dtype if pd.api.types.is_integer_dtype(dtype) else "int64")
            else:
                out[col] = pd.Series(np.asarray(values, dtype="float64"))
        return pd.DataFrame(out)
