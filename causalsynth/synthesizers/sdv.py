"""SDV 2.x single-table synthesizers behind the causalsynth contract.

Four adapters: :class:`GaussianCopulaAdapter` (``gaussian_copula``), :class:`CTGANAdapter`
(``ctgan``), :class:`TVAEAdapter` (``tvae``) and :class:`CopulaGANAdapter` (``copulagan``).
They learn the joint distribution of the table and ignore the DAG's edges; the DAG only gives
each column its type. What they do that plain SDV does not:

* **No leak through the metadata.** SDV's detected metadata stores each column's real minimum
  and maximum to 15 digits; the adapters build it from the DAG's node types only
  (:func:`causalsynth.data.sdv_metadata`): column names and types, never a data value.
* **No leak through clipping.** SDV clips synthetic values into the real ``[min, max]`` range by
  default, which turns every value beyond a real extreme into an exact copy of it (9 to 21 % of
  a column's values on small tables); the adapters turn clipping off. Counts are clipped at 0
  (a bound of the type) and rounded; a continuous column never negative in training is clipped
  at 0 (only its sign is learned); any other value beyond the real range is kept, as a fresh
  draw from the same process could be. The copula models' bounded marginals (beta, uniform,
  truncated normal) return their bound, i.e. the real minimum, when a normal score saturates;
  rows with a value on such a bound are dropped and redrawn.
* **Seeds.** SDV and CTGAN draw from the global numpy, Python and torch generators. Fitting
  (seeded by ``random_state``) and sampling (``sample(seed=...)``) run inside a context that
  seeds them and restores them afterwards: the same seed gives the same table and the caller's
  global random state is left untouched.
* **Quiet, and errors that say what to do.** SDV warnings are logged at DEBUG level to
  ``causalsynth.synthesizers.sdv``; SDV's exceptions become
  :class:`~causalsynth.errors.DataError`, :class:`~causalsynth.errors.InvalidParameterError`
  or :class:`~causalsynth.errors.SynthesizerError`.
* **TVAE speed.** TVAE trains with ``torch.set_flush_denormal(True)``: without it an epoch slows
  from 0.23 s to 0.79 s over training at 20,000 rows (denormal floats); the previous mode is
  restored after the fit.

SDV and torch are imported when a synthesizer is fitted, never by ``import causalsynth``.

References
----------
Patki, Wedge, Veeramachaneni (2016). The Synthetic Data Vault. IEEE DSAA.
Xu, Skoularidou, Cuesta-Infante, Veeramachaneni (2019). Modeling Tabular Data using Conditional
GAN. NeurIPS.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from causalsynth._params import BOOLEAN, SEED, Interval, Options, SequenceOf
from causalsynth._random import as_generator, child_seed
from causalsynth.dag import DAG
from causalsynth.data import sdv_metadata, to_plain_frame
from causalsynth.errors import (
    CausalSynthError,
    DataError,
    InvalidParameterError,
    MarginalRefitWarning,
    SynthesizerError,
)
from causalsynth.synthesizers._copula_marginals import (
    FALLBACK_MARGINAL,
    collapsed_marginals,
    copula_bounds,
    fitted_marginals,
)
from causalsynth.synthesizers._torch import flush_denormal, require_torch
from causalsynth.synthesizers.base import Synthesizer

__all__ = ["CTGANAdapter", "CopulaGANAdapter", "GaussianCopulaAdapter", "SDVAdapter",
           "TVAEAdapter"]

logger = logging.getLogger(__name__)

_TABLE = "table"  # SDV 2.x wants a table name even for one table
#: SDV arguments the adapters set themselves; ``sdv_params`` may not override them.
_MANAGED = frozenset({"metadata", "enforce_min_max_values", "verbose"})
_MAX_DRAWS = 20  # rounds of redrawing rows that fall on a marginal's bound
_POSITIVE = [Interval(int, 1, None)]
_LAYERS = [SequenceOf(Interval(int, 1, None))]
_RATE = [Interval(float, 0, None, closed="neither")]
#: the marginals SDV's copula models know (``GaussianCopulaSynthesizer._DISTRIBUTIONS``)
_DISTRIBUTIONS = [Options({"beta", "norm", "truncnorm", "gamma", "uniform", "gaussian_kde"})]


# ---- helpers: global random state, warnings, errors --------------------------
@contextlib.contextmanager
def _seeded_global_rngs(seed: int) -> Iterator[None]:
    """Seed numpy's, Python's and torch's global generators; restore all three on exit.

    Also runs joblib sequentially: CTGAN's data transformer otherwise starts one process per
    column on tables of 500 rows or more, which doubled the wall time of a 3,000-row fit on
    2 busy cores (117 s against 64 s, same table out).
    """
    import joblib

    torch = require_torch()
    np_state, py_state = np.random.get_state(), random.getstate()
    with torch.random.fork_rng(), joblib.parallel_config(backend="sequential"):
        np.random.seed(seed)
        random.seed(seed)
        torch.manual_seed(seed)
        try:
            yield
        finally:
            np.random.set_state(np_state)
            random.setstate(py_state)


@contextlib.contextmanager
def _quiet_sdv() -> Iterator[None]:
    """SDV warns about metadata, ranges and refits; keep it from reaching the user (logged)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        logger.debug("SDV warning (%s): %s", w.category.__name__, w.message)


def _plain(value: Any) -> Any:
    """A parameter as SDV takes it: numpy scalars as Python numbers, layer sizes as tuples."""
    if isinstance(value, np.generic):
        return value.item()
    return tuple(value) if isinstance(value, list) else value


def _translate(exc: Exception, who: str, step: str) -> CausalSynthError:
    """SDV/CTGAN/torch exceptions -> ours, with what to do."""
    from sdv.errors import InvalidDataError, InvalidDataTypeError, SynthesizerInputError
    from sdv.metadata.errors import InvalidMetadataError

    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, (InvalidDataError, InvalidDataTypeError)):
        return DataError(f"SDV rejected the table while {step} {who!r}: {text}; fix the column(s) "
                         f"it names, or check the table with causalsynth.data.check_data")
    if isinstance(exc, (SynthesizerInputError, InvalidMetadataError)) or step == "setting up":
        return InvalidParameterError(
            f"SDV rejected the parameters of {who!r} while {step}: {text}; check the values "
            f"given to make_synthesizer({who!r}, ...) and the documentation of SDV's class")
    return SynthesizerError(
        f"{who!r} failed while {step} ({type(exc).__name__}: {text}); try more rows, fewer or "
        f"smaller layers, a smaller batch_size, or the 'gaussian_copula' or 'causal' synthesizer")


# ---- the shared adapter -----------------------------------------------------------------
class SDVAdapter(Synthesizer):
    """Base class of the SDV adapters: shared parameters, fit and sample.

    Subclasses name the SDV class (``_sdv_class``) and whether it fits copula marginals; their
    own parameters are passed on to it.

    Parameters
    ----------
    random_state : int, numpy Generator or None
        Seed of the fit (``sample`` takes its own ``seed``).
    progress : bool
        Show a progress bar over epochs (SDV's ``verbose``; the copula has none).
    sdv_params : dict or None
        Further arguments of the SDV synthesizer class (``metadata``,
        ``enforce_min_max_values`` and ``verbose`` are set by the adapter).

    Examples
    --------
    >>> from causalsynth import load_dag, make_synthesizer
    >>> dag = load_dag("acquisition")
    >>> real = dag.simulate(200, seed=0)
    >>> for name in ("ctgan", "tvae", "copulagan"):  # doctest: +SKIP
    ...     print(make_synthesizer(name, epochs=2).fit(real, dag).sample(3, seed=1).shape)
    (3, 6)
    (3, 6)
    (3, 6)
    """

    # parameters every adapter takes (each constructor stores them)
    random_state: int | None
    progress: bool
    sdv_params: dict[str, Any] | None
    _sdv_class: ClassVar[str] = ""
    _has_verbose: ClassVar[bool] = True
    _flush_denormal_in_fit: ClassVar[bool] = False
    #: fits copula marginals, whose finite bounds sit at or near the real extremes
    _copula: ClassVar[bool] = False
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "random_state": [SEED], "progress": [BOOLEAN], "sdv_params": [dict, None]}

    def _more_param_problems(self) -> list[str]:
        managed = sorted(_MANAGED & set(self.sdv_params or {}))
        if not managed:
            return []
        return [f"The 'sdv_params' parameter of {type(self).__name__} may not set {managed}: "
                f"the adapter sets them (metadata from the DAG, no min/max clipping because it "
                f"copies real extremes, 'progress' for verbose); remove them"]

    # -- the template's steps
    def _fit(self, data: pd.DataFrame, dag: DAG) -> None:
        from sdv import single_table
        from sdv.metadata import Metadata

        own = [p for p in self.param_names() if p not in SDVAdapter._parameter_constraints]
        kwargs = {**{p: _plain(getattr(self, p)) for p in own}, **(self.sdv_params or {})}
        if self._has_verbose:
            kwargs["verbose"] = bool(self.progress)
        seed = child_seed(as_generator(self.random_state))
        frame = to_plain_frame(data, dag)
        fit_context = flush_denormal() if self._flush_denormal_in_fit else contextlib.nullcontext()

        def fitted(kwargs: dict[str, Any]) -> Any:
            try:  # a TypeError here is an unknown key in sdv_params
                with _quiet_sdv():
                    metadata = Metadata.load_from_dict(sdv_metadata(dag, _TABLE))
                    model = getattr(single_table, self._sdv_class)(
                        metadata, enforce_min_max_values=False, **kwargs)
            except Exception as exc:
                raise _translate(exc, self.name, "setting up") from exc
            try:
                with _quiet_sdv(), _seeded_global_rngs(seed), fit_context:
                    model.fit({_TABLE: frame})
            except Exception as exc:
                raise _translate(exc, self.name, "fitting") from exc
            return model

        model = fitted(kwargs)
        self.refitted_marginals_: dict[str, str] = {}
        if self._copula:
            collapsed = self._marginals_step(collapsed_marginals, model, data, dag)
            if collapsed:  # refit those columns with another family (module docstring)
                self.refitted_marginals_ = dict.fromkeys(collapsed, FALLBACK_MARGINAL)
                warnings.warn(
                    f"{self.name!r}: the fitted {', '.join(map(repr, collapsed))} marginal(s) "
                    f"collapsed (their quartiles far from the data's), refitted as "
                    f"{FALLBACK_MARGINAL!r}; set numerical_distributions to choose another",
                    MarginalRefitWarning, stacklevel=3)
                kwargs["numerical_distributions"] = {
                    **(kwargs.get("numerical_distributions") or {}), **self.refitted_marginals_}
                model = fitted(kwargs)
        self.model_ = model
        # Sign only: a column never negative in training stays non-negative.
        self.nonnegative_ = [c for c in dag.nodes if dag.node_type(c) == "count"
                             or (dag.node_type(c) == "continuous" and (data[c] >= 0).all())]
        # finite support bounds of the copula models' marginals; none for CTGAN/TVAE
        self.marginal_bounds_ = self._marginals_step(copula_bounds, model, data, dag) \
            if self._copula else {}

    def _marginals_step(self, step: Any, model: Any, data: pd.DataFrame, dag: DAG) -> Any:
        try:
            with _quiet_sdv():
                return step(fitted_marginals(model), data, dag)
        except Exception as exc:
            raise _translate(exc, self.name, "reading the marginals of") from exc

    def _draw(self, n: int, seed: int) -> pd.DataFrame:
        try:
            with _quiet_sdv(), _seeded_global_rngs(seed):
                self.model_.reset_sampling()
                # SDV otherwise reseeds every sample() with one fixed seed.
                self.model_._set_random_state(seed)
                frame = self.model_.sample(n)
        except Exception as exc:
            raise _translate(exc, self.name, "sampling from") from exc
        if isinstance(frame, dict):  # SDV 2.x returns {table: frame}
            frame = frame[_TABLE]
        return frame.reset_index(drop=True)

    def _on_bound(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows with a value on a learned marginal's finite bound: a copy of a real extreme.

        The copula models' beta, uniform and truncated-normal marginals put their bounds at or
        near the real extremes (on 19 rows, the beta's lower bound is the real minimum to the
        last digit); the inverse CDF returns the bound when the normal score saturates (|z| >
        8.3), and SDV's rounding snaps values next to it onto it. Such rows have probability ~0
        under the Gaussian copula; an under-trained CopulaGAN makes many (about 40 % after 2
        epochs on 19 rows), and redrawing truncates its output.
        """
        hit = np.zeros(len(frame), dtype=bool)
        for col, (low, high) in self.marginal_bounds_.items():
            values = frame[col].to_numpy(dtype="float64")
            hit |= (values < low) | (values > high)
        return hit

    def _sample(self, n: int, rng: np.random.Generator, **kwargs) -> pd.DataFrame:
        parts, kept, drawn = [], 0, 0
        for _ in range(_MAX_DRAWS):
            need = n - kept
            # A model that puts many rows on a bound is redrawn with oversampling, in few rounds.
            size = need if drawn == 0 else min(math.ceil(1.2 * need * drawn / max(kept, 1)),
                                               10 * n)
            frame = self._draw(size, child_seed(rng))
            drawn += len(frame)
            frame = frame[~self._on_bound(frame)]
            parts.append(frame)
            kept += len(frame)
            if kept >= n:
                break
        if kept < n:
            raise SynthesizerError(
                f"{self.name!r} put {1 - kept / drawn:.0%} of its rows on a bound of a fitted "
                f"marginal, at or near a column's real minimum or maximum (such rows are dropped, "
                f"as they copy real values); fit it with more epochs or use the "
                f"'gaussian_copula' or 'causal' synthesizer")
        frame = pd.concat(parts, ignore_index=True).iloc[:n].reset_index(drop=True)
        if frame.isna().any().any():
            missing = int(frame.isna().sum().sum())
            raise SynthesizerError(f"{self.name!r} returned {missing} missing values; refit with "
                                   f"more epochs or use another synthesizer")
        for col in self.nonnegative_:
            frame[col] = np.clip(frame[col].astype("float64"), 0.0, None)
        return frame


# ---- the four adapters ------------------------------------------------------------------
class GaussianCopulaAdapter(SDVAdapter):
    """SDV's Gaussian copula: per-column marginals joined by a Gaussian copula.

    Parameters
    ----------
    default_distribution : str
        Marginal for numerical columns: ``"beta"`` (SDV's default), ``"norm"``,
        ``"truncnorm"``, ``"gamma"``, ``"uniform"`` or ``"gaussian_kde"``.
    numerical_distributions : dict or None
        Per-column marginals, e.g. ``{"revenue": "gamma"}``.
    random_state, progress, sdv_params
        As in :class:`SDVAdapter` (no progress bar: the copula fits in about a second).

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("acquisition")
    >>> synth = GaussianCopulaAdapter().fit(dag.simulate(500, seed=0), dag)
    >>> synth.sample(3, seed=1).shape
    (3, 6)
    """

    name: ClassVar[str] = "gaussian_copula"
    _sdv_class: ClassVar[str] = "GaussianCopulaSynthesizer"
    _has_verbose: ClassVar[bool] = False
    _copula: ClassVar[bool] = True
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "default_distribution": _DISTRIBUTIONS, "numerical_distributions": [dict, None],
        **SDVAdapter._parameter_constraints}

    def __init__(self, default_distribution: str = "beta",
                 numerical_distributions: dict[str, str] | None = None,
                 random_state: int | None = 0, progress: bool = False,
                 sdv_params: dict[str, Any] | None = None):
        self.default_distribution = default_distribution
        self.numerical_distributions = numerical_distributions
        self.random_state = random_state
        self.progress = progress
        self.sdv_params = sdv_params


class CTGANAdapter(SDVAdapter):
    """SDV's CTGAN: a conditional GAN with mode-specific normalisation of numerical columns.

    Parameters
    ----------
    epochs : int
        Training epochs (SDV's default 300; about 0.8 s each at 20,000 rows on 2 cores).
    batch_size : int
        Rows per step; an even multiple of ``pac``. CTGAN draws each batch with replacement,
        so a table smaller than the batch (19 rows) trains too, one step per epoch.
    embedding_dim, generator_dim, discriminator_dim : int, tuple of int
        Sizes of the noise vector and of the generator's and discriminator's layers.
    generator_lr, discriminator_lr : float
        Adam learning rates.
    discriminator_steps : int
        Discriminator updates per generator update.
    pac : int
        Rows the discriminator judges together (PacGAN).
    random_state, progress, sdv_params
        As in :class:`SDVAdapter` (``sdv_params`` go to ``sdv.single_table.CTGANSynthesizer``).
    """

    name: ClassVar[str] = "ctgan"
    _sdv_class: ClassVar[str] = "CTGANSynthesizer"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **{p: _POSITIVE for p in ("epochs", "batch_size", "embedding_dim",
                                  "discriminator_steps", "pac")},
        "generator_dim": _LAYERS, "discriminator_dim": _LAYERS,
        "generator_lr": _RATE, "discriminator_lr": _RATE,
        **SDVAdapter._parameter_constraints}

    def __init__(self, epochs: int = 300, batch_size: int = 500, embedding_dim: int = 128,
                 generator_dim: tuple[int, ...] = (256, 256),
                 discriminator_dim: tuple[int, ...] = (256, 256),
                 generator_lr: float = 2e-4, discriminator_lr: float = 2e-4,
                 discriminator_steps: int = 1, pac: int = 10,
                 random_state: int | None = 0, progress: bool = False,
                 sdv_params: dict[str, Any] | None = None):
        self.epochs = epochs
        self.batch_size = batch_size
        self.embedding_dim = embedding_dim
        self.generator_dim = generator_dim
        self.discriminator_dim = discriminator_dim
        self.generator_lr = generator_lr
        self.discriminator_lr = discriminator_lr
        self.discriminator_steps = discriminator_steps
        self.pac = pac
        self.random_state = random_state
        self.progress = progress
        self.sdv_params = sdv_params

    def _more_param_problems(self) -> list[str]:
        problems = super()._more_param_problems()
        if self.batch_size % self.pac or self.batch_size % 2:
            problems.append(
                f"The 'batch_size' parameter of {type(self).__name__} must be an even multiple "
                f"of pac={self.pac} (CTGAN's discriminator judges packs of {self.pac} rows). Got "
                f"{self.batch_size} instead; use e.g. {max(20, self.batch_size // 20 * 20)}.")
        return problems


class CopulaGANAdapter(CTGANAdapter):
    """SDV's CopulaGAN: CTGAN on columns first mapped to normal scores through fitted marginals.

    Takes CTGAN's parameters (see :class:`CTGANAdapter`) plus ``default_distribution``, the
    marginal of numerical columns (SDV's default ``"beta"``; the choices of
    :class:`GaussianCopulaAdapter`).
    """

    name: ClassVar[str] = "copulagan"
    _sdv_class: ClassVar[str] = "CopulaGANSynthesizer"
    _copula: ClassVar[bool] = True
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **CTGANAdapter._parameter_constraints, "default_distribution": _DISTRIBUTIONS}

    def __init__(self, epochs: int = 300, batch_size: int = 500, embedding_dim: int = 128,
                 generator_dim: tuple[int, ...] = (256, 256),
                 discriminator_dim: tuple[int, ...] = (256, 256),
                 generator_lr: float = 2e-4, discriminator_lr: float = 2e-4,
                 discriminator_steps: int = 1, pac: int = 10, default_distribution: str = "beta",
                 random_state: int | None = 0, progress: bool = False,
                 sdv_params: dict[str, Any] | None = None):
        super().__init__(epochs, batch_size, embedding_dim, generator_dim, discriminator_dim,
                         generator_lr, discriminator_lr, discriminator_steps, pac,
                         random_state, progress, sdv_params)
        self.default_distribution = default_distribution


class TVAEAdapter(SDVAdapter):
    """SDV's TVAE: a variational autoencoder for tables (trained with denormals flushed).

    Parameters
    ----------
    epochs : int
        Training epochs (SDV's default 300).
    batch_size : int
        Rows per step (a table smaller than the batch is one step per epoch).
    embedding_dim : int
        Size of the latent space.
    compress_dims, decompress_dims : tuple of int
        Layer sizes of the encoder and decoder.
    l2scale : float
        Weight decay.
    loss_factor : float
        Weight of the reconstruction error in the loss.
    random_state, progress, sdv_params
        As in :class:`SDVAdapter` (``sdv_params`` go to ``sdv.single_table.TVAESynthesizer``).
    """

    name: ClassVar[str] = "tvae"
    _sdv_class: ClassVar[str] = "TVAESynthesizer"
    _flush_denormal_in_fit: ClassVar[bool] = True
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "epochs": _POSITIVE, "batch_size": _POSITIVE, "embedding_dim": _POSITIVE,
        "compress_dims": _LAYERS, "decompress_dims": _LAYERS,
        "l2scale": [Interval(float, 0, None, closed="left")], "loss_factor": _RATE,
        **SDVAdapter._parameter_constraints}

    def __init__(self, epochs: int = 300, batch_size: int = 500, embedding_dim: int = 128,
                 compress_dims: tuple[int, ...] = (128, 128),
                 decompress_dims: tuple[int, ...] = (128, 128),
                 l2scale: float = 1e-5, loss_factor: float = 2.0,
                 random_state: int | None = 0, progress: bool = False,
                 sdv_params: dict[str, Any] | None = None):
        self.epochs = epochs
        self.batch_size = batch_size
        self.embedding_dim = embedding_dim
        self.compress_dims = compress_dims
        self.decompress_dims = decompress_dims
        self.l2scale = l2scale
        self.loss_factor = loss_factor
        self.random_state = random_state
        self.progress = progress
        self.sdv_params = sdv_params
