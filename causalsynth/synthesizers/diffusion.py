"""``diffusion``: a tabular denoising diffusion model in the TabDDPM style.

Numeric columns, quantile-transformed to a standard normal, follow Gaussian diffusion; every
categorical block (categorical and binary columns, few-level counts, the point-mass flags of
zero-inflated columns) follows multinomial diffusion. One MLP with a sinusoidal timestep
embedding predicts the Gaussian noise and the logits of the clean categories; the loss is the
noise MSE plus the mean multinomial KL term. Training holds out a validation share, scores it
with fixed timesteps and noise (common random numbers, so scores are comparable), keeps an
exponential moving average of the weights and stops when the validation loss stops improving.

References: Kotelnikov, Baranchuk, Rubachev, Babenko (2023), "TabDDPM: Modelling Tabular Data
with Diffusion Models", ICML; Ho, Jain, Abbeel (2020), "Denoising Diffusion Probabilistic
Models"; Hoogeboom et al. (2021), "Argmax Flows and Multinomial Diffusion"; Nichol and Dhariwal
(2021), "Improved Denoising Diffusion Probabilistic Models" (cosine schedule).
"""

from __future__ import annotations

import copy
import math
import time
from typing import Any, ClassVar

import numpy as np

from causalsynth._params import Interval
from causalsynth.synthesizers._torch import Monitor, TorchSynthesizer, require_torch

torch = require_torch()
nn = torch.nn
F = torch.nn.functional
_Module: Any = nn.Module  # torch's base class, typed Any (torch is imported at run time)

__all__ = ["DiffusionSynthesizer"]

_EPS = 1e-30


# ---- schedules and the denoiser -----------------------------------------------------------
def cosine_betas(n_steps: int, s: float = 0.008) -> np.ndarray:
    """Cosine noise schedule (Nichol and Dhariwal 2021), betas capped at 0.999."""
    t = np.linspace(0, n_steps, n_steps + 1) / n_steps
    abar = np.cos((t + s) / (1 + s) * math.pi / 2) ** 2
    return np.clip(1 - abar[1:] / abar[:-1], 0, 0.999)


def timestep_embedding(t: Any, dim: int) -> Any:
    """Sinusoidal embedding of integer timesteps (Vaswani et al. 2017; as in TabDDPM)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class Denoiser(_Module):
    """TabDDPM's MLP: project the noisy row, add the timestep embedding, then an MLP."""

    def __init__(self, d_in: int, d_out: int, hidden: int, n_layers: int, dim_t: int = 128):
        super().__init__()
        self.dim_t = dim_t
        self.proj = nn.Linear(d_in, dim_t)
        self.time_embed = nn.Sequential(nn.Linear(dim_t, dim_t), nn.SiLU(),
                                        nn.Linear(dim_t, dim_t))
        layers: list[Any] = []
        width = dim_t
        for _ in range(n_layers):
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        layers.append(nn.Linear(width, d_out))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x: Any, t: Any) -> Any:
        # embed each distinct timestep once, then index: rows share a few hundred timesteps
        steps, inverse = torch.unique(t, return_inverse=True)
        emb = self.time_embed(timestep_embedding(steps, self.dim_t))
        if emb.is_cuda:  # a one-hot product: its gradient is deterministic on CUDA (the
            # gradient of indexing accumulates with atomic adds, in no fixed order)
            return self.mlp(self.proj(x) + F.one_hot(inverse, len(steps)).to(emb.dtype) @ emb)
        return self.mlp(self.proj(x) + emb[inverse])


class _Diffusion:
    """Gaussian + multinomial diffusion terms for one encoder layout (tensors on ``device``)."""

    def __init__(self, n_num: int, cat_sizes: list[int], n_steps: int, device: Any,
                 clip: float = 6.0):
        self.n_num, self.cat_sizes, self.T, self.clip = n_num, cat_sizes, n_steps, clip
        self.offsets = np.concatenate([[0], np.cumsum(cat_sizes)]).astype(int).tolist()
        b = cosine_betas(n_steps)
        a = 1 - b
        abar = np.cumprod(a)
        abar_prev = np.concatenate([[1.0], abar[:-1]])

        def tt(x: np.ndarray) -> Any:
            return torch.tensor(x, dtype=torch.float32, device=device)

        self.betas, self.alphas, self.abar, self.abar_prev = tt(b), tt(a), tt(abar), tt(abar_prev)
        self.sqrt_abar, self.sqrt_1m_abar = tt(np.sqrt(abar)), tt(np.sqrt(1 - abar))
        post_var = b * (1 - abar_prev) / (1 - abar)
        self.post_sd = tt(np.sqrt(np.concatenate([[post_var[1]], post_var[1:]])))
        self.coef_x0 = tt(b * np.sqrt(abar_prev) / (1 - abar))
        self.coef_xt = tt((1 - abar_prev) * np.sqrt(a) / (1 - abar))

    # multinomial pieces, all in probability space on one block of K classes
    def q_xt_given_x0(self, p0: Any, t: Any, k: int) -> Any:
        ab = self.abar[t][:, None]
        return ab * p0 + (1 - ab) / k

    def posterior(self, xt: Any, p0: Any, t: Any, k: int) -> Any:
        """q(x_{t-1} | x_t, x_0 ~ p0), normalised; at t = 0 the x_0 factor is p0 itself."""
        a = self.alphas[t][:, None]
        one_step = a * xt + (1 - a) / k
        ab_prev = self.abar_prev[t][:, None]
        prior = ab_prev * p0 + (1 - ab_prev) / k
        un = one_step * prior
        return un / un.sum(dim=1, keepdim=True)

    def noisy(self, x_num: Any, x_cat: Any, t: Any, gen: Any) -> tuple[Any, Any, Any]:
        """(model input, Gaussian noise, one-hot x0 per block) for a batch at timesteps t."""
        noise = torch.randn(x_num.shape, generator=gen, device=x_num.device)
        xt_num = self.sqrt_abar[t][:, None] * x_num + self.sqrt_1m_abar[t][:, None] * noise
        parts, onehots = [xt_num], []
        for j, k in enumerate(self.cat_sizes):
            oh = F.one_hot(x_cat[:, j], k).float()
            probs = self.q_xt_given_x0(oh, t, k)
            xt = torch.multinomial(probs, 1, generator=gen).squeeze(1)
            parts.append(F.one_hot(xt, k).float())
            onehots.append(oh)
        return torch.cat(parts, dim=1), noise, onehots

    def loss(self, model: Any, x_num: Any, x_cat: Any, t: Any, gen: Any) -> Any:
        """Per-row loss: noise MSE plus the mean over blocks of T x KL (NLL at t = 0)."""
        inp, noise, onehots = self.noisy(x_num, x_cat, t, gen)
        out = model(inp, t)
        loss = torch.zeros(len(t), device=inp.device)
        if self.n_num:
            loss = loss + ((out[:, : self.n_num] - noise) ** 2).mean(dim=1)
        if self.cat_sizes:
            kl_sum = torch.zeros_like(loss)
            first = t == 0
            for j, k in enumerate(self.cat_sizes):
                lo, hi = self.n_num + self.offsets[j], self.n_num + self.offsets[j + 1]
                xt = inp[:, lo:hi]
                p_hat = torch.softmax(out[:, lo:hi], dim=1)
                true = self.posterior(xt, onehots[j], t, k)
                pred = self.posterior(xt, p_hat, t, k)
                kl = (true * (torch.log(true + _EPS) - torch.log(pred + _EPS))).sum(dim=1)
                nll = -(onehots[j] * torch.log(pred + _EPS)).sum(dim=1)
                kl_sum = kl_sum + torch.where(first, nll, kl * self.T)
            loss = loss + kl_sum / len(self.cat_sizes)
        return loss

    @torch.no_grad()
    def sample(self, model: Any, n: int, gen: Any, device: Any) -> tuple[Any, Any]:
        """Ancestral sampling from x_T (standard normal, uniform categories) down to x_0."""
        x_num = torch.randn((n, self.n_num), generator=gen, device=device)
        cats = [torch.randint(0, k, (n,), generator=gen, device=device) for k in self.cat_sizes]
        for step in range(self.T - 1, -1, -1):
            t = torch.full((n,), step, dtype=torch.long, device=device)
            parts = [x_num] + [F.one_hot(c, k).float()
                               for c, k in zip(cats, self.cat_sizes, strict=True)]
            inp = torch.cat(parts, dim=1)
            out = model(inp, t)
            if self.n_num:
                eps = out[:, : self.n_num]
                x0 = (x_num - self.sqrt_1m_abar[step] * eps) / self.sqrt_abar[step]
                # the last steps divide by sqrt(abar) ~ 0.03: clip the predicted clean row to the
                # latent range seen in training, or small errors blow up (Ho et al. 2020 clip too)
                x0 = x0.clamp(-self.clip, self.clip)
                mean = self.coef_x0[step] * x0 + self.coef_xt[step] * x_num
                if step > 0:
                    z = torch.randn(x_num.shape, generator=gen, device=device)
                    x_num = mean + self.post_sd[step] * z
                else:
                    x_num = mean
            for j, k in enumerate(self.cat_sizes):
                lo, hi = self.n_num + self.offsets[j], self.n_num + self.offsets[j + 1]
                p_hat = torch.softmax(out[:, lo:hi], dim=1)
                probs = self.posterior(inp[:, lo:hi], p_hat, t, k)
                cats[j] = torch.multinomial(probs, 1, generator=gen).squeeze(1)
        codes = (torch.stack(cats, dim=1) if cats
                 else torch.zeros((n, 0), dtype=torch.long, device=device))
        return x_num, codes


# ---- the synthesizer ------------------------------------------------------------------------
class DiffusionSynthesizer(TorchSynthesizer):
    """Tabular denoising diffusion (TabDDPM style): Gaussian + multinomial diffusion, MLP denoiser.

    Parameters
    ----------
    epochs : int or None
        Passes over the training rows. ``None`` (default): 100 passes, but at least 100,000
        and at most 8 million rows processed (small tables get more passes, huge ones fewer);
        on a GPU at most 100 million, and never fewer updates than the CPU plan.
    n_steps : int
        Diffusion timesteps for training and sampling (TabDDPM uses 100 to 1,000; 100 keeps
        sampling fast on CPU).
    hidden, n_layers : int
        Width and depth of the denoising MLP.
    batch_size : int or None
        ``None`` scales with the table: about an eighth of the rows, a power of two in
        [64, 4096] on a CPU, [64, 32768] on a GPU.
    lr, weight_decay : float
        AdamW settings.
    max_updates : int or None
        Cap on optimiser steps; ``None``: no cap beyond ``epochs``.
    patience : int
        Validation checks without improvement before stopping early.
    validation_share : float
        Share of rows held out to score the validation loss (at most 10,000 rows).
    ema_decay : float
        Decay of the moving average of the weights used for sampling.
    max_seconds, n_threads, device, random_state, progress
        Wall-time cap, CPU threads, device, seed and progress bar, as in
        :class:`~causalsynth.synthesizers._torch.TorchSynthesizer`.

    Examples
    --------
    Zero-inflated spends (``saturation``); ``history_`` says how training stopped:

    >>> from causalsynth import load_dag, make_synthesizer
    >>> dag = load_dag("saturation")
    >>> synth = make_synthesizer("diffusion", epochs=5)                   # doctest: +SKIP
    >>> synth.fit(dag.simulate(300, seed=0), dag).history_["stopped"]     # doctest: +SKIP
    'epochs'

    References
    ----------
    Kotelnikov et al. (2023), "TabDDPM: Modelling Tabular Data with Diffusion Models", ICML.
    """

    name: ClassVar[str] = "diffusion"
    #: a validation split and a learned joint distribution need a few dozen rows at least
    min_rows: ClassVar[int] = 50
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "epochs": [Interval(int, 1, None), None],
        "n_steps": [Interval(int, 2, None)],
        "hidden": [Interval(int, 1, None)],
        "n_layers": [Interval(int, 1, None)],
        "batch_size": [Interval(int, 1, None), None],
        "lr": [Interval(float, 0, None, closed="neither")],
        "weight_decay": [Interval(float, 0, None, closed="left")],
        "max_updates": [Interval(int, 1, None), None],
        "patience": [Interval(int, 1, None)],
        "validation_share": [Interval(float, 0, 0.5, closed="neither")],
        "ema_decay": [Interval(float, 0, 1, closed="left")],
        **TorchSynthesizer._parameter_constraints,
    }

    def __init__(self, epochs: int | None = None, *, n_steps: int = 100, hidden: int = 256,
                 n_layers: int = 3, batch_size: int | None = None, lr: float = 2e-3,
                 weight_decay: float = 1e-5, max_updates: int | None = None,
                 max_seconds: float | None = None, patience: int = 8,
                 validation_share: float = 0.1, ema_decay: float = 0.995,
                 n_threads: int | None = None, device: str | None = None,
                 random_state: int | None = 0, progress: bool = False):
        self.epochs = epochs
        self.n_steps = n_steps
        self.hidden = hidden
        self.n_layers = n_layers
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_updates = max_updates
        self.max_seconds = max_seconds
        self.patience = patience
        self.validation_share = validation_share
        self.ema_decay = ema_decay
        self.n_threads = n_threads
        self.device = device
        self.random_state = random_state
        self.progress = progress

    # ---- settings ---------------------------------------------------------------------
    def _plan(self, n_train: int, gpu: bool = False) -> tuple[int, int, int]:
        """(batch size, epochs, max updates) for ``n_train`` rows.

        Batches of about an eighth of the rows (a power of two in [64, 4096]); by default 100
        passes over the rows, but at least 100,000 and at most 8 million rows processed (small
        tables need more passes, huge ones fewer). On a GPU (``gpu``) batches go up to 32,768
        rows and the budget up to 100 million rows, with at least the CPU plan's updates: the
        same plan up to ~32,000 rows, more work on large tables, where a CPU-sized plan
        leaves the GPU idle.

        >>> from causalsynth.synthesizers import make_synthesizer
        >>> synth = make_synthesizer("diffusion")
        >>> synth._plan(18_000) == synth._plan(18_000, gpu=True)
        True
        >>> synth._plan(990_000), synth._plan(990_000, gpu=True)
        ((4096, 9, 2178), (32768, 98, 3038))
        """
        top, budget = (15, 1e8) if gpu else (12, 8e6)
        batch = self.batch_size or int(2 ** np.clip(np.round(np.log2(max(n_train, 1) / 8)),
                                                     6, top))
        batch = min(batch, n_train)
        per_epoch = math.ceil(n_train / batch)
        if self.epochs is None:
            rows = float(np.clip(100 * n_train, 1e5, budget))
            epochs = max(1, math.ceil(rows / batch / per_epoch))
            if gpu:  # bigger batches must not mean fewer updates than on a CPU
                *_, cpu_updates = self._plan(n_train)
                epochs = max(epochs, math.ceil(cpu_updates / per_epoch))
        else:
            epochs = self.epochs
        max_updates = self.max_updates or epochs * per_epoch
        return batch, epochs, max_updates

    # ---- fit ----------------------------------------------------------------------------
    def _fit_encoded(self, num: np.ndarray, cat: np.ndarray, seed: int,
                     rng: np.random.Generator) -> None:
        device = self.device_
        n = len(num)
        n_val = int(np.clip(round(self.validation_share * n), 5, 10_000))
        order = rng.permutation(n)
        val_idx, train_idx = order[:n_val], order[n_val:]
        batch, epochs, max_updates = self._plan(len(train_idx), gpu=device.type == "cuda")

        clip = float(np.abs(num).max()) + 0.5 if num.size else 6.0
        diffusion = _Diffusion(self.encoder_.n_numeric, self.encoder_.cat_sizes,
                               self.n_steps, device, clip=clip)
        d = self.encoder_.n_numeric + sum(self.encoder_.cat_sizes)
        started = time.perf_counter()
        with self._seeded(seed) as gen:
            model = Denoiser(d, d, self.hidden, self.n_layers).to(device)
            ema = copy.deepcopy(model).requires_grad_(False)
            opt = torch.optim.AdamW(model.parameters(), lr=self.lr,
                                    weight_decay=self.weight_decay, foreach=True)
            x_num = torch.tensor(num, device=device)
            x_cat = torch.tensor(cat, device=device)
            tr_num, tr_cat = x_num[train_idx], x_cat[train_idx]
            val = self._validation_batch(x_num[val_idx], x_cat[val_idx], gen)
            history = self._train(model, ema, opt, diffusion, tr_num, tr_cat, val, batch,
                                  epochs, max_updates, gen)
        self.model_ = ema.eval()
        self.diffusion_ = diffusion
        self.history_ = history
        self.fit_seconds_ = time.perf_counter() - started

    def _validation_batch(self, v_num: Any, v_cat: Any, gen: Any) -> tuple[Any, ...]:
        """Validation rows repeated to >= 8,000 with fixed timesteps and noise seed."""
        reps = max(1, math.ceil(8000 / len(v_num)))
        v_num, v_cat = v_num.repeat(reps, 1), v_cat.repeat(reps, 1)
        t = torch.randint(0, self.n_steps, (len(v_num),), generator=gen, device=v_num.device)
        # device= must match the generator's: a CUDA generator cannot draw a CPU tensor
        noise_seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen,
                                       device=gen.device).item())
        return v_num, v_cat, t, noise_seed

    def _val_loss(self, model: Any, diffusion: _Diffusion, val: tuple[Any, ...]) -> float:
        v_num, v_cat, t, noise_seed = val
        g = torch.Generator(device=v_num.device)
        g.manual_seed(noise_seed)  # the same noise at every check: comparable scores
        with torch.no_grad():
            return float(diffusion.loss(model, v_num, v_cat, t, g).mean())

    def _train(self, model: Any, ema: Any, opt: Any, diffusion: _Diffusion, tr_num: Any,
               tr_cat: Any, val: tuple[Any, ...], batch: int, epochs: int, max_updates: int,
               gen: Any) -> dict[str, Any]:
        n = len(tr_num)
        per_epoch = math.ceil(n / batch)
        planned = min(epochs * per_epoch, max_updates)
        check_every = max(1, math.ceil(max(planned // 25, 1) / per_epoch))
        updates, stopped = 0, "epochs"
        failure = ("the diffusion model's validation loss is not finite; lower 'lr' or check the "
                   "data for extreme values")
        with Monitor(ema, epochs=epochs, patience=self.patience, max_seconds=self.max_seconds,
                     progress=self.progress, desc="diffusion", failure=failure, label="val_loss",
                     min_gain=1e-4) as monitor:
            for epoch in range(epochs):
                perm = torch.randperm(n, generator=gen, device=tr_num.device)
                for start in range(0, n, batch):
                    idx = perm[start:start + batch]
                    t = torch.randint(0, self.n_steps, (len(idx),), generator=gen,
                                      device=tr_num.device)
                    loss = diffusion.loss(model, tr_num[idx], tr_cat[idx], t, gen).mean()
                    for group in opt.param_groups:  # linear decay to 0 (as TabDDPM anneals)
                        group["lr"] = self.lr * max(1.0 - updates / planned, 0.02)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    self._ema_update(ema, model, updates)
                    updates += 1
                monitor.bar.update(1)
                last = epoch == epochs - 1 or updates >= max_updates or monitor.exhausted()
                if ((epoch + 1) % check_every == 0 or last) and monitor.check(
                        self._val_loss(ema, diffusion, val)):
                    stopped = "early_stopping"
                    break
                if updates >= max_updates or monitor.exhausted():
                    stopped = "max_updates" if updates >= max_updates else "max_seconds"
                    break
        return {"epochs": epoch + 1, "updates": updates, "batch_size": batch,
                "device": str(tr_num.device), "stopped": stopped, "val_loss": monitor.scores,
                "best_val_loss": monitor.best}

    def _ema_update(self, ema: Any, model: Any, updates: int) -> None:
        # warm-up: early on the average follows the weights closely (Tarvainen and Valpola 2017)
        decay = min(self.ema_decay, (1 + updates) / (10 + updates))
        with torch.no_grad():
            averaged, current = list(ema.parameters()), list(model.parameters())
            torch._foreach_mul_(averaged, decay)
            torch._foreach_add_(averaged, current, alpha=1 - decay)

    # ---- sample -------------------------------------------------------------------------
    def _draw(self, m: int, gen: Any) -> tuple[Any, Any]:
        return self.diffusion_.sample(self.model_, m, gen, self.device_)
