"""The slow tier: real fits of the population model (opt-in: ``make test-slow``).

Each test runs the real sampler through :mod:`saigapop.validation.fitters` and prints the
figures quoted in ``docs/validation.md``. Set ``SAIGAPOP_VALIDATION_OUT`` to a folder to keep
the tables (CSV) and figures (PNG); by default they go to pytest's temporary folder.
Sampler settings: ``SAIGAPOP_VALIDATION_DRAWS`` (default 500 draws + 500 tuning, 4 chains),
``SAIGAPOP_SBC_SIMS`` (default 100), ``SAIGAPOP_SBC_DRAWS`` (default 250 draws + 250 tuning,
2 chains per SBC fit), ``SAIGAPOP_RECOVERY_REPS`` (default 10), ``SAIGAPOP_LOO_REFITS``
(default 4); ``SAIGAPOP_VALIDATION_WORKERS`` (alias ``SAIGAPOP_SBC_WORKERS``) sends the grids
to a Dask ``LocalCluster`` with that many workers (default: serial through the same
``saigapop.runner.run_grid``). ``SAIGAPOP_FIT_CACHE`` keeps the bundled-data fits in a folder
(:class:`saigapop.validation.CachedFitter`), so the retrospective, decision retrospective,
influence and LOO tests share them and an interrupted run resumes.
``SAIGAPOP_TORNADO_ROBUST=1`` solves the tornado's quotas across the reference trials (as
``saigapop report`` does) instead of in each refit's fitted world.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import saigapop as sp
import saigapop.model.fit as fit_module
import saigapop.model.priors as priors_module
import saigapop.validation as sv
from saigapop.model.config import ModelConfig, SamplerConfig

pytestmark = pytest.mark.slow


DRAWS = int(os.environ.get("SAIGAPOP_VALIDATION_DRAWS", "500"))
SAMPLER = SamplerConfig(chains=4, draws=DRAWS, tune=DRAWS, prior_draws=1000)
SBC_SIMS = int(os.environ.get("SAIGAPOP_SBC_SIMS", "100"))
#: The stated true values of the recovery study (one population, 2003–2012, a cull from 2008).
RECOVERY_TRUTH = sv.TrueParameters(
    populations=("Ural",),
    start_year=2003,
    end_year=2012,
    harem_size=19.0,
    obs_cv=0.2,
    process_noise_sd=0.1,
    initial_abundance=20_000.0,
    initial_male_share=0.125,
    removals=xr.DataArray(
        [[0, 0, 0, 0, 0, 2000, 2000, 3000, 3000, 4000]],
        dims=("population", "year"),
        coords={"population": ["Ural"], "year": np.arange(2003, 2013)},
    ),
)
#: A second truth off the prior medians of the parameters the data barely inform (harem
#: size 1.3 prior SDs low, catchability 1.1 low, observation CV 0.7 high).
RECOVERY_TRUTH_OFF_CENTRE = dataclasses.replace(
    RECOVERY_TRUTH, harem_size=13.0, catchability_base=0.85, obs_cv=0.3
)
RECOVERY_TRUTHS = {"prior_centre": RECOVERY_TRUTH, "off_centre": RECOVERY_TRUTH_OFF_CENTRE}
RECOVERY_DESIGN = sv.ObservationDesign(sex_ratio_years=[2006, 2010], sex_ratio_sample=500)
RECOVERED = [
    "obs_cv",
    "harem_size",
    "process_noise_sd",
    "survival",
    "fecundity",
    "initial_male_share",
    "catchability_base",
    "N",
]


def _grid() -> dict:
    """``run_grid`` options: Dask with SAIGAPOP_VALIDATION_WORKERS workers, else serial."""
    workers = int(
        os.environ.get("SAIGAPOP_VALIDATION_WORKERS", os.environ.get("SAIGAPOP_SBC_WORKERS", "0"))
    )
    return {"n_workers": workers, "progress": True} if workers else {"serial": True}


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory) -> Path:
    path = Path(os.environ.get("SAIGAPOP_VALIDATION_OUT") or tmp_path_factory.mktemp("validation"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _save(out_dir: Path, name: str, fig=None, table=None) -> None:
    if fig is not None:
        fig.savefig(out_dir / f"{name}.png", dpi=150)
    if table is not None:
        table.to_csv(out_dir / f"{name}.csv", index=False)


def _record(out_dir: Path, check, test: str, *, simulated: bool = False, name: str = "") -> None:
    """Keep ``check`` in ``out_dir/checks.json`` for ``saigapop report --validation-evidence``."""
    check = dataclasses.replace(check, name=name) if name else check
    data_hash = "simulated data" if simulated else sp.load_kazakhstan().data_hash
    settings = " ".join(
        f"{k}={os.environ[k]}"
        for k in (
            "SAIGAPOP_VALIDATION_DRAWS",
            "SAIGAPOP_RECOVERY_REPS",
            "SAIGAPOP_SBC_SIMS",
            "SAIGAPOP_SBC_DRAWS",
        )
        if k in os.environ
    )
    sv.record_check(
        out_dir / "checks.json",
        check,
        data_hash=data_hash,
        source=f"{settings} pytest -m slow tests/validation -k '{test}'".strip(),
    )


@pytest.fixture(scope="module")
def data():
    return sp.load_kazakhstan()


@pytest.fixture(scope="module")
def fitter():
    """The bundled-data fitter; with SAIGAPOP_FIT_CACHE its fits are kept and shared."""
    fitter = sv.model_fitter(sampler_config=SAMPLER)
    cache = os.environ.get("SAIGAPOP_FIT_CACHE")
    return sv.CachedFitter(fitter, cache) if cache else fitter


@pytest.fixture(scope="module")
def reference_fit(data, fitter):
    return sv.add_log_densities(fitter(data, sv.last_census_year(data)), data)


@pytest.mark.parametrize("truth_name", list(RECOVERY_TRUTHS))
def test_recovery_at_stated_values(out_dir, truth_name):
    config = ModelConfig(start_year=2003, density_dependence="none")
    fitter = sv.model_fitter(config, sampler_config=SAMPLER)
    res = sv.run_recovery(
        RECOVERY_TRUTHS[truth_name],
        RECOVERY_DESIGN,
        fitter,
        int(os.environ.get("SAIGAPOP_RECOVERY_REPS", "10")),
        var_names=RECOVERED,
        grid=_grid(),
    )
    summary = res.summary()
    print(summary.to_string())
    print(res.check().line())
    name = "recovery" if truth_name == "prior_centre" else f"recovery_{truth_name}"
    _save(out_dir, name, sv.plot_recovery(result=res), summary)
    res.table.to_csv(out_dir / f"{name}_elements.csv", index=False)
    label = "Recovery coverage" + ("" if truth_name == "prior_centre" else " (off-centre truth)")
    _record(out_dir, res.check(), f"recovery and {truth_name}", simulated=True, name=label)
    assert res.check().passed


#: Parameters ranked by the SBC (every one drawn by ``parameters_from_priors``).
SBC_RANKED = [
    "obs_cv",
    "harem_size",
    "process_noise_sd",
    "survival",
    "fecundity_yearling",
    "fecundity_adult",
    "twinning_yearling",
    "twinning_adult",
    "initial_male_share",
    "initial_yearling_share",
    "poaching_rate_male",
    "catchability_base",
    "N_total",
]
#: Fixed initial-abundance prior centre of the SBC configuration (not computed from the data).
SBC_INITIAL_SCALE = 20_000.0
#: The SBC's model: priors must not depend on the data, so the initial-abundance centre is
#: fixed (the number the simulator uses) and density dependence (whose K is the largest
#: count) is off in both.
SBC_CONFIG = ModelConfig(
    start_year=2003,
    end_year=2012,
    density_dependence="none",
    catchability_breaks=(),
    initial_abundance_scale=(("Ural", SBC_INITIAL_SCALE),),
)


def test_sbc_small_configuration(out_dir):
    config = SBC_CONFIG
    priors = priors_module.DEFAULT_PRIORS
    design = sv.ObservationDesign(sex_ratio_years=[2008])

    def simulator(rng):
        params = sv.parameters_from_priors(
            priors,
            rng=rng,
            populations=("Ural",),
            start_year=2003,
            end_year=2012,
            initial_scale=SBC_INITIAL_SCALE,
            density_strength=0.0,
        )
        return sv.simulate(params, design, seed=rng)

    draws = int(os.environ.get("SAIGAPOP_SBC_DRAWS", "250"))
    small = SamplerConfig(chains=2, draws=draws, tune=draws, prior_draws=10)
    res = sv.run_sbc(
        simulator,
        # the posterior of saigapop.model.fit, without its predictive sampling (~40 % of a fit)
        sv.sbc_fitter(config, sampler_config=small, posterior_only=True),
        SBC_SIMS,
        n_draws=99,
        var_names=SBC_RANKED,
        grid=_grid(),
        # resumable: a rerun reads the finished simulations from the store
        store=Path(os.environ.get("SAIGAPOP_SBC_STORE") or out_dir / "sbc_store"),
    )
    u = res.uniformity()
    print(u.to_string())
    print(res.failures)
    print(res.check().line())
    _save(out_dir, "sbc_ranks", sv.plot_rank_histograms(result=res), u)
    _record(out_dir, res.check(), "sbc_small", simulated=True)
    res.ranks.to_netcdf(out_dir / "sbc_ranks.nc")
    assert res.n_sims >= 100, "the acceptance check needs at least 100 simulations"
    assert res.check().passed


def test_posterior_draws_equal_fit():
    """The SBC's posterior-only fit draws exactly what saigapop.model.fit draws."""
    config = SBC_CONFIG
    sim = sv.simulate(RECOVERY_TRUTH, RECOVERY_DESIGN, seed=7)
    sc = SamplerConfig(chains=2, draws=50, tune=50, prior_draws=10)
    lean = sv.posterior_draws(sim.data, config, None, sc)
    full = fit_module.fit(sim.data, config, sampler_config=sc, progressbar=False)
    assert "fixed by the config" in full.attrs["inputs_notes"]
    assert "prior" in full.children
    assert not {"prior", "posterior_predictive"} & set(lean.children)
    for name in ("obs_cv", "harem_size", "survival", "N_total"):
        np.testing.assert_allclose(
            lean["posterior"][name].values, full["posterior"][name].values, equal_nan=True
        )


def test_retrospective_bundled_data(data, fitter, out_dir):
    res = sv.run_retrospective(data, fitter, peels=5)
    rho = res.rho()
    print(rho.to_string())
    print(res.check().line())
    _record(out_dir, res.check(), "retrospective_bundled")
    _save(out_dir, "retrospective_abundance", sv.plot_retrospective(result=res), rho)
    _save(
        out_dir,
        "retrospective_sex_ratio",
        sv.plot_retrospective(result=res, quantity="adult_sex_ratio"),
    )
    assert res.check().passed


def test_hindcast_2024_2025(data, fitter, out_dir):
    res = sv.run_hindcast(data, fitter, years=(2024, 2025))
    print(res.table.to_string())
    print(res.summary().to_string())
    print(res.check().line())
    print(res.check(exclude_planning_estimates=True).line())
    _save(out_dir, "hindcast", sv.plot_hindcast(result=res), res.table)
    _record(out_dir, res.check(), "hindcast")
    assert res.check(exclude_planning_estimates=True).passed


def test_pareto_khat_every_count(data, reference_fit, out_dir):
    res = sv.pareto_khat(reference_fit)
    print(res.worst(10).to_string())
    print(res.check().line())
    print(sv.residual_runs(reference_fit, data).to_string())
    _save(out_dir, "loo_khat", sv.plot_khat(result=res), res.table)
    # k-hat judges whether PSIS can stand in for refits (not gating): with one count per
    # free population-year it often cannot, and test_exact_loo_worst_counts refits those.
    assert not res.check().gating
    assert np.isfinite(res.table["khat"]).all()
    assert len(res.table) == len(res.table["observation"].unique())


def test_exact_loo_worst_counts(data, fitter, reference_fit, out_dir):
    """Exact leave-one-out refits for the counts whose PSIS k-hat is worst."""
    loo = sv.pareto_khat(reference_fit)
    worst = loo.worst(20)
    worst = worst[(worst["variable"] == "count") & worst["observation"].str.endswith(" count")]
    worst = worst.head(int(os.environ.get("SAIGAPOP_LOO_REFITS", "4")))
    counts = [(str(o).split()[0], int(str(o).split()[1])) for o in worst["observation"]]
    table = sv.run_exact_loo(data, fitter, counts, reference=loo, grid=_grid())
    print(table.to_string())
    _save(out_dir, "loo_exact", table=table)
    assert np.isfinite(table["elpd_exact"]).all()


def test_influence_refits(data, fitter, out_dir):
    table = sv.run_influence(data, fitter)
    print(table.to_string())
    _save(out_dir, "influence", table=table)
    assert table["relative_change"].notna().all()


def test_prior_sensitivity(reference_fit, out_dir):
    res = sv.prior_sensitivity(reference_fit)
    print(res.most_sensitive(15).to_string())
    print(res.check().line())
    _save(out_dir, "prior_sensitivity", sv.plot_sensitivity(result=res), res.table)
    assert len(res.table) > 0


def test_alternative_priors_tornado(data, out_dir):
    table = sv.run_alternative_priors(
        data,
        sv.prior_fitter(sampler_config=SAMPLER),
        sv.QuotaFunction(data, robust=os.environ.get("SAIGAPOP_TORNADO_ROBUST") == "1"),
    )
    print(sv.tornado_table(table).to_string())
    for pop in sorted(set(table["population"])):
        _save(out_dir, f"tornado_{pop}", sv.plot_tornado(table=table, population=pop))
    _save(out_dir, "tornado", table=table)
    refits = table.drop_duplicates(["parameter", "alternative"])
    print(refits[["parameter", "alternative", "converged", "divergences"]].to_string())
    assert len(table) == 8 * table["population"].nunique()
    assert refits["converged"].all()
    assert refits["reference_converged"].all()


def test_decision_retrospective(data, fitter, out_dir):
    quota = sv.QuotaFunction(data)
    years = (2021, 2022, 2023, 2024, sv.last_census_year(data))
    table = sv.decision_retrospective(data, fitter, quota, years=years, grid=_grid())
    print(table.pivot(index="data_year", columns="population", values="quota").to_string())
    print(table.drop_duplicates("data_year").drop(columns=["population", "quota"]).to_string())
    _save(out_dir, "decision_retrospective", table=table)
    assert (table["quota"] >= 0).all()
    assert set(table["data_year"]) == set(years)
