"""Command line: ``saigapop report`` and ``saigapop validate``, a thin layer over the API.

Exit codes: 0 success; 1 invalid input data; 2 usage error; 3 the model fit failed its
diagnostics or acceptance checklist (the report is still written, with the warning at the
top) unless ``--proceed-on-failure`` is given.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

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


def run_analysis(data: Any, *, seed: int, draws: int) -> AnalysisResults:
    """Fit the model, check it, solve the quota and run the trials.

    THIS IS THE ONE PLACE WHERE THE FIT / DIAGNOSTICS / QUOTA STEPS PLUG IN. When
    ``saigapop.model`` and ``saigapop.management`` land, call them here (fit with ``seed``
    and ``draws`` -> DataTree; diagnostics with a boolean ``passed``; quota; trials) and
    return them with the sampler settings used. Everything else (gating, exit codes, report
    sections that say what was not computed) already follows from these fields.

    Parameters
    ----------
    data
        Validated :class:`saigapop.SaigaData`.
    seed, draws
        Random seed and posterior draws per chain.

    Returns
    -------
    AnalysisResults
    """
    return AnalysisResults(
        note="the model is not available in this version: a data-only report is written, "
        f"and --seed ({seed}) and --draws ({draws}) are not used"
    )


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    items = [t.strip() for t in text.split(",") if t.strip()]
    return items or None


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
    draws: Annotated[int, typer.Option(min=1, help="Posterior draws per chain.")] = 1000,
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
) -> None:
    """Run the pipeline and write the biological justification report."""
    import saigapop as sp
    from saigapop.exceptions import DataValidationError
    from saigapop.report import FORMATS, ReportConfig, build_payload, write_report

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

        progress.update(task, description="Fitting the model and solving the quota")
        results = run_analysis(data, seed=seed, draws=draws)
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
