r"""Fast abundance estimators for the management procedure in the closed-loop MSE.

The MSE must test the *procedure* with an estimator that differs from the operating model
(DESIGN §5): the operating model is the two-sex, age-structured Bayesian model with
catastrophes and density dependence; the estimator inside the loop knows none of that. It
sees only the census totals (with gaps) and returns, per replicate, the mean and standard
deviation of log abundance at the latest census it has.

:class:`KalmanTrend` — a local-linear-trend state-space model on log counts, filtered with
a Kalman filter (the filter's last value is also the smoother's)::

    level_t = level_{t-1} + slope_{t-1} + η_t,    η_t ~ N(0, σ_level²)
    slope_t = slope_{t-1} + ζ_t,                  ζ_t ~ N(0, σ_slope²)
    log c_t = level_t + ε_t,                      ε_t ~ N(0, σ_obs²),  σ_obs² = ln(1 + CV²)

A missed survey (NaN count) is a prediction step without an update, so the estimate's sd
grows — and a precautionary quota falls — until the next count. It assumes catchability 1
(counts are absolute), which the operating model does not.

:class:`PerfectEstimator` returns the last count as exact (sd 0): with no observation error
it knows the truth, which makes hand-computable checks of the loop possible.

Both are vectorised over any batch shape and have an online interface (``init`` /
``step``) used inside the loop and a batch one (:meth:`Estimator.filter`) for tests and
docs; they give the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Estimator", "KalmanTrend", "PerfectEstimator"]

Array = NDArray[np.float64]
State = dict[str, Any]


@dataclass(frozen=True)
class Estimator:
    """Base class: online estimates of log abundance from a series of counts."""

    def init(self, count: Array) -> State:
        """Start from the first census (may be NaN where it was missed)."""
        raise NotImplementedError

    def step(self, state: State, count: Array) -> State:
        """Add one census (NaN where the survey was missed)."""
        raise NotImplementedError

    def estimate(self, state: State) -> tuple[Array, Array]:
        """Mean and sd of log abundance at the latest census year."""
        raise NotImplementedError

    def filter(self, counts: ArrayLike) -> tuple[Array, Array]:
        """Run over counts with time on the first axis; mean and sd of log N at each time.

        Examples
        --------
        >>> mean, sd = KalmanTrend(cv=0.2).filter([100.0, 125.0, np.nan, 190.0])
        >>> bool(sd[2] > sd[1]) and bool(np.exp(mean[-1]) > 150)
        True
        """
        c = np.asarray(counts, dtype=np.float64)
        state = self.init(c[0])
        means, sds = [], []
        m, s = self.estimate(state)
        means.append(m)
        sds.append(s)
        for t in range(1, c.shape[0]):
            state = self.step(state, c[t])
            m, s = self.estimate(state)
            means.append(m)
            sds.append(s)
        return np.stack(means), np.stack(sds)


@dataclass(frozen=True)
class KalmanTrend(Estimator):
    """Local-linear-trend Kalman filter on log census counts (see module docstring).

    Parameters
    ----------
    cv
        Assumed observation CV of a count (σ_obs² = ln(1 + CV²)). The operating model's own
        CV is unknown to the procedure; 0.2 is the middle of the reference range 0.1–0.3.
    level_sd
        Process sd of the level (die-offs, movement): 0.15 a year.
    slope_sd
        Process sd of the growth rate: 0.05 a year.
    slope_prior
        Prior mean and sd of the growth rate at the first census: (0, 0.2) — no credit for
        past growth until the counts show it.

    Examples
    --------
    >>> est = KalmanTrend()
    >>> state = est.init(np.array([1000.0]))
    >>> state = est.step(state, np.array([1200.0]))
    >>> m, s = est.estimate(state)
    >>> 1000 < float(np.exp(m[0])) < 1200, bool(s[0] < 0.2)
    (True, True)
    """

    cv: float = 0.2
    level_sd: float = 0.15
    slope_sd: float = 0.05
    slope_prior: tuple[float, float] = (0.0, 0.2)

    @property
    def obs_var(self) -> float:
        """Observation variance on the log scale."""
        return float(np.log1p(self.cv**2))

    def _update(self, state: State, count: Array) -> State:
        y = np.log(np.maximum(np.asarray(count, dtype=np.float64), 1e-300))
        seen = np.isfinite(np.asarray(count, dtype=np.float64)) & (np.asarray(count) > 0)
        m, p = state["mean"], state["cov"]  # (..., 2), (..., 2, 2)
        s = p[..., 0, 0] + self.obs_var
        k = p[..., :, 0] / s[..., None]  # (..., 2)
        innov = np.where(seen, y - m[..., 0], 0.0)
        m_new = m + k * innov[..., None]
        p_new = p - k[..., :, None] * p[..., None, 0, :]
        return {
            "mean": np.where(seen[..., None], m_new, m),
            "cov": np.where(seen[..., None, None], p_new, p),
            "started": state["started"] | seen,
        }

    def init(self, count: Array) -> State:
        """Diffuse level, slope prior; then update with the first count."""
        count = np.asarray(count, dtype=np.float64)
        shape = count.shape
        mean = np.zeros((*shape, 2))
        mean[..., 1] = self.slope_prior[0]
        cov = np.zeros((*shape, 2, 2))
        cov[..., 0, 0] = 1e6  # diffuse level: the first count fixes it
        cov[..., 1, 1] = self.slope_prior[1] ** 2
        return self._update({"mean": mean, "cov": cov, "started": np.zeros(shape, bool)}, count)

    def step(self, state: State, count: Array) -> State:
        """Predict one year, then update with the count (skipped where NaN)."""
        m, p = state["mean"], state["cov"]
        m_pred = np.stack([m[..., 0] + m[..., 1], m[..., 1]], axis=-1)
        # P' = F P F^T + Q with F = [[1, 1], [0, 1]]
        p00 = p[..., 0, 0] + 2 * p[..., 0, 1] + p[..., 1, 1] + self.level_sd**2
        p01 = p[..., 0, 1] + p[..., 1, 1]
        p11 = p[..., 1, 1] + self.slope_sd**2
        p_pred = np.stack([np.stack([p00, p01], -1), np.stack([p01, p11], -1)], -2)
        return self._update({"mean": m_pred, "cov": p_pred, "started": state["started"]}, count)

    def estimate(self, state: State) -> tuple[Array, Array]:
        """Return the filtered mean and sd of log abundance at the latest census year."""
        return state["mean"][..., 0].copy(), np.sqrt(state["cov"][..., 0, 0])


@dataclass(frozen=True)
class PerfectEstimator(Estimator):
    """The last count taken as exact (sd 0); a missed survey keeps the previous count.

    Examples
    --------
    >>> mean, sd = PerfectEstimator().filter([100.0, np.nan, 300.0])
    >>> np.exp(mean).round(6).tolist(), sd.tolist()
    ([100.0, 100.0, 300.0], [0.0, 0.0, 0.0])
    """

    def init(self, count: Array) -> State:
        """Take the first count."""
        c = np.asarray(count, dtype=np.float64)
        return {"last": np.log(np.where(np.isfinite(c) & (c > 0), c, np.nan))}

    def step(self, state: State, count: Array) -> State:
        """Replace by the new count where there is one."""
        c = np.asarray(count, dtype=np.float64)
        seen = np.isfinite(c) & (c > 0)
        return {"last": np.where(seen, np.log(np.where(seen, c, 1.0)), state["last"])}

    def estimate(self, state: State) -> tuple[Array, Array]:
        """Return the last count, sd 0."""
        return state["last"].copy(), np.zeros_like(state["last"])
