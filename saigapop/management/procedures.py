"""Management procedures judged by the MSE: the annual quota rule and the PBR rule, as data.

A :class:`Procedure` says how the quota is set year after year from the counts the
procedure will really have (estimator, data lag, percentile, harvest fraction, three-year
cap, national CITES cap, implementation error). :func:`procedure_from_quota` builds the one
that starts from a recommended quota, :func:`pbr_procedure` the potential-biological-removal
comparator. :mod:`saigapop.management.mse` runs them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from saigapop.exceptions import ConfigError
from saigapop.management.estimators import Estimator, KalmanTrend
from saigapop.management.horns import HornConversion
from saigapop.management.operating_model import OperatingModel
from saigapop.management.pbr import lambda_max
from saigapop.management.quota import QuotaResult
from saigapop.model.schema import read_posterior as validate_posterior

__all__ = ["NATIONAL_CAP_ANIMALS", "Procedure", "pbr_procedure", "procedure_from_quota"]

Array = NDArray[np.float64]

#: National CITES cap in adult males a year: 10,000 kg at the precautionary 0.33 kg/male.
NATIONAL_CAP_ANIMALS: float = 10_000.0 / HornConversion().kg_per_male


@dataclass(frozen=True)
class Procedure:
    """A management procedure: census → estimator → quota rule → implementation.

    Parameters
    ----------
    name
        Label (coordinate of the ``procedure`` dim).
    rule
        ``"fraction"`` (quota = ``harvest_fraction`` × estimated adult males at the lower
        ``percentile``), ``"fixed"`` (``fixed_quota`` every year, whatever the data say) or
        ``"zero"``.
    harvest_fraction
        Fraction of estimated adult males, one value or per population.
    fixed_quota
        Per population (mapping) or one value, for ``rule="fixed"``.
    initial_quota
        The first cap (quota years ``Y+1 … Y+interval``), per population: the recommended
        quota already decided. ``None``: from the rule.
    estimator
        The estimator (default :class:`~saigapop.management.estimators.KalmanTrend`).
    male_share
        Assumed adult-male share of the census total (the counts do not see it).
    z
        Lower percentile of the estimate as a normal quantile: 0.842 → the 20th percentile,
        NOAA's N_min.
    interval
        Years a cap stands before it is reassessed (3: the CITES decision).
    annual_check
        Each year the quota may be lowered within the cap (and set to zero below the limit).
    lag
        Years between the census and the removal season it informs (1).
    p_missed
        Probability that a census is not flown (the year-``Y`` census exists).
    limits
        Estimated-abundance level below which the quota is zero (default: the abundance
        limits of :data:`~saigapop.management.criteria.DEFAULT_ABUNDANCE_LIMITS`).
    national_cap
        Sum over populations per year (animals); ``None``: no cap.
    implementation_cv
        Lognormal CV of the export actually taken around its target.
    overshoot
        Systematic excess of the export over the quota (0.25: 25 % more).
    observation_cv, catchability
        Override the operating model's per-draw census CV and catchability (``0.0`` and
        ``1.0`` give exact counts).

    Examples
    --------
    >>> Procedure(harvest_fraction=0.02).interval
    3
    """

    name: str = "procedure"
    rule: Literal["fraction", "fixed", "zero"] = "fraction"
    harvest_fraction: float | Mapping[str, float] = 0.0
    fixed_quota: float | Mapping[str, float] = 0.0
    initial_quota: Mapping[str, float] | None = None
    estimator: Estimator = field(default_factory=KalmanTrend)
    male_share: float = 0.15
    z: float = 0.842
    interval: int = 3
    annual_check: bool = True
    lag: int = 1
    p_missed: float = 0.1
    limits: Mapping[str, float] | None = None
    national_cap: float | None = NATIONAL_CAP_ANIMALS
    implementation_cv: float = 0.1
    overshoot: float = 0.0
    observation_cv: float | None = None
    catchability: float | None = None

    def __post_init__(self) -> None:
        if self.rule not in ("fraction", "fixed", "zero"):
            raise ConfigError(f"rule must be 'fraction', 'fixed' or 'zero', got {self.rule!r}")
        if self.interval < 1 or self.lag < 0:
            raise ConfigError("interval must be ≥ 1 and lag ≥ 0")
        if not 0 <= self.p_missed < 1:
            raise ConfigError(f"p_missed must lie in [0, 1), got {self.p_missed}")
        if not 0 < self.male_share < 1:
            raise ConfigError(f"male_share must lie in (0, 1), got {self.male_share}")

    def per_population(self, value: float | Mapping[str, float], pops: Sequence[str]) -> Array:
        """Resolve a scalar-or-mapping setting to an array over ``pops``."""
        if isinstance(value, Mapping):
            missing = [p for p in pops if p not in value]
            if missing:
                raise ConfigError(f"{self.name}: no value for population(s) {missing}")
            return np.array([float(value[p]) for p in pops])
        return np.full(len(pops), float(value))


def procedure_from_quota(
    quota: QuotaResult | Mapping[str, float],
    posterior: xr.DataTree | xr.Dataset,
    *,
    name: str = "procedure",
    **options: Any,
) -> Procedure:
    """Build the procedure behind a recommended quota: first cap = quota, then its rate.

    The harvest fraction is the quota over the adult males the procedure would estimate
    from the latest census: ``male_share`` × the lower ``z`` percentile of the posterior
    median count (catchability × true total), i.e. the rate at which the recommended quota
    would be set again from an unchanged census.

    Parameters
    ----------
    quota
        A :class:`~saigapop.management.QuotaResult` or levels per population.
    posterior
        The posterior the quota was solved on.
    name
        Procedure label.
    **options
        Other :class:`Procedure` fields.

    Returns
    -------
    Procedure

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> post = synthetic_posterior({"A": 1e5}, chains=1, draws=20)
    >>> proc = procedure_from_quota({"A": 500.0}, post)
    >>> 0 < proc.harvest_fraction["A"] < 0.1, proc.initial_quota
    (True, {'A': 500.0})
    """
    ds = validate_posterior(posterior)
    y = int(ds["N"]["year"].values.max())
    total = ds["N"].sel(year=y).sum(("sex", "age"))
    count = (ds["catchability"] * total).median(("chain", "draw"))
    levels = (
        {str(p): float(quota.level.sel(population=p)) for p in quota.level["population"].values}
        if isinstance(quota, QuotaResult)
        else {str(k): float(v) for k, v in quota.items()}
    )
    proto = Procedure(name=name, **options)
    est = proto.estimator
    sd = float(np.sqrt(est.obs_var)) if isinstance(est, KalmanTrend) else 0.0
    fraction = {}
    for p, lv in levels.items():
        males = proto.male_share * float(count.sel(population=p)) * np.exp(-proto.z * sd)
        fraction[p] = float(lv / males) if males > 0 else 0.0
    return dataclasses.replace(proto, harvest_fraction=fraction, initial_quota=levels)


def pbr_procedure(
    om: OperatingModel, *, recovery_factor: float = 0.5, name: str = "pbr", **options: Any
) -> Procedure:
    """Build the PBR comparator: export = N_min(adult males) × ½ R_max × F_r.

    R_max is the posterior median of λ_max − 1 per population
    (:func:`saigapop.management.lambda_max`); N_min is the procedure's lower 20th
    percentile of estimated adult males, so the rule is a fraction rule with
    ``harvest_fraction = ½ R_max F_r``.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> om = OperatingModel.from_posterior(synthetic_posterior({"A": 1e5}, chains=1, draws=20))
    >>> 0 < pbr_procedure(om).harvest_fraction["A"] < 0.5
    True
    """
    r = np.median(lambda_max(om).values - 1.0, axis=0)
    frac = {
        p: float(0.5 * max(r_p, 0.0) * recovery_factor)
        for p, r_p in zip(om.populations, r, strict=True)
    }
    return Procedure(name=name, rule="fraction", harvest_fraction=frac, **options)
