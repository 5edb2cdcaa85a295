"""The hand-written zCDP accountant of the private ``causal`` synthesizer, checked against a
maintained one: Google's ``dp-accounting`` (its Rényi-DP accountant and its analytic Gaussian
mechanism), in the test extra.

What must agree, on a grid of (epsilon, delta, sensitivity):

* the Gaussian mechanism: ``Budget.sigma(sensitivity, rho)`` is the noise that makes a release
  rho-zCDP. dp-accounting's RDP curve of a Gaussian release with noise multiplier
  ``sigma / sensitivity`` and its curve of a rho-zCDP event give the same epsilon, to 1e-6
  relative;
* composition: the rho the ledger adds up over several releases is what dp-accounting composes
  from those releases, to 1e-6;
* the conversion: ``rho_for(epsilon, delta)`` inverts ``epsilon = rho + 2 sqrt(rho log(1/delta))``
  (Bun & Steinke 2016, Prop. 1.3) to 1e-9, and that conversion is conservative: for that rho,
  dp-accounting's (tighter) conversion and the exact analytic Gaussian mechanism both certify
  an epsilon no larger than the one requested, so the guarantee a report states holds.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from causalsynth.synthesizers._private import Budget, epsilon_for, rho_for

dpa = pytest.importorskip("dp_accounting", reason="dp-accounting is in the test extra")
rdp = pytest.importorskip("dp_accounting.rdp", reason="dp-accounting is in the test extra")

EPSILONS = (0.1, 0.5, 1.0, 3.0, 10.0)
DELTAS = (1e-9, 1e-6, 1e-3)
SENSITIVITIES = (0.5, 1.0, 4.0)
GRID = list(itertools.product(EPSILONS, DELTAS, SENSITIVITIES))


def _epsilon(events, delta: float) -> float:
    """dp-accounting's epsilon at ``delta`` for the composition of ``events`` (RDP)."""
    accountant = rdp.RdpAccountant()
    for event in events:
        accountant.compose(event)
    return accountant.get_epsilon(delta)


@pytest.mark.parametrize("epsilon, delta", list(itertools.product(EPSILONS, DELTAS)))
def test_rho_for_inverts_the_bun_steinke_conversion(epsilon, delta):
    rho = rho_for(epsilon, delta)
    assert rho > 0
    assert epsilon_for(rho, delta) == pytest.approx(epsilon, rel=1e-9)
    # rho + 2 sqrt(rho log(1/delta)), written out here rather than trusted
    assert rho + 2 * math.sqrt(rho * math.log(1 / delta)) == pytest.approx(epsilon, rel=1e-9)


@pytest.mark.parametrize("epsilon, delta, sensitivity", GRID)
def test_the_gaussian_sigma_is_the_rho_zcdp_noise(epsilon, delta, sensitivity):
    rho = rho_for(epsilon, delta)
    sigma = Budget.sigma(sensitivity, rho)
    gaussian = _epsilon([dpa.GaussianDpEvent(noise_multiplier=sigma / sensitivity)], delta)
    zcdp = _epsilon([dpa.ZCDpEvent(rho=rho)], delta)
    assert gaussian == pytest.approx(zcdp, rel=1e-6)


@pytest.mark.parametrize("epsilon, delta, sensitivity", GRID)
def test_the_stated_epsilon_holds_by_the_maintained_accountant(epsilon, delta, sensitivity):
    """The conversion is valid and conservative: never a guarantee stronger than proven."""
    rho = rho_for(epsilon, delta)
    multiplier = Budget.sigma(sensitivity, rho) / sensitivity
    by_rdp = _epsilon([dpa.GaussianDpEvent(noise_multiplier=multiplier)], delta)
    exact = dpa.get_epsilon_gaussian(multiplier, delta)  # Balle & Wang 2018: the tight figure
    assert exact <= by_rdp * (1 + 1e-6)
    assert by_rdp <= epsilon * (1 + 1e-6)


@pytest.mark.parametrize("delta", DELTAS)
def test_the_ledger_composes_as_the_maintained_accountant(delta):
    """A node's releases at different sensitivities and shares of rho: their sum is the
    budget, and dp-accounting's composition of the Gaussian releases agrees."""
    budget = Budget(rho_for(1.0, delta), np.random.default_rng(0))
    releases = [("root: histogram", 1.0, 0.5), ("child: Z'Z", 2.0, 0.3),
                ("child: counts", 1.0, 0.15), ("child: bounds", 0.5, 0.05)]
    events = []
    for what, sensitivity, share in releases:
        budget.gaussian(what, np.zeros(3), sensitivity, share * budget.rho)
        sigma = Budget.sigma(sensitivity, share * budget.rho)
        events.append(dpa.GaussianDpEvent(noise_multiplier=sigma / sensitivity))
    assert budget.total_spent() == pytest.approx(budget.rho, rel=1e-12)
    assert _epsilon(events, delta) == pytest.approx(
        _epsilon([dpa.ZCDpEvent(rho=budget.total_spent())], delta), rel=1e-6)
    assert _epsilon(events, delta) <= 1.0 * (1 + 1e-6)
