"""The report only presents: it imports no sampler and calls no projection, trial or solver.

Everything the report shows about the quota is computed by :mod:`saigapop.management.analysis`,
:mod:`saigapop.validation.routine` and :mod:`saigapop.validation.reweighting` and handed to
it as data. These tests read the report package's source (``ast``) and import it in a fresh
interpreter; either fails if a computation moves back into the report.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import saigapop.report

REPORT = Path(saigapop.report.__file__).parent
#: Deprecated re-export shims: they name moved functions as strings, call nothing.
SHIMS = {"inputs.py", "pending.py", "reweighting.py"}
#: Functions and methods that run projections, trials, the MSE, solvers or reweighting.
COMPUTES = {
    "project",
    "baseline",
    "from_posterior",
    "OperatingModel",
    "solve_quota",
    "solve_robust_quota",
    "risk_curve",
    "compute_triggers",
    "pbr_table",
    "allocate_cap",
    "run_trials",
    "run_mse",
    "summarise_mse",
    "psis",
    "prepare_quota",
    "prepare_trials",
    "prepare_validation",
    "ppc_coverage",
    "ppc_coverage_check",
    "pareto_khat",
    "prior_sensitivity",
    "add_log_densities",
    "reweighted_alternative_quotas",
    "alternative_weights",
    # summaries of the fit's draws (saigapop.model.diagnostics.summarise_fit computes them)
    "priors_table",
    "prior_posterior_comparison",
    "sex_ratio_prior_driven",
    "quantile_bands",
    "summarise_fit",
    "quantile",
    "median",
    "trial_table",
    # the horn registry's reconciliation (saigapop.registry.registry_section computes it)
    "registry_section",
    "reconcile",
}
#: The computations the report's front door may call: ``build_payload`` accepts a raw fit and
#: a registry validation for continuity and hands them once, before any section runs, to the
#: model layer's summariser and the registry's reconciliation.
DOOR = {"payload.py": {"summarise_fit", "registry_section"}}
# The quota gate (saigapop.validation.outcomes.checklist_passed / quota_recommendable) is a
# rule on the checks the report is handed, applied where the report decides what to print.
#: Modules the report must not import (computations live there).
COMPUTING_MODULES = (
    "saigapop.management.analysis",
    "saigapop.management.operating_model",
    "saigapop.management.mse",
    "saigapop.management.quota",
    "saigapop.validation.routine",
    "saigapop.validation.reweighting",
    "saigapop.model.build",
    "saigapop.model.fit",
    "saigapop.model.priors",
    "saigapop.management.trials",
    "saigapop.management.robust",
    "saigapop.validation.simulate",
)


#: Not even loaded by ``import saigapop.report`` (the management package's ``__init__`` loads
#: its own modules, so only those outside it are listed).
LOADED_NEVER = (
    "saigapop.management.analysis",
    "saigapop.validation.routine",
    "saigapop.validation.reweighting",
    "saigapop.model.",
)
#: Model modules a report may load: the pure posterior schema and the posterior diagnostics
#: (numpy, xarray, arviz-stats; they read draws, they never sample).
#: The priors are data (distribution, quantiles, rationale, citation) that the diagnostics
#: module tabulates into the fit summary.
ALLOWED = ("saigapop.model.schema", "saigapop.model.diagnostics", "saigapop.model.priors")
#: Function-level imports the report keeps, with why: WeasyPrint (Pango/cairo) loads only
#: when a PDF is rendered.
LAZY_IMPORTS = {"pdf.py": {"weasyprint", "weasyprint.urls", "weasyprint.text.fonts"}}


def _report_modules() -> list[Path]:
    return sorted(p for p in REPORT.rglob("*.py") if p.name not in SHIMS)


def _called_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                names.add(f.id)
            elif isinstance(f, ast.Attribute):
                names.add(f.attr)
    return names


def _imported(tree: ast.AST) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


@pytest.mark.parametrize("path", _report_modules(), ids=lambda p: p.name)
def test_no_report_module_calls_a_computation(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = _called_names(tree) & COMPUTES - DOOR.get(path.name, set())
    assert not calls, f"{path.name} calls {sorted(calls)}: compute it outside the report"
    bad = sorted(m for m in _imported(tree) if any(m.startswith(c) for c in COMPUTING_MODULES))
    assert not bad, f"{path.name} imports {bad}: the report only presents"


def _function_level_imports(tree: ast.AST) -> set[str]:
    out = set()
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and node.module:
                    out.add(node.module)
                elif isinstance(node, ast.Import):
                    out.update(a.name for a in node.names)
    return out


@pytest.mark.parametrize("path", sorted(REPORT.rglob("*.py")), ids=lambda p: p.name)
def test_report_imports_at_module_top(path):
    """Function-level imports hide the real layering (issue 14); only the listed stay lazy."""
    lazy = _function_level_imports(ast.parse(path.read_text(encoding="utf-8")))
    extra = lazy - LAZY_IMPORTS.get(path.name, set())
    assert not extra, f"{path.name} imports {sorted(extra)} inside a function: move to the top"


def test_the_import_scan_finds_a_function_level_import():
    tree = ast.parse("import numpy\ndef f():\n    from saigapop.model.priors import x\n")
    assert _function_level_imports(tree) == {"saigapop.model.priors"}


def test_the_scan_finds_a_planted_computation():
    """The AST scan is not vacuous: a projection call and a computing import are caught."""
    planted = ast.parse(
        "from saigapop.management.analysis import prepare_quota\nom.project(h, levels)\n"
    )
    assert _called_names(planted) & COMPUTES == {"project"}
    summary = ast.parse("n.quantile([0.05], dim='sample')\npriors_table()\n")
    assert _called_names(summary) & COMPUTES == {"quantile", "priors_table"}
    assert "saigapop.management.analysis" in _imported(planted)


def test_importing_the_report_loads_no_sampler():
    code = (
        "import sys, saigapop.report\n"
        "heavy = [m for m in ('pymc', 'pytensor') if m in sys.modules]\n"
        "computing = [m for m in sys.modules if m.startswith(("
        + ", ".join(repr(m) for m in LOADED_NEVER)
        + f")) and m not in {ALLOWED!r}]\n"
        "print(heavy, computing)\n"
        "sys.exit(1 if heavy or computing else 0)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize(
    ("module", "name", "home"),
    [
        ("saigapop.report.pending", "checklist_passed", "saigapop.validation.outcomes"),
        ("saigapop.report.inputs", "prepare_quota", "saigapop.management.analysis"),
        ("saigapop.report.inputs", "QuotaInputs", "saigapop.management.outcomes"),
        ("saigapop.report.reweighting", "psis", None),
        (
            "saigapop.report.reweighting",
            "reweighted_alternative_quotas",
            "saigapop.validation.reweighting",
        ),
    ],
)
def test_moved_names_warn_and_forward(module, name, home):
    import importlib

    mod = importlib.import_module(module)
    if home is None:
        with pytest.raises(AttributeError):
            getattr(mod, name)
        return
    with pytest.warns(DeprecationWarning, match=f"use {home}.{name}"):
        obj = getattr(mod, name)
    assert obj is getattr(importlib.import_module(home), name)


def test_report_prepare_quota_is_a_deprecated_alias():
    from saigapop.management.analysis import prepare_quota

    with pytest.warns(DeprecationWarning, match="saigapop.management.analysis.prepare_quota"):
        alias = saigapop.report.prepare_quota
    assert alias is prepare_quota
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert saigapop.report.QuotaInputs.__module__ == "saigapop.management.outcomes"


def test_a_fit_summary_and_its_fit_give_the_same_report(data, config):
    """The sections lay out the summary; summarising at the door or before changes nothing."""
    from saigapop.model.diagnostics import summarise_fit
    from saigapop.report import build_payload
    from saigapop.testing import make_synthetic_posterior

    fit = make_synthetic_posterior(chains=1, draws=20, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = build_payload(data, fit=fit, config=config)
        pre = build_payload(data, fit=summarise_fit(fit), config=config)
    assert raw.report_id == pre.report_id
    assert dict(raw.values) == dict(pre.values)
    assert raw.section("status").tables[0].frame.equals(pre.section("status").tables[0].frame)
