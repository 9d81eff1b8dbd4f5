"""Issue 15: the faster solver and risk curve move no number.

``data/quota_pinned.json`` holds the quota, risks, Monte Carlo errors and per-draw failures
of :func:`~saigapop.management.solve_quota` and :func:`~saigapop.management.risk_curve` as
computed by the code *before* the speed-up (commit d4605dc: MC errors by ``arviz_stats`` one
series at a time, one xarray Dataset per chunk), on a synthetic posterior with culls in
all arms, catastrophes, poaching and trade effects. Regenerate only for a deliberate change
of numbers: ``PYTHONPATH=<checkout> python tests/management/test_quota_pinned.py``.

Everything decided by counting — quota, passes, per-draw failures, risks (means of 0/1
indicators are exact), male mortality — must be identical; MC errors must agree to 1e-12
relative: the batched ESS is bit-identical to ``arviz_stats`` (tests/management/
test_mc_batched.py) but the draws' standard deviation is now summed in one fixed order
where the old path's order depended on the memory layout numpy's fancy indexing produced.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import xarray as xr

from saigapop.management import (
    HarvestSchedule,
    OperatingModel,
    default_criteria,
    risk_curve,
    solve_quota,
)
from saigapop.testing import synthetic_posterior

PINNED = Path(__file__).parent / "data" / "quota_pinned.json"
#: exact for everything counted, this close for Monte Carlo errors
MC_RTOL = 1e-12
CURVE_VARS = ("risk", "baseline_risk", "added_risk", "decision_risk")
MC_VARS = ("risk_mcse", "added_risk_mcse", "decision_mcse")


def _digest(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def _om(draws: int = 100, seed: int = 11, scale: float = 0.02) -> OperatingModel:
    post = synthetic_posterior(chains=4, draws=draws, seed=seed, adult_male_share=0.2)
    realised = xr.DataArray(
        np.array([[[0.05, 0.0, 0.43], [0.05, 0.05, 0.42]]] * 3)
        * np.array([87_500.0, 108_500.0, 0.0])[:, None, None]
        * scale,
        dims=("population", "sex", "age"),
        coords={
            "population": ["Betpakdala", "Ural", "Ustyurt"],
            "sex": ["female", "male"],
            "age": ["calf", "yearling", "adult"],
        },
    )
    records = [
        (pop, year, sex, age, share * total * scale)
        for pop, total in (("Betpakdala", 150_000.0), ("Ural", 300_000.0))
        for year in (2026, 2027, 2028)
        for sex, age, share in (
            ("male", "adult", 0.4),
            ("female", "adult", 0.4),
            ("male", "calf", 0.1),
            ("female", "calf", 0.1),
        )
    ]
    return OperatingModel.from_posterior(
        post,
        seed=5,
        realised_removals=realised,
        planned_culls=HarvestSchedule.from_records(records, label="pinned culls"),
    )


def _curve_record(ds: xr.Dataset) -> dict:
    dims = ("criterion", "candidate", "population")
    out = {v: ds[v].transpose(*dims).values.ravel().tolist() for v in (*CURVE_VARS, *MC_VARS)}
    out["passes"] = ds["passes"].transpose(*dims).values.ravel().astype(int).tolist()
    out["criterion"] = [str(c) for c in ds["criterion"].values]
    out["level"] = ds["level"].transpose("candidate", "population").values.ravel().tolist()
    if "fail" in ds:
        fail = ds["fail"].transpose("criterion", "candidate", "draw", "population").values
        out["fail_sha256"] = _digest(fail.astype(np.uint8))
        out["fail_count"] = int(fail.sum())
    for v in ("male_mortality", "export_taken"):
        if v in ds:
            a = ds[v].transpose("candidate", "draw", "population").values.astype(np.float64)
            out[f"{v}_sha256"] = _digest(a)
            out[f"{v}_sum"] = float(a.sum())
    return out


def compute() -> dict:
    """The numbers pinned: a solve and a chunked risk curve."""
    om = _om()
    crit = default_criteria()
    result = solve_quota(om, crit, progress=False)
    hi = 0.5 * np.median(om.n0[..., 1, 1], axis=0)
    levels = np.linspace(0.0, 1.0, 11)[:, None] * hi[None, :]
    curve = risk_curve(om, levels, crit, chunk_size=3, progress=False)
    at = result.at_quota
    return {
        "solve": {
            "level": result.level.values.tolist(),
            "binding": [str(b) for b in result.binding.values],
            "reason": [str(r) for r in result.reason.values],
            "quota": result.quota.values.ravel().tolist(),
            "at_quota": {
                v: at[v].transpose("criterion", "population").values.ravel().tolist()
                for v in (*CURVE_VARS, *MC_VARS)
            },
            "risk_curve": _curve_record(result.risk_curve),
            "male_mortality": {
                v: result.male_mortality[v].values.ravel().tolist()
                for v in result.male_mortality.data_vars
            },
        },
        "curve": _curve_record(curve),
    }


def _compare(got, want, path: str, mc: bool = False) -> None:
    if isinstance(want, dict):
        assert set(got) == set(want), path
        for k in want:
            _compare(got[k], want[k], f"{path}.{k}", mc or k in MC_VARS)
    elif isinstance(want, list) and want and isinstance(want[0], float) and mc:
        np.testing.assert_allclose(got, want, rtol=MC_RTOL, atol=0, err_msg=path)
    else:
        assert got == want, path


def test_solve_and_curve_match_the_pinned_numbers():
    want = json.loads(PINNED.read_text())
    _compare(compute(), want, "pinned")


if __name__ == "__main__":  # regenerate (with the code whose numbers are to be pinned)
    PINNED.write_text(json.dumps(compute(), indent=0) + "\n")
    sys.stdout.write(f"wrote {PINNED}\n")
