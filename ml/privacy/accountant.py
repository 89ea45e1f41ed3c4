"""Rényi-DP accountant for the Gaussian mechanism, written here (no external library).

A Gaussian mechanism with noise std sigma and L2 sensitivity Delta is (alpha, alpha /
(2 (sigma/Delta)^2))-RDP for every order alpha > 1 (Mironov 2017, Prop. 7); RDP adds up under
composition. Conversion to (epsilon, delta)-DP uses Canonne, Kamath and Steinke 2020 (Prop. 12,
also Balle et al. 2020): eps = rdp + log((alpha - 1) / alpha) - (log(delta) + log(alpha)) /
(alpha - 1), minimised over the orders. No subsampling amplification is claimed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ml.errors import PrivacyError

DEFAULT_ORDERS: tuple[float, ...] = (
    1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0, 32.0, 64.0,
    128.0, 256.0,
)  # fmt: skip


@dataclass(frozen=True)
class RdpAccountant:
    """Accumulated RDP per order; immutable, every record returns a new accountant."""

    orders: tuple[float, ...] = DEFAULT_ORDERS
    rdp: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not self.orders or min(self.orders) <= 1.0:
            raise PrivacyError("RDP orders must be > 1")
        if self.rdp and len(self.rdp) != len(self.orders):
            raise PrivacyError("one RDP value per order")

    @property
    def totals(self) -> tuple[float, ...]:
        return self.rdp or tuple(0.0 for _ in self.orders)

    def record_gaussian(self, noise_ratio: float, steps: int = 1) -> RdpAccountant:
        """Add `steps` releases of a Gaussian mechanism with sigma / sensitivity = noise_ratio."""
        if not (math.isfinite(noise_ratio) and noise_ratio > 0.0) or steps < 0:
            raise PrivacyError(f"need noise ratio > 0 and steps >= 0, got {noise_ratio}, {steps}")
        step = [steps * a / (2.0 * noise_ratio**2) for a in self.orders]
        totals = tuple(t + s for t, s in zip(self.totals, step, strict=True))
        return RdpAccountant(self.orders, totals)

    def get_epsilon(self, delta: float) -> float:
        """The smallest epsilon over the orders such that the releases so far are
        (epsilon, delta)-DP."""
        if not 0.0 < delta < 1.0:
            raise PrivacyError(f"delta must be in (0, 1), got {delta}")
        if not any(self.totals):
            return 0.0  # nothing released yet
        best = math.inf
        for alpha, rdp in zip(self.orders, self.totals, strict=True):
            eps = rdp + math.log1p(-1.0 / alpha) - (math.log(delta) + math.log(alpha)) / (alpha - 1)
            best = min(best, eps)
        return max(best, 0.0)
