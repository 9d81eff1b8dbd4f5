"""Data flow one way (DESIGN §7): no module imports from a layer above its own.

Every top-level module and subpackage of ``saigapop`` is mapped to a layer here; a new one
fails :func:`test_every_module_and_subpackage_has_a_layer` until it is placed. Imports inside
functions count too (they would hide the real layering).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "saigapop"

#: Lower layers never import higher ones. Same layer: no import between the two.
LAYERS: dict[str, int] = {
    "_deprecation": 0,
    "_version": 0,
    "constants": 0,
    "exceptions": 0,
    "persist": 0,
    "locale": 0,
    "io": 1,
    "datasets": 2,
    "registry": 2,
    "demography": 3,
    "runner": 3,
    "plotting": 3,
    "model": 4,
    "testing": 5,
    "management": 6,
    "validation": 7,
    "report": 8,
    "assessment": 9,
    "cli": 10,
    "__init__": 10,
    # tools run as ``python -m``: they read the whole package
    "locale.catalog": 10,
    "__main__": 10,
}


def _component(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    dotted = ".".join(parts)
    for name in sorted(LAYERS, key=len, reverse=True):
        if dotted == name or dotted.startswith(name + "."):
            return name
    return parts[0]


def _target(module: str) -> str:
    rest = module.removeprefix("saigapop.")
    for name in sorted(LAYERS, key=len, reverse=True):
        if rest == name or rest.startswith(name + "."):
            return name
    return rest.split(".")[0]


def _imports(path: Path) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "saigapop":
                names = [f"saigapop.{a.name}" for a in node.names]
            found += [(n, node.lineno) for n in names if n.startswith("saigapop.")]
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.startswith("saigapop.")]
    return found


FILES = sorted(ROOT.rglob("*.py"))


def test_every_module_and_subpackage_has_a_layer():
    modules = {p.stem for p in ROOT.glob("*.py")}
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    top = modules | packages
    assert {"registry", "plotting", "locale", "runner", "datasets", "testing"} <= top
    assert top <= set(LAYERS), f"place these in LAYERS: {sorted(top - set(LAYERS))}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_upward_import(path):
    here = _component(path)
    bad = []
    for module, line in _imports(path):
        there = _target(module)
        if there == here or there not in LAYERS:
            continue
        if LAYERS[there] >= LAYERS[here]:
            bad.append(f"line {line}: {module} (layer {LAYERS[there]} ≥ {here}'s {LAYERS[here]})")
    assert not bad, f"{path.relative_to(ROOT)} imports upward:\n" + "\n".join(bad)


def test_the_checker_sees_an_upward_import():
    fake = ROOT / "io" / "probe.py"
    tree = ast.parse("def f():\n    from saigapop.report import build_payload\n")
    names = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert _component(fake) == "io"
    assert [_target(m) for m in names] == ["report"]
    assert LAYERS["report"] > LAYERS["io"]
