"""Prior objects: distribution, one-line rationale and citation for every model parameter.

A :class:`Prior` is a small frozen description that can create the PyMC random variable, draw
from itself in numpy (for prior tables and prior-vs-posterior comparisons) and print itself.
:data:`DEFAULT_PRIORS` maps the model's parameter names to their priors; pass a modified mapping
to :func:`saigapop.model.build.build_model` to change any of them (``with_prior`` helps).

Examples
--------
>>> from saigapop.model.priors import DEFAULT_PRIORS, priors_table
>>> DEFAULT_PRIORS["harem_size"].distribution
'LogNormal'
>>> "Kühl" in DEFAULT_PRIORS["fecundity_adult"].citation
True
>>> table = priors_table()
>>> {"parameter", "distribution", "q05", "q95", "rationale", "citation"} <= set(table.columns)
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from saigapop.exceptions import ConfigError

__all__ = ["DEFAULT_PRIORS", "Prior", "priors_table", "with_prior"]

_DISTS: dict[str, tuple[str, ...]] = {
    "Normal": ("mu", "sigma"),
    "LogNormal": ("mu", "sigma"),
    "HalfNormal": ("sigma",),
    "Beta": ("alpha", "beta"),
    "LogitNormal": ("mu", "sigma"),
}


@dataclass(frozen=True, slots=True)
class Prior:
    """A prior distribution with its justification.

    Parameters
    ----------
    distribution
        One of ``Normal``, ``LogNormal``, ``HalfNormal``, ``Beta``, ``LogitNormal``.
    params
        Distribution parameters by name (PyMC parameterisation).
    rationale
        One line: why this prior (what is known, what is not).
    citation
        Source(s) the prior rests on; ``"none (weakly informative)"`` when nothing was found.
    scale
        What the parameter measures (unit or scale), printed in tables.
    """

    distribution: str
    params: Mapping[str, float]
    rationale: str
    citation: str
    scale: str = ""

    def __post_init__(self) -> None:
        if self.distribution not in _DISTS:
            raise ConfigError(
                f"unknown prior distribution {self.distribution!r}; choose from {list(_DISTS)}"
            )
        want = set(_DISTS[self.distribution])
        if set(self.params) != want:
            raise ConfigError(
                f"{self.distribution} prior needs parameters {sorted(want)}, "
                f"got {sorted(self.params)}"
            )
        for k, v in self.params.items():
            if not np.isfinite(v):
                raise ConfigError(f"prior parameter {k}={v!r} is not finite")
            if k in ("sigma", "alpha", "beta") and v <= 0:
                raise ConfigError(f"prior parameter {k} must be positive, got {v!r}")
        if not self.rationale.strip() or not self.citation.strip():
            raise ConfigError("every prior needs a rationale and a citation")
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    # ------------------------------------------------------------------ PyMC
    def dist(self) -> Any:
        """Unnamed PyMC distribution (``pm.<Distribution>.dist``)."""
        import pymc as pm  # lazy: the report reads the priors without loading a sampler

        return getattr(pm, self.distribution).dist(**dict(self.params))

    def create(
        self,
        name: str,
        *,
        dims: str | tuple[str, ...] | None = None,
        shape: tuple[int, ...] | None = None,
    ) -> Any:
        """Create the named random variable inside the current PyMC model context.

        ``shape`` fixes the size (constant shapes let JAX compile forward sampling).
        """
        import pymc as pm  # lazy: the report reads the priors without loading a sampler

        return getattr(pm, self.distribution)(name, dims=dims, shape=shape, **dict(self.params))

    # ----------------------------------------------------------------- numpy
    def sample(self, size: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draw ``size`` values with numpy (independent of PyMC)."""
        rng = np.random.default_rng(rng)
        p = self.params
        match self.distribution:
            case "Normal":
                return rng.normal(p["mu"], p["sigma"], size)
            case "LogNormal":
                return np.exp(rng.normal(p["mu"], p["sigma"], size))
            case "HalfNormal":
                return np.abs(rng.normal(0.0, p["sigma"], size))
            case "Beta":
                return rng.beta(p["alpha"], p["beta"], size)
            case "LogitNormal":
                return special.expit(rng.normal(p["mu"], p["sigma"], size))
        raise AssertionError(self.distribution)  # pragma: no cover

    def summary(self, n: int = 20_000) -> dict[str, float]:
        """Mean, SD and 5 % / 50 % / 95 % quantiles from ``n`` numpy draws (seeded)."""
        x = self.sample(n, rng=12345)
        q05, q50, q95 = np.quantile(x, [0.05, 0.5, 0.95])
        return {
            "mean": float(x.mean()),
            "sd": float(x.std()),
            "q05": float(q05),
            "q50": float(q50),
            "q95": float(q95),
        }

    def describe(self) -> str:
        """Short text such as ``Beta(alpha=31, beta=9)``."""
        args = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return f"{self.distribution}({args})"


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


_KUHL = "Kühl et al. 2009, Animal Conservation 12:355–363"
_MG2003 = "Milner-Gulland et al. 2003, Nature 422:135"
_NOTFOUND = "none found (saiga_biology.md §2: numeric survival NOT FOUND); weakly informative"

#: Default priors by parameter name. ``survival_*`` are the pooled means (logit scale inside the
#: model); population deviations get ``survival_pooling_sd``.
DEFAULT_PRIORS: Mapping[str, Prior] = MappingProxyType(
    {
        "survival_calf": Prior(
            "LogitNormal",
            {"mu": _logit(0.55), "sigma": 0.5},
            "Birth to first census (~11 months), both sexes; wide because no numeric first-year "
            "survival exists; centre gives growth ~1.3–1.5 with Kühl fecundity",
            f"{_NOTFOUND}; no sex difference: Buuveibaatar et al. 2013, J. Mammal. 94:127",
            "probability",
        ),
        "survival_yearling_female": Prior(
            "LogitNormal",
            {"mu": _logit(0.85), "sigma": 0.5},
            "Yearling females (census to census); assumed similar to adult females",
            _NOTFOUND,
            "probability",
        ),
        "survival_yearling_male": Prior(
            "LogitNormal",
            {"mu": _logit(0.75), "sigma": 0.5},
            "Yearling males; lower than females (first rut, dispersal), wide",
            _NOTFOUND,
            "probability",
        ),
        "survival_adult_female": Prior(
            "LogitNormal",
            {"mu": _logit(0.85), "sigma": 0.5},
            "Adult females live up to ~9 years in Betpakdala, implying high annual survival",
            "Betpakdala longevity, KSU Vestnik (saiga_biology.md §2); Bekenov et al. 1998",
            "probability",
        ),
        "survival_adult_male": Prior(
            "LogitNormal",
            {"mu": _logit(0.6), "sigma": 0.5},
            "Males live 3–4 years: post-rut exhaustion and winter kill make survival much lower "
            "than females'; wide because no numbers exist",
            "Betpakdala longevity, KSU Vestnik (saiga_biology.md §2); " + _NOTFOUND,
            "probability",
        ),
        "survival_pooling_sd": Prior(
            "HalfNormal",
            {"sigma": 0.3},
            "Between-population SD of logit survival; populations share climate and biology",
            "none (weakly informative partial pooling)",
            "logit SD",
        ),
        "fecundity_yearling": Prior(
            "Beta",
            {"alpha": 0.774 * 40, "beta": 0.226 * 40},
            "Pregnancy of females calving at age 1 given enough males; Kühl mean, effective "
            "n=40 to allow among-year and among-population variation",
            _KUHL,
            "probability",
        ),
        "twinning_yearling": Prior(
            "Beta",
            {"alpha": 0.117 * 40, "beta": 0.883 * 40},
            "Twinning of pregnant yearlings; Kühl mean, effective n=40",
            _KUHL,
            "probability",
        ),
        "fecundity_adult": Prior(
            "Beta",
            {"alpha": 0.946 * 40, "beta": 0.054 * 40},
            "Pregnancy of females ≥2 years given enough males; Kühl mean, effective n=40",
            _KUHL,
            "probability",
        ),
        "twinning_adult": Prior(
            "Beta",
            {"alpha": 0.726 * 40, "beta": 0.274 * 40},
            "Twinning of pregnant females ≥2 years; Kühl mean, effective n=40",
            _KUHL,
            "probability",
        ),
        "harem_size": Prior(
            "LogNormal",
            {"mu": float(np.log(19.0)), "sigma": 0.28},
            "Females one male can fertilise (h in P = 1 − exp(−h M/F)); 90 % interval 12–30. "
            "Used only by the pessimistic 'exponential_mating' robustness trial: the default "
            "mating function does not read it, so its posterior is its prior",
            f"{_MG2003}; Imperial College press release (EurekAlert 733181)",
            "females per male",
        ),
        "mating_half_share": Prior(
            "LogitNormal",
            {"mu": _logit(0.008), "sigma": 0.3},
            "Male share M/(M+F) of breeders at the rut where the Hill curve of conception is "
            "1/2: Kalmykia's collapse at ~1 % adult males (1 male per ~100 adult females) is "
            "0.6–1.0 % of the model's breeders once 7-month females are counted "
            "(docs/annual_cycle.md); median 0.8 %, 90 % 0.49–1.3 %",
            f"{_MG2003}; EurekAlert 733181 (press release: 'below one per cent')",
            "proportion",
        ),
        "mating_steepness": Prior(
            "LogNormal",
            {"mu": float(np.log(3.0)), "sigma": 0.3},
            "Hill exponent k in log(M/F): fecundity stayed high while adult males fell to a "
            "few per cent and dropped suddenly near 1 % (P ≥ 0.9 at 2.5 % males needs k ≳ 2); "
            "median 3, 90 % 1.8–4.9",
            f"{_MG2003}",
            "exponent",
        ),
        "mating_reference_ratio": Prior(
            "LogNormal",
            {"mu": float(np.log(0.15)), "sigma": 0.6},
            "Breeding males per breeding female at the rut while Kühl et al. measured "
            "fecundity: not published, assumed from a 'healthy' ~25 % adult-male composition "
            "(0.12–0.53 in the model's terms) down to male-depleted 1990s samples; Kalmykia "
            "2022: 0.17–0.36. Conception is normalised to 1 here, so Kühl's fecundity is not "
            "mate-limited twice; median 0.15, 90 % 0.056–0.40",
            f"{_KUHL}; Milner-Gulland et al. 2001, Oryx 35:4 (via WWF-HK); kalmykia-news.net "
            "2022-07-07 (saiga_biology.md §3)",
            "males per female",
        ),
        "mating_yearling_weight": Prior(
            "Beta",
            {"alpha": 1.0, "beta": 4.0},
            "Weight of yearling males (~19 months at the rut) among breeding males: males "
            "mature at 1.5–2.5 years and first rut at ~2 years, so some yearlings breed; "
            "mean 0.2, 90 % 0.013–0.53",
            "bioenc.ru (sexual maturity); bibliboba 'Okhotnichye-promyslovye zveri' p. 34 "
            "(saiga_biology.md §1)",
            "weight",
        ),
        "density_strength": Prior(
            "HalfNormal",
            {"sigma": 0.3},
            "Reduction of log births per unit abundance relative to the population's largest "
            "count; fecundity is density dependent in saiga but no Kazakh estimate exists",
            "Coulson, Milner-Gulland & Clutton-Brock 2000, Proc. R. Soc. B 267:1771",
            "log births per N/N_ref",
        ),
        "process_noise_sd": Prior(
            "HalfNormal",
            {"sigma": 0.2},
            "SD of population × year effects on log net winter survival (harsh winters, "
            "movement across boundaries); lets growth exceed the vital-rate ceiling",
            "none (weakly informative); dzhut losses NOT FOUND (saiga_biology.md §4)",
            "log scale",
        ),
        "obs_cv": Prior(
            "LogNormal",
            {"mu": float(np.log(0.25)), "sigma": 0.25},
            "Lognormal SD of aerial counts; informative (90 % 0.17–0.38) because with one count "
            "per population-year it is barely separable from process noise",
            "Young et al. 2010, Oryx (Mongolian distance sampling, CV ≈ 30 %); no Kazakh CV "
            "published",
            "log scale",
        ),
        "catchability_base": Prior(
            "LogNormal",
            {"mu": 0.0, "sigma": 0.15},
            "Counted / true animals before any break; counts are 'adjusted' totals, so centred "
            "on 1, with ±25 % room",
            "Altyn Dala 2024 census report (saiga_biology.md §7); weakly informative",
            "ratio",
        ),
        "catchability_break": Prior(
            "LogNormal",
            {"mu": 0.0, "sigma": 0.3},
            "Multiplicative change of catchability at a method/coverage break (e.g. eastern "
            "Betpakdala first flown in 2024); direction not assumed",
            "Altyn Dala 2024 census report (saiga_biology.md §7)",
            "ratio",
        ),
        "initial_abundance": Prior(
            "Normal",
            {"mu": 0.0, "sigma": 1.0},
            "Log offset of start-year census abundance from a data scale (first national total "
            "split equally, else the population's first count); wide",
            "2003 national total 21,000 (saiga-conservation.org 2014); split NOT found",
            "log offset",
        ),
        "initial_male_share": Prior(
            "Beta",
            {"alpha": 2.0, "beta": 14.0},
            "Share of males among adults at the start (2003): male-depleted by 1990s horn "
            "poaching (healthy ≈ 25 %, Kalmykia ≈ 1 %); mean 12.5 %, 90 % 3–26 %",
            f"{_MG2003}; Milner-Gulland et al. 2001, Oryx 35:4",
            "proportion",
        ),
        "initial_yearling_share": Prior(
            "Beta",
            {"alpha": 3.0, "beta": 7.0},
            "Share of yearlings among census animals at the start (growing population)",
            "none (weakly informative)",
            "proportion",
        ),
        "pasteurellosis_rate": Prior(
            "Beta",
            {"alpha": 1.0, "beta": 19.0},
            "Annual probability of a mass die-off per population (1981, 1988, 2010, 2015 "
            "events); mean 5 %; updated by the die-off record in the data",
            "Kock et al. 2018, Sci. Adv. 4:eaao2314; Reed et al. 2003, Anim. Conserv. 6:109",
            "per population-year",
        ),
        "pasteurellosis_severity": Prior(
            "Beta",
            {"alpha": 2.0, "beta": 2.0},
            "Mean fraction of females and calves killed in a catastrophe (2015: >60–80 % of "
            "Betpakdala); the known die-off fractions are draws around it",
            "Kock et al. 2018, Sci. Adv. 4:eaao2314; Saiga News 19",
            "fraction",
        ),
        "pasteurellosis_male_ratio": Prior(
            "Beta",
            {"alpha": 2.0, "beta": 6.0},
            "Male die-off fraction relative to females': males are away from calving "
            "aggregations (90 % of 2010 dead were females and calves)",
            "R. Kock, survincity.com 2011 (saiga_removals.csv); Saiga News 19",
            "ratio",
        ),
        "toll_cv": Prior(
            "LogNormal",
            {"mu": float(np.log(0.3)), "sigma": 0.3},
            "Lognormal error of a reported die-off toll (official vs scientific differ by >50 %)",
            "Saiga News 19 (official 134,252) vs Kock & Milner-Gulland (>200,000)",
            "log scale",
        ),
        "poaching_rate_male": Prior(
            "Beta",
            {"alpha": 2.0, "beta": 98.0},
            "Annual fraction of adult males poached (beyond natural mortality); only seizures "
            "(~600 carcasses/yr) are recorded, so prior-driven",
            "MVD seizure statistics 2014–2019 (saiga_removals.csv); weakly informative",
            "fraction per year",
        ),
        "cull_male_selectivity": Prior(
            "LogNormal",
            {"mu": 0.0, "sigma": 1.0},
            "Per-capita removal rate of males relative to females in unsplit culls (males-only "
            "shooting before 1 Sep 2025)",
            "mgorod.kz 2025 cull reports (saiga_biology.md §3)",
            "ratio",
        ),
        "cull_calf_selectivity": Prior(
            "LogNormal",
            {"mu": float(np.log(0.5)), "sigma": 1.0},
            "Per-capita removal rate of calves relative to adult females in unsplit culls",
            "mgorod.kz 2025 cull reports (planned 40/40/20 structure)",
            "ratio",
        ),
        "implementation_log_mean": Prior(
            "Normal",
            {"mu": float(np.log(0.5)), "sigma": 1.0},
            "Mean log(achieved / planned removal); 2025 cull achieved ~25 % of plan",
            "RTVI 2025; caravan.kz 2023 (saiga_removals.csv)",
            "log ratio",
        ),
        "implementation_log_sd": Prior(
            "HalfNormal",
            {"sigma": 0.5},
            "Between-year SD of log(achieved / planned removal)",
            "none (weakly informative)",
            "log scale",
        ),
        "dzhut_rate": Prior(
            "Beta",
            {"alpha": 1.0, "beta": 19.0},
            "Annual probability of a harsh (dzhut) winter with mass losses per population; no "
            "quantified dzhut loss exists, so prior only (not in the likelihood)",
            "Reed et al. 2003, Anim. Conserv. 6:109; saiga_biology.md §4 (dzhut NOT FOUND)",
            "per population-year",
        ),
        "dzhut_severity": Prior(
            "Beta",
            {"alpha": 2.0, "beta": 6.0},
            "Fraction of adult females lost in a dzhut winter (calves and adult males: "
            "1 − (1 − s)², i.e. males 50–70 % in severe winters); prior only",
            "S. Sklyarenko (ACBK) 2026 via baq.kz (data/README.md); lada.kz 2025",
            "fraction",
        ),
        "poaching_trade_effect": Prior(
            "LogNormal",
            {"mu": float(np.log(1.5)), "sigma": 0.3},
            "Multiplier of poaching in an exporting arm while trade is open (laundering "
            "risk; never in the no-export arm, management.arms); prior only, for projections",
            "direction: WCS / EIA CoP20 statements (saiga_biology.md §8); size: no saiga "
            "figure — the one analogue, elephant poaching +66 % after the 2008 one-off ivory "
            "sale (Hsiang and Sekar 2016, NBER w22314; disputed), lies inside the prior's 90 % "
            "range (median 1.5); its persistence is the trade_poaching_persists trial",
            "ratio",
        ),
        "removal_unknown_fraction": Prior(
            "Beta",
            {"alpha": 1.0, "beta": 1.0},
            "Where a removal is published only as bounds, its position between them",
            "data/README.md (the 87,500 residual is a bound, not a figure)",
            "fraction of the bound range",
        ),
    }
)


def with_prior(priors: Mapping[str, Prior], name: str, **changes: Any) -> dict[str, Prior]:
    """Copy ``priors`` with one prior replaced or changed.

    Parameters
    ----------
    priors
        Mapping to copy (e.g. :data:`DEFAULT_PRIORS`).
    name
        Parameter whose prior changes; must exist in ``priors``.
    **changes
        Fields of :class:`Prior` to replace (``distribution``, ``params``, ``rationale`` ...).

    Examples
    --------
    >>> p = with_prior(DEFAULT_PRIORS, "obs_cv", params={"mu": -1.2, "sigma": 0.2})
    >>> p["obs_cv"].params["sigma"]
    0.2
    """
    if name not in priors:
        raise ConfigError(f"unknown prior {name!r}; known: {sorted(priors)}")
    out = dict(priors)
    out[name] = dataclasses.replace(priors[name], **changes)
    return out


def priors_table(priors: Mapping[str, Prior] | None = None) -> pd.DataFrame:
    """Return the priors as a table.

    Columns: parameter, distribution, scale, mean, 5/50/95 % quantiles (natural scale),
    rationale, citation.
    """
    priors = DEFAULT_PRIORS if priors is None else priors
    rows = []
    for name, p in priors.items():
        s = p.summary()
        rows.append(
            {
                "parameter": name,
                "distribution": p.describe(),
                "scale": p.scale,
                "mean": s["mean"],
                "q05": s["q05"],
                "q50": s["q50"],
                "q95": s["q95"],
                "rationale": p.rationale,
                "citation": p.citation,
            }
        )
    return pd.DataFrame(rows)
