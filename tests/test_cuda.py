"""The torch synthesizers on a GPU: ``diffusion`` and ``wgan`` fit and sample on CUDA, and seeds
reproduce there; ``device="cuda"`` without a GPU is one clear error.

The tests marked ``cuda`` run only where ``torch.cuda.is_available()`` and are skipped
elsewhere (CI has no GPU); run them on a GPU machine with ``pytest -m cuda tests/test_cuda.py``.
The others run everywhere: the error without a GPU, and the device-sized training plan.
"""

from __future__ import annotations

import pandas as pd
import pytest

import causalsynth.comparison as cmp
from causalsynth import load_dag, make_synthesizer
from causalsynth.errors import SynthesizerError
from causalsynth.evaluate.report import Report

torch = pytest.importorskip("torch")

GPU = torch.cuda.is_available()
needs_gpu = pytest.mark.skipif(not GPU, reason="needs a CUDA GPU (torch.cuda.is_available())")
#: short fits; wgan's collapse check is off (a few epochs are collapsed by design)
PARAMS = {"diffusion": {"epochs": 4}, "wgan": {"epochs": 30, "collapse_ratio": 0.0}}


@pytest.fixture(scope="module")
def funnel():
    """Mixed types: categories, binaries, counts and zero-inflated revenue."""
    dag = load_dag("ad_funnel")
    return dag, dag.simulate(3000, seed=0)


@pytest.mark.cuda
@needs_gpu
@pytest.mark.parametrize("name", ["diffusion", "wgan"])
def test_fit_and_sample_on_the_gpu_and_seeds_reproduce(name, funnel):
    dag, real = funnel
    cpu_state, gpu_state = torch.get_rng_state(), torch.cuda.get_rng_state()
    a = make_synthesizer(name, device="cuda", random_state=3, **PARAMS[name]).fit(real, dag)
    assert a.device_.type == "cuda"
    model = a.model_ if name == "diffusion" else a.generator_
    assert all(p.is_cuda for p in model.parameters())
    first = a.sample(2000, seed=1)
    assert list(first.columns) == list(real.columns) and len(first) == 2000
    assert not first.isna().any().any()
    assert (first.dtypes == real.dtypes).all()
    pd.testing.assert_frame_equal(a.sample(2000, seed=1), first)  # same fit, same seed
    assert not a.sample(2000, seed=2).equals(first)
    # a second fit with the same seed on the GPU: the same model, the same table
    b = make_synthesizer(name, device="cuda", random_state=3, **PARAMS[name]).fit(real, dag)
    pd.testing.assert_frame_equal(b.sample(2000, seed=1), first)
    c = make_synthesizer(name, device="cuda", random_state=4, **PARAMS[name]).fit(real, dag)
    assert not c.sample(2000, seed=1).equals(first)
    # the caller's random state, on both devices, is untouched
    assert torch.equal(torch.get_rng_state(), cpu_state)
    assert torch.equal(torch.cuda.get_rng_state(), gpu_state)


@pytest.mark.cuda
@needs_gpu
def test_auto_takes_the_gpu_and_the_diffusion_plan_grows_with_it(funnel):
    dag, real = funnel
    synth = make_synthesizer("diffusion", device="auto", epochs=1).fit(real, dag)
    assert synth.device_.type == "cuda"
    assert synth.history_["device"].startswith("cuda")
    big = load_dag("acquisition").simulate(60_000, seed=0)
    gpu = make_synthesizer("diffusion", device="cuda", max_updates=3).fit(
        big, load_dag("acquisition"))
    assert gpu.history_["batch_size"] == 8192  # 54,000 training rows / 8 -> 2^13; CPU: 4,096


def test_cuda_without_a_gpu_is_one_clear_error(funnel, monkeypatch):
    if GPU:
        pytest.skip("this machine has a GPU")
    dag, real = funnel
    for name in ("diffusion", "wgan"):
        with pytest.raises(SynthesizerError, match=(
                r"^device='cuda' was requested but torch .* sees no CUDA GPU; use "
                r"device='cpu', or device='auto' to take a GPU only when one is present$")):
            make_synthesizer(name, device="cuda", epochs=1).fit(real, dag)
    with pytest.raises(SynthesizerError, match=r"device='cuda:1' .* no CUDA GPU"):
        make_synthesizer("diffusion", device="cuda:1", epochs=1).fit(real, dag)
    # in a comparison it is that row's error, and the other rows go on (validated cheaply)
    monkeypatch.setattr(cmp, "_run_validate", lambda *a, **k: Report("preserved", {}))
    result = cmp.compare(real.head(300), dag, {"causal": {},
                                               "diffusion": {"device": "cuda", "epochs": 1}},
                         seed=0)
    by = result.leaderboard.set_index("synthesizer")
    assert by.loc["diffusion", "error"].startswith("SynthesizerError: device='cuda' was "
                                                   "requested")
    assert by.loc["causal", "error"] is None


def test_auto_falls_back_to_the_cpu_without_a_gpu(funnel):
    if GPU:
        pytest.skip("this machine has a GPU")
    dag, real = funnel
    synth = make_synthesizer("diffusion", device="auto", epochs=1).fit(real.head(200), dag)
    assert synth.device_.type == "cpu" and synth.history_["device"] == "cpu"


@pytest.mark.parametrize(("n_train", "cpu", "gpu"), [
    (18_000, (2048, 98, 882), (2048, 98, 882)),        # small tables: the same plan
    (180_000, (4096, 45, 1980), (16384, 180, 1980)),   # larger batches, as many updates
    (990_000, (4096, 9, 2178), (32768, 98, 3038)),     # more rows and more updates
])
def test_the_diffusion_plan_grows_with_the_device(n_train, cpu, gpu):
    synth = make_synthesizer("diffusion")
    assert synth._plan(n_train) == cpu
    assert synth._plan(n_train, gpu=True) == gpu
    batch, _, updates = synth._plan(n_train, gpu=True)
    assert updates >= cpu[2] and batch * updates >= cpu[0] * cpu[2]
