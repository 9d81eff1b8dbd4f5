"""Whether the posterior a quota rests on looks converged: R-hat of what the quota depends on.

:meth:`saigapop.management.OperatingModel.from_posterior` runs :func:`convergence_check` on the
posterior and warns (:class:`ConvergenceWarning`) when it fails; the quota is still computed
and carries the note. The R-hat limit is the fit's convergence gate
(:data:`saigapop.model.diagnostics.CONVERGENCE_THRESHOLDS`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from saigapop.management._mc import rhat
from saigapop.model.diagnostics import CONVERGENCE_THRESHOLDS

__all__ = ["RHAT_MAX", "RHAT_VARIABLES", "ConvergenceWarning", "convergence_check"]


class ConvergenceWarning(UserWarning):
    """The posterior the quota rests on does not look converged."""


#: R-hat above which a quota is loudly marked as resting on an unconverged fit (the fit's
#: convergence gate, :data:`saigapop.model.diagnostics.CONVERGENCE_THRESHOLDS`).
RHAT_MAX: float = CONVERGENCE_THRESHOLDS["rhat_max"]
#: Variables whose R-hat is checked before projecting (those a quota depends on most).
RHAT_VARIABLES: tuple[str, ...] = ("N", "survival", "harem_size")


def convergence_check(ds: xr.Dataset) -> dict[str, object]:
    """R-hat of what a quota depends on most; flags an unconverged fit.

    Checked: total and adult-male abundance at the latest census, adult-male survival and
    harem size, per population.

    Also honours an explicit ``converged`` attribute set by the model side.

    Returns
    -------
    dict
        ``max_rhat`` (NaN with one chain), ``converged`` (bool) and ``note``.
    """
    worst = np.nan
    if ds.sizes.get("chain", 1) > 1 and ds.sizes.get("draw", 1) > 3:
        for name in RHAT_VARIABLES:
            if name not in ds:
                continue
            da = ds[name]
            if name == "N":  # totals and adult males at the latest census, per population
                last = da.sel(year=da["year"].values.max())
                da = xr.concat(
                    [last.sum(("sex", "age")), last.sel(sex="male", age="adult", drop=True)],
                    dim="summary",
                )
            elif name == "survival":
                da = da.sel(sex="male", age="adult", drop=True)
            stacked = da.stack(sample=("chain", "draw")).transpose(..., "sample")
            r = rhat(stacked.values, stacked["chain"].values)
            r = np.asarray(r)[np.isfinite(r)]
            if r.size:
                worst = float(np.nanmax([worst, r.max()])) if np.isfinite(worst) else float(r.max())
    flag = ds.attrs.get("converged")
    converged = (not np.isfinite(worst) or worst <= RHAT_MAX) and flag is not False and flag != 0
    note = (
        ""
        if converged
        else (
            f"the posterior does not look converged (max R-hat {worst:.3f} > {RHAT_MAX}"
            + (", model marked it unconverged" if flag in (False, 0) else "")
            + "): quotas from it are not a basis for a non-detriment finding"
        )
    )
    return {"max_rhat": worst, "converged": bool(converged), "note": note}
