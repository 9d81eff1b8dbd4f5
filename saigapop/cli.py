"""Command line: ``saigapop report`` and ``saigapop validate``, a thin layer over the API.

Exit codes: 0 success; 1 invalid input data; 2 usage error; 3 the model fit failed its
diagnostics or acceptance checklist (the report is still written, with the warning at the
top) unless ``--proceed-on-failure`` is given.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

__all__ = ["AnalysisResults", "app", "run_analysis"]

EXIT_DATA = 1
EXIT_DIAGNOSTICS = 3

app = typer.Typer(
    name="saigapop",
    help="Saiga population models and the CITES non-detriment finding (biological "
    "justification) for horn-export quotas.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True, highlight=False)
out = Console(highlight=False)


@dataclass(frozen=True)
class AnalysisResults:
    """What the modelling steps produce for the report (``None`` = not computed)."""

    fit: Any = None
    diagnostics: Any = None
    quota: Any = None
    trials: Any = None
    validation: Any = None
    registry: Any = None
    sampler: dict[str, Any] | None = None
    note: str = ""


#: Default sampler settings of ``saigapop report`` (see ``docs/user_guide.md``: the whole
#: pipeline on the bundled data fits in 15 minutes on 2 cores).
DEFAULT_DRAWS = 1000
DEFAULT_TUNE = 1000
DEFAULT_CHAINS = 4
#: NUTS target acceptance of ``saigapop report`` (the model default).
DEFAULT_TARGET_ACCEPT = 0.99
#: Posterior draws used by the operating model (evenly thinned from chains × draws).
OM_DRAWS = 2000  # = saigapop.management.recommend.DEFAULT_OM_DRAWS (imported lazily)
#: Replicates of the closed-loop MSE in ``saigapop report`` (Monte Carlo errors are shown).
MSE_REPLICATES = 1000


def run_analysis(
    data: Any,
    *,
    seed: int,
    draws: int = DEFAULT_DRAWS,
    chains: int = DEFAULT_CHAINS,
    tune: int = DEFAULT_TUNE,
    target_accept: float = DEFAULT_TARGET_ACCEPT,
    om_draws: int | None = OM_DRAWS,
    trials: bool = True,
    validation: bool = True,
    sensitivity: bool = True,
    mse_replicates: int = MSE_REPLICATES,
    limits: Mapping[str, float] | None = None,
    posterior: Any = None,
    registry: Any = None,
    evidence: Any = None,
    on_step: Callable[[str], None] | None = None,
) -> AnalysisResults:
    """Fit the model, check it, solve the quota, then run the trials, MSE and validation.

    The pipeline: :func:`saigapop.model.fit.fit` → :func:`~saigapop.model.diagnostics.
    check_convergence` → :meth:`OperatingModel.from_posterior` (with the removals already
    realised after the latest census) → :func:`~saigapop.management.solve_robust_quota` with
    :func:`~saigapop.management.default_criteria` (the quota of the fitted world, lowered
    where a reference trial needs less) → :func:`~saigapop.management.analysis.prepare_quota`
    (allocation of the CITES cap with the horns in storage, triggers, PBR, projections) →
    :func:`~saigapop.management.analysis.prepare_trials` (robustness trials, reweighted where they
    change the observation model, and the closed-loop MSE against zero export and PBR) →
    :func:`~saigapop.validation.routine.prepare_validation` (posterior predictive coverage,
    PSIS-LOO Pareto k̂, power-scaling prior sensitivity) with the quota under alternative
    priors by importance reweighting
    (:func:`~saigapop.validation.reweighting.reweighted_alternative_quotas`). Nothing is refitted
    after the one fit.

    Parameters
    ----------
    data
        Validated :class:`saigapop.SaigaData`.
    seed
        Random seed of the sampler and of the operating model.
    draws, chains, tune
        Posterior draws per chain, chains and tuning draws per chain.
    target_accept
        NUTS target acceptance rate.
    om_draws
        Posterior draws the operating model uses (thinned evenly; ``None``: all).
    trials
        Run the robustness trials and the MSE.
    validation
        Run the validation checks (PPC coverage, Pareto k̂, prior sensitivity).
    sensitivity
        Re-solve the quota under alternative priors by reweighting (tornado chart).
    mse_replicates
        Replicates of the closed-loop MSE.
    limits
        Fixed abundance limits by population, added to (or replacing) the defaults of the
        Kazakh populations; a population of the user's own must have one.
    posterior
        A fit already made (e.g. :func:`saigapop.model.io.load_fit`); the sampler is then
        not run and ``draws``, ``chains`` and ``tune`` are read from it.
    registry
        A horn registry (file path or DataFrame), validated against the removals and
        reconciled with the quota for the monitoring section; ``None``: none.
    evidence
        Slow-tier validation checks (:func:`saigapop.validation.read_evidence`), added to
        the checklist without gating the quota; ``None``: none.
    on_step
        Called with a short description as each step starts (progress display).

    Returns
    -------
    AnalysisResults
    """
    from saigapop.exceptions import ConfigError
    from saigapop.management import DEFAULT_ABUNDANCE_LIMITS, HornStock
    from saigapop.management.analysis import prepare_quota, prepare_trials
    from saigapop.management.recommend import recommend_quota
    from saigapop.model.config import ModelConfig, SamplerConfig
    from saigapop.model.diagnostics import check_convergence
    from saigapop.model.fit import fit as fit_model
    from saigapop.report.i18n import _
    from saigapop.validation.outcomes import ValidationInputs
    from saigapop.validation.routine import prepare_validation

    def step(text: str) -> None:
        if on_step is not None:
            on_step(text)

    all_limits = {**DEFAULT_ABUNDANCE_LIMITS, **(limits or {})}
    missing = [p for p in data.populations if p not in all_limits]
    if missing:
        raise ConfigError(
            f"no abundance limit for {missing}: give one per population with --limits "
            "(for example --limits Kalmykia=3000) and justify it in the report"
        )
    sc = SamplerConfig(
        chains=chains, draws=draws, tune=tune, random_seed=seed, target_accept=target_accept
    )
    if posterior is None:
        step(f"Fitting the model ({chains} chains × {draws} draws, {tune} tuning)")
        pymc_log = logging.getLogger("pymc")
        level = pymc_log.level
        pymc_log.setLevel(logging.WARNING)  # no "Sampling: [...]" lines among the steps
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                posterior = fit_model(data, ModelConfig(), sampler_config=sc, progressbar=False)
        finally:
            pymc_log.setLevel(level)
    else:
        post = posterior["posterior"]
        chains, draws = int(post.sizes["chain"]), int(post.sizes["draw"])
        saved = json.loads(posterior.attrs.get("saigapop_sampler_config", "{}"))
        tune = int(saved.get("tune", tune))
        sc = SamplerConfig(
            chains=chains,
            draws=draws,
            tune=tune,
            random_seed=int(saved.get("random_seed", seed)),
            target_accept=float(saved.get("target_accept", target_accept)),
        )
    step("Checking convergence")
    convergence = check_convergence(posterior)
    step("Solving the quota in the fitted world and in every reference trial")
    rec = recommend_quota(posterior, data.removals, all_limits, seed=seed, om_draws=om_draws)
    om, result, across, om_options = rec.om, rec.result, rec.across, rec.om_options
    step("Allocating the cap, triggers and PBR")
    quota = prepare_quota(om, result, stock=HornStock(), fit=posterior)
    trial_inputs = None
    if trials:
        trial_inputs = prepare_trials(
            posterior,
            result,
            limits=all_limits,
            seed=seed,
            n_replicates=mse_replicates,
            om_options=om_options,
            counts=data.to_xarray()["count"],
            pbr_om=om,
            on_step=step,
        )
    validation_inputs = None
    if validation or sensitivity:
        alternatives = None
        if sensitivity:
            fitted_world = across["level"].sel(trial="base")
            alternatives = _alternative_quotas(
                posterior,
                result,
                fitted_world,
                om_options,
                seed=seed,
                n_draws=om.n_draws,
                step=step,
            )
        if validation:
            validation_inputs = prepare_validation(
                posterior, data, alternatives=alternatives, method="reweighted", on_step=step
            )
        else:
            validation_inputs = ValidationInputs(alternatives=alternatives, method="reweighted")
    if evidence is not None:
        validation_inputs = dataclasses.replace(
            validation_inputs or ValidationInputs(), evidence=evidence
        )
    registry_inputs = None
    if registry is not None:
        step(_("Checking the horn registry"))
        registry_inputs = _check_registry(registry, data)
    return AnalysisResults(
        fit=posterior,
        diagnostics=convergence,
        quota=quota,
        trials=trial_inputs,
        validation=validation_inputs,
        registry=registry_inputs,
        sampler={
            "sampler": sc.sampler,
            "chains": chains,
            "draws": draws,
            "tune": tune,
            "target_accept": sc.target_accept,
            "operating_model_draws": om.n_draws,
        },
        note="" if convergence.passed else convergence.summary(),
    )


def _alternative_quotas(
    posterior: Any,
    result: Any,
    fitted_world: Any,
    om_options: Mapping[str, Any],
    *,
    seed: int,
    n_draws: int,
    step: Callable[[str], None],
) -> Any:
    """Re-solve the quota under each alternative prior by reweighting the posterior."""
    from saigapop.management import OperatingModel, solve_quota
    from saigapop.report.i18n import _
    from saigapop.validation.reweighting import reweighted_alternative_quotas

    opts = {k: v for k, v in om_options.items() if k != "n_draws"}
    pops = [str(p) for p in result.level["population"].values]

    def solve(resampled: Any) -> dict[str, float]:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            om = OperatingModel.from_posterior(resampled, seed=seed, **opts)
            res = solve_quota(om, result.criteria, p_star=result.p_star, progress=False)
        return {p: float(res.level.sel(population=p)) for p in pops}

    # the reweighted alternatives are solved in the fitted world: compare like with like
    reference = {p: float(fitted_world.sel(population=p)) for p in pops}
    return reweighted_alternative_quotas(
        posterior,
        solve,
        reference,
        n_draws=n_draws,
        seed=seed,
        on_alternative=lambda what: step(
            _("Quota under an alternative prior: {what}").format(what=what)
        ),
    )


def _check_registry(registry: Any, data: Any) -> Any:
    """Validate a horn registry (file or DataFrame) against the data's removals."""
    from saigapop.registry import validate_registry

    removals = getattr(data, "removals", None)
    return validate_registry(registry, removals)


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    items = [t.strip() for t in text.split(",") if t.strip()]
    return items or None


def _parse_limits(text: str | None) -> dict[str, float]:
    """Parse ``"A=1000,B=2e4"`` into ``{"A": 1000.0, "B": 20000.0}``."""
    out: dict[str, float] = {}
    for item in _split(text) or []:
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not sep or not name.strip() or not number > 0:
            raise ValueError(f"expected Population=positive number, got {item!r}")
        out[name.strip()] = number
    return out


def _print_problems(problems: list[Any]) -> None:
    for problem in problems:
        colour = "yellow" if getattr(problem, "severity", "error") == "warning" else "red"
        out.print(f"[{colour}]{problem}[/{colour}]", soft_wrap=True)


@app.command()
def report(
    census: Annotated[
        Path | None,
        typer.Option(help="Census file (CSV or Excel). Default: the bundled Kazakhstan data."),
    ] = None,
    removals: Annotated[
        Path | None, typer.Option(help="Removals file; only with --census.")
    ] = None,
    composition: Annotated[
        Path | None, typer.Option(help="Composition file; only with --census.")
    ] = None,
    populations: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated populations to report (default: all in the data). Names "
            "not among Betpakdala, Ural and Ustyurt are accepted in your own files."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the fit and projections.")] = 2025,
    draws: Annotated[
        int, typer.Option(min=1, help="Posterior draws per chain (after tuning).")
    ] = DEFAULT_DRAWS,
    chains: Annotated[int, typer.Option(min=1, help="Sampler chains.")] = DEFAULT_CHAINS,
    tune: Annotated[int, typer.Option(min=0, help="Tuning draws per chain.")] = DEFAULT_TUNE,
    target_accept: Annotated[
        float, typer.Option(min=0.5, max=0.999, help="NUTS target acceptance rate.")
    ] = DEFAULT_TARGET_ACCEPT,
    trials: Annotated[
        bool,
        typer.Option(
            "--trials/--no-trials", help="Run the robustness trials and the closed-loop MSE."
        ),
    ] = True,
    mse_replicates: Annotated[
        int, typer.Option(min=10, help="Replicates of the closed-loop MSE.")
    ] = MSE_REPLICATES,
    checks: Annotated[
        bool,
        typer.Option(
            "--validation/--no-validation",
            help="Run the validation checks (PPC coverage, PSIS-LOO Pareto k, prior sensitivity).",
        ),
    ] = True,
    sensitivity: Annotated[
        bool,
        typer.Option(
            "--sensitivity/--no-sensitivity",
            help="Re-solve the quota under alternative priors by reweighting (tornado chart).",
        ),
    ] = True,
    registry: Annotated[
        Path | None,
        typer.Option(
            help="Horn registry file (CSV or Excel) for the monitoring and traceability "
            "section. The bundled data have none."
        ),
    ] = None,
    evidence_file: Annotated[
        Path | None,
        typer.Option(
            "--validation-evidence",
            help="Slow-tier validation checks saved with saigapop.validation.record_check "
            "(e.g. docs/_static/validation/checks.json): shown in the checklist with their "
            "provenance, without gating the quota.",
        ),
    ] = None,
    fit_file: Annotated[
        Path | None,
        typer.Option(
            "--fit",
            help="A fit saved with saigapop.model.io.save_fit, used instead of sampling "
            "(it must be a fit of the same data).",
        ),
    ] = None,
    limits: Annotated[
        str | None,
        typer.Option(
            help="Fixed abundance limits, e.g. 'Kalmykia=3000,Ural=200000' (animals); needed "
            "for populations other than Betpakdala, Ural and Ustyurt."
        ),
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("reports"),
    formats: Annotated[
        str, typer.Option(help="Comma-separated formats: html, pdf, docx, bundle.")
    ] = "html,pdf,docx,bundle",
    proceed_on_failure: Annotated[
        bool,
        typer.Option(
            "--proceed-on-failure",
            help="Exit 0 even if the fit fails its diagnostics (the report still says so).",
        ),
    ] = False,
    title: Annotated[str | None, typer.Option(help="Report title.")] = None,
    institution: Annotated[str, typer.Option(help="Body preparing the finding.")] = "",
    country: Annotated[str, typer.Option(help="Exporting country.")] = "Kazakhstan",
    language: Annotated[
        str,
        typer.Option(
            "--language",
            help="Report language: en (English) or ru (Russian). Numbers are identical in "
            "both; the CSV/JSON bundle is the same.",
        ),
    ] = "en",
) -> None:
    """Run the pipeline and write the biological justification report."""
    import saigapop as sp
    from saigapop.exceptions import ConfigError, DataValidationError
    from saigapop.report import FORMATS, ReportConfig, build_payload, write_report
    from saigapop.report.i18n import LANGUAGES

    if language not in LANGUAGES:
        raise typer.BadParameter(
            f"unknown report language {language!r}; choose from {', '.join(LANGUAGES)}",
            param_hint="--language",
        )
    wanted = _split(formats) or []
    bad = [f for f in wanted if f not in FORMATS]
    if bad or not wanted:
        raise typer.BadParameter(
            f"unknown format(s) {bad}; choose from {', '.join(FORMATS)}", param_hint="--formats"
        )
    if census is None and (removals is not None or composition is not None):
        raise typer.BadParameter(
            "--removals and --composition need --census too", param_hint="--census"
        )
    pops = _split(populations)
    steps = 4 + len(wanted)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("Reading and validating data", total=steps)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if census is None:
                    data = sp.load_kazakhstan()
                else:
                    data = sp.SaigaData.from_files(census, removals, composition, populations=pops)
        except DataValidationError as err:
            progress.stop()
            console.print(f"[red]{len(err.problems)} problem(s) in the input data:[/red]")
            _print_problems(err.problems)
            raise typer.Exit(EXIT_DATA) from None
        progress.advance(task)

        if pops:
            try:
                data = data.select(populations=pops)
            except (ValueError, KeyError) as err:
                progress.stop()
                console.print(f"[red]Cannot select populations {pops}:[/red] {err}")
                raise typer.Exit(EXIT_DATA) from None

        try:
            limit_map = _parse_limits(limits)
        except ValueError as err:
            progress.stop()
            raise typer.BadParameter(str(err), param_hint="--limits") from None

        started = time.monotonic()

        def on_step(text: str) -> None:
            elapsed = time.monotonic() - started
            progress.console.print(f"[dim]{elapsed:6.0f} s[/dim]  {text}")
            progress.update(task, description=text)

        evidence = None
        if evidence_file is not None:
            from saigapop.validation.evidence import read_evidence

            try:
                evidence = read_evidence(evidence_file, data_hash=data.data_hash)
            except (OSError, ValueError) as err:
                progress.stop()
                console.print(f"[red]Cannot read the validation evidence:[/red] {err}")
                raise typer.Exit(EXIT_DATA) from None
        posterior = None
        if fit_file is not None:
            progress.update(task, description="Reading the saved fit")
            posterior = _read_fit(fit_file, data)
        try:
            results = run_analysis(
                data,
                seed=seed,
                draws=draws,
                chains=chains,
                tune=tune,
                target_accept=target_accept,
                trials=trials,
                validation=checks,
                sensitivity=sensitivity,
                mse_replicates=mse_replicates,
                limits=limit_map,
                posterior=posterior,
                registry=registry,
                evidence=evidence,
                on_step=on_step,
            )
        except ConfigError as err:
            progress.stop()
            console.print(f"[red]Cannot solve the quota:[/red] {err}")
            raise typer.Exit(EXIT_DATA) from None
        except DataValidationError as err:
            progress.stop()
            console.print(f"[red]{len(err.problems)} problem(s) in the horn registry:[/red]")
            _print_problems(err.problems)
            raise typer.Exit(EXIT_DATA) from None
        if results.note:
            progress.console.print(f"[yellow]Note:[/yellow] {results.note}")
        progress.advance(task, 2)

        progress.update(task, description="Building the report payload")
        config = ReportConfig(
            title=title or ReportConfig.model_fields["title"].default,
            institution=institution,
            country=country,
            populations=tuple(pops) if pops else None,
            seed=seed if results.fit is not None else None,
            sampler=results.sampler or {},
            language=language,
        )
        try:
            payload = build_payload(
                data,
                fit=results.fit,
                diagnostics=results.diagnostics,
                quota=results.quota,
                trials=results.trials,
                validation=results.validation,
                registry=results.registry,
                config=config,
            )
        except (ValueError, KeyError) as err:
            progress.stop()
            console.print(f"[red]Cannot build the report:[/red] {err}")
            raise typer.Exit(EXIT_DATA) from None
        progress.advance(task)

        def written(fmt: str, path: Path) -> None:
            progress.update(task, description=f"Wrote {fmt}")
            progress.advance(task)

        paths = write_report(payload, out_dir, formats=wanted, on_written=written)
        progress.update(task, description="Done")

    out.print(f"Report [bold]{payload.report_id}[/bold]")
    for fmt, path in paths.items():
        out.print(f"  {fmt:7s} {path}")
    for alert in payload.alerts:
        console.print(f"[bold red]{alert}[/bold red]")
    if payload.diagnostics_passed is False and not proceed_on_failure:
        console.print(
            "[red]The fit failed its diagnostics: exiting with status 3 "
            "(use --proceed-on-failure to exit 0).[/red]"
        )
        raise typer.Exit(EXIT_DIAGNOSTICS)


def _read_fit(path: Path, data: Any) -> Any:
    """Load a saved fit and check that it was made from ``data``."""
    from saigapop.model.io import load_fit

    if not path.exists():
        raise typer.BadParameter(f"no such fit: {path}", param_hint="--fit")
    fit = load_fit(path)
    stored = fit.attrs.get("data_hash")
    if stored is not None and stored != data.data_hash:
        raise typer.BadParameter(
            f"{path} was fitted to other data (data hash {str(stored)[:12]}, these data "
            f"{data.data_hash[:12]})",
            param_hint="--fit",
        )
    return fit


_KINDS = {
    "census": ("census", "read_census"),
    "removals": ("removals", "read_removals"),
    "composition": ("composition", "read_composition"),
}


def _guess_kind(path: Path) -> str | None:
    name = path.name.lower()
    for kind in ("census", "removal", "composition"):
        if kind in name:
            return "removals" if kind == "removal" else kind
    from saigapop.io.parsing import read_raw

    columns = set(read_raw(path).frame.columns)
    if {"males", "females"} & columns:
        return "composition"
    if {"status", "unit"} <= columns:
        return "removals"
    if {"population", "year", "kind", "value"} <= columns:
        return "census"
    return None


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Census, removals or composition files.")],
    populations: Annotated[
        str | None,
        typer.Option(help="Comma-separated populations to accept besides the Kazakh three."),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            help="Table kind of every file (census, removals, composition); "
            "default: guessed from the file name, then the columns."
        ),
    ] = None,
) -> None:
    """Validate data files and print every problem (exit 1 if any is an error)."""
    import saigapop.io as sio
    from saigapop.exceptions import DataValidationError

    if kind is not None and kind not in _KINDS:
        raise typer.BadParameter(f"choose from {', '.join(_KINDS)}", param_hint="--kind")
    pops = _split(populations)
    n_errors = n_warnings = 0
    by_kind: dict[str, list[Path]] = {}
    for path in files:
        table = kind or _guess_kind(path)
        if table is None:
            out.print(
                f"[red]{path}: cannot tell whether this is a census, removals or "
                "composition table; use --kind[/red]"
            )
            n_errors += 1
            continue
        by_kind.setdefault(table, []).append(path)
        reader = getattr(sio, _KINDS[table][1])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", sio.DataWarning)
            try:
                frame = reader(path, populations=pops)
            except DataValidationError as err:
                out.print(f"[bold]{path}[/bold] ({table}): {len(err.problems)} error(s)")
                _print_problems(err.problems)
                n_errors += len(err.problems)
                continue
        for w in caught:
            out.print(f"[yellow]warning: {w.message}[/yellow]", soft_wrap=True)
        n_warnings += len(caught)
        out.print(f"[bold]{path}[/bold] ({table}): {len(frame)} rows, no errors")
    # Cross-table checks: one census with one removals (and composition) file.
    if (
        len(by_kind.get("census", [])) == 1
        and n_errors == 0
        and (len(by_kind.get("removals", [])) == 1 or len(by_kind.get("composition", [])) == 1)
    ):
        try:
            data = sio.SaigaData.from_files(
                by_kind["census"][0],
                (by_kind.get("removals") or [None])[0],
                (by_kind.get("composition") or [None])[0],
                populations=pops,
            )
        except DataValidationError as err:
            out.print(f"[bold]Across files[/bold]: {len(err.problems)} error(s)")
            _print_problems(err.problems)
            n_errors += len(err.problems)
        else:
            _print_problems(list(data.warnings))
            n_warnings += len(data.warnings)
    colour = "red" if n_errors else "green"
    out.print(f"[{colour}]{n_errors} error(s), {n_warnings} warning(s)[/{colour}]")
    if n_errors:
        raise typer.Exit(EXIT_DATA)


def main() -> None:  # pragma: no cover - console-script entry point
    """Entry point of the ``saigapop`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
