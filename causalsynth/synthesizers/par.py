"""``par``: SDV's sequential synthesizer (PARSynthesizer) behind the causalsynth contract.

PAR (probabilistic auto-regressive) is a GRU that reads a series period by period and gives
the distribution of the next period's values (a Gaussian per numeric column, a softmax per
category), trained by maximum likelihood on whole series; sampling draws period after period.
It learns the joint dynamics of the table and ignores the DAG's edges (the DAG gives each
column its type and says what a series is). It works only on a DAG with a ``time`` block and
draws whole series (``generates_series``): ``sample(n, geos=...)`` returns ``geos`` series of
``n // geos`` periods with new geo labels and the real index continued, as ``causal`` does.

How the table reaches SDV:

* **Series, not labels.** PAR wants a sequence key and a sequence index. The adapter gives it
  the series number (0, 1, ...) and the position in the series (0 .. T-1) as two internal
  columns; the real geo names and dates never enter the model. The rows of one geo are one
  sequence, so a national table is a single sequence: PAR then learns from one example.
* **No leak through the metadata or clipping.** The metadata comes from the DAG's node types
  (:func:`causalsynth.data.sdv_metadata`) plus the two internal columns, never from the data;
  SDV's ``enforce_min_max_values`` clipping, which copies the real extremes, is off (for PAR
  and for its context model). Counts and continuous columns never negative in training are
  clipped at 0 (a bound of the sign, not a real value), as the single-table adapters do.
* **No leak through the missing-value flag.** PAR writes the real column mean (to full
  precision) wherever it draws a value as "missing"; the tables it sees have no missing
  values, so the adapter turns that flag off after the fit (:func:`_never_missing`).
* **Seeds.** PAR draws from torch's global generator; fits (``random_state``) and samples
  (``sample(seed=...)``) run with it forked, seeded and restored (the torch synthesizers'
  steps), so the same seed gives the same table and the caller's state is untouched.
* **Quiet, and errors that say what to do.** SDV warnings are logged at DEBUG level to
  ``causalsynth.synthesizers.par``; SDV's exceptions become
  :class:`~causalsynth.errors.DataError` or :class:`~causalsynth.errors.SynthesizerError`.

Costs: a fit is one full-batch step per epoch over all series (SDV's default 128 epochs); a
sample runs the GRU over the whole prefix for every new period, so its time grows with the
square of the series length. Flushing denormal floats, which speeds TVAE up, made no
difference here (128 epochs on 156 weeks: 6-9 s either way). SDV and torch are imported when
the synthesizer is fitted.

References
----------
Zhang, Patki, Veeramachaneni (2022). Sequential Models in the Synthetic Data Vault.
arXiv:2207.14406.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from causalsynth._params import Interval, Options, Pattern
from causalsynth._random import as_generator, child_seed
from causalsynth._time_columns import MIN_PERIODS
from causalsynth.dag import DAG, load_dag
from causalsynth.data import sdv_metadata, to_plain_frame
from causalsynth.errors import CausalSynthError, DataError, InvalidParameterError, SynthesizerError
from causalsynth.synthesizers._series import series_shape, time_columns
from causalsynth.synthesizers._torch import TorchSynthesizer, require_torch, resolve_device

__all__ = ["PARAdapter"]

logger = logging.getLogger(__name__)

_TABLE = "table"
_ROW_WISE = "'gaussian_copula', 'ctgan', 'tvae' or 'causal'"
_NEVER = -1e4  # logit of the missing-value flag: probability 0 in float32


def _internal_names(dag: DAG) -> tuple[str, str]:
    """Names of the sequence key and index columns, clear of the DAG's nodes."""
    key, pos = "~series", "~period"
    while key in dag.nodes or pos in dag.nodes:
        key, pos = f"~{key}", f"~{pos}"
    return key, pos


def _translate(exc: Exception, step: str) -> CausalSynthError:
    """SDV/deepecho/torch exceptions -> ours, with what to do."""
    from sdv.errors import InvalidDataError, InvalidDataTypeError

    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, (InvalidDataError, InvalidDataTypeError)):
        return DataError(f"SDV's PARSynthesizer rejected the table while {step}: {text}; fix the "
                         f"column(s) it names, or check the table with "
                         f"causalsynth.data.check_data")
    return SynthesizerError(
        f"'par' failed while {step} ({type(exc).__name__}: {text}); try more periods or "
        f"series, other epochs, or the 'causal' synthesizer, which also makes whole series")


def _never_missing(model: Any) -> None:
    """Turn off the missing-value flag PAR draws for every numeric value.

    PAR models each numeric column as a value plus a "missing" flag and, where the flag comes
    up, writes the column's normalised zero: the real column mean to full precision. The
    tables reaching it have no missing values (:func:`causalsynth.data.check_data` refuses
    them), so the flag is always 0 in training, yet after SDV's default 128 epochs it still
    came up in 2 to 5 % of the cells of each continuous column (156 weeks of weekly_mmm): an
    atom at the real mean, and an input the network never saw in training for the next period.
    A large negative bias on the flag's output makes its probability 0.
    """
    par = getattr(model, "_model", None)
    net, data_map = getattr(par, "_model", None), getattr(par, "_data_map", None)
    if net is None or not hasattr(net, "up") or not isinstance(data_map, dict):  # pragma: no cover
        raise SynthesizerError("cannot reach the fitted network of SDV's PARSynthesizer (SDV or "
                               "deepecho changed); pin sdv<3 and deepecho<0.9 or report this")
    flags = [props["indices"][2] for key, props in data_map.items()
             if key != "<TOKEN>" and props["type"] in ("continuous", "count", "datetime")]
    torch = require_torch()
    with torch.no_grad():
        net.up.bias[flags] = _NEVER


class PARAdapter(TorchSynthesizer):
    """SDV's PARSynthesizer: an auto-regressive GRU over whole series (time-indexed DAGs only).

    Parameters
    ----------
    epochs : int
        Training epochs, one full-batch step each (SDV's default 128).
    sample_size : int
        Series PAR draws per requested series, keeping the most likely one (SDV's default 1;
        the time of a sample grows in proportion).
    n_threads : int or None
        CPU threads torch may use while fitting and sampling (restored afterwards).
    device : str or None
        ``None``/``"cpu"``, ``"auto"`` (the first CUDA GPU when torch sees one) or a CUDA
        device such as ``"cuda:1"``.
    random_state : int, numpy Generator or None
        Seed of the fit (``sample`` takes its own ``seed``).
    progress : bool
        Show SDV's progress bars (epochs, then series drawn).

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("weekly_mmm")
    >>> synth = PARAdapter(epochs=2).fit(dag.simulate(40, seed=0), dag)
    >>> synth.sample(30, seed=1).columns[:3].tolist()
    ['week', 'trend', 'season']
    """

    name: ClassVar[str] = "par"
    min_rows: ClassVar[int] = MIN_PERIODS
    generates_series: ClassVar[bool] = True
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "epochs": [Interval(int, 1, None)], "sample_size": [Interval(int, 1, None)],
        **{k: v for k, v in TorchSynthesizer._parameter_constraints.items()
           if k in ("n_threads", "random_state", "progress")},
        # deepecho moves its model to CUDA devices only
        "device": [Options({"auto", "cpu", "cuda"}),
                   Pattern(r"cuda:\d+", "a str such as 'cuda:0'"), None],
    }

    def __init__(self, epochs: int = 128, sample_size: int = 1, n_threads: int | None = None,
                 device: str | None = None, random_state: int | None = 0,
                 progress: bool = False):
        self.epochs = epochs
        self.sample_size = sample_size
        self.n_threads = n_threads
        self.device = device
        self.random_state = random_state
        self.progress = progress

    def fit(self, data: pd.DataFrame, dag: DAG | str | dict) -> PARAdapter:
        """Learn the series of ``data`` (a table of a time-indexed DAG); returns self."""
        self._validate_params()
        dag = load_dag(dag)
        if dag.time is None:
            raise InvalidParameterError(
                f"'par' (SDV's PARSynthesizer) learns series, so it needs a time-indexed DAG; "
                f"DAG {dag.name!r} declares no 'time' block, so its rows are independent. "
                f"Declare time: {{index: week, period: 52}} (and geo: for a panel) in the DAG "
                f"if the rows are periods in order, or use a row-wise synthesizer: {_ROW_WISE}")
        super().fit(data, dag)
        return self

    # ---- the template's steps ----------------------------------------------------------
    def _call(self, step: str, seed: int, fn: Callable[[], Any]) -> Any:
        """Run one SDV call with torch seeded (and restored), SDV's warnings logged at DEBUG
        and its exceptions translated."""
        try:
            with self._seeded(seed), warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                out = fn()
        except CausalSynthError:
            raise
        except Exception as exc:
            raise _translate(exc, step) from exc
        for w in caught:
            logger.debug("SDV warning while %s (%s): %s", step, w.category.__name__, w.message)
        return out

    def _fit(self, data: pd.DataFrame, dag: DAG) -> None:
        from sdv.metadata import Metadata
        from sdv.sequential import PARSynthesizer

        layout, (key, pos) = self._series_layout(), _internal_names(dag)
        self.device_ = resolve_device(self.device)
        metadata = sdv_metadata(dag, _TABLE)
        table = metadata["tables"][_TABLE]
        table["columns"] = {key: {"sdtype": "id"}, pos: {"sdtype": "numerical"},
                            **table["columns"]}
        table["sequence_key"], table["sequence_index"] = key, pos
        series = pd.DataFrame({key: layout.series_of_rows(),
                               pos: np.tile(np.arange(layout.periods), layout.n_series)})
        frame = pd.concat([series, to_plain_frame(data, dag).reset_index(drop=True)], axis=1)
        cuda = str(self.device_) if self.device_.type == "cuda" else False

        def train():
            model = PARSynthesizer(
                Metadata.load_from_dict(metadata), enforce_min_max_values=False,
                epochs=int(self.epochs), sample_size=int(self.sample_size), cuda=cuda,
                verbose=bool(self.progress))
            model.fit({_TABLE: frame})
            return model

        self.model_ = self._call("fitting", child_seed(as_generator(self.random_state)), train)
        _never_missing(self.model_)
        # Sign only: a column never negative in training stays non-negative.
        self.nonnegative_ = [c for c in dag.nodes if dag.node_type(c) == "count"
                             or (dag.node_type(c) == "continuous" and (data[c] >= 0).all())]

    def _sample(self, n: int, rng: np.random.Generator, geos: int | None = None,
                **kwargs: Any) -> pd.DataFrame:
        dag, layout = self.dag_, self._series_layout()
        n_series, periods = series_shape(n, geos, layout, "par")
        drawn = self._call("sampling from", child_seed(rng),
                           lambda: self.model_.sample_sequences(n_series, periods))
        frame = drawn[_TABLE] if isinstance(drawn, dict) else drawn
        if len(frame) != n:  # pragma: no cover - guards an SDV upgrade
            raise SynthesizerError(f"'par' returned {len(frame)} rows for {n_series} series of "
                                   f"{periods} periods; pin sdv<3 or report this")
        frame = frame[list(dag.nodes)].reset_index(drop=True)
        if frame.isna().any().any():
            raise SynthesizerError(f"'par' returned {int(frame.isna().sum().sum())} missing "
                                   f"values; refit with more epochs or use another synthesizer")
        for col in self.nonnegative_:
            frame[col] = np.clip(frame[col].astype("float64"), 0.0, None)
        return pd.concat([time_columns(dag, layout, n_series, periods), frame], axis=1)
