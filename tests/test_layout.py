"""The package's layout holds: a small public surface, imports that only point down the
pipeline, short files, and a docstring on everything public."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import networkx as nx
import pytest

import riskgrade

PACKAGE = Path(riskgrade.__file__).parent

# Lowest first. A module may import from its own layer or a lower one, never a higher one;
# the longest matching prefix decides a module's layer.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("riskgrade.errors", "riskgrade.i18n", "riskgrade.bundled"),
    ("riskgrade.diagnostics", "riskgrade.values"),
    ("riskgrade.facts", "riskgrade.assessment", "riskgrade.rules"),
    ("riskgrade.scoring",),  # the pure scoring methods
    ("riskgrade.check",),  # stages 1-3: YAML -> CheckedPolicy
    ("riskgrade.grading",),  # stages 4-7
    ("riskgrade.policy", "riskgrade.session"),  # the facade
    ("riskgrade.batch",),
    ("riskgrade.authoring", "riskgrade.supervision"),
    ("riskgrade.testing", "riskgrade.distributed", "riskgrade.schema"),
    ("riskgrade.cli",),
    ("riskgrade", "riskgrade.__main__"),
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int:
    best: tuple[int, int] | None = None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), index)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best[1]


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Line numbers of imports inside ``if TYPE_CHECKING:`` (no runtime dependency)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for inner in node.body:
                for sub in ast.walk(inner):
                    if isinstance(sub, ast.Import | ast.ImportFrom):
                        lines.add(sub.lineno)
    return lines


def _imports(module: str, path: Path) -> set[str]:
    """The riskgrade modules ``module`` imports at run time (lazy imports in functions too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "riskgrade")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base.split(".")[0] != "riskgrade":
                continue
            for alias in node.names:  # `from riskgrade.x import y` may name a module y
                child = f"{base}.{alias.name}"
                out.add(child if child in MODULES else base)
    out.discard(module)
    return out


def _graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for module, path in MODULES.items():
        graph.add_node(module)
        for target in _imports(module, path):
            assert target in MODULES, f"{module} imports {target}, which does not exist"
            graph.add_edge(module, target)
    return graph


def test_all_is_exactly_the_public_names() -> None:
    public = sorted(
        name
        for name, value in vars(riskgrade).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    )
    assert riskgrade.__all__ == public


def test_the_top_level_is_small() -> None:
    # the entry points and result types, and every error a public function raises (12 of them)
    errors = [n for n in riskgrade.__all__ if n.endswith(("Error", "Failure", "Aborted", "Extra"))]
    assert len(riskgrade.__all__) - len(errors) <= 10, riskgrade.__all__
    modules = [p.name for p in PACKAGE.glob("*.py")]
    assert len(modules) <= 12, sorted(modules)


def test_imports_have_no_cycle() -> None:
    cycles = list(nx.simple_cycles(_graph()))
    assert not cycles, f"import cycles: {cycles}"


def test_imports_only_point_down_the_layers() -> None:
    upward = [
        f"{source} (layer {_layer(source)}) imports {target} (layer {_layer(target)})"
        for source, target in _graph().edges
        if _layer(target) > _layer(source)
    ]
    assert not upward, "\n".join(upward)


def test_the_layer_test_sees_an_upward_import(tmp_path: Path) -> None:
    """The check above can fail: a lazy import from a higher layer is found."""
    path = tmp_path / "evaluate.py"
    path.write_text("def f():\n    from riskgrade.cli import main\n", encoding="utf-8")
    targets = _imports("riskgrade.grading.evaluate", path)
    assert targets == {"riskgrade.cli"}
    assert _layer("riskgrade.cli") > _layer("riskgrade.grading.evaluate")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_file_is_long(module: str) -> None:
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= 450, f"{module} has {lines} lines"


def _undocumented(tree: ast.Module) -> list[str]:
    missing: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name.startswith("_"):
                continue
            if ast.get_docstring(node) is None:
                missing.append(node.name)
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if (
                        isinstance(item, ast.FunctionDef)
                        and not item.name.startswith("_")
                        and ast.get_docstring(item) is None
                    ):
                        missing.append(f"{node.name}.{item.name}")
    return missing


@pytest.mark.parametrize("module", sorted(MODULES))
def test_public_functions_and_classes_have_docstrings(module: str) -> None:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    assert ast.get_docstring(tree) is not None or not tree.body, f"{module} has no docstring"
    assert not _undocumented(tree), f"{module}: {_undocumented(tree)}"


WITH_EXAMPLES = sorted(m for m, p in MODULES.items() if ">>> " in p.read_text(encoding="utf-8"))


@pytest.mark.parametrize("module", WITH_EXAMPLES)
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_importing_riskgrade_does_not_import_sessions_or_the_cli() -> None:
    """Sessions need sqlite3 and the CLI click and rich: a program that only grades pays for
    neither (checked in a fresh interpreter)."""
    import subprocess
    import sys

    code = (
        "import sys, riskgrade; "
        "print(sorted(m for m in ('sqlite3', 'riskgrade.session', 'riskgrade.cli') "
        "if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
