"""Fit the model and return one ArviZ ``xarray.DataTree`` meeting the posterior contract.

Examples
--------
>>> import saigapop as sp  # doctest: +SKIP
>>> from saigapop.model import fit, SamplerConfig  # doctest: +SKIP
>>> sc = SamplerConfig(chains=2, draws=200)  # doctest: +SKIP
>>> dt = fit(sp.load_kazakhstan(), sampler_config=sc)  # doctest: +SKIP
>>> dt.posterior["N"].dims  # doctest: +SKIP
('chain', 'draw', 'population', 'year', 'sex', 'age')
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import warnings
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np
import pymc as pm
import xarray as xr
from pymc.util import _get_seeds_per_chain

from saigapop._version import __version__
from saigapop.constants import AGE_CLASSES, SEXES
from saigapop.model.build import build_model
from saigapop.model.config import ModelConfig, SamplerConfig
from saigapop.model.inputs import DataLike, ModelInputs
from saigapop.model.priors import DEFAULT_PRIORS, Prior

__all__ = [
    "CATASTROPHES",
    "SCAN_DETERMINISTICS",
    "contract_variables",
    "fit",
    "model_hash",
    "use_host_devices",
]

#: Catastrophe kinds (coordinate ``catastrophe``), shared with ``saigapop.management``.
CATASTROPHES: tuple[str, str] = ("pasteurellosis", "dzhut")
#: Deterministics computed inside ``scan``: recomputed after sampling (PyMC's JAX
#: post-processing cannot vectorise them; research/tooling.md).
SCAN_DETERMINISTICS: tuple[str, ...] = ("N", "conception", "births", "rut_males", "rut_females")
_PACKAGES = ("saigapop", "pymc", "pytensor", "arviz", "numpy", "xarray", "jax", "numpyro", "nutpie")


def _versions() -> dict[str, str]:
    out = {}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    out["saigapop"] = __version__
    return out


def model_hash(inputs: ModelInputs, config: ModelConfig, priors: Mapping[str, Prior]) -> str:
    """SHA-256 over data hash, config and priors: identifies what was fitted.

    Parameters
    ----------
    inputs
        Prepared model inputs (carry the data hash).
    config
        Model configuration.
    priors
        Priors used.

    Returns
    -------
    str
        Hex digest.
    """
    payload = {
        "data_hash": inputs.data_hash,
        "config": json.loads(config.to_json()),
        "priors": {k: [p.distribution, dict(p.params)] for k, p in sorted(priors.items())},
        "model_version": 1,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def use_host_devices(n: int) -> int:
    """Let JAX run ``n`` numpyro chains in parallel on the CPU; return the devices JAX has.

    numpyro runs chains in parallel only with as many XLA devices as chains, and JAX shows
    one CPU device unless ``XLA_FLAGS`` asks for more before its backend starts. :func:`fit`
    calls this itself; it has no effect once the backend has started (the chains then run
    one after another) or if ``XLA_FLAGS`` already sets the count.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_force_host_platform_device_count" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={n}".strip()
    import jax  # lazy: XLA_FLAGS must be set before JAX is first imported

    return jax.local_device_count()


def _chain_seeds(master: int, chains: int) -> list[int]:
    (seed,) = _get_seeds_per_chain(master, 1)
    return [int(s) for s in _get_seeds_per_chain(int(seed), chains)]


def contract_variables(post: xr.Dataset, inputs: ModelInputs) -> xr.Dataset:
    """Add the DESIGN §3 contract variables (and derived quantities) to a posterior/prior.

    Parameters
    ----------
    post
        Dataset with the model's free parameters and scan deterministics
        (``N`` on ``census_age``), dims ``(chain, draw, ...)``.
    inputs
        The model inputs (for the density scale).

    Returns
    -------
    xarray.Dataset
        ``post`` with ``N`` on ``age`` = (calf, yearling, adult) (calf = NaN at census),
        ``survival``, ``fecundity``, ``twinning``, ``carrying_capacity``,
        ``catchability`` (latest year), ``catastrophe_rate``, ``catastrophe_severity``,
        ``poaching_rate``, ``implementation_fraction``, ``implementation_selectivity``,
        ``conception_probability``, ``growth``, ``adult_sex_ratio_rut``, ``recruitment``.
    """
    ds = post.copy()
    ages = list(AGE_CLASSES)
    sexes = list(SEXES)
    cd = ("chain", "draw")
    sh = (ds.sizes["chain"], ds.sizes["draw"])
    if "N" in ds and "census_age" in ds["N"].dims:
        n = ds["N"].rename(census_age="age").reindex(age=ages)
        ds = ds.drop_vars("N")
        if "census_age" in ds.coords and not any(
            "census_age" in v.dims for v in ds.data_vars.values()
        ):
            ds = ds.drop_vars("census_age")
        ds["N"] = n
    ds = ds.assign_coords(age=ages, sex=sexes)
    sr = ds["survival_rate"].values  # (c, d, P, 5)
    surv = np.stack(
        [
            np.stack([sr[..., 0], sr[..., 1], sr[..., 3]], -1),
            np.stack([sr[..., 0], sr[..., 2], sr[..., 4]], -1),
        ],
        axis=-2,
    )
    ds["survival"] = ((*cd, "population", "sex", "age"), surv)
    nan = np.full(sh, np.nan)
    ds["fecundity"] = (
        (*cd, "age"),
        np.stack([nan, ds["fecundity_yearling"].values, ds["fecundity_adult"].values], -1),
    )
    ds["twinning"] = (
        (*cd, "age"),
        np.stack([nan, ds["twinning_yearling"].values, ds["twinning_adult"].values], -1),
    )
    ds["carrying_capacity"] = (
        (*cd, "population"),
        np.broadcast_to(inputs.density_scale, (*sh, inputs.n_pop)).copy(),
    )
    if "density_strength" not in ds:
        ds["density_strength"] = (cd, np.zeros(sh))
    if "process_noise_sd" not in ds:
        ds["process_noise_sd"] = (cd, np.zeros(sh))
    ds["catchability"] = ds["catchability_year"].isel(year=-1, drop=True)
    ds = ds.assign_coords(catastrophe=list(CATASTROPHES))
    ds["catastrophe_rate"] = (
        (*cd, "catastrophe"),
        np.stack([ds["pasteurellosis_rate"].values, ds["dzhut_rate"].values], -1),
    )
    s = ds["pasteurellosis_severity"].values[..., None]
    r = ds["pasteurellosis_male_ratio"].values[..., None]
    ones = np.ones(3)
    past = np.stack([s * ones, np.concatenate([s, s * r, s * r], -1)], -2)  # (c, d, sex, age)
    z = ds["dzhut_severity"].values
    hard = 1 - (1 - z) ** 2
    dzh = np.stack([np.stack([hard, z, z], -1), np.stack([hard, 1 - (1 - z) ** 1.5, hard], -1)], -2)
    ds["catastrophe_severity"] = ((*cd, "catastrophe", "sex", "age"), np.stack([past, dzh], -3))
    pm_ = ds["poaching_rate_male"].values
    poach = np.stack([np.zeros_like(pm_), pm_], -1)[..., None, :]
    ds["poaching_rate"] = (
        (*cd, "population", "sex"),
        np.broadcast_to(poach, (*sh, inputs.n_pop, 2)).copy(),
    )
    ds["implementation_fraction"] = np.exp(ds["implementation_log_mean"])
    sc = ds["cull_calf_selectivity"].values
    sm = ds["cull_male_selectivity"].values
    one = np.ones(sh)
    ds["implementation_selectivity"] = (
        (*cd, "sex", "age"),
        np.stack([np.stack([sc, one, one], -1), np.stack([sc, sm, sm], -1)], -2),
    )
    ds["conception_probability"] = ds["conception"]
    tot = ds["N"].sum(["sex", "age"], skipna=True)
    ds["N_total"] = tot
    ds["growth"] = tot.shift(year=-1) / tot
    ds["adult_sex_ratio_rut"] = ds["rut_males"] / ds["rut_females"]
    fem = ds["N"].sel(sex="female").sum("age", skipna=True)
    yearl = ds["N"].sel(age="yearling").sum("sex")
    ds["recruitment"] = yearl.shift(year=-1) / fem
    ds.attrs["density_form"] = "ricker"
    ds.attrs["latest_census_year"] = int(inputs.years[-1])
    return ds


def _free_names(model: pm.Model) -> list[str]:
    names = [v.name for v in model.free_RVs]
    names += [d.name for d in model.deterministics if d.name not in SCAN_DETERMINISTICS]
    return names


@contextlib.contextmanager
def _jitted_jax_logp() -> Any:
    """Make PyMC's JAX samplers use a *jitted* logp for the initial-point jitter.

    ``pymc.sampling.jax`` evaluates the un-jitted JAX logp eagerly while jittering the
    initial points; for a ``scan`` graph that eager evaluation took ~60 s of a ~70 s smoke
    fit. Wrapping it in ``jax.jit`` changes nothing numerically (numpyro jits it anyway).
    """
    # lazy: JAX (the numpyro backend) is optional and slow to import; PyMC's NUTS needs none
    import jax
    import pymc.sampling.jax as pmjax

    original = pmjax.get_jaxified_logp

    def jitted(*args: Any, **kwargs: Any) -> Any:
        return jax.jit(original(*args, **kwargs))

    pmjax.get_jaxified_logp = jitted
    try:
        yield
    finally:
        pmjax.get_jaxified_logp = original


def _add_scan_deterministics(ds: xr.Dataset, model: pm.Model) -> xr.Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        extra = pm.compute_deterministics(
            ds,
            var_names=list(SCAN_DETERMINISTICS),
            model=model,
            progressbar=False,
            compile_kwargs={"mode": "JAX"},
        )
    return ds.merge(extra)


def fit(
    data: DataLike,
    config: ModelConfig | None = None,
    priors: Mapping[str, Prior] | None = None,
    *,
    sampler_config: SamplerConfig | None = None,
    progressbar: bool = True,
    predictive: bool = True,
) -> xr.DataTree:
    """Fit the population model and return the posterior as a ``DataTree``.

    Parameters
    ----------
    data
        Validated data (:class:`saigapop.io.SaigaData`).
    config
        Model configuration (default :class:`ModelConfig()`).
    priors
        Priors (default :data:`~saigapop.model.priors.DEFAULT_PRIORS`; partial mappings are
        completed from the defaults).
    sampler_config
        Sampler settings (default :class:`SamplerConfig()`: numpyro, 4 × 1000 + 1000).
    progressbar
        Show the sampler's progress bar.
    predictive
        Also sample the prior and the prior and posterior predictive distributions. ``False``
        skips them (the posterior draws are the same): they compile two more JAX functions
        and take about 40 % of a small fit, and SBC ranks need only the posterior.

    Returns
    -------
    xarray.DataTree
        Groups ``posterior``, ``posterior_predictive``, ``prior``, ``prior_predictive``
        (the three only with ``predictive=True``), ``sample_stats``, ``observed_data``,
        ``constant_data``; the posterior carries the
        contract variables (see :func:`contract_variables`); attrs carry the config JSON,
        data hash, model hash, master and per-chain seeds, sampler settings, timings and
        package versions.
    """
    config = config or ModelConfig()
    sc = sampler_config or SamplerConfig()
    merged = dict(DEFAULT_PRIORS)
    merged.update(priors or {})
    t0 = time.perf_counter()
    model = build_model(data, config, merged)
    inputs: ModelInputs = model.inputs  # type: ignore[attr-defined]
    t_build = time.perf_counter() - t0
    seeds = _chain_seeds(sc.random_seed, sc.chains)
    kwargs: dict[str, Any] = {
        "draws": sc.draws,
        "tune": sc.tune,
        "chains": sc.chains,
        "target_accept": sc.target_accept,
        "random_seed": sc.random_seed,
        "progressbar": progressbar,
        "compute_convergence_checks": False,
    }
    t1 = time.perf_counter()
    with model, warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        if sc.sampler == "numpyro":
            devices = use_host_devices(max(sc.chains, os.cpu_count() or 1))
            if devices < sc.chains:
                warnings.warn(
                    f"JAX has {devices} CPU device(s) for {sc.chains} chains: the chains run "
                    "one after another. Set XLA_FLAGS=--xla_force_host_platform_device_count="
                    f"{sc.chains} before JAX starts (or call fit before any JAX computation).",
                    RuntimeWarning,
                    stacklevel=2,
                )
            from pymc.sampling.jax import sample_numpyro_nuts  # lazy: JAX is optional

            # called directly: pm.sample would first build PyTensor's per-variable gradient
            # graph for its own NUTS (~100 s for this scan model) and never use it
            with _jitted_jax_logp():
                idata = sample_numpyro_nuts(
                    draws=sc.draws,
                    tune=sc.tune,
                    chains=sc.chains,
                    target_accept=sc.target_accept,
                    random_seed=sc.random_seed,
                    var_names=_free_names(model),
                    progressbar=progressbar,
                    chain_method="parallel",
                    compute_convergence_checks=False,
                    nuts_kwargs={"max_tree_depth": sc.max_tree_depth, "dense_mass": sc.dense_mass},
                )
        elif sc.sampler == "nutpie":
            idata = pm.sample(nuts_sampler="nutpie", **kwargs)
        else:  # PyMC 6 defaults to nutpie when installed: ask for PyMC's own NUTS explicitly
            idata = pm.sample(
                nuts_sampler="pymc",
                cores=sc.cores,
                nuts={"max_treedepth": sc.max_tree_depth},
                **kwargs,
            )
    t_sample = time.perf_counter() - t1
    post = idata["posterior"].to_dataset()
    if "N" not in post:
        post = _add_scan_deterministics(post, model)
    groups: dict[str, xr.Dataset] = {
        "posterior": contract_variables(post, inputs),
        "sample_stats": idata["sample_stats"].to_dataset(),
    }
    t2 = time.perf_counter()
    if predictive:
        with model, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prior = pm.sample_prior_predictive(
                draws=sc.prior_draws,
                random_seed=sc.random_seed + 1,
                compile_kwargs={"mode": "JAX"},
            )
            ppc = pm.sample_posterior_predictive(
                xr.DataTree.from_dict({"posterior": post}),
                random_seed=sc.random_seed + 2,
                progressbar=False,
                compile_kwargs={"mode": "JAX"},
            )
        groups["posterior_predictive"] = ppc["posterior_predictive"].to_dataset()
        groups["prior"] = contract_variables(prior["prior"].to_dataset(), inputs)
        if "prior_predictive" in prior.children:
            groups["prior_predictive"] = prior["prior_predictive"].to_dataset()
    t_pred = time.perf_counter() - t2
    if "observed_data" in idata.children:
        groups["observed_data"] = idata["observed_data"].to_dataset()
    const = (
        idata["constant_data"].to_dataset() if "constant_data" in idata.children else xr.Dataset()
    )
    const["density_scale"] = ("population", inputs.density_scale)
    const["initial_abundance_scale"] = ("population", inputs.init_scale)
    const = const.assign_coords(population=list(inputs.populations))
    groups["constant_data"] = const
    attrs = {
        "saigapop_model_config": config.to_json(),
        "saigapop_sampler_config": sc.to_json(),
        "saigapop_priors": json.dumps(
            {
                k: {"distribution": p.distribution, "params": dict(p.params)}
                for k, p in merged.items()
            },
            sort_keys=True,
        ),
        "data_hash": inputs.data_hash,
        "model_hash": model_hash(inputs, config, merged),
        "random_seed": int(sc.random_seed),
        "chain_seeds": json.dumps(seeds),
        "sampler": sc.sampler,
        "versions": json.dumps(_versions(), sort_keys=True),
        "inputs_notes": json.dumps(list(inputs.notes)),
        "build_seconds": round(t_build, 3),
        "sampling_seconds": round(t_sample, 3),
        "predictive_seconds": round(t_pred, 3),
        "latest_census_year": int(inputs.years[-1]),
        "parameters": json.dumps([rv.name for rv in model.free_RVs]),
    }
    dt = xr.DataTree.from_dict({f"/{k}": v for k, v in groups.items()})
    dt.attrs = attrs
    return dt
