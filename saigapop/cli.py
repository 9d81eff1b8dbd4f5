"""Command line: ``saigapop report`` and ``saigapop validate``, a thin layer over the API.

Exit codes: 0 success; 1 invalid input data; 2 usage error; 3 the model fit failed its
diagnostics or acceptance checklist (the report is still written, with the warning at the
top) unless ``--proceed-on-failure`` is given.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

import saigapop.io as sio
from saigapop.assessment import REPORT_STEPS, Assessment, AssessmentConfig
from saigapop.datasets import load_kazakhstan
from saigapop.exceptions import ConfigError, DataValidationError
from saigapop.io import SaigaData
from saigapop.io.parsing import read_raw
from saigapop.model.io import load_fit
from saigapop.report import FORMATS
from saigapop.report.i18n import LANGUAGES
from saigapop.validation.evidence import read_evidence

__all__ = ["app", "new_assessment"]

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
# soft_wrap: messages are never broken at the terminal width (the same text in a narrow
# terminal, a pipe or a notebook; tests assert on whole phrases).
console = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

_DEFAULTS = AssessmentConfig()


def new_assessment(
    data: SaigaData, config: AssessmentConfig, fit: Any = None, **options: Any
) -> Assessment:
    """Make the :class:`~saigapop.Assessment` that ``saigapop report`` runs.

    The one place the command line makes its assessment, so tests can stand in a subclass.
    """
    if fit is not None:
        return Assessment.from_fit(data, fit, config, **options)
    return Assessment(data, config, **options)


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
    seed: Annotated[
        int, typer.Option(help="Random seed of the fit and projections.")
    ] = _DEFAULTS.seed,
    draws: Annotated[
        int, typer.Option(min=1, help="Posterior draws per chain (after tuning).")
    ] = _DEFAULTS.draws,
    chains: Annotated[int, typer.Option(min=1, help="Sampler chains.")] = _DEFAULTS.chains,
    tune: Annotated[int, typer.Option(min=0, help="Tuning draws per chain.")] = _DEFAULTS.tune,
    target_accept: Annotated[
        float, typer.Option(min=0.5, max=0.999, help="NUTS target acceptance rate.")
    ] = _DEFAULTS.target_accept,
    trials: Annotated[
        bool,
        typer.Option(
            "--trials/--no-trials", help="Run the robustness trials and the closed-loop MSE."
        ),
    ] = True,
    mse_replicates: Annotated[
        int, typer.Option(min=10, help="Replicates of the closed-loop MSE.")
    ] = _DEFAULTS.mse_replicates,
    offtake_scenario: Annotated[
        str | None,
        typer.Option(
            help="Offtake (cull) scenario in both arms: a scenario of the data's offtake "
            "plan, or 'none' for no planned culls. Default: the data's default scenario."
        ),
    ] = _DEFAULTS.offtake_scenario,
    poaching_multiplier: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Future poaching scenario in both arms: the fitted poaching rate × this "
            "multiplier in every projected year (default 1).",
        ),
    ] = _DEFAULTS.poaching_multiplier,
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
    """Run the assessment and write the biological justification report."""
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
    try:
        limit_map = _parse_limits(limits)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--limits") from None
    pops = _split(populations)
    skipped = {"trials": trials, "mse": trials, "validation": checks, "sensitivity": sensitivity}
    steps = [s for s in REPORT_STEPS if skipped.get(s, True)]
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("Reading and validating data", total=len(steps) + 2)

        def fail(text: str, problems: list[Any] = ()) -> typer.Exit:
            progress.stop()
            console.print(text)
            _print_problems(list(problems))
            return typer.Exit(EXIT_DATA)

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if census is None:
                    data = load_kazakhstan()
                else:
                    data = SaigaData.from_files(census, removals, composition, populations=pops)
        except DataValidationError as err:
            n = len(err.problems)
            raise fail(f"[red]{n} problem(s) in the input data:[/red]", err.problems) from None
        if pops:
            try:
                data = data.select(populations=pops)
            except (ValueError, KeyError) as err:
                raise fail(f"[red]Cannot select populations {pops}:[/red] {err}") from None
        progress.advance(task)
        evidence = None
        if evidence_file is not None:
            try:
                evidence = read_evidence(evidence_file, data_hash=data.data_hash)
            except (OSError, ValueError) as err:
                raise fail(f"[red]Cannot read the validation evidence:[/red] {err}") from None
        posterior = None if fit_file is None else _read_fit(fit_file, data)
        started = time.monotonic()

        def on_step(text: str) -> None:
            progress.console.print(f"[dim]{time.monotonic() - started:6.0f} s[/dim]  {text}")
            progress.update(task, description=text)
            progress.advance(task)

        try:
            config = AssessmentConfig(
                seed=seed,
                chains=chains,
                draws=draws,
                tune=tune,
                target_accept=target_accept,
                mse_replicates=mse_replicates,
                limits=limit_map,
                offtake_scenario=offtake_scenario,
                poaching_multiplier=poaching_multiplier,
            )
            assessment = new_assessment(
                data, config, fit=posterior, progress=False, on_step=on_step
            )
            settings: dict[str, Any] = {"institution": institution, "country": country}
            if title:
                settings["title"] = title
            if pops:
                settings["populations"] = tuple(pops)
            paths = assessment.report(
                out_dir,
                formats=wanted,
                language=language,
                steps=steps,
                evidence=evidence,
                registry=registry,
                **settings,
            )
        except ConfigError as err:
            raise fail(f"[red]Cannot solve the quota:[/red] {err}") from None
        except DataValidationError as err:
            n = len(err.problems)
            raise fail(f"[red]{n} problem(s) in the horn registry:[/red]", err.problems) from None
        progress.update(task, description="Done", completed=len(steps) + 2)

    payload = assessment.last_payload
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
    if not path.exists():
        raise typer.BadParameter(f"no such fit: {path}", param_hint="--fit")
    fit = load_fit(path)
    stored = fit.attrs.get("data_hash")  # the fitted tables (no offtake plan)
    if stored is not None and stored != data.tables_hash:
        raise typer.BadParameter(
            f"{path} was fitted to other data (data hash {str(stored)[:12]}, these data "
            f"{data.tables_hash[:12]})",
            param_hint="--fit",
        )
    return fit


_KINDS = {
    "census": ("census", "read_census"),
    "removals": ("removals", "read_removals"),
    "composition": ("composition", "read_composition"),
    "offtake": ("offtake", "read_offtake"),
}


def _guess_kind(path: Path) -> str | None:
    name = path.name.lower()
    if "offtake" in name:
        return "offtake"
    for kind in ("census", "removal", "composition"):
        if kind in name:
            return "removals" if kind == "removal" else kind
    columns = set(read_raw(path).frame.columns)
    if {"scenario", "basis"} <= columns:
        return "offtake"
    if {"males", "females"} & columns:
        return "composition"
    if {"status", "unit"} <= columns:
        return "removals"
    if {"population", "year", "kind", "value"} <= columns:
        return "census"
    return None


@app.command()
def validate(
    files: Annotated[
        list[Path], typer.Argument(help="Census, removals, composition or offtake-plan files.")
    ],
    populations: Annotated[
        str | None,
        typer.Option(help="Comma-separated populations to accept besides the Kazakh three."),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            help="Table kind of every file (census, removals, composition, offtake); "
            "default: guessed from the file name, then the columns."
        ),
    ] = None,
) -> None:
    """Validate data files and print every problem (exit 1 if any is an error)."""
    if kind is not None and kind not in _KINDS:
        raise typer.BadParameter(f"choose from {', '.join(_KINDS)}", param_hint="--kind")
    pops = _split(populations)
    n_errors = n_warnings = 0
    by_kind: dict[str, list[Path]] = {}
    for path in files:
        table = kind or _guess_kind(path)
        if table is None:
            out.print(
                f"[red]{path}: cannot tell whether this is a census, removals, composition or "
                "offtake table; use --kind[/red]"
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
    # Cross-table checks: one census with one removals, composition or offtake file each.
    others = ("removals", "composition", "offtake")
    if (
        len(by_kind.get("census", [])) == 1
        and n_errors == 0
        and all(len(by_kind.get(k, [])) <= 1 for k in others)
        and any(by_kind.get(k) for k in others)
    ):
        try:
            with warnings.catch_warnings():  # printed below from data.warnings
                warnings.simplefilter("ignore", sio.DataWarning)
                data = sio.SaigaData.from_files(
                    by_kind["census"][0],
                    (by_kind.get("removals") or [None])[0],
                    (by_kind.get("composition") or [None])[0],
                    offtake=(by_kind.get("offtake") or [None])[0],
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
