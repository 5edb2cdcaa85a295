"""Shared helpers of the torch synthesizers (``diffusion``, ``wgan``).

* :class:`TorchSynthesizer` is their base class: the parameters both take (``max_seconds``,
  ``n_threads``, ``device``, ``random_state``, ``progress``) and their constraints, encoding
  the table before training, seeding (torch's global generators forked, seeded and restored,
  so fits and samples are reproducible and the caller's random state is untouched) and
  sampling in chunks.
* :func:`require_torch` imports torch, or raises :class:`~causalsynth.errors.MissingDependencyError`
  saying what to install. Only the torch synthesizer modules call it, so ``import causalsynth``
  never imports torch.
* :func:`resolve_device` turns ``device=None | "cpu" | "auto" | "cuda"`` into a torch device.
* :class:`Monitor` keeps a training run's time, progress bar, best weights and patience.
* :class:`TabularEncoder` (plain numpy, used only by the torch models) maps a typed table (see
  :func:`causalsynth.data.check_data`) to a numeric block (quantile transform to a standard
  normal) and integer codes of categorical blocks, and back.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from causalsynth._params import BOOLEAN, SEED, Interval, Options, Pattern
from causalsynth._random import as_generator, child_seed
from causalsynth.dag import DAG
from causalsynth.errors import MissingDependencyError, SynthesizerError
from causalsynth.synthesizers.base import Synthesizer

__all__ = [
    "Monitor",
    "TabularEncoder",
    "TorchSynthesizer",
    "flush_denormal",
    "flush_denormal_enabled",
    "require_torch",
    "resolve_device",
]

#: a continuous value held by at least this share of rows (and >= 2 rows) is a point mass
ATOM_SHARE = 0.01
#: a count column with at most this many distinct values is coded as a category
MAX_COUNT_LEVELS = 20
#: most knots a quantile transform keeps (more rows are summarised by quantiles)
MAX_KNOTS = 1000


# ---- torch, devices, seeds ------------------------------------------------------------
def require_torch() -> Any:
    """Import and return torch, or raise MissingDependencyError naming the fix."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - torch is a dependency of the test env
        raise MissingDependencyError(
            "the neural synthesizers ('diffusion', 'wgan', 'ctgan', 'tvae', 'copulagan') need "
            "PyTorch, which is not installed; install the CPU build with: pip install torch",
            name="torch",
        ) from exc
    return torch


def flush_denormal_enabled(torch: Any) -> bool:
    """torch has a setter but no getter: a denormal float32 times one is 0 when flushing."""
    return bool((torch.tensor([1e-39], dtype=torch.float32) * 1.0).item() == 0.0)


@contextlib.contextmanager
def flush_denormal() -> Iterator[None]:
    """Flush denormal floats to zero inside the block (much faster training on some CPUs);
    the previous mode is restored afterwards."""
    torch = require_torch()
    before = flush_denormal_enabled(torch)
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(before)


def resolve_device(device: str | None) -> Any:
    """``None``/``"cpu"`` -> CPU; ``"auto"`` -> the first CUDA GPU when torch sees one, else
    CPU; ``"cuda[:i]"`` -> that GPU; ``"mps[:i]"`` -> Apple's GPU.

    ``device`` is one that the torch synthesizers' ``device`` parameter accepts. Raises
    :class:`SynthesizerError` when the GPU asked for is not there (no CUDA, a CPU-only torch
    build, an index beyond the GPUs present), before any work.

    >>> resolve_device("cpu").type
    'cpu'
    """
    torch = require_torch()
    if device is None or device == "cpu":
        return torch.device("cpu")
    if device == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    fix = "use device='cpu', or device='auto' to take a GPU only when one is present"
    if dev.type == "cuda" and not torch.cuda.is_available():
        build = " (a CPU-only build)" if torch.version.cuda is None else ""
        raise SynthesizerError(
            f"device={device!r} was requested but torch {torch.__version__}{build} sees no "
            f"CUDA GPU; {fix}")
    if dev.type == "cuda" and (dev.index or 0) >= torch.cuda.device_count():
        raise SynthesizerError(
            f"device={device!r} was requested but torch sees {torch.cuda.device_count()} CUDA "
            f"GPU(s) (cuda:0 to cuda:{torch.cuda.device_count() - 1}); {fix}")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise SynthesizerError(f"device={device!r} was requested but torch sees no Apple MPS "
                               f"GPU; {fix}")
    return dev


class Monitor:
    """Bookkeeping of one training run: wall time, a progress bar, the best weights, patience.

    Used as ``with Monitor(...) as monitor:`` around the epochs. ``check(score)`` records a
    score (lower is better); a score below the best by more than ``min_gain`` (relative) keeps
    a copy of ``module``'s weights, and ``check`` returns True once ``patience`` checks in a
    row brought none. ``exhausted()`` says whether ``max_seconds`` (None: never) have passed.
    On exit the bar is closed and the best weights are loaded back; when no score was finite,
    :class:`SynthesizerError` says ``failure`` (what went wrong and what to do).
    """

    def __init__(self, module: Any, *, epochs: int, patience: int, max_seconds: float | None,
                 progress: bool, desc: str, failure: str, label: str = "score",
                 min_gain: float = 0.0):
        from tqdm.auto import tqdm

        self.module, self.patience, self.max_seconds = module, patience, max_seconds
        self.failure, self.label, self.min_gain = failure, label, min_gain
        self.best, self.best_state, self.bad = math.inf, None, 0
        self.scores: list[float] = []
        self.bar = tqdm(total=epochs, disable=not progress, desc=desc, leave=False)
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def exhausted(self) -> bool:
        return self.max_seconds is not None and self.elapsed() > self.max_seconds

    def check(self, score: float) -> bool:
        self.scores.append(score)
        self.bar.set_postfix({self.label: f"{score:.4f}"})
        best = self.best
        if score < best - self.min_gain * abs(best if math.isfinite(best) else 1.0):
            self.best, self.bad = score, 0
            self.best_state = copy.deepcopy(self.module.state_dict())
        else:
            self.bad += 1
        return self.bad >= self.patience

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        self.bar.close()
        if self.best_state is not None:
            self.module.load_state_dict(self.best_state)
        if exc_type is None and not math.isfinite(self.best):
            raise SynthesizerError(self.failure)


# ---- the base class ----------------------------------------------------------------------
class TorchSynthesizer(Synthesizer):
    """Base class of the torch synthesizers: their shared parameters and steps.

    ``fit`` encodes the table (:class:`TabularEncoder`) and hands it to the subclass's
    ``_fit_encoded(num, cat, seed, rng)``; ``sample`` draws 50,000 rows at a time with the
    subclass's ``_draw(m, gen)``, which returns ``m`` rows as (numeric tensor, codes tensor).
    Subclasses extend ``_parameter_constraints`` with their own parameters.

    Parameters
    ----------
    max_seconds : float or None
        Wall-time cap on training; ``None`` (default) keeps fits reproducible across machines
        (a time cap stops at a machine-dependent point).
    n_threads : int or None
        CPU threads torch may use while fitting and sampling (restored afterwards); ``None``
        leaves torch's setting. On a CPU shared with other busy processes, 1 thread is often
        several times faster than 2.
    device : str or None
        ``None``/``"cpu"``, ``"auto"`` (the first CUDA GPU when torch sees one, else the CPU) or
        a torch device such as ``"cuda"`` or ``"cuda:1"``. Fits and samples reproduce for a
        seed on one device; a CPU and a GPU give different tables for the same seed.
    random_state : int, numpy Generator or None
        Seed of the training run (initialisation, batches, noise).
    progress : bool
        Show a tqdm progress bar while training.
    """

    # the shared parameters (each subclass's constructor stores them)
    n_threads: int | None
    device: str | None
    random_state: int | None
    progress: bool
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "max_seconds": [Interval(float, 0, None, closed="neither"), None],
        "n_threads": [Interval(int, 1, None), None],
        "device": [Options({"auto", "cpu", "cuda", "mps"}),
                   Pattern(r"(cuda|mps):\d+", "a str such as 'cuda:0'"), None],
        "random_state": [SEED],
        "progress": [BOOLEAN],
    }

    def _fit(self, data: pd.DataFrame, dag: DAG) -> None:
        self.device_ = resolve_device(self.device)
        state = self.random_state  # an int is the seed itself; else drawn (None: entropy)
        seed = (int(state) if isinstance(state, (int, np.integer))
                else child_seed(as_generator(state)))
        rng = np.random.default_rng(seed)
        self.encoder_ = TabularEncoder().fit(data, dag, rng)
        num, cat = self.encoder_.transform(data, rng)
        self._fit_encoded(num, cat, seed, rng)

    @contextlib.contextmanager
    def _seeded(self, seed: int) -> Iterator[Any]:
        """Fork torch's global generators, seed them with ``seed``, restore them on exit.

        Yields a ``torch.Generator`` on ``device_`` seeded with ``seed`` for explicit draws.
        Module initialisation and dropout use the (forked) global generator, so they are
        reproducible too and the caller's state is untouched. torch's CPU threads are set to
        ``n_threads`` inside the block and restored.
        """
        torch, device = require_torch(), self.device_
        cuda = [device.index or 0] if device.type == "cuda" else []
        threads = torch.get_num_threads()
        with torch.random.fork_rng(devices=cuda):
            torch.random.default_generator.manual_seed(seed)
            if cuda:
                with torch.cuda.device(cuda[0]):
                    torch.cuda.manual_seed(seed)
            gen = torch.Generator(device=device)
            gen.manual_seed(seed)
            try:
                if self.n_threads is not None:
                    torch.set_num_threads(int(self.n_threads))
                yield gen
            finally:
                torch.set_num_threads(threads)

    def _fit_encoded(self, num: np.ndarray, cat: np.ndarray, seed: int,
                     rng: np.random.Generator) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _draw(self, m: int, gen: Any) -> tuple[Any, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _sample(self, n: int, rng: np.random.Generator, **kwargs: Any) -> pd.DataFrame:
        torch = require_torch()
        nums, codes = [], []
        with self._seeded(child_seed(rng)) as gen, torch.no_grad():
            for start in range(0, n, 50_000):  # in chunks: memory stays bounded for large n
                num, code = self._draw(min(50_000, n - start), gen)
                nums.append(num.cpu().numpy())
                codes.append(code.cpu().numpy())
        num = np.concatenate(nums)[:, :self.encoder_.n_numeric]
        return self.encoder_.inverse_transform(num, np.concatenate(codes))


# ---- the tabular encoder ---------------------------------------------------------------
@dataclass
class _Numeric:
    """Quantile transform of one numeric column to N(0, 1).

    ``knots``: strictly increasing values, ``probs``: their CDF positions in (0, 1). Inverse
    values interpolate between neighbouring knots, so they are never a knot itself except on a
    set of measure zero; latent values beyond the range are folded back into it at the middle
    of the two outermost intervals, so the real minimum and maximum are never copied.
    """

    name: str
    knots: np.ndarray
    probs: np.ndarray
    integer: bool = False
    atoms: list[float] = field(default_factory=list)
    atom_block: int | None = None  # index of the categorical block saying "which atom / none"

    @property
    def bounds(self) -> tuple[float, float]:
        p = self.probs
        if len(p) < 3:
            return float(p[0]), float(p[-1])
        return float((p[0] + p[1]) / 2), float((p[-2] + p[-1]) / 2)

    def forward(self, x: np.ndarray) -> np.ndarray:
        u = np.interp(x, self.knots, self.probs)
        return ndtri(u)

    def inverse(self, z: np.ndarray) -> np.ndarray:
        lo, hi = self.bounds
        z_lo, z_hi = ndtri(lo), ndtri(hi)
        z = np.nan_to_num(np.asarray(z, dtype=float), nan=0.0, posinf=z_hi, neginf=z_lo)
        # fold the latent into [z_lo, z_hi] (a triangle wave) instead of clipping it: values
        # beyond the range stay distinct, so neither the real extremes nor a pile of identical
        # values at the edges appear; folding in z, not in u, keeps far tails distinct
        width = z_hi - z_lo
        w = np.mod(z - z_lo, 2 * width)
        z = z_lo + np.where(w <= width, w, 2 * width - w)
        u = np.clip(ndtr(z), lo, hi)
        return np.interp(u, self.probs, self.knots)


@dataclass
class _Categorical:
    """Integer codes of one categorical block (a categorical/binary column or a point-mass flag)."""

    name: str
    values: list[Any]  # the observed levels, in code order

    @property
    def size(self) -> int:
        return len(self.values)


def _fit_numeric(name: str, x: np.ndarray, integer: bool) -> _Numeric:
    values, counts = np.unique(x, return_counts=True)
    n = len(x)
    if len(values) <= MAX_KNOTS:
        # knots at the unique values, probabilities at their mid-ranks (ties share one place)
        cum = np.cumsum(counts)
        probs = (cum - counts / 2) / n
        knots = values.astype(float)
    else:
        probs = (np.arange(MAX_KNOTS) + 0.5) / MAX_KNOTS
        knots = np.quantile(x, probs)
        keep = np.concatenate([[True], np.diff(knots) > 0])
        knots, probs = knots[keep], probs[keep]
    if len(knots) == 1:  # one value only: spread it so the transform stays invertible
        knots = np.array([knots[0] - 0.5, knots[0] + 0.5])
        probs = np.array([0.25, 0.75])
    return _Numeric(name=name, knots=knots, probs=probs, integer=integer)


class TabularEncoder:
    """Mixed-type table <-> (numeric block ~ N(0, 1), categorical codes).

    * continuous: quantile transform to a standard normal; a value held by >= 1 % of the rows
      (and >= 2 rows), such as the zeros of an off-air spend, is a *point mass*: it gets a
      categorical block "which point mass, or none", and the transform is fitted on the other
      rows (point-mass rows get standard-normal filler in the numeric block, ignored on decoding);
    * count: categorical when it has at most 20 levels, else quantile-transformed after adding
      uniform noise in [-0.5, 0.5) (dequantisation) and rounded on decoding;
    * binary and categorical: codes of the observed levels (one-hot is left to the models).

    Decoded continuous values interpolate between real quantiles and never equal a real value
    (other than a point mass); see ``_Numeric``. The fitted encoder holds real quantiles, like
    any quantile transformer: share the synthetic table, not the fitted object.

    Examples
    --------
    >>> from causalsynth import load_dag
    >>> dag = load_dag("saturation")
    >>> enc = TabularEncoder().fit(dag.simulate(300, seed=0), dag, np.random.default_rng(0))
    >>> num, cat = enc.transform(dag.simulate(10, seed=1), np.random.default_rng(1))
    >>> num.shape[0], cat.shape[0]
    (10, 10)
    """

    def fit(self, data: pd.DataFrame, dag: DAG, rng: np.random.Generator) -> TabularEncoder:
        self.columns_: list[str] = [str(c) for c in data.columns]
        self.numeric_: list[_Numeric] = []
        self.blocks_: list[_Categorical] = []
        self.kinds_: dict[str, tuple[str, int]] = {}  # column -> ("num"|"cat", index)
        for col in self.columns_:
            kind = dag.node_type(col)
            series = data[col]
            if kind == "categorical":
                present = set(series.astype(str))
                levels = [c for c in dag.node(col).categories or () if c in present]
                self._add_block(col, levels)
            elif kind == "binary" or (kind == "count" and series.nunique() <= MAX_COUNT_LEVELS):
                self._add_block(col, sorted(int(v) for v in series.unique()))
            elif kind == "count":
                x = series.to_numpy(float) + rng.uniform(-0.5, 0.5, len(series))
                self.kinds_[col] = ("num", len(self.numeric_))
                self.numeric_.append(_fit_numeric(col, x, integer=True))
            else:
                self._add_continuous(col, series.to_numpy(float))
        return self

    def _add_block(self, col: str, levels: list[Any]) -> None:
        self.kinds_[col] = ("cat", len(self.blocks_))
        self.blocks_.append(_Categorical(col, levels))

    def _add_continuous(self, col: str, x: np.ndarray) -> None:
        values, counts = np.unique(x, return_counts=True)
        min_count = max(2, int(np.ceil(ATOM_SHARE * len(x))))
        atoms = [float(v) for v, c in zip(values, counts, strict=True) if c >= min_count]
        rest = x[~np.isin(x, atoms)] if atoms else x
        if len(rest) < 2:  # (almost) only point masses: keep the column numeric as it is
            atoms, rest = [], x
        spec = _fit_numeric(col, rest, integer=False)
        if atoms:
            spec.atoms = atoms
            spec.atom_block = len(self.blocks_)
            self.blocks_.append(_Categorical(f"{col}__mass", [*atoms, None]))
        self.kinds_[col] = ("num", len(self.numeric_))
        self.numeric_.append(spec)

    # ---- shapes --------------------------------------------------------------------------
    @property
    def n_numeric(self) -> int:
        """Width of the numeric block."""
        return len(self.numeric_)

    @property
    def cat_sizes(self) -> list[int]:
        """Number of levels of each categorical block."""
        return [b.size for b in self.blocks_]

    # ---- encoding ------------------------------------------------------------------------
    def transform(self, data: pd.DataFrame,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(numeric block float32 [n, n_numeric], codes int64 [n, n_blocks])."""
        n = len(data)
        num = np.zeros((n, self.n_numeric), dtype=np.float32)
        cat = np.zeros((n, len(self.blocks_)), dtype=np.int64)
        for col in self.columns_:
            kind, i = self.kinds_[col]
            series = data[col]
            if kind == "cat":
                levels = self.blocks_[i].values
                labels = series.astype(str) if isinstance(levels[0], str) else series.astype(int)
                codes = pd.Categorical(labels, categories=levels).codes
                cat[:, i] = np.where(codes < 0, 0, codes)  # unseen level -> first (never at fit)
                continue
            spec = self.numeric_[i]
            x = series.to_numpy(float)
            if spec.integer:
                x = x + rng.uniform(-0.5, 0.5, n)
            z = spec.forward(x)
            if spec.atom_block is not None:
                which = np.full(n, len(spec.atoms), dtype=np.int64)
                for k, a in enumerate(spec.atoms):
                    which[x == a] = k
                mass = which < len(spec.atoms)
                z = np.where(mass, rng.standard_normal(n), z)
                cat[:, spec.atom_block] = which
            num[:, i] = z
        return num, cat

    def inverse_transform(self, num: np.ndarray, cat: np.ndarray) -> pd.DataFrame:
        """A typed frame (float64 continuous, int64 count/binary, Categorical) from both blocks."""
        out: dict[str, Any] = {}
        for col in self.columns_:
            kind, i = self.kinds_[col]
            if kind == "cat":
                levels = np.asarray(self.blocks_[i].values, dtype=object)
                out[col] = levels[cat[:, i]]
                continue
            spec = self.numeric_[i]
            x = spec.inverse(num[:, i].astype(float))
            if spec.integer:
                x = np.maximum(np.rint(x), 0.0)
            if spec.atom_block is not None:
                which = cat[:, spec.atom_block]
                for k, a in enumerate(spec.atoms):
                    x = np.where(which == k, a, x)
            out[col] = x
        return pd.DataFrame(out)
