"""cls_core is built in layers (see cls_core/__init__.py): a module imports only from the layers
below its own, or from its own subpackage, and no import, even inside a function, closes a
cycle. Only the app layer (and the benchmarks above it) may import gradio or plotly."""

import ast
import graphlib
from pathlib import Path

import cls_core

PACKAGE = Path(cls_core.__file__).parent
# Subpackage -> layer; a module may import a lower layer or its own subpackage.
LAYERS = {"data": 0, "models": 1, "evaluation": 2, "explain": 2, "training": 3, "feedback": 3, "app": 4, "bench": 5}
ENTRY_POINTS = {
    "cls_core.predict",
    "cls_core.train",
    "cls_core.evaluate",
    "cls_core.report",
    "cls_core.export",
}  # forwarders for the documented commands
UI_PACKAGES = {"gradio", "gradio_client", "plotly", "pandas"}


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path):
    """(cls_core modules, third-party top-level packages) a file imports anywhere in it,
    function bodies included. `from cls_core.x import y` counts y when y is a module."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    ours, theirs = set(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            if module.split(".")[0] == "cls_core":
                for alias in node.names:
                    child = f"{module}.{alias.name}"
                    ours.add(
                        child
                        if (PACKAGE.parent / child.replace(".", "/")).with_suffix(".py").exists()
                        or (PACKAGE.parent / child.replace(".", "/")).is_dir()
                        else module
                    )
            else:
                theirs.add(module.split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                (ours if alias.name.startswith("cls_core.") else theirs).add(
                    alias.name if alias.name.startswith("cls_core.") else alias.name.split(".")[0]
                )
    return ours, theirs


def all_modules():
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def layer(module):
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_every_module_lies_in_a_layer():
    loose = [m for m in all_modules() if layer(m) is None and m not in ENTRY_POINTS | {"cls_core"}]
    assert not loose, f"modules outside the layers: {loose}"


def upward_imports():
    upward = []
    for module, path in all_modules().items():
        if module in ENTRY_POINTS or module == "cls_core":
            continue
        for target in imports(path)[0]:
            same_package = target.split(".")[:2] == module.split(".")[:2]
            if not same_package and (layer(target) is None or layer(target) >= layer(module)):
                upward.append(f"{module} -> {target}")
    return upward


def test_imports_only_go_down():
    upward = upward_imports()
    assert not upward, "imports that do not go down a layer:\n" + "\n".join(sorted(upward))


def test_the_import_graph_has_no_cycle():
    graph = {m: {t for t in imports(p)[0] if t != m} for m, p in all_modules().items()}
    assert "cls_core.models.predictor" in graph["cls_core.training.train"]  # the parser sees what is there
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as e:
        raise AssertionError(f"import cycle: {' -> '.join(e.args[1])}") from None


def test_only_the_app_layer_imports_the_ui_libraries():
    found = [
        f"{m} imports {sorted(imports(p)[1] & UI_PACKAGES)}"
        for m, p in all_modules().items()
        if (layer(m) or 0) < LAYERS["app"] and imports(p)[1] & UI_PACKAGES
    ]
    assert not found, "\n".join(found)


def test_the_linear_model_imports_nothing_that_uses_it():
    ours, _ = imports(PACKAGE / "models" / "linear.py")
    assert ours <= {"cls_core.models.calibration", "cls_core.models.checkpoint"}


def test_the_parser_sees_every_form_of_import(tmp_path):
    path = PACKAGE / "explain" / "_probe.py"  # parsed where it would lie, never imported
    source = (
        "from .units import x\nimport cls_core.data.splits\n\nde"
        "f f():\n    from cls_core.models import fast, networks\n"
        "    from ..app import figures\n    import gradio as gr\n"
    )
    path.write_text(source)
    try:
        ours, theirs = imports(path)
    finally:
        path.unlink()
    assert ours == {
        "cls_core.explain.units",
        "cls_core.data.splits",
        "cls_core.models.fast",
        "cls_core.models.networks",
        "cls_core.app.figures",
    }
    assert theirs == {"gradio"}


def test_an_upward_import_inside_a_function_is_caught():
    path = PACKAGE / "models" / "_probe.py"
    path.write_text("def f():\n    from cls_core.app import figures\n")
    try:
        assert upward_imports() == ["cls_core.models._probe -> cls_core.app.figures"]
    finally:
        path.unlink()


def declared(requirements):
    """The distributions a requirements file names (lowercase, '-' for '_'; -r lines skipped)."""
    import re

    return {
        re.split(r"[\[<>=\s#]", line.strip())[0].lower().replace("_", "-")  # gradio[mcp]==6 -> gradio
        for line in (PACKAGE.parent / requirements).read_text().splitlines()
        if line.strip() and not line.startswith(("#", "-"))
    }


def imported_only_in_functions(path):
    """Third-party top-level packages a file imports only inside function bodies."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside = {
        id(node)
        for f in ast.walk(tree)
        if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(f)
    }
    where = {}  # package -> imported at module level?
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top != "cls_core":
                where[top] = where.get(top, False) or id(node) not in inside
    return {top for top, at_module_level in where.items() if not at_module_level}


def test_requirements_declare_every_package_imported():
    """Every third-party package imported is in requirements.txt; a benchmark's optional tool,
    imported only inside a function of cls_core/bench (the package imports without it), may be
    in requirements-dev.txt instead (playwright, for `python -m cls_core.bench --first-draw`)."""
    import sys

    distribution = {"sklearn": "scikit-learn", "markdown_it": "markdown-it-py"}  # import name -> the name pip installs
    declared_here, declared_dev = declared("requirements.txt"), declared("requirements-dev.txt")
    imported, dev_only = set(), set()
    for path in [PACKAGE.parent / "app.py", *PACKAGE.rglob("*.py")]:
        theirs = imports(path)[1]
        optional = imported_only_in_functions(path) if path.parent == PACKAGE / "bench" else set()
        imported |= theirs - optional
        dev_only |= optional

    def name(m):
        return distribution.get(m, m).replace("_", "-").lower()

    third_party = {m for m in imported if m and m not in sys.stdlib_module_names}
    missing = {name(m) for m in third_party} - declared_here
    assert not missing, f"imported but not in requirements.txt: {sorted(missing)}"
    optional = {name(m) for m in dev_only if m not in sys.stdlib_module_names}
    missing = optional - declared_here - declared_dev
    assert not missing, f"imported by a benchmark but in neither requirements file: {sorted(missing)}"


def test_a_benchmark_tool_imported_in_a_function_counts_as_optional():
    path = PACKAGE / "bench" / "_probe.py"  # parsed, never imported
    path.write_text(
        "import numpy\nfrom playwright import x\n\ndef f():\n    import numpy\n"
        "    from playwright.sync_api import sync_playwright\n    import browser_tool.sub\n"
    )
    try:
        assert imported_only_in_functions(path) == {"browser_tool"}
    finally:
        path.unlink()
