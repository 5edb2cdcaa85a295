"""``wgan``: a Wasserstein GAN with gradient penalty for small tables (tens to hundreds of rows).

Small tables need safeguards that large-data GANs skip:

* **instance noise**: Gaussian noise on every input of the critic (real and generated rows), so
  the critic cannot separate the few real points exactly and the generator is not pulled onto
  them (Sønderby et al. 2017; Arjovsky and Bottou 2017);
* **snapshot selection and early stopping**: every few epochs a fixed batch of generated rows is
  scored against the real rows (per-column Wasserstein-1 distance of the encoded columns, total
  variation of the categories, correlation gap); the best generator is kept and training stops
  when the score has not improved for ``patience`` checks;
* **mode-collapse check**: the nearest-neighbour spread of generated rows is compared with that
  of the real rows at the same sample size; a collapsed generator (ratio below
  ``collapse_ratio``) is retrained from a new seed up to ``max_retries`` times, then a
  :class:`ModeCollapseWarning` is issued.

Numeric columns are quantile-transformed to a standard normal (see ``TabularEncoder``);
categorical and binary columns are generated as Gumbel-softmax samples while training and drawn
from the generator's softmax when sampling.

References: Arjovsky, Chintala, Bottou (2017), "Wasserstein GAN"; Gulrajani et al. (2017),
"Improved Training of Wasserstein GANs"; Jang, Gu, Poole (2017), "Categorical
Reparameterization with Gumbel-Softmax"; Sønderby et al. (2017), "Amortised MAP Inference for
Image Super-resolution" (instance noise).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, ClassVar

import numpy as np

from causalsynth._params import Interval
from causalsynth.synthesizers._torch import Monitor, TorchSynthesizer, require_torch

torch = require_torch()
nn = torch.nn
F = torch.nn.functional
_Module: Any = nn.Module  # torch's base class, typed Any (torch is imported at run time)

__all__ = ["ModeCollapseWarning", "WGANSynthesizer"]


class ModeCollapseWarning(UserWarning):
    """The generated rows are much less diverse than the real ones (the GAN collapsed)."""


# ---- networks ---------------------------------------------------------------------------------
def _mlp(d_in: int, d_out: int, hidden: int, n_layers: int, dropout: float = 0.0) -> Any:
    layers: list[Any] = []
    width = d_in
    for _ in range(n_layers):
        layers += [nn.Linear(width, hidden), nn.LeakyReLU(0.2)]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = hidden
    layers.append(nn.Linear(width, d_out))
    return nn.Sequential(*layers)


class Generator(_Module):
    """Noise -> numeric block (linear) and one logit vector per categorical block."""

    def __init__(self, noise_dim: int, n_num: int, cat_sizes: list[int], hidden: int,
                 n_layers: int):
        super().__init__()
        self.n_num, self.cat_sizes = n_num, cat_sizes
        self.net = _mlp(noise_dim, n_num + sum(cat_sizes), hidden, n_layers)

    def forward(self, z: Any) -> Any:
        return self.net(z)

    def split(self, out: Any) -> tuple[Any, list[Any]]:
        num = out[:, : self.n_num]
        logits, start = [], self.n_num
        for k in self.cat_sizes:
            logits.append(out[:, start:start + k])
            start += k
        return num, logits


def _gumbel_softmax(logits: Any, tau: float, gen: Any) -> Any:
    """Gumbel-softmax with an explicit generator (torch's own draws from the global one)."""
    u = torch.rand(logits.shape, generator=gen, device=logits.device).clamp_(1e-10, 1 - 1e-10)
    return torch.softmax((logits - torch.log(-torch.log(u))) / tau, dim=1)


# ---- the synthesizer -------------------------------------------------------------------------
class WGANSynthesizer(TorchSynthesizer):
    """Wasserstein GAN with gradient penalty, tuned for small tables.

    Parameters
    ----------
    epochs : int
        Passes over the real rows; each pass makes one generator update per batch, each after
        ``n_critic`` critic updates.
    noise_dim, hidden, n_layers : int
        Generator input size; width and depth of both networks.
    batch_size : int or None
        ``None``: every row in one batch up to 256 rows, else 256.
    n_critic : int
        Critic updates per generator update (Gulrajani et al. use 5).
    gp_weight : float
        Weight of the gradient penalty (10 in the paper).
    lr : float
        Adam learning rate of both networks (betas 0.5, 0.9).
    instance_noise : float
        Standard deviation of the Gaussian noise added to every critic input, in units of the
        encoded columns (numeric columns have unit variance).
    tau : float
        Gumbel-softmax temperature of the categorical outputs while training.
    check_every, patience : int
        Score the generator every ``check_every`` epochs; stop after ``patience`` checks
        without improvement and keep the best generator.
    collapse_ratio : float
        Below this ratio of generated to real nearest-neighbour spread the fit counts as
        collapsed.
    max_retries : int
        Fresh-seed restarts after a collapse before warning.
    max_seconds, n_threads, device, random_state, progress
        Wall-time cap per attempt, CPU threads, device, seed and progress bar, as in
        :class:`~causalsynth.synthesizers._torch.TorchSynthesizer`.

    Examples
    --------
    19 real rows, 2,000 synthetic ones; ``history_`` tells whether the generator collapsed:

    >>> from causalsynth import load_dag
    >>> dag = load_dag("acquisition")
    >>> synth = WGANSynthesizer(epochs=50).fit(dag.simulate(19, seed=0), dag)  # doctest: +SKIP
    >>> synth.sample(2000, seed=1).shape, synth.history_["diversity_ratio"] > 0.5  # doctest: +SKIP
    ((2000, 6), True)

    References
    ----------
    Gulrajani et al. (2017), "Improved Training of Wasserstein GANs", NeurIPS.
    """

    name: ClassVar[str] = "wgan"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **{p: [Interval(int, 1, None)] for p in ("epochs", "noise_dim", "hidden", "n_layers",
                                                  "n_critic", "check_every", "patience")},
        "batch_size": [Interval(int, 2, None), None],
        "gp_weight": [Interval(float, 0, None, closed="left")],
        "lr": [Interval(float, 0, None, closed="neither")],
        "instance_noise": [Interval(float, 0, None, closed="left")],
        "tau": [Interval(float, 0, None, closed="neither")],
        "collapse_ratio": [Interval(float, 0, None, closed="left")],
        "max_retries": [Interval(int, 0, None)],
        **TorchSynthesizer._parameter_constraints,
    }

    def __init__(self, epochs: int = 1000, *, noise_dim: int = 32, hidden: int = 128,
                 n_layers: int = 2, batch_size: int | None = None, n_critic: int = 5,
                 gp_weight: float = 10.0, lr: float = 1e-3, instance_noise: float = 0.1,
                 tau: float = 0.5, check_every: int = 25, patience: int = 6,
                 collapse_ratio: float = 0.5, max_retries: int = 1,
                 max_seconds: float | None = None, n_threads: int | None = None,
                 device: str | None = None, random_state: int | None = 0,
                 progress: bool = False):
        self.epochs = epochs
        self.noise_dim = noise_dim
        self.hidden = hidden
        self.n_layers = n_layers
        self.batch_size = batch_size
        self.n_critic = n_critic
        self.gp_weight = gp_weight
        self.lr = lr
        self.instance_noise = instance_noise
        self.tau = tau
        self.check_every = check_every
        self.patience = patience
        self.collapse_ratio = collapse_ratio
        self.max_retries = max_retries
        self.max_seconds = max_seconds
        self.n_threads = n_threads
        self.device = device
        self.random_state = random_state
        self.progress = progress

    # ---- fit ---------------------------------------------------------------------------
    def _fit_encoded(self, num: np.ndarray, cat: np.ndarray, seed: int,
                     rng: np.random.Generator) -> None:
        device = self.device_
        real = self._encode_rows(torch.tensor(num), torch.tensor(cat)).to(device)
        attempts = []
        for attempt in range(self.max_retries + 1):
            attempt_seed = seed if attempt == 0 else int(rng.integers(0, 2**31 - 1))
            with self._seeded(attempt_seed) as gen:
                generator, history = self._train(real, gen, device)
                diversity = self._diversity(generator, real, gen, device)
            history.update(seed=attempt_seed, **diversity)
            attempts.append(history)
            self.generator_ = generator
            if diversity["diversity_ratio"] >= self.collapse_ratio:
                break
        else:
            warnings.warn(
                f"the WGAN collapsed: its rows are {attempts[-1]['diversity_ratio']:.2f} times as "
                f"spread out as the real rows after {len(attempts)} attempt(s) (threshold "
                f"{self.collapse_ratio}); try more rows, more epochs, a larger "
                f"'instance_noise', or another synthesizer",
                ModeCollapseWarning, stacklevel=3,
            )
        self.history_ = attempts[-1]
        self.attempts_ = attempts

    def _encode_rows(self, num: Any, cat: Any) -> Any:
        parts = [num.float()] + [F.one_hot(cat[:, j], k).float()
                                 for j, k in enumerate(self.encoder_.cat_sizes)]
        return torch.cat(parts, dim=1)

    def _fake_rows(self, generator: Any, n: int, gen: Any, device: Any, hard: bool) -> Any:
        z = torch.randn((n, self.noise_dim), generator=gen, device=device)
        num, logits = generator.split(generator(z))
        if hard:
            cats = [F.one_hot(torch.multinomial(torch.softmax(lg, 1), 1, generator=gen)
                              .squeeze(1), lg.shape[1]).float() for lg in logits]
        else:
            cats = [_gumbel_softmax(lg, self.tau, gen) for lg in logits]
        return torch.cat([num, *cats], dim=1)

    def _train(self, real: Any, gen: Any, device: Any) -> tuple[Any, dict[str, Any]]:
        n, d = real.shape
        n_num, sizes = self.encoder_.n_numeric, self.encoder_.cat_sizes
        batch = self.batch_size or min(n, 256)
        generator = Generator(self.noise_dim, n_num, sizes, self.hidden, self.n_layers).to(device)
        critic = _mlp(d, 1, self.hidden, self.n_layers).to(device)
        opt_g = torch.optim.Adam(generator.parameters(), lr=self.lr, betas=(0.5, 0.9),
                                 foreach=True)
        opt_c = torch.optim.Adam(critic.parameters(), lr=self.lr, betas=(0.5, 0.9),
                                 foreach=True)
        # a fixed noise batch for scoring: scores of different epochs are comparable
        z_check = torch.randn((max(1000, 20 * n), self.noise_dim), generator=gen, device=device)
        stopped, epoch = "epochs", 0
        failure = ("the WGAN's generated rows drifted to non-finite values; lower 'lr' or raise "
                   "'gp_weight'")
        with Monitor(generator, epochs=self.epochs, patience=self.patience, failure=failure,
                     max_seconds=self.max_seconds, progress=self.progress, desc="wgan") as monitor:
            for epoch in range(self.epochs):
                perm = torch.randperm(n, generator=gen, device=device)
                for start in range(0, n, batch):
                    idx = perm[start:start + batch]
                    if len(idx) < 2:
                        continue
                    self._critic_steps(critic, generator, real, idx, opt_c, gen, device)
                    self._generator_step(critic, generator, len(idx), opt_g, gen, device)
                monitor.bar.update(1)
                due = (epoch + 1) % self.check_every == 0 or epoch == self.epochs - 1
                if due and monitor.check(self._score(generator, z_check, real)):
                    stopped = "early_stopping"
                    break
                if monitor.exhausted():
                    stopped = "max_seconds"
                    break
        return generator.eval(), {"epochs": epoch + 1, "stopped": stopped,
                                  "best_score": monitor.best, "scores": monitor.scores,
                                  "seconds": monitor.elapsed()}

    def _noisy(self, x: Any, gen: Any) -> Any:
        if not self.instance_noise:
            return x
        return x + self.instance_noise * torch.randn(x.shape, generator=gen, device=x.device)

    def _critic_steps(self, critic: Any, generator: Any, real: Any, idx: Any, opt_c: Any,
                      gen: Any, device: Any) -> None:
        m, k = len(idx), self.n_critic
        # one generator pass and one noise draw for all critic steps (small tables: per-call
        # overhead, not arithmetic, is the cost)
        with torch.no_grad():
            fakes = self._noisy(self._fake_rows(generator, k * m, gen, device, hard=False), gen)
        picks = idx[torch.randint(0, m, (k, m), generator=gen, device=device)]
        reals = self._noisy(real[picks.reshape(-1)], gen)
        eps = torch.rand((k * m, 1), generator=gen, device=device)
        for step in range(k):
            # each critic step sees a fresh resample of the batch's real rows
            rows = slice(step * m, (step + 1) * m)
            x_real, x_fake = reals[rows], fakes[rows]
            mix = (eps[rows] * x_real + (1 - eps[rows]) * x_fake).requires_grad_(True)
            out = critic(torch.cat([x_real, x_fake, mix]))
            grad = torch.autograd.grad(out[2 * m:].sum(), mix, create_graph=True)[0]
            penalty = ((grad.norm(2, dim=1) - 1) ** 2).mean()
            loss = out[m:2 * m].mean() - out[:m].mean() + self.gp_weight * penalty
            opt_c.zero_grad(set_to_none=True)
            loss.backward()
            opt_c.step()

    def _generator_step(self, critic: Any, generator: Any, m: int, opt_g: Any, gen: Any,
                        device: Any) -> None:
        x_fake = self._noisy(self._fake_rows(generator, m, gen, device, hard=False), gen)
        loss = -critic(x_fake).mean()
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()

    @torch.no_grad()
    def _score(self, generator: Any, z: Any, real: Any) -> float:
        """Fidelity distance of generated to real rows in encoded space (lower is better).

        Mean per-column Wasserstein-1 distance of the numeric block, mean total variation of
        the categorical blocks' frequencies and the mean absolute gap of the correlation
        matrices (pairs), summed.
        """
        n_num, sizes = self.encoder_.n_numeric, self.encoder_.cat_sizes
        num, logits = generator.split(generator(z))
        if not torch.isfinite(num).all():
            return math.inf
        probs = [torch.softmax(lg, 1) for lg in logits]
        score = 0.0
        if n_num:
            qs = torch.linspace(0.02, 0.98, 49, device=z.device)
            gap = torch.quantile(num, qs, dim=0) - torch.quantile(real[:, :n_num], qs, dim=0)
            score += float(gap.abs().mean())
        start = n_num
        for p, k in zip(probs, sizes, strict=True):
            freq = real[:, start:start + k].mean(0)
            score += 0.5 * float((p.mean(0) - freq).abs().sum()) / max(len(sizes), 1)
            start += k
        fake = torch.cat([num, *probs], dim=1)
        if fake.shape[1] > 1:
            c_fake = torch.nan_to_num(torch.corrcoef(fake.T))
            c_real = torch.nan_to_num(torch.corrcoef(real.T))
            score += float((c_fake - c_real).abs().mean())
        return score

    @torch.no_grad()
    def _diversity(self, generator: Any, real: Any, gen: Any, device: Any) -> dict[str, float]:
        """Mean nearest-neighbour distance within generated rows / within real rows.

        Both sets have the real table's size (nearest-neighbour distances shrink as rows are
        added), averaged over 5 generated sets. About 1 for a healthy generator, near 0 for a
        collapsed one. ``closeness_ratio``: mean distance from generated rows to their nearest
        real row over the real rows' own nearest-neighbour distance (near 0: copying).
        """
        n = len(real)

        def mean_nn(a: Any, b: Any | None = None) -> float:
            dist = torch.cdist(a, a if b is None else b)
            if b is None:
                dist.fill_diagonal_(math.inf)
            return float(dist.min(dim=1).values.mean())

        spread_real = max(mean_nn(real), 1e-12)
        ratios, close = [], []
        for _ in range(5):
            fake = self._fake_rows(generator, n, gen, device, hard=True)
            ratios.append(mean_nn(fake) / spread_real)
            close.append(mean_nn(fake, real) / spread_real)
        return {"diversity_ratio": float(np.mean(ratios)),
                "closeness_ratio": float(np.mean(close))}

    # ---- sample ------------------------------------------------------------------------
    def _draw(self, m: int, gen: Any) -> tuple[Any, Any]:
        z = torch.randn((m, self.noise_dim), generator=gen, device=self.device_)
        num, logits = self.generator_.split(self.generator_(z))
        codes = [torch.multinomial(torch.softmax(lg, 1), 1, generator=gen).squeeze(1)
                 for lg in logits]
        return num, (torch.stack(codes, 1) if codes
                     else torch.zeros((m, 0), dtype=torch.long, device=self.device_))
