import json
import warnings
from types import SimpleNamespace

import pandas as pd
import pytest
from typer.testing import CliRunner

import saigapop as sp
import saigapop.cli as cli
from saigapop.assessment import Assessment
from saigapop.cli import app
from saigapop.management.recommend import recommend_quota
from saigapop.testing import synthetic_posterior
from saigapop.validation import Check

runner = CliRunner()
_REAL_NEW_ASSESSMENT = cli.new_assessment


class SyntheticAssessment(Assessment):
    """A real quota solved on a synthetic posterior: fast, no sampling (unit tests only).

    Only the sampler and the slow steps (trials, MSE, sensitivity, validation checks) are
    stood in for; the quota, the report and the command line are the real ones.
    """

    passed = True
    checks = None

    def fit(self):
        full = {"Betpakdala": 1.6e6, "Ural": 2.3e6, "Ustyurt": 7.8e4}
        abundance = {p: full.get(p, 1e5) for p in self.data.populations}
        return self._run(
            "fit",
            "synthetic fit",
            lambda: synthetic_posterior(abundance, chains=2, draws=30, seed=self.config.seed),
        )

    @property
    def diagnostics(self):
        return SimpleNamespace(passed=self.passed, summary=lambda: "stub fit", checks=None)

    def recommend(self):
        def compute():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return recommend_quota(
                    self.fit(), self.data.removals, self.config.all_limits, robust=False
                )

        return self._run("recommend", "quota", compute)

    def trials(self):
        return None

    def sensitivity(self):
        return None

    def validation(self):
        if self.checks is None:
            return None
        from saigapop.validation.outcomes import ValidationInputs

        return ValidationInputs(checks=self.checks)


class FailingFit(SyntheticAssessment):
    passed = False


class FailingCheck(SyntheticAssessment):
    checks = (Check("PSIS-LOO Pareto k", False, 1.15, "< 0.70", "worst k-hat 1.15"),)


def _use(monkeypatch, cls):
    monkeypatch.setattr(
        cli, "new_assessment", lambda data, config, fit=None, **kw: cls(data, config, **kw)
    )


@pytest.fixture(autouse=True)
def _no_sampling(monkeypatch):
    _use(monkeypatch, SyntheticAssessment)


def _bundle_json(folder):
    (bundle,) = folder.glob("*_bundle")
    return json.loads((bundle / "report.json").read_text(encoding="utf-8"))


def test_report_on_bundled_data(tmp_path):
    result = runner.invoke(app, ["report", "--out", str(tmp_path), "--formats", "html,bundle"])
    assert result.exit_code == 0, result.output
    (html,) = tmp_path.glob("SGP-*.html")
    assert "A quota is recommended" in html.read_text(encoding="utf-8")
    meta = _bundle_json(tmp_path)
    assert meta["quota_recommended"] is True
    assert "quota.Ural.adult_males" in meta["values"]
    assert meta["provenance"]["data_hash"] == sp.load_kazakhstan().data_hash
    assert "Report SGP-" in result.stdout


def test_report_for_selected_populations(tmp_path):
    result = runner.invoke(
        app, ["report", "--out", str(tmp_path), "--formats", "bundle", "--populations", "Ural"]
    )
    assert result.exit_code == 0, result.output
    values = _bundle_json(tmp_path)["values"]
    assert "census.Ural.latest_count_animals" in values
    assert not any(k.startswith("census.Betpakdala") for k in values)


def test_report_on_user_files(tmp_path):
    folder = sp.bundled_data_dir()
    result = runner.invoke(
        app,
        [
            "report",
            "--census",
            str(folder / "census.csv"),
            "--removals",
            str(folder / "removals.csv"),
            "--out",
            str(tmp_path),
            "--formats",
            "bundle",
        ],
    )
    assert result.exit_code == 0, result.output


def test_report_rejects_bad_data_with_every_problem(tmp_path):
    bad = tmp_path / "census.csv"
    bad.write_text(
        "population,year,kind,value,source\nUral,20x5,count,100,s\nBetpakdla,2024,count,-5,s\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["report", "--census", str(bad), "--out", str(tmp_path)])
    assert result.exit_code == cli.EXIT_DATA
    for bad_value in ("20x5", "Betpakdla", "-5"):
        assert bad_value in result.output
    assert not list(tmp_path.glob("SGP-*"))


def test_unknown_format_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["report", "--out", str(tmp_path), "--formats", "html,xls"])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("flag", "code"), [([], cli.EXIT_DIAGNOSTICS), (["--proceed-on-failure"], 0)]
)
def test_failed_diagnostics_exit_non_zero_unless_asked(tmp_path, monkeypatch, flag, code):
    _use(monkeypatch, FailingFit)
    result = runner.invoke(
        app, ["report", "--out", str(tmp_path), "--formats", "html,bundle", *flag]
    )
    assert result.exit_code == code, result.output
    (html,) = tmp_path.glob("SGP-*.html")  # the report is written either way
    assert "FAILED its diagnostics" in html.read_text(encoding="utf-8")
    assert _bundle_json(tmp_path)["diagnostics_passed"] is False


def test_validate_bundled_files():
    folder = sp.bundled_data_dir()
    files = [str(folder / f) for f in ("census.csv", "removals.csv", "composition.csv")]
    result = runner.invoke(app, ["validate", *files])
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output


def test_validate_prints_all_problems_and_exits_1(tmp_path):
    bad = tmp_path / "my_census.csv"
    bad.write_text(
        "population,year,kind,value,source\nUral,2024,count,abc,s\nUral,2025,kount,100,s\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "abc" in result.output
    assert "kount" in result.output


def test_validate_needs_a_known_kind(tmp_path):
    odd = tmp_path / "table.csv"
    odd.write_text("a,b\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(odd)])
    assert result.exit_code == 1
    assert "--kind" in result.output


def test_unknown_population_is_reported(tmp_path):
    result = runner.invoke(
        app, ["report", "--out", str(tmp_path), "--formats", "bundle", "--populations", "Mars"]
    )
    assert result.exit_code == cli.EXIT_DATA
    assert "Mars" in result.output


def test_failed_fit_keeps_the_quota_but_does_not_recommend_it(tmp_path, monkeypatch):
    _use(monkeypatch, FailingFit)
    result = runner.invoke(app, ["report", "--out", str(tmp_path), "--formats", "bundle"])
    assert result.exit_code == cli.EXIT_DIAGNOSTICS
    meta = _bundle_json(tmp_path)
    assert meta["quota_recommended"] is False
    assert "quota.Ural.adult_males" in meta["values"]


@pytest.mark.slow
def test_report_runs_the_real_pipeline(tmp_path, monkeypatch):
    """The whole pipeline with a real (small) fit: the exit code follows the diagnostics."""
    monkeypatch.setattr(cli, "new_assessment", _REAL_NEW_ASSESSMENT)
    result = runner.invoke(
        app,
        [
            "report",
            "--out",
            str(tmp_path),
            "--formats",
            "bundle",
            "--draws",
            "50",
            "--tune",
            "100",
            "--chains",
            "2",
            "--proceed-on-failure",
        ],
    )
    assert result.exit_code == 0, result.output
    meta = _bundle_json(tmp_path)
    assert meta["provenance"]["sampler"]["draws"] == 50
    assert "quota.Ustyurt.adult_males" in meta["values"]


def test_a_failing_validation_check_exits_non_zero_with_the_warning(tmp_path, monkeypatch):
    _use(monkeypatch, FailingCheck)
    result = runner.invoke(app, ["report", "--out", str(tmp_path), "--formats", "html,bundle"])
    assert result.exit_code == cli.EXIT_DIAGNOSTICS, result.output
    (html,) = tmp_path.glob("SGP-*.html")
    text = html.read_text(encoding="utf-8")
    assert "FAILED its diagnostics" in text
    assert "PSIS-LOO Pareto k" in text
    assert _bundle_json(tmp_path)["quota_recommended"] is False


def test_validation_evidence_is_shown_with_its_provenance_and_does_not_gate(tmp_path):
    from saigapop.validation import Check, record_check

    path = tmp_path / "checks.json"
    data_hash = sp.load_kazakhstan().data_hash
    sbc = Check("SBC uniformity", True, 0.063, "p > 0.01", "smallest chi2 p-value 0.063")
    record_check(path, sbc, data_hash=data_hash, source="pytest -m slow -k sbc")
    rho = Check("Mohn's rho", False, 0.41, "|rho| <= 0.3", "largest |rho| = 0.41")
    record_check(path, rho, data_hash="other", source="pytest -m slow -k retrospective")
    out = tmp_path / "out"
    args = ["report", "--out", str(out), "--formats", "html,bundle"]
    result = runner.invoke(app, [*args, "--validation-evidence", str(path)])
    assert result.exit_code == 0, result.output  # a failed slow-tier check does not gate
    (html,) = out.glob("SGP-*.html")
    text = html.read_text(encoding="utf-8")
    assert "Validation evidence" in text
    assert "pytest -m slow -k sbc" in text
    assert "data other than this report" in text
    assert "Mohn" in text
    meta = _bundle_json(out)
    assert meta["quota_recommended"] is True
    (bundle,) = out.glob("*_bundle")
    checklist = pd.read_csv(bundle / "tables" / "acceptance_checklist.csv")
    assert (bundle / "tables" / "validation_evidence.csv").exists()
    rows = checklist.set_index("Check")
    assert not rows.loc["SBC uniformity", "Gates the quota"]
    assert not rows.loc["Mohn's rho", "Passed"]


def test_a_malformed_validation_evidence_file_is_a_data_error(tmp_path):
    path = tmp_path / "checks.json"
    path.write_text('[{"name": "SBC uniformity"}]', encoding="utf-8")
    result = runner.invoke(
        app, ["report", "--out", str(tmp_path), "--validation-evidence", str(path)]
    )
    assert result.exit_code == cli.EXIT_DATA
    assert "record 0 lacks" in result.output


def test_registry_option_adds_the_registry_section(tmp_path):
    from saigapop.registry import make_synthetic_registry, write_registry

    synth = make_synthetic_registry(300, faults={"female_horn": 2}, seed=5)
    path = tmp_path / "registry.csv"
    write_registry(synth.registry, path)
    out_dir = tmp_path / "out"
    result = runner.invoke(
        app, ["report", "--out", str(out_dir), "--formats", "bundle", "--registry", str(path)]
    )
    assert result.exit_code == 0, result.output
    values = _bundle_json(out_dir)["values"]
    assert values["registry.horns_input"] == 300
    assert values["registry.horns_rejected"] >= 2


def test_a_registry_without_its_columns_is_a_data_error(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_text("mark,mass_g\nX,100\n", encoding="utf-8")
    result = runner.invoke(
        app, ["report", "--out", str(tmp_path), "--formats", "bundle", "--registry", str(path)]
    )
    assert result.exit_code == cli.EXIT_DATA
    assert "registry" in result.output


def test_a_missing_fit_file_is_a_usage_error(tmp_path):
    result = runner.invoke(
        app, ["report", "--out", str(tmp_path), "--fit", str(tmp_path / "none.zarr")]
    )
    assert result.exit_code == 2
