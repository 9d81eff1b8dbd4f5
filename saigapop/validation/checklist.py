"""The acceptance checklist: one pass/fail line per validation result.

Every validation result (:class:`~saigapop.validation.recovery.RecoveryResult`,
:class:`~saigapop.validation.sbc.SBCResult`, ...) has a ``.check()`` method returning a
:class:`Check`; :func:`checklist_table` turns several of them into the table the report's
"Diagnostics and acceptance checklist" section shows as it is.

Default thresholds (see ``docs/validation.md`` for why):

================================  ==========================================
check                             passes when
================================  ==========================================
Mohn's ρ (retrospective)          ``abs(ρ) ≤ 0.3`` for every population/quantity
hindcast MASE                     ``MASE < 1`` (better than the last count)
PSIS-LOO Pareto k̂                 every ``k̂ < 0.7`` (reported, not gating)
SBC uniformity                    every (Bonferroni-adjusted) ``p > 0.01``
recovery coverage of 90 % CIs     not below the 99 % binomial band of the
                                  replicates (above it: wider than nominal)
prior sensitivity                 reported, not gating
================================  ==========================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy import stats

from saigapop.model.diagnostics import CONVERGENCE_THRESHOLDS, PARETO_KHAT_MAX

__all__ = [
    "CHECKLIST_COLUMNS",
    "KHAT_THRESHOLD",
    "MASE_THRESHOLD",
    "RHO_THRESHOLD",
    "SBC_ALPHA",
    "THRESHOLDS",
    "Check",
    "binomial_band",
    "checklist_table",
]

#: Every threshold of the acceptance checklist, in one place. The convergence gate and the
#: Pareto k̂ limit are defined beside the diagnostics that the model and management layers
#: compute (:data:`saigapop.model.diagnostics.CONVERGENCE_THRESHOLDS`,
#: :data:`~saigapop.model.diagnostics.PARETO_KHAT_MAX`: those layers sit below validation and
#: may not import it) and collected here; nothing else types them.
THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {
        **CONVERGENCE_THRESHOLDS,
        # Pareto k̂ above this makes PSIS(-LOO) unreliable (Vehtari et al. 2024)
        "khat_max": PARETO_KHAT_MAX,
        # largest acceptable |Mohn's ρ| (ICES practice for short-lived stocks is ±0.3)
        "rho_max": 0.3,
        # hindcast MASE must be below this (1 = no better than the naive last count)
        "mase_max": 1.0,
        # SBC uniformity tests fail below this p-value
        "sbc_alpha": 0.01,
    }
)
#: Largest acceptable |Mohn's ρ| (``THRESHOLDS["rho_max"]``).
RHO_THRESHOLD = THRESHOLDS["rho_max"]
#: Hindcast MASE must be below this (``THRESHOLDS["mase_max"]``).
MASE_THRESHOLD = THRESHOLDS["mase_max"]
#: Pareto k̂ limit of PSIS-LOO (``THRESHOLDS["khat_max"]``).
KHAT_THRESHOLD = THRESHOLDS["khat_max"]
#: SBC uniformity p-value limit (``THRESHOLDS["sbc_alpha"]``).
SBC_ALPHA = THRESHOLDS["sbc_alpha"]
#: Columns of the acceptance-checklist table.
CHECKLIST_COLUMNS: tuple[str, ...] = (
    "Check",
    "Value",
    "Threshold",
    "Passed",
    "Gates the quota",
    "Detail",
)


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the acceptance checklist.

    Parameters
    ----------
    name
        Short name, e.g. ``"Mohn's rho"``.
    passed
        Whether the check passed.
    value
        The number that was compared (e.g. the worst abs(ρ)); NaN when not computable.
    threshold
        The threshold in words, e.g. ``"|rho| <= 0.3"``.
    text
        One sentence for the report, naming what was worst.
    gating
        Whether a failure stops the quota from being recommended. Checks of an
        *approximation* rather than of the model (PSIS-LOO's Pareto k̂) are reported with
        ``gating=False``: their failure is shown, and the quota is not withheld for it.

    Examples
    --------
    >>> c = Check("MASE", True, 0.8, "< 1", "hindcast MASE 0.80 < 1")
    >>> c.line()
    'PASS  MASE: hindcast MASE 0.80 < 1 (value 0.8, threshold < 1)'
    """

    name: str
    passed: bool
    value: float
    threshold: str
    text: str
    gating: bool = True

    def line(self) -> str:
        """Format the check as one line (``PASS``/``FAIL``, name, text, value, threshold)."""
        flag = "PASS" if self.passed else "FAIL"
        note = "" if self.gating else ", reported, not gating"
        return (
            f"{flag}  {self.name}: {self.text} (value {self.value:.3g}, "
            f"threshold {self.threshold}{note})"
        )

    def as_row(self) -> dict[str, object]:
        """Return the check as a table row (the columns of :data:`CHECKLIST_COLUMNS`)."""
        return {
            "Check": self.name,
            "Value": self.value,
            "Threshold": self.threshold,
            "Passed": bool(self.passed),
            "Gates the quota": bool(self.gating),
            "Detail": self.text,
        }


def checklist_table(checks: Iterable[Check]) -> pd.DataFrame:
    """Arrange checks as the report's acceptance-checklist table.

    Parameters
    ----------
    checks
        :class:`Check` objects (e.g. ``[result.check() for result in results]``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CHECKLIST_COLUMNS`, one row per check.

    Examples
    --------
    >>> t = checklist_table([Check("a", True, 0.1, "< 1", "ok"), Check("b", False, 2, "< 1", "no")])
    >>> t["Passed"].tolist()
    [True, False]
    """
    rows = [c.as_row() for c in checks]
    return pd.DataFrame(rows, columns=list(CHECKLIST_COLUMNS))


def binomial_band(n: int, prob: float = 0.9, level: float = 0.99) -> tuple[float, float]:
    """Central ``level`` band of the observed coverage of ``n`` independent ``prob`` intervals.

    If each of ``n`` nominal ``prob`` intervals covers its true value independently with
    probability ``prob``, the number covering is Binomial(n, prob); the band is its central
    ``level`` interval divided by ``n``.

    Parameters
    ----------
    n
        Number of intervals (≥ 1).
    prob
        Nominal coverage of each interval (default 0.9).
    level
        Probability mass of the band (default 0.99).

    Returns
    -------
    tuple of float
        ``(lower, upper)`` coverage fractions.

    Examples
    --------
    >>> binomial_band(100)
    (0.82, 0.97)
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    tail = (1.0 - level) / 2.0
    lo, hi = stats.binom.ppf([tail, 1.0 - tail], n, prob)
    return float(np.asarray(lo) / n), float(np.asarray(hi) / n)
