"""SDV 2.x single-table synthesizers behind the causalsynth contract.

Four adapters: :class:`GaussianCopulaAdapter` (``gaussian_copula``), :class:`CTGANAdapter`
(``ctgan``), :class:`TVAEAdapter` (``tvae``) and :class:`CopulaGANAdapter` (``copulagan``).
They learn the joint distribution of the table and ignore the DAG's edges; the DAG only gives
each column its type.

What the adapters do that plain SDV does not:

* **No leak through the metadata.** SDV's detected metadata stores each column's real minimum
  and maximum to 15 digits. The adapters build the metadata from the DAG's declared node types
  only (continuous -> numerical, count -> numerical with 0 decimals, binary and categorical ->
  categorical), so ``get_metadata()`` holds column names and types, never a data value.
* **No leak through clipping.** SDV clips synthetic values into the real ``[min, max]`` range by
  default (``enforce_min_max_values=True``), which turns every value beyond a real extreme into an
  exact copy of it (9 to 21 % of a column's values on small tables). The adapters always turn
  clipping off. Out-of-range values are handled like this instead: counts are clipped at 0 (a
  bound of the type, not a real value) and rounded; a continuous column whose training values
  are all >= 0 is clipped at 0 (only its sign is learned); any other value beyond the real range
  is kept, as a fresh draw from the same process could be. The copula models' bounded marginals
  (beta, uniform, truncated normal) return their bound, i.e. the real minimum, when a normal
  score saturates; rows with a value on such a bound are dropped and redrawn.
* **Seeds.** SDV and CTGAN draw from the global numpy, Python and torch generators. Training is
  seeded by the constructor's ``random_state`` and sampling by ``sample(seed=...)``; both run
  inside a context that seeds those global generators and restores them afterwards, so the same
  seed gives the same table and the caller's global random state is left untouched.
* **Quiet, and errors that say what to do.** SDV warnings are caught (and logged at DEBUG level
  to ``causalsynth.synthesizers.sdv``); SDV's exceptions become
  :class:`~causalsynth.errors.DataError` or :class:`~causalsynth.errors.SynthesizerError`.
* **TVAE speed.** TVAE trains with ``torch.set_flush_denormal(True)`` (it slows threefold over
  training from denormal floats otherwise); the previous mode is restored after the fit.

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

from causalsynth._random import as_generator, child_seed
from causalsynth.dag import DAG
from causalsynth.errors import CausalSynthError, DataError, MissingDependencyError, SynthesizerError
from causalsynth.synthesizers.base import Synthesizer

__all__ = ["CTGANAdapter", "CopulaGANAdapter", "GaussianCopulaAdapter", "TVAEAdapter"]

logger = logging.getLogger(__name__)

_TABLE = "table"  # SDV 2.x wants a table name even for one table
#: SDV arguments the adapters set themselves; ``sdv_params`` may not override them.
_MANAGED = frozenset({"metadata", "enforce_min_max_values", "verbose"})
_MAX_DRAWS = 20  # rounds of redrawing rows that fall on a marginal's bound


# ---- helpers: imports, metadata, data, global random state ---------------------------------
def _import_sdv():
    try:
        import sdv.single_table as single_table
        from sdv.metadata import Metadata
    except ImportError as exc:  # pragma: no cover - sdv is a dependency
        raise MissingDependencyError(
            "the SDV synthesizers need the 'sdv' package; install it with: pip install 'sdv>=2,<3'"
        ) from exc
    return single_table, Metadata


def _import_torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is a dependency
        raise MissingDependencyError(
            "the SDV neural synthesizers need torch; install the CPU build with: "
            "pip install torch --index-url https://download.pytorch.org/whl/cpu"
        ) from exc
    return torch


def sdv_metadata_dict(dag: DAG) -> dict[str, Any]:
    """SDV 2.x metadata (as a dict) from the DAG's node types alone: it holds no data value.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> sdv_metadata_dict(load_dag("acquisition"))["tables"]["table"]["columns"]["revenue"]
    {'sdtype': 'numerical'}
    """
    columns: dict[str, dict[str, Any]] = {}
    for name in dag.nodes:
        kind = dag.node_type(name)
        if kind == "continuous":
            columns[name] = {"sdtype": "numerical"}
        elif kind == "count":
            columns[name] = {"sdtype": "numerical", "decimal_places": 0}
        else:  # binary and categorical: one-hot in CTGAN/TVAE, frequency-encoded in copulas
            columns[name] = {"sdtype": "categorical"}
    return {"METADATA_SPEC_VERSION": "V2", "tables": {_TABLE: {"columns": columns}},
            "relationships": []}


def _to_sdv_frame(data: pd.DataFrame, dag: DAG) -> pd.DataFrame:
    """SDV's CTGAN refuses pandas 'category' columns: categorical labels go in as text."""
    out = data.copy()
    for name in dag.nodes:
        if dag.node_type(name) == "categorical":
            out[name] = out[name].astype(str).astype(object)
    return out


@contextlib.contextmanager
def _seeded_global_rngs(seed: int) -> Iterator[None]:
    """Seed numpy's, Python's and torch's global generators; restore all three on exit.

    Also runs joblib sequentially: CTGAN's data transformer otherwise starts one process per
    column on tables of 500 rows or more, which doubled the wall time of a 3,000-row fit on
    2 busy cores (117 s against 64 s, same table out).
    """
    import joblib

    torch = _import_torch()
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


def _flush_denormal_enabled(torch) -> bool:
    """torch has a setter but no getter: a denormal float32 times one is 0 when flushing."""
    return bool((torch.tensor([1e-39], dtype=torch.float32) * 1.0).item() == 0.0)


@contextlib.contextmanager
def _flush_denormal() -> Iterator[None]:
    torch = _import_torch()
    before = _flush_denormal_enabled(torch)
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(before)


@contextlib.contextmanager
def _quiet_sdv() -> Iterator[None]:
    """SDV warns about metadata, ranges and refits; keep it from reaching the user (logged)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        logger.debug("SDV warning (%s): %s", w.category.__name__, w.message)


def _translate(exc: Exception, who: str, step: str) -> CausalSynthError:
    """SDV/CTGAN/torch exceptions -> ours, with what to do."""
    from sdv.errors import InvalidDataError, InvalidDataTypeError, SynthesizerInputError
    from sdv.metadata.errors import InvalidMetadataError

    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, (InvalidDataError, InvalidDataTypeError)):
        return DataError(f"SDV rejected the table while {step} {who!r}: {text}; fix the column(s) "
                         f"it names, or check the table with causalsynth.data.check_data")
    if isinstance(exc, (SynthesizerInputError, InvalidMetadataError)) or step == "setting up":
        return SynthesizerError(f"SDV rejected the parameters of {who!r} while {step}: {text}; "
                                f"check the values given to make_synthesizer({who!r}, ...)")
    return SynthesizerError(
        f"{who!r} failed while {step} ({type(exc).__name__}: {text}); try more rows, fewer or "
        f"smaller layers, a smaller batch_size, or the 'gaussian_copula' or 'causal' synthesizer"
    )


def _fitted_univariates(model) -> dict[str, Any]:
    """The copula marginals SDV actually fitted, per column.

    ``get_learned_distributions()`` reports the requested family even where SDV fell back to
    another (a beta fit that fails becomes a Gaussian), so the fitted objects are read instead.
    """
    from sdv.single_table import GaussianCopulaSynthesizer

    copula = getattr(model, "_model", None)
    if isinstance(model, GaussianCopulaSynthesizer) and hasattr(copula, "univariates"):
        return dict(zip(copula.columns, copula.univariates, strict=True))
    normalizer = getattr(model, "_gaussian_normalizer_hyper_transformer", None)
    if hasattr(normalizer, "field_transformers"):
        return {col: t._univariate for col, t in normalizer.field_transformers.items()
                if hasattr(t, "_univariate")}
    raise SynthesizerError(  # pragma: no cover - guards an SDV upgrade
        f"cannot read the fitted marginals of SDV's {type(model).__name__} (SDV changed); "
        f"pin sdv<3 or report this to causalsynth"
    )


def _copula_bounds(model, data: pd.DataFrame, dag: DAG) -> dict[str, tuple[float, float]]:
    """Per continuous column, the band ``(low, high)`` outside which a value sits on a bound.

    The band is the support ``[ppf(0), ppf(1)]`` of the fitted copula marginal, shrunk by
    half of SDV's rounding unit (SDV rounds synthetic values to the decimals of the real data,
    which turns a value a float's width from the real minimum into the minimum itself) and by
    a relative 1e-9.
    """
    from rdt.transformers.utils import learn_rounding_digits

    bounds: dict[str, tuple[float, float]] = {}
    for col, univariate in _fitted_univariates(model).items():
        if col not in dag.nodes or dag.node_type(col) != "continuous":
            continue
        low, high = (float(v) for v in np.ravel(univariate.ppf(np.array([0.0, 1.0]))))
        digits = learn_rounding_digits(data[col])
        half_unit = 0.0 if digits is None else 0.5 * 10.0 ** -digits
        low += max(half_unit, 1e-9 * abs(low)) if np.isfinite(low) else 0.0
        high -= max(half_unit, 1e-9 * abs(high)) if np.isfinite(high) else 0.0
        if np.isfinite(low) or np.isfinite(high):
            bounds[col] = (low, high)
    return bounds


# ---- the shared adapter -----------------------------------------------------------------
class _SDVAdapter(Synthesizer):
    """Shared fit/sample logic; subclasses name the SDV class and its arguments."""

    _sdv_class: ClassVar[str] = ""
    _has_verbose: ClassVar[bool] = True
    _flush_denormal_in_fit: ClassVar[bool] = False

    # -- subclass hooks
    def _sdv_kwargs(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_params(self) -> None:
        """Validate parameters at fit time (constructors only store them)."""
        if self.random_state is not None and (
            isinstance(self.random_state, bool)
            or not isinstance(self.random_state, (int, np.integer)) or self.random_state < 0
        ):
            raise CausalSynthError(f"The 'random_state' parameter of {type(self).__name__} must "
                                   f"be an int >= 0 or None. Got {self.random_state!r} instead.")
        if self.sdv_params is not None and not isinstance(self.sdv_params, dict):
            raise CausalSynthError(f"The 'sdv_params' parameter of {type(self).__name__} must be "
                                   f"a dict or None. Got {self.sdv_params!r} instead.")
        managed = sorted(_MANAGED & set(self.sdv_params or {}))
        if managed:
            raise CausalSynthError(
                f"sdv_params of {type(self).__name__} may not set {managed}: the adapter sets "
                f"them (metadata from the DAG, no min/max clipping because it copies real "
                f"extremes, 'progress' for verbose); remove them"
            )

    # -- the template's steps
    def _fit(self, data: pd.DataFrame, dag: DAG) -> None:
        self._check_params()
        single_table, Metadata = _import_sdv()
        kwargs = {**self._sdv_kwargs(), **(self.sdv_params or {})}
        if self._has_verbose:
            kwargs["verbose"] = bool(self.progress)
        seed = child_seed(as_generator(self.random_state))
        frame = _to_sdv_frame(data, dag)
        fit_context = _flush_denormal() if self._flush_denormal_in_fit else contextlib.nullcontext()
        try:
            with _quiet_sdv():
                metadata = Metadata.load_from_dict(sdv_metadata_dict(dag))
                model = getattr(single_table, self._sdv_class)(
                    metadata, enforce_min_max_values=False, **kwargs)
        except TypeError as exc:  # an unknown key in sdv_params
            raise SynthesizerError(f"bad SDV parameter for {self.name!r}: {exc}; see the "
                                   f"documentation of sdv.single_table.{self._sdv_class}") from exc
        except Exception as exc:
            raise _translate(exc, self.name, "setting up") from exc
        try:
            with _quiet_sdv(), _seeded_global_rngs(seed), fit_context:
                model.fit({_TABLE: frame})
        except Exception as exc:
            raise _translate(exc, self.name, "fitting") from exc
        self.model_ = model
        # Sign only: a column never negative in training stays non-negative.
        self.nonnegative_ = [c for c in dag.nodes if dag.node_type(c) == "count"
                             or (dag.node_type(c) == "continuous" and (data[c] >= 0).all())]
        try:
            with _quiet_sdv():
                self.marginal_bounds_ = self._marginal_bounds(data, dag)
        except Exception as exc:
            raise _translate(exc, self.name, "reading the marginals of") from exc

    def _marginal_bounds(self, data: pd.DataFrame, dag: DAG) -> dict[str, tuple[float, float]]:
        """Finite support bounds of learned marginals (copula models); none for CTGAN/TVAE."""
        return {}

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
        """Rows with a value on a learned marginal's finite bound.

        The beta, uniform and truncated-normal marginals of the copula models put their bounds
        at or near the real minimum or maximum (on 19 rows, the beta's lower bound is the real
        minimum to the last digit); the inverse CDF returns the
        bound itself when the normal score saturates (|z| > 8.3 gives CDF == 1.0), and SDV's
        rounding to the real decimals snaps values next to it onto it. Such a value is a copy
        of a real extreme. Under the Gaussian copula these rows have probability ~0, so
        redrawing them changes nothing; an under-trained CopulaGAN generator saturates often
        (about 40 % of rows after 2 epochs on 19 rows), and redrawing truncates its output.
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
                f"marginal, at or near a column's real minimum or maximum (such rows are "
                f"dropped, as they copy real values); fit it with "
                f"more epochs or use the 'gaussian_copula' or 'causal' synthesizer"
            )
        frame = pd.concat(parts, ignore_index=True).iloc[:n].reset_index(drop=True)
        if frame.isna().any().any():
            raise SynthesizerError(
                f"{self.name!r} returned {int(frame.isna().sum().sum())} missing values; refit "
                f"with more epochs or use another synthesizer"
            )
        for col in self.nonnegative_:
            frame[col] = np.clip(frame[col].astype("float64"), 0.0, None)
        return frame


class _GANParams:
    """CTGAN-style parameter checks, shared by ``ctgan`` and ``copulagan``."""

    def _check_gan(self) -> None:
        cls = type(self).__name__
        for p in ("epochs", "batch_size", "pac", "embedding_dim", "discriminator_steps"):
            v = getattr(self, p)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise CausalSynthError(
                    f"The '{p}' parameter of {cls} must be an int >= 1. Got {v!r} instead.")
        if self.batch_size % self.pac or self.batch_size % 2:
            raise CausalSynthError(
                f"The 'batch_size' parameter of {cls} must be an even multiple of pac="
                f"{self.pac} (CTGAN's discriminator judges packs of {self.pac} rows). Got "
                f"{self.batch_size} instead; use e.g. {max(20, self.batch_size // 20 * 20)}.")

    def _gan_kwargs(self) -> dict[str, Any]:
        return {
            "epochs": int(self.epochs),
            "batch_size": int(self.batch_size),
            "pac": int(self.pac),
            "embedding_dim": int(self.embedding_dim),
            "generator_dim": tuple(self.generator_dim),
            "discriminator_dim": tuple(self.discriminator_dim),
            "generator_lr": float(self.generator_lr),
            "discriminator_lr": float(self.discriminator_lr),
            "discriminator_steps": int(self.discriminator_steps),
        }


# ---- the four adapters ------------------------------------------------------------------
class GaussianCopulaAdapter(_SDVAdapter):
    """SDV's Gaussian copula: per-column marginals joined by a Gaussian copula.

    Parameters
    ----------
    default_distribution : str
        Marginal for numerical columns: ``"beta"`` (SDV's default), ``"norm"``,
        ``"truncnorm"``, ``"gamma"``, ``"uniform"`` or ``"gaussian_kde"``.
    numerical_distributions : dict or None
        Per-column marginals, e.g. ``{"revenue": "gamma"}``.
    random_state : int or None
        Seed of the fit (``sample`` takes its own ``seed``).
    progress : bool
        Accepted for a uniform interface; the copula fits in about a second.
    sdv_params : dict or None
        Further arguments of ``sdv.single_table.GaussianCopulaSynthesizer``
        (``enforce_min_max_values`` and ``metadata`` are set by the adapter).

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("acquisition")
    >>> synth = GaussianCopulaAdapter().fit(dag.simulate(500, seed=0), dag)
    >>> synth.sample(3, seed=1).shape
    (3, 6)

    References
    ----------
    Patki, Wedge, Veeramachaneni (2016). The Synthetic Data Vault. IEEE DSAA.
    """

    name: ClassVar[str] = "gaussian_copula"
    min_rows: ClassVar[int] = 10
    _sdv_class: ClassVar[str] = "GaussianCopulaSynthesizer"
    _has_verbose: ClassVar[bool] = False

    def __init__(self, default_distribution: str = "beta",
                 numerical_distributions: dict[str, str] | None = None,
                 random_state: int | None = 0, progress: bool = False,
                 sdv_params: dict[str, Any] | None = None):
        self.default_distribution = default_distribution
        self.numerical_distributions = numerical_distributions
        self.random_state = random_state
        self.progress = progress
        self.sdv_params = sdv_params

    def _marginal_bounds(self, data: pd.DataFrame, dag: DAG) -> dict[str, tuple[float, float]]:
        return _copula_bounds(self.model_, data, dag)

    def _sdv_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"default_distribution": self.default_distribution}
        if self.numerical_distributions:
            kwargs["numerical_distributions"] = dict(self.numerical_distributions)
        return kwargs


class CTGANAdapter(_GANParams, _SDVAdapter):
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
    random_state : int or None
        Seed of the fit (``sample`` takes its own ``seed``).
    progress : bool
        Show a progress bar over epochs (SDV's ``verbose``).
    sdv_params : dict or None
        Further arguments of ``sdv.single_table.CTGANSynthesizer``.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("acquisition")
    >>> synth = CTGANAdapter(epochs=2).fit(dag.simulate(200, seed=0), dag)  # doctest: +SKIP
    >>> synth.sample(3, seed=1).shape  # doctest: +SKIP
    (3, 6)

    References
    ----------
    Xu, Skoularidou, Cuesta-Infante, Veeramachaneni (2019). Modeling Tabular Data using
    Conditional GAN. NeurIPS.
    """

    name: ClassVar[str] = "ctgan"
    min_rows: ClassVar[int] = 10
    _sdv_class: ClassVar[str] = "CTGANSynthesizer"

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

    def _check_params(self) -> None:
        super()._check_params()
        self._check_gan()

    def _sdv_kwargs(self) -> dict[str, Any]:
        return self._gan_kwargs()


class CopulaGANAdapter(CTGANAdapter):
    """SDV's CopulaGAN: CTGAN on columns first mapped to normal scores through fitted marginals.

    Takes CTGAN's parameters plus ``default_distribution`` (the marginal of numerical
    columns, SDV's default ``"beta"``).

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("acquisition")
    >>> synth = CopulaGANAdapter(epochs=2).fit(dag.simulate(200, seed=0), dag)  # doctest: +SKIP
    >>> synth.sample(3, seed=1).shape  # doctest: +SKIP
    (3, 6)

    References
    ----------
    Xu, Skoularidou, Cuesta-Infante, Veeramachaneni (2019). Modeling Tabular Data using
    Conditional GAN. NeurIPS. Patki, Wedge, Veeramachaneni (2016). The Synthetic Data Vault.
    """

    name: ClassVar[str] = "copulagan"
    _sdv_class: ClassVar[str] = "CopulaGANSynthesizer"

    def __init__(self, epochs: int = 300, batch_size: int = 500, embedding_dim: int = 128,
                 generator_dim: tuple[int, ...] = (256, 256),
                 discriminator_dim: tuple[int, ...] = (256, 256),
                 generator_lr: float = 2e-4, discriminator_lr: float = 2e-4,
                 discriminator_steps: int = 1, pac: int = 10,
                 default_distribution: str = "beta",
                 random_state: int | None = 0, progress: bool = False,
                 sdv_params: dict[str, Any] | None = None):
        super().__init__(epochs=epochs, batch_size=batch_size, embedding_dim=embedding_dim,
                         generator_dim=generator_dim, discriminator_dim=discriminator_dim,
                         generator_lr=generator_lr, discriminator_lr=discriminator_lr,
                         discriminator_steps=discriminator_steps, pac=pac,
                         random_state=random_state, progress=progress, sdv_params=sdv_params)
        self.default_distribution = default_distribution

    def _marginal_bounds(self, data: pd.DataFrame, dag: DAG) -> dict[str, tuple[float, float]]:
        return _copula_bounds(self.model_, data, dag)

    def _sdv_kwargs(self) -> dict[str, Any]:
        return {**super()._sdv_kwargs(), "default_distribution": self.default_distribution}


class TVAEAdapter(_SDVAdapter):
    """SDV's TVAE: a variational autoencoder for tables.

    Trains with ``torch.set_flush_denormal(True)``: without it an epoch slows from 0.23 s to
    0.79 s over training at 20,000 rows (denormal floats), with it it stays at 0.24 s.

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
    random_state : int or None
        Seed of the fit (``sample`` takes its own ``seed``).
    progress : bool
        Show a progress bar over epochs (SDV's ``verbose``).
    sdv_params : dict or None
        Further arguments of ``sdv.single_table.TVAESynthesizer``.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("acquisition")
    >>> synth = TVAEAdapter(epochs=2).fit(dag.simulate(200, seed=0), dag)  # doctest: +SKIP
    >>> synth.sample(3, seed=1).shape  # doctest: +SKIP
    (3, 6)

    References
    ----------
    Xu, Skoularidou, Cuesta-Infante, Veeramachaneni (2019). Modeling Tabular Data using
    Conditional GAN. NeurIPS.
    """

    name: ClassVar[str] = "tvae"
    min_rows: ClassVar[int] = 10
    _sdv_class: ClassVar[str] = "TVAESynthesizer"
    _flush_denormal_in_fit: ClassVar[bool] = True

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

    def _check_params(self) -> None:
        super()._check_params()
        for p in ("epochs", "batch_size", "embedding_dim"):
            v = getattr(self, p)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise CausalSynthError(f"The '{p}' parameter of {type(self).__name__} must be "
                                       f"an int >= 1. Got {v!r} instead.")

    def _sdv_kwargs(self) -> dict[str, Any]:
        return {"epochs": int(self.epochs), "batch_size": int(self.batch_size),
                "embedding_dim": int(self.embedding_dim),
                "compress_dims": tuple(self.compress_dims),
                "decompress_dims": tuple(self.decompress_dims),
                "l2scale": float(self.l2scale), "loss_factor": float(self.loss_factor)}
