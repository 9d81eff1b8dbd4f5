r"""Refit the bundled-data model under each trial whose reweighting is unreliable (issue 6).

The reference trials on the observation model (count CV 0.1 / 0.3, catchability 0.8 / 1.0 /
1.2) and on density dependence (none) change what the counts say about true abundance, so
they are conditioned on the data by refitting the model with the trial's assumption:

* ``obs_cv_*``: the count-CV prior pinned at the value (lognormal, log-SD 0.02);
* ``catchability_*``: the base catchability prior pinned at the value (log-SD 0.02);
* ``no_density_dependence``: ``ModelConfig(density_dependence="none")``.

Each refit is written to ``OUT/<trial>.zarr``; :func:`saigapop.management.run_trials` uses
them through ``refits=`` (conditioning "refit"). Fits run one after another with the
default sampler; draws are fewer than the reference fit's to keep the grid affordable on
a small machine (``--draws``, ``--tune``).

Run::

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python scripts/refit_trials.py /tmp/refits \\
        --draws 500 --tune 500
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from pathlib import Path

from saigapop.datasets import load_kazakhstan
from saigapop.model.config import ModelConfig, SamplerConfig
from saigapop.model.fit import fit
from saigapop.model.io import save_fit
from saigapop.model.priors import DEFAULT_PRIORS, with_prior

#: trial name -> (config changes, prior name, pinned value)
REFITS: dict[str, tuple[dict, str | None, float | None]] = {
    "obs_cv_0.1": ({}, "obs_cv", 0.1),
    "obs_cv_0.3": ({}, "obs_cv", 0.3),
    "catchability_0.8": ({}, "catchability_base", 0.8),
    "catchability_1.0": ({}, "catchability_base", 1.0),
    "catchability_1.2": ({}, "catchability_base", 1.2),
    "no_density_dependence": ({"density_dependence": "none"}, None, None),
}


def main() -> None:
    """Refit the model once per trial of :data:`REFITS` and save each fit."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--draws", type=int, default=500)
    ap.add_argument("--tune", type=int, default=500)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data = load_kazakhstan()
    sc = SamplerConfig(chains=args.chains, draws=args.draws, tune=args.tune, random_seed=args.seed)
    for name, (config, prior, value) in REFITS.items():
        if args.only and name not in args.only:
            continue
        priors = dict(DEFAULT_PRIORS)
        if prior is not None:
            priors = with_prior(
                priors,
                prior,
                params={"mu": math.log(value), "sigma": 0.02},
                rationale=f"trial {name}: pinned at {value}",
            )
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dt = fit(data, ModelConfig(**config), priors, sampler_config=sc, progressbar=False)
        dt.attrs["trial"] = name
        save_fit(dt, args.out / f"{name}.zarr")
        print(f"refit_{name}_wall: {time.perf_counter() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main()
