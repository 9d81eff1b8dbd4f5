"""Performance statistics of a management strategy evaluation (:func:`summarise_mse`).

Reads the replicates of :func:`saigapop.management.mse.run_mse` and computes, per procedure
and population, each risk with its Monte Carlo error (replicates are independent futures, so
the error is the iid ``sd / sqrt(n)``), the upper bound of its 90 % interval, a pass flag,
the replicates needed to pass, and the yield, AAV and sex-ratio statistics;
:func:`mse_table` is the pandas view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from saigapop.management.criteria import ConceptionRisk, Criterion, SexRatioRisk
from saigapop.management.trials import Z_UPPER, CollapseRisk

__all__ = ["DEFAULT_MSE_CRITERIA", "mse_table", "summarise_mse"]

Array = NDArray[np.float64]

#: Criteria judged in the MSE besides the abundance risk (export-caused, paired).
DEFAULT_MSE_CRITERIA: tuple[Criterion, ...] = (SexRatioRisk(), ConceptionRisk(), CollapseRisk())


def _mc(x: Array) -> tuple[Array, Array]:
    n = x.shape[-1]
    m = x.mean(-1)
    se = x.std(-1, ddof=1) / np.sqrt(n) if n > 1 else np.zeros_like(m)
    return m, se


def summarise_mse(
    mse: xr.Dataset,
    *,
    max_added_risk: float = 0.01,
    criteria: Sequence[Criterion] = DEFAULT_MSE_CRITERIA,
) -> xr.Dataset:
    """Compute performance statistics with Monte Carlo errors per procedure and population.

    Parameters
    ----------
    mse
        From :func:`run_mse`.
    max_added_risk
        Limit of the added abundance risk (1 pp, as the quota criterion).
    criteria
        The criteria whose ``{name}_fail`` indicators are in ``mse`` (for their limits).

    Returns
    -------
    xarray.Dataset
        Over ``(procedure, population)``: for each risk ``r`` in ``p_below_limit``,
        ``added_risk`` and ``{criterion}_risk``: ``r``, ``r_mcse``, ``r_upper`` (mean +
        1.645 MC error); ``passes`` (every limited risk's upper bound ≤ its limit) and
        ``n_needed`` (replicates for the binding upper bound to reach its limit at the
        current estimate; NaN where the point estimate exceeds the limit); ``sex_ratio``
        (median at the last rut) and ``sex_ratio_min`` (median of the lowest),
        ``mean_yield`` (± MC error), ``aav``, ``zero_quota_share``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> dims = ("procedure", "replicate", "population")
    >>> fake = xr.Dataset({
    ...     "below_limit": (dims, rng.random((1, 400, 1)) < 0.1),
    ...     "below_limit_zero": (dims, np.zeros((1, 400, 1), bool)),
    ... })
    >>> out = summarise_mse(fake, criteria=())
    >>> bool(abs(out["p_below_limit_mcse"].item() - np.sqrt(0.1 * 0.9 / 400)) < 0.003)
    True
    """
    dims = ("procedure", "population", "replicate")
    out = xr.Dataset(coords={k: mse.coords[k] for k in ("procedure", "population")})
    n = mse.sizes["replicate"]

    def put(name: str, x: Array, limit: float | None = None) -> None:
        m, se = _mc(x.astype(np.float64))
        out[name] = (dims[:2], m)
        out[f"{name}_mcse"] = (dims[:2], se)
        out[f"{name}_upper"] = (dims[:2], m + Z_UPPER * se)
        if limit is not None:
            out[f"{name}_limit"] = limit

    below = mse["below_limit"].transpose(*dims).values
    below0 = mse["below_limit_zero"].transpose(*dims).values
    put("p_below_limit", below)
    put("p_below_limit_zero", below0)
    put("added_risk", below.astype(float) - below0, max_added_risk)
    limited = ["added_risk"]
    for c in criteria:
        key = f"{c.name}_fail"
        if key in mse:
            put(f"{c.name}_risk", mse[key].transpose(*dims).values, c.limit)
            limited.append(f"{c.name}_risk")
    ok = np.ones(out["added_risk"].shape, bool)
    need = np.zeros(out["added_risk"].shape)
    for name in limited:
        lim = float(out[f"{name}_limit"])
        ok &= out[f"{name}_upper"].values <= lim
        m, se = out[name].values, out[f"{name}_mcse"].values
        with np.errstate(invalid="ignore", divide="ignore"):
            nn = np.where(
                m < lim,
                np.where(se > 0, n * (Z_UPPER * se / np.maximum(lim - m, 1e-12)) ** 2, 1.0),
                np.nan,
            )
        need = np.maximum(need, nn) if name != limited[0] else nn  # NaN: some risk fails
    out["passes"] = (dims[:2], ok)
    out["n_needed"] = (dims[:2], np.ceil(need))
    if "sex_ratio_last" in mse:
        out["sex_ratio"] = mse["sex_ratio_last"].median("replicate")
        out["sex_ratio_min"] = mse["sex_ratio_min"].median("replicate")
    if "yield" in mse:
        put("mean_yield", mse["yield"].transpose(*dims).values)
        out["aav"] = mse["aav"].mean("replicate")
        out["zero_quota_share"] = mse["zero_quota_share"].mean("replicate")
    out.attrs["n_replicates"] = n
    return out


def mse_table(summary: xr.Dataset) -> pd.DataFrame:
    """Return the MSE summary as one row per procedure × population.

    Examples
    --------
    >>> from saigapop.management.mse import Procedure, run_mse
    >>> from saigapop.testing import synthetic_posterior
    >>> post = synthetic_posterior({"A": 1e5}, chains=1, draws=20)
    >>> s = summarise_mse(run_mse(post, Procedure(harvest_fraction=0.02), n_replicates=20,
    ...                           block_size=20, limits={"A": 2e4}))
    >>> mse_table(s).index.names
    FrozenList(['procedure', 'population'])
    """
    rows = []
    for proc in summary["procedure"].values:
        for pop in summary["population"].values:
            x = summary.sel(procedure=proc, population=pop)
            row: dict[str, Any] = {"procedure": str(proc), "population": str(pop)}
            for name in ("p_below_limit", "added_risk"):
                row[name] = float(x[name])
                row[f"{name}_mcse"] = float(x[f"{name}_mcse"])
            row["added_upper"] = float(x["added_risk_upper"])
            for name in [v for v in x.data_vars if v.endswith("_risk") and v != "added_risk"]:
                row[name] = float(x[name])
                row[f"{name}_upper"] = float(x[f"{name}_upper"])
            for name in ("sex_ratio", "mean_yield", "mean_yield_mcse", "aav", "zero_quota_share"):
                if name in x:
                    row[name] = float(x[name])
            row["passes"] = bool(x["passes"])
            row["n_needed"] = float(x["n_needed"])
            rows.append(row)
    return pd.DataFrame(rows).set_index(["procedure", "population"])
