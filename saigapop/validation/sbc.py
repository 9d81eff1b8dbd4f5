r"""Simulation-based calibration (SBC) with rank statistics (Talts et al. 2018).

Draw :math:`\tilde\theta \sim p(\theta)`, simulate :math:`\tilde y \sim p(y \mid \tilde\theta)`,
fit, and take the rank of :math:`\tilde\theta` among :math:`L` (thinned) posterior draws:
:math:`r = \#\{\theta_\ell < \tilde\theta\} \in \{0, \dots, L\}`. If the sampler computes
the posterior implied by the prior and the simulator, :math:`r` is uniform on
:math:`\{0, \dots, L\}` for every parameter. Ranks are tested per parameter element with a
chi-square test on binned ranks (exact bin probabilities, any number of bins) and a
Kolmogorov–Smirnov test on the randomised PIT :math:`(r + U) / (L + 1)`, which is exactly
uniform under calibration. A too narrow posterior gives ∪-shaped rank histograms, a too
wide one ∩-shaped, a biased one sloped.

:func:`run_sbc` takes the simulator and fitter as callables, so any model — the saiga model,
or a conjugate model in the tests — fits in, and a ``map_fn`` so the simulations can be sent
to a Dask cluster (``lambda f, xs: client.gather(client.map(f, list(xs)))``).

References
----------
Talts S., Betancourt M., Simpson D., Vehtari A., Gelman A. (2018) Validating Bayesian
inference algorithms with simulation-based calibration. arXiv:1804.06788.

Examples
--------
>>> import numpy as np, xarray as xr
>>> def simulator(rng):
...     theta = rng.normal()
...     return xr.Dataset({"theta": theta}), rng.normal(theta, 1.0, size=4)
>>> def fitter(y, seed):  # exact conjugate posterior: N(sum y / (n + 1), 1 / (n + 1))
...     rng = np.random.default_rng(seed)
...     m, s = y.sum() / (len(y) + 1), (1 / (len(y) + 1)) ** 0.5
...     return xr.Dataset({"theta": (("chain", "draw"), rng.normal(m, s, (1, 99)))})
>>> res = run_sbc(simulator, fitter, 50, n_draws=19, seed=1)
>>> res.ranks["theta"].sizes["simulation"], res.n_draws
(50, 19)
>>> bool(res.check().passed)
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure
from scipy import stats

from saigapop.locale import N_
from saigapop.locale.messages import Message
from saigapop.validation._common import (
    element_labels,
    figure,
    group,
    run_fits,
    stack_samples,
)
from saigapop.validation.checklist import SBC_ALPHA, Check

__all__ = ["SBCResult", "plot_rank_histograms", "rank_statistics", "run_sbc", "uniformity_test"]


def rank_statistics(
    truth: xr.Dataset,
    posterior: xr.DataTree | xr.Dataset,
    *,
    n_draws: int | None = None,
    var_names: Sequence[str] | None = None,
    rng: np.random.Generator | int | None = None,
) -> xr.Dataset:
    """Rank of each true value among ``n_draws`` thinned posterior draws.

    Parameters
    ----------
    truth
        True values (scalars or arrays with named dims).
    posterior
        A DataTree (its ``posterior`` group is used) or a Dataset with ``chain``/``draw``.
    n_draws
        ``L``: number of posterior draws kept, evenly spaced over the stacked chains (thinning
        reduces autocorrelation, Talts et al. 2018 §4.1). Default: all draws.
    var_names
        Variables to rank (default: every truth variable in the posterior).
    rng
        Generator for breaking ties at random (ties occur with discrete parameters).

    Returns
    -------
    xarray.Dataset
        Ranks in ``0..L`` (integers stored as floats; NaN where the truth is NaN, e.g. calves
        at the census) with the truth's dims; ``attrs["n_draws"] = L``.

    Examples
    --------
    >>> post = xr.Dataset({"a": (("chain", "draw"), [[0.1, 0.2, 0.3, 0.4]])})
    >>> int(rank_statistics(xr.Dataset({"a": 0.25}), post)["a"])
    2
    """
    rng = np.random.default_rng(rng)
    post = group(posterior, "posterior") if isinstance(posterior, xr.DataTree) else posterior
    names = list(var_names or [v for v in truth.data_vars if v in post.data_vars])
    out = {}
    n_kept = None
    for name in names:
        samples = stack_samples(post[name])
        total = samples.sizes["sample"]
        keep = total if n_draws is None else int(n_draws)
        if keep > total:
            raise ValueError(f"n_draws={keep} exceeds the {total} posterior draws of {name!r}")
        idx = np.unique(np.round(np.linspace(0, total - 1, keep)).astype(int))
        samples = samples.isel(sample=idx)
        n_kept = samples.sizes["sample"]
        true = truth[name]
        true, samples = xr.align(true, samples, join="inner", exclude={"sample"})
        below = (samples < true).sum("sample")
        ties = (samples == true).sum("sample")
        extra = rng.integers(0, ties.values + 1) if np.any(ties.values) else 0
        out[name] = (below + extra).astype(float).where(true.notnull())
    ds = xr.Dataset(out)
    ds.attrs["n_draws"] = int(n_kept or 0)
    return ds


def _bin_probabilities(n_draws: int, bins: int) -> tuple[list[np.ndarray], np.ndarray]:
    groups = np.array_split(np.arange(n_draws + 1), bins)
    probs = np.array([len(g) for g in groups], dtype=float) / (n_draws + 1)
    return groups, probs


def default_bins(n_sims: int, n_draws: int) -> int:
    """Choose the number of rank bins: ~5 expected ranks per bin, at most 20 and L + 1.

    Examples
    --------
    >>> default_bins(100, 99), default_bins(1000, 99), default_bins(10, 3)
    (20, 20, 2)
    """
    return int(max(2, min(20, n_sims // 5, n_draws + 1)))


def uniformity_test(
    ranks: np.ndarray,
    n_draws: int,
    *,
    bins: int | None = None,
    rng: np.random.Generator | int | None = 0,
) -> dict[str, float]:
    """Chi-square (binned) and KS (randomised PIT) tests of ranks uniform on ``0..n_draws``.

    Parameters
    ----------
    ranks
        Ranks of one parameter element over simulations, integers in ``0..n_draws``.
    n_draws
        ``L``.
    bins
        Number of bins for the chi-square test (default :func:`default_bins`); bins hold
        consecutive ranks and their exact probabilities are used, so ``L + 1`` need not be
        divisible by ``bins``.
    rng
        Generator or seed for the PIT randomisation of the KS test.

    Returns
    -------
    dict
        ``chi2``, ``p_chi2``, ``ks``, ``p_ks``, ``bins``.

    Examples
    --------
    >>> r = uniformity_test(np.tile(np.arange(10), 10), 9, bins=5)
    >>> r["chi2"], r["p_chi2"]
    (0.0, 1.0)
    """
    ranks = np.asarray(ranks, dtype=float).ravel()
    ranks = ranks[np.isfinite(ranks)].astype(int)
    if ranks.size == 0 or ranks.min() < 0 or ranks.max() > n_draws:
        raise ValueError(f"ranks must lie in 0..{n_draws}")
    bins = default_bins(ranks.size, n_draws) if bins is None else int(bins)
    groups, probs = _bin_probabilities(n_draws, bins)
    edges = np.array([g[0] for g in groups] + [n_draws + 1])
    observed = np.histogram(ranks, bins=edges)[0]
    chi = stats.chisquare(observed, probs * ranks.size)
    pit = (ranks + np.random.default_rng(rng).uniform(size=ranks.size)) / (n_draws + 1)
    ks = stats.kstest(pit, "uniform")
    return {
        "chi2": float(chi.statistic),
        "p_chi2": float(chi.pvalue),
        "ks": float(ks.statistic),
        "p_ks": float(ks.pvalue),
        "bins": bins,
    }


@dataclass(frozen=True)
class SBCResult:
    """Rank statistics of an SBC run.

    Attributes
    ----------
    ranks
        Ranks on ``(simulation, *parameter dims)`` per variable.
    n_draws
        ``L``; ranks lie in ``0..L``.
    failures
        Simulations whose fit raised, with the error text (they are left out, and reported:
        silently dropping failed fits can hide miscalibration).
    """

    ranks: xr.Dataset
    n_draws: int
    failures: tuple[tuple[int, str], ...] = ()

    @classmethod
    def from_store(cls, store: str | Path) -> SBCResult:
        """Read the ranks a (possibly unfinished) :func:`run_sbc` wrote to ``store``.

        Failed fits are not stored, so a partial run read this way has no failures listed.
        """
        files = sorted(Path(store).glob("sim_*.nc"))
        if not files:
            raise FileNotFoundError(f"no SBC ranks in {store}")
        parts = []
        for f in files:
            with xr.open_dataset(f) as ds:
                parts.append(ds.load())
        ranks = xr.concat(parts, dim="simulation", coords="minimal", compat="override")
        ranks = ranks.assign_coords(simulation=[int(f.name.split("_")[1]) for f in files])
        return cls(ranks, int(parts[0].attrs["n_draws"]))

    @property
    def n_sims(self) -> int:
        """Number of simulations with ranks."""
        return int(self.ranks.sizes.get("simulation", 0))

    def uniformity(self, *, bins: int | None = None) -> pd.DataFrame:
        """Per parameter element: chi-square and KS statistics and p-values.

        Returns
        -------
        pandas.DataFrame
            Columns ``parameter``, ``element``, ``n_sims``, ``bins``, ``chi2``, ``p_chi2``,
            ``ks``, ``p_ks``.
        """
        rows = []
        for name, da in self.ranks.data_vars.items():
            other = [d for d in da.dims if d != "simulation"]
            arr = da.transpose("simulation", *other)
            per = arr.isel(simulation=0, drop=True)
            flat = arr.values.reshape(arr.sizes["simulation"], -1)
            for j, label in enumerate(element_labels(per)):
                if not np.isfinite(flat[:, j]).any():
                    continue
                res = uniformity_test(flat[:, j], self.n_draws, bins=bins)
                rows.append({"parameter": name, "element": label, "n_sims": flat.shape[0]} | res)
        return pd.DataFrame(rows)

    def check(
        self,
        alpha: float = SBC_ALPHA,
        *,
        test: Literal["chi2", "ks"] = "chi2",
        correction: Literal["bonferroni", "none"] = "bonferroni",
    ) -> Check:
        """Every parameter element's uniformity p-value above ``alpha``.

        With many parameters some p-values fall below 0.01 by chance; by default the smallest
        p-value is Bonferroni-adjusted (× the number of tests) before comparison.
        """
        u = self.uniformity()
        if u.empty:
            return Check(
                N_("SBC uniformity"),
                False,
                float("nan"),
                Message("p > {alpha}", {"alpha": alpha}),
                Message(N_("no ranks")),
            )
        col = f"p_{test}"
        p = u[col].to_numpy()
        m = len(p) if correction == "bonferroni" else 1
        worst = int(np.argmin(p))  # the smallest raw p-value (adjusted ones clip at 1)
        adj = np.minimum(1.0, p * m)
        label = u.loc[worst, "parameter"] + (
            f" [{u.loc[worst, 'element']}]" if u.loc[worst, "element"] else ""
        )
        passed = bool(adj[worst] > alpha)
        values = {
            "test": test,
            "p": float(p[worst]),
            "label": " ".join(str(label).split()),
            "m": m,
            "adj": float(adj[worst]),
            "sims": int(self.n_sims),
            "draws": int(self.n_draws),
            "failed": len(self.failures),
        }
        if m > 1 and self.failures:
            template = N_(
                "smallest {test} p-value {p:.3g} ({label}); Bonferroni-adjusted over {m} tests: "
                "{adj:.3g}; {sims} simulations, L = {draws}, {failed} failed fits"
            )
        elif m > 1:
            template = N_(
                "smallest {test} p-value {p:.3g} ({label}); Bonferroni-adjusted over {m} tests: "
                "{adj:.3g}; {sims} simulations, L = {draws}"
            )
        elif self.failures:
            template = N_(
                "smallest {test} p-value {p:.3g} ({label}); {sims} simulations, L = {draws}, "
                "{failed} failed fits"
            )
        else:
            template = N_(
                "smallest {test} p-value {p:.3g} ({label}); {sims} simulations, L = {draws}"
            )
        threshold = (
            Message(N_("p > {alpha} (Bonferroni)"), {"alpha": alpha})
            if m > 1
            else Message("p > {alpha}", {"alpha": alpha})
        )
        return Check(
            N_("SBC uniformity"),
            passed and not self.failures,
            float(adj[worst]),
            threshold,
            Message(template, values),
        )


def _as_truth_and_data(sim: Any) -> tuple[xr.Dataset, Any]:
    if hasattr(sim, "truth") and hasattr(sim, "data"):
        return sim.truth, sim.data
    truth, data = sim
    return truth, data


def _sbc_task(
    index: int,
    sim_seed: int,
    *,
    simulator: Callable[[np.random.Generator], Any],
    fitter: Callable[[Any, int], xr.DataTree | xr.Dataset],
    n_draws: int,
    var_names: Sequence[str] | None,
    catch: bool,
    store: str | None = None,
) -> tuple[int, xr.Dataset | None, str]:
    """One SBC simulation: simulate, fit, rank (module level so Dask can ship it)."""
    path = None if store is None else Path(store) / f"sim_{index:05d}_{sim_seed}.nc"
    if path is not None and path.exists():
        with xr.open_dataset(path) as ds:
            return index, ds.load(), ""
    rng = np.random.default_rng(sim_seed)
    try:
        truth, data = _as_truth_and_data(simulator(rng))
        post = fitter(data, sim_seed)
        ranks = rank_statistics(truth, post, n_draws=n_draws, var_names=var_names, rng=rng)
        if path is not None:
            ranks.to_netcdf(path)
        return index, ranks, ""
    except Exception as err:
        if not catch:
            raise
        return index, None, f"{type(err).__name__}: {err}"


def run_sbc(
    simulator: Callable[[np.random.Generator], Any],
    fitter: Callable[[Any, int], xr.DataTree | xr.Dataset],
    n_sims: int,
    *,
    n_draws: int = 99,
    seed: int = 0,
    var_names: Sequence[str] | None = None,
    grid: Mapping[str, Any] | None = None,
    map_fn: Callable[[Callable[[int], Any], Iterable[int]], Iterable[Any]] | None = None,
    catch: bool = True,
    store: str | Path | None = None,
) -> SBCResult:
    """Run SBC: simulate from the prior, fit, rank the truth among the posterior draws.

    The simulations run through :func:`saigapop.runner.run_grid` (DESIGN §5): serially in
    this process by default, on a Dask ``LocalCluster`` with ``grid={"n_workers": 2}``, or on
    any cluster with ``grid={"client": client}``; every path gives the same ranks.

    Parameters
    ----------
    simulator
        ``simulator(rng) -> (truth, data)`` or an object with ``.truth`` and ``.data`` (such as
        :class:`~saigapop.validation.simulate.Simulation`); the truth must be drawn from the
        *same prior the fitter uses*.
    fitter
        ``fitter(data, seed) -> DataTree | Dataset`` returning posterior draws.
    n_sims
        Number of simulations (≥ 100 for the acceptance check, Talts et al. use 1000).
    n_draws
        ``L`` thinned posterior draws per fit (default 99, so ranks take 100 values).
    seed
        Master seed; simulation ``i`` uses an independent child seed.
    var_names
        Parameters to rank (default: every truth variable in the posterior).
    grid
        Keyword arguments of :func:`saigapop.runner.run_grid` (``serial``, ``n_workers``,
        ``client``, ``scheduler_address``, ``progress``). Default ``{"serial": True}``.
        Simulator and fitter must then be picklable by ``cloudpickle`` (closures are).
    map_fn
        Instead of ``run_grid``, any ``map``-like callable ``map_fn(f, range(n_sims))``.
    catch
        Record fits that raise as failures instead of stopping (with ``catch=False`` the
        first error is raised, wrapped in :class:`saigapop.runner.TaskError` by ``run_grid``).
    store
        Folder where each simulation's ranks are written as it finishes (NetCDF, named by
        index and seed). A rerun with the same arguments loads them instead of refitting, so
        a long SBC can be resumed; :meth:`SBCResult.from_store` reads a partial run.

    Returns
    -------
    SBCResult
    """
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n_sims)]
    opts = {
        "simulator": simulator,
        "fitter": fitter,
        "n_draws": n_draws,
        "var_names": None if var_names is None else list(var_names),
        "catch": catch,
        "store": None if store is None else str(store),
    }
    if store is not None:
        Path(store).mkdir(parents=True, exist_ok=True)
    if map_fn is not None:
        results = list(map_fn(lambda i: _sbc_task(i, seeds[i], **opts), range(n_sims)))
    else:
        out = run_fits(
            _sbc_task,
            [{"index": i, "sim_seed": seeds[i]} for i in range(n_sims)],
            shared=opts,
            grid=grid,
            desc="SBC",
            on_error="report" if catch else "raise",
        )
        results = [
            r if r is not None else (i, None, "task failed in the runner")
            for i, r in enumerate(out)
        ]
    results = sorted(results, key=lambda r: r[0])
    ok = [r[1] for r in results if r[1] is not None]
    failures = tuple((r[0], r[2]) for r in results if r[1] is None)
    if not ok:
        raise RuntimeError(f"every SBC fit failed; first error: {failures[0][1]}")
    ranks = xr.concat(ok, dim="simulation", coords="minimal", compat="override")
    ranks = ranks.assign_coords(simulation=[r[0] for r in results if r[1] is not None])
    return SBCResult(ranks, int(ok[0].attrs["n_draws"]), failures)


def plot_rank_histograms(
    *,
    result: SBCResult,
    var_names: Sequence[str] | None = None,
    bins: int | None = None,
    level: float = 0.99,
    ncols: int = 4,
) -> Figure:
    """Rank histogram per parameter element with the binomial band of a uniform histogram.

    Parameters
    ----------
    result
        An :class:`SBCResult`.
    var_names
        Variables to show (default all).
    bins
        Bins (default :func:`default_bins`).
    level
        Mass of the per-bin binomial band (grey).
    ncols
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> ranks = xr.Dataset({"a": ("simulation", np.arange(100) % 10)})
    >>> fig = plot_rank_histograms(result=SBCResult(ranks, 9))
    >>> fig.axes[0].get_title()
    'a'
    """
    panels = []
    for name in var_names or list(result.ranks.data_vars):
        da = result.ranks[name]
        other = [d for d in da.dims if d != "simulation"]
        arr = da.transpose("simulation", *other)
        flat = arr.values.reshape(arr.sizes["simulation"], -1)
        for j, label in enumerate(element_labels(arr.isel(simulation=0, drop=True))):
            ranks = flat[:, j][np.isfinite(flat[:, j])]
            if ranks.size:
                short = ", ".join(part.split("=", 1)[-1] for part in label.split(", "))
                panels.append((name + (f"\n{short}" if label else ""), ranks.astype(int)))
    n = len(panels)
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = figure(nrows, ncols, width=2.4 * ncols, height=1.8 * nrows + 0.3)
    n_draws = result.n_draws
    for k, ax in enumerate(axes.ravel()):
        if k >= n:
            ax.set_visible(False)
            continue
        title, ranks = panels[k]
        b = default_bins(len(ranks), n_draws) if bins is None else bins
        groups, probs = _bin_probabilities(n_draws, b)
        edges = np.array([g[0] for g in groups] + [n_draws + 1]) - 0.5
        lo = stats.binom.ppf((1 - level) / 2, len(ranks), probs)
        hi = stats.binom.ppf((1 + level) / 2, len(ranks), probs)
        ax.fill_between(
            np.repeat(edges, 2)[1:-1], np.repeat(lo, 2), np.repeat(hi, 2), color="0.85", lw=0
        )
        ax.hist(ranks, bins=edges, color="#0072B2", alpha=0.8)
        ax.set_title(title, fontsize="small")
        ax.set_yticks([])
    fig.supxlabel(f"rank of the true value among L = {n_draws} posterior draws")
    return fig
