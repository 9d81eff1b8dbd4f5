"""The quota, trials and MSE of the bundled Kazakhstan data, from a saved fit (issues 5, 6).

Prints, per population: the three-year quota (adult males, horns, kg, by source — stock vs
new harvest — against the 10,000 kg cap), the binding criterion, absolute and added risks
with Monte Carlo errors, the suspension triggers, the PBR and ICES cross-checks; then the
reference and robustness trial table and the closed-loop MSE table with its wall time.

Run (the fit is written by ``benchmarks/fit.py`` / ``saigapop.model.io.save_fit``)::

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python scripts/bundled_quota.py /work/fits/bundled.zarr

Options: ``--seed`` (operating model, default 2025 as ``saigapop report``), ``--replicates``
(MSE, default 1000), ``--refits DIR`` (trials conditioned by refits from
``scripts/refit_trials.py`` instead of reweighting), ``--skip-trials``, ``--skip-mse``.
Ends with ``name: value unit`` lines.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from saigapop.assessment import Assessment, AssessmentConfig
from saigapop.constants import CITES_CAP_KG
from saigapop.datasets import load_kazakhstan
from saigapop.management import (
    DEFAULT_ABUNDANCE_LIMITS,
    ConstantHarvest,
    HornConversion,
    HornStock,
    allocate_cap,
    compute_triggers,
    ices_percentile_rule,
    pbr_table,
    run_trials,
    solve_quota,
)
from saigapop.management.mse import (
    mse_table,
    pbr_procedure,
    procedure_from_quota,
    run_mse,
    summarise_mse,
    tune_procedure,
)
from saigapop.management.trials import DEFAULT_TRIALS, build_trial_model, trial_table
from saigapop.model.io import load_fit

pd.set_option("display.width", 200)
pd.set_option("display.max_columns", 40)
pd.set_option("display.max_rows", 200)


def main() -> None:
    """Print the quota, cap allocation, triggers, cross-checks, trials and MSE."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fit", help="saved fit (.zarr or .nc)")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--skip-trials", action="store_true")
    ap.add_argument("--skip-mse", action="store_true")
    ap.add_argument(
        "--refits",
        type=Path,
        default=None,
        help="directory of refits <trial>.zarr (scripts/refit_trials.py)",
    )
    args = ap.parse_args()

    t_all = time.perf_counter()
    data = load_kazakhstan()
    config = AssessmentConfig(seed=args.seed, mse_replicates=args.replicates, om_draws=None)
    assessment = Assessment.from_fit(data, load_fit(args.fit), config, progress=False)
    fit = assessment.fit()
    post = fit["posterior"]
    t0 = time.perf_counter()
    rec = assessment.recommend()  # the report's quota: fitted world + reference trials
    t_solve = time.perf_counter() - t0
    om, result, flags, latest = rec.om, rec.result, rec.prior_driven, rec.latest_year
    criteria = result.criteria
    removed = rec.om_options["realised_removals"]
    print(
        f"fit: {args.fit}; {post.sizes['chain']} chains x {post.sizes['draw']} draws; "
        f"latest census {latest}; seed {args.seed}; sex ratio prior-driven: {flags}"
    )
    print(
        f"convergence: max R-hat {om.settings['max_rhat']:.4f}, "
        f"converged {om.settings['converged']}"
    )
    pops = list(om.populations)

    # ---- quota, binding criterion, risks ----------------------------------------------
    print("\n== Recommended quota (adult males a year, 2026-2028), binding criterion, risks ==")
    rows = []
    for p in pops:
        aq = result.at_quota.sel(population=p)
        row = {
            "population": p,
            "quota": float(result.level.sel(population=p)),
            "binding": str(result.binding.sel(population=p).values),
        }
        for c in aq["criterion"].values:
            x = aq.sel(criterion=c)
            row[f"{c}: P with"] = float(x["risk"])
            row[f"{c}: P without"] = float(x["baseline_risk"])
            row[f"{c}: decision±mc"] = (
                f"{float(x['decision_risk']):.4f}±{float(x['decision_mcse']):.4f}"
                f" (≤{float(x['limit']):g})"
            )
        rows.append(row)
    print(pd.DataFrame(rows).set_index("population").T.to_string())
    print("reasons:")
    for p in pops:
        print(f"  {p}: {result.reason.sel(population=p).values}")
    mm = result.male_mortality
    print("total male mortality per quota year (median; export + cull + poaching + wounding):")
    print(mm.sel(statistic="median").to_dataframe().drop(columns="statistic", errors="ignore"))

    # ---- horns and kg, stock vs new harvest ---------------------------------------------
    conv = HornConversion()
    stock = HornStock()
    alloc = allocate_cap(result, stock=stock, cap_kg=CITES_CAP_KG, conversion=conv)
    print(
        f"\n== Export against the {CITES_CAP_KG:,.0f} kg cap (checked at "
        f"{conv.heavy_kg_per_male:g} kg/male, the heavy end of {conv.horn_mass_g} g/horn; stock "
        f"{stock.pieces:,} horns from {stock.origin}, "
        f"{'–'.join(f'{v:,.0f}' for v in stock.kg_range(conv))} kg) =="
    )
    tab = alloc[["animals", "horns", "kg_low", "kg"]].to_dataframe().unstack("source")
    tab.columns = [f"{a} {b}" for a, b in tab.columns]
    tab["quota (males)"] = alloc["quota_animals"].to_series()
    tab["quota kg"] = alloc["quota_kg"].to_series()
    print(tab.round(1).to_string())
    for y in alloc["year"].values:
        a = alloc.sel(year=y)
        print(
            f"  {int(y)}: exported {float(a['kg'].sum()):,.1f} kg = stock "
            f"{float(a['kg'].sel(source='stock').sum()):,.1f} + new harvest "
            f"{float(a['kg'].sel(source='new_harvest').sum()):,.1f}; unused cap "
            f"{float(a['unused_cap_kg']):,.1f} kg"
        )

    # ---- triggers --------------------------------------------------------------------
    trig = compute_triggers(om, result)
    print("\n== Triggers that suspend the autumn take (local risk > P* = 0.1) ==")
    tt = trig.to_dataframe()
    cols = [
        "die_off",
        "die_off_basis",
        "die_off_hit",
        "census",
        "expected_count",
        "census_basis",
        "census_conditional_risk",
        "census_hit",
        "sex_ratio",
        "sex_ratio_basis",
        "sex_ratio_hit",
    ]
    print(tt[cols].round(3).to_string())
    n0 = np.asarray(om.n0).sum(axis=(-2, -1))
    base = om.baseline(record="full")
    for j, p in enumerate(pops):
        med25 = float(np.median(n0[:, j]))
        med26 = float(base["total"].sel(year=latest + 1, population=p).median())
        c26 = float(trig["census"].sel(year=latest + 1, population=p))
        print(
            f"  {p}: census trigger {latest + 1} {c26:,.0f} vs median true abundance "
            f"{latest} {med25:,.0f} and {latest + 1} (no export) {med26:,.0f}"
        )

    # ---- PBR and ICES ---------------------------------------------------------------
    levels = result.level.sel(population=pops).values[None]
    at = om.project(ConstantHarvest(), levels, record="full").isel(candidate=0)
    qy = list(om.quota_years)
    removed_q = at["removed"].sel(year=qy).sum(("source", "sex", "age_class"))
    human = removed_q.mean("year").median("draw")
    male = at["male_mortality"].sel(year=qy).mean("year").median("draw")
    pbr = pbr_table(om, human_caused=human, male_human_caused=male)
    limits = {p: DEFAULT_ABUNDANCE_LIMITS[p] for p in pops}
    pbr["ices_total"] = ices_percentile_rule(om, limits)
    pbr["ices_male"] = ices_percentile_rule(om, limits, males_only=True)
    pbr["quota"] = result.level.sel(population=pops)
    print("\n== PBR (F_r = 0.5, N_min = 20th percentile) and ICES-style rule (35th pct) ==")
    print(pbr.to_dataframe().T.round(3).to_string())

    print(f"\nquota_solve_wall: {t_solve:.2f} s")
    for p in pops:
        print(f"quota_{p}: {float(result.level.sel(population=p)):.0f} adult males/year")

    # ---- trials -------------------------------------------------------------------
    if not args.skip_trials:
        print("\n== Reference and robustness trials (the recommended quota in each) ==")
        t0 = time.perf_counter()
        refits = {}
        if args.refits is not None:
            refits = {p.stem: load_fit(p) for p in sorted(args.refits.glob("*.zarr"))}
        print(f"refitted trials: {sorted(refits) or 'none'}")
        trials = run_trials(
            fit,
            result,
            seed=args.seed,
            realised_removals=removed,
            progress=False,
            refits=refits,
        )
        t_trials = time.perf_counter() - t0
        tt = trial_table(trials)
        print(tt.round(4).to_string())
        print("conditioning per trial:")
        for t in trials["trial"].values:
            x = trials.sel(trial=t)
            print(
                f"  {t!s:28s} {x['kind'].values!s:10s} {x['conditioning'].values!s}"
                f" | passes: {bool(x['trial_passes'].all())}"
            )
        print(f"failed trials: {trials.attrs['failed_trials']}")
        print(f"trials_wall: {t_trials:.1f} s")
        print(
            f"trials_passed: {int(trials['trial_passes'].all('population').sum())} of "
            f"{trials.sizes['trial']}"
        )

        # the quota that passes every reference trial (DESIGN §5): solve in each
        # projection-changing or refitted reference trial and keep the minimum
        print("\n== Quota solved in every reference trial (minimum = passes them all) ==")
        levels, binding, names = [], [], []
        for t in DEFAULT_TRIALS:
            if t.kind != "reference" or (t.reweight is not None and t.name not in refits):
                continue
            om_t = build_trial_model(
                refits.get(t.name, fit), t, seed=args.seed, realised_removals=removed
            )
            r_t = solve_quota(om_t, criteria, progress=False)
            levels.append(r_t.level.sel(population=pops).values)
            binding.append(r_t.binding.sel(population=pops).values)
            names.append(t.name)
        lv = pd.DataFrame(np.array(levels), index=names, columns=pops)
        bd = pd.DataFrame(np.array(binding), index=names, columns=pops)
        print(pd.concat([lv, bd.add_suffix(" binding")], axis=1).to_string())
        robust = lv.min(axis=0)
        print(
            "minimum over reference trials: "
            + ", ".join(f"{p} {robust[p]:,.0f} ({lv[p].idxmin()})" for p in pops)
        )
        check = run_trials(
            fit,
            robust.values.tolist(),
            criteria,
            seed=args.seed,
            realised_removals=removed,
            progress=False,
            refits=refits,
        )
        ok = check["trial_passes"].all("population").to_series()
        print(f"at that quota, trials failing: {[t for t, v in ok.items() if not v] or 'none'}")
        for p in pops:
            print(f"robust_quota_{p}: {robust[p]:.0f} adult males/year")

    # ---- MSE ------------------------------------------------------------------------
    if not args.skip_mse:
        print(
            f"\n== Closed-loop MSE: {args.replicates} replicates x {om.horizon} years, "
            "procedure vs PBR vs zero export =="
        )
        procs = [procedure_from_quota(result, fit), pbr_procedure(om)]
        t0 = time.perf_counter()
        mse = run_mse(
            fit,
            procs,
            n_replicates=args.replicates,
            seed=args.seed,
            realised_removals=removed,
        )
        t_mse = time.perf_counter() - t0
        summary = summarise_mse(mse)
        print(mse_table(summary).round(4).to_string())
        print(
            f"mse_wall: {t_mse:.1f} s (serial, {mse.sizes['replicate']} replicates, "
            f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})"
        )
        print("\n== Tuning the procedure's harvest fraction (same replicates, CRN) ==")
        cols = ["sex_ratio_risk_upper", "conception_risk_upper", "added_upper", "mean_yield"]
        for trade in (True, False):
            best, tuned = tune_procedure(
                fit,
                procs[0],
                multipliers=(0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0),
                n_replicates=args.replicates,
                seed=args.seed,
                realised_removals=removed,
                trade_effect=trade,
            )
            label = "with" if trade else "without"
            print(f"-- {label} the trade effect on poaching while export is open --")
            print(mse_table(tuned)[cols].round(4).to_string())
            if best is None:
                print(f"tuned_procedure_{label}_trade: none passes")
            else:
                hf = best.harvest_fraction
                hf = hf if isinstance(hf, dict) else dict.fromkeys(pops, hf)
                fr = ", ".join(f"{p} {float(v):.5f}" for p, v in hf.items())
                print(f"tuned_procedure_{label}_trade: harvest fraction {fr}")
    print(f"total_wall: {time.perf_counter() - t_all:.1f} s")


if __name__ == "__main__":
    main()
