"""cls_core is built in layers (see cls_core/__init__.py): a module imports only from the layers
below its own, or from its own subpackage, and no import, even inside a function or through
importlib, closes a cycle. Only the app layer (and the benchmarks above it) may import gradio or
plotly; inside it, the views and the report never import gradio, and never the tabs (the tabs
import the views). Each rule is shown to fail on a probe package written to a temporary folder."""

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


def module_name(path, root=PACKAGE):
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def dynamic_imports(tree):
    """The modules a file imports by name at run time: importlib.import_module("x"), __import__("x")."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.args[0].value


def imports(path, root=PACKAGE):
    """(cls_core modules, third-party top-level packages) a file imports anywhere in it,
    function bodies and importlib included. `from cls_core.x import y` counts y when y is a
    module. root: the cls_core package the file lies in (a probe's, in a test)."""
    here = module_name(path, root)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    ours, theirs = set(), set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for module in dynamic_imports(tree):
        (ours if module.split(".")[0] == "cls_core" else theirs).add(
            module if module.split(".")[0] == "cls_core" else module.split(".")[0]
        )
    for node in ast.walk(tree):
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
                        if (root.parent / child.replace(".", "/")).with_suffix(".py").exists()
                        or (root.parent / child.replace(".", "/")).is_dir()
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


def all_modules(root=PACKAGE):
    return {module_name(p, root): p for p in root.rglob("*.py")}


def layer(module):
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_every_module_lies_in_a_layer():
    loose = [m for m in all_modules() if layer(m) is None and m not in ENTRY_POINTS | {"cls_core"}]
    assert not loose, f"modules outside the layers: {loose}"


def upward_imports(root=PACKAGE):
    upward = []
    for module, path in all_modules(root).items():
        if module in ENTRY_POINTS or module == "cls_core":
            continue
        for target in imports(path, root)[0]:
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


# Inside the app layer: the views and the report are testable without a browser, so they never
# import gradio; the tabs wire the views to the page, so the views never import a tab.
NO_GRADIO = ("cls_core.app.views", "cls_core.app.report")
NO_TABS = ("cls_core.app.views", "cls_core.app.report")


def app_rule_breaks(root=PACKAGE):
    breaks = []
    for module, path in all_modules(root).items():
        ours, theirs = imports(path, root)
        if module.startswith(NO_GRADIO) and theirs & {"gradio", "gradio_client"}:
            breaks.append(f"{module} imports {sorted(theirs & {'gradio', 'gradio_client'})}")
        if module.startswith(NO_TABS):
            breaks += [f"{module} -> {t}" for t in sorted(ours) if t.startswith("cls_core.app.tabs")]
    return breaks


def test_the_views_and_the_report_import_neither_gradio_nor_a_tab():
    breaks = app_rule_breaks()
    assert not breaks, "\n".join(breaks)


def probe(tmp_path, files):
    """A cls_core package of its own in tmp_path holding files {relative path: source}: the rules
    read it as they read ours, and nothing is written into cls_core/."""
    root = tmp_path / "cls_core"
    for relative, source in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(source)
    return root


def test_each_rule_inside_the_app_can_fail(tmp_path):
    root = probe(
        tmp_path,
        {
            "app/views/drawn.py": "import gradio as gr\n",
            "app/report/page.py": "def f():\n    from cls_core.app.tabs import page\n",
            "app/views/late.py": (
                "import importlib\n\ndef f():\n    importlib.import_module('cls_core.app.tabs.inside')\n"
            ),
            "app/tabs/fine.py": "import gradio\nfrom cls_core.app.views import drawn\n",
        },
    )
    assert sorted(app_rule_breaks(root)) == [
        "cls_core.app.report.page -> cls_core.app.tabs",
        "cls_core.app.views.drawn imports ['gradio']",
        "cls_core.app.views.late -> cls_core.app.tabs.inside",
    ]


def test_an_upward_import_through_importlib_is_caught(tmp_path):
    root = probe(tmp_path, {"models/_probe.py": "def f():\n    __import__('cls_core.app.figures')\n"})
    assert upward_imports(root) == ["cls_core.models._probe -> cls_core.app.figures"]


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
    source = (
        "from .units import x\nimport cls_core.data.splits\n\nde"
        "f f():\n    from cls_core.models import fast, networks\n"
        "    from ..app import figures\n    import gradio as gr\n"
    )
    root = probe(
        tmp_path,
        {
            "explain/_probe.py": source,
            "explain/units.py": "",
            "models/fast.py": "",
            "models/networks.py": "",
            "app/figures.py": "",
            "data/splits.py": "",
        },
    )
    ours, theirs = imports(root / "explain" / "_probe.py", root)
    assert ours == {
        "cls_core.explain.units",
        "cls_core.data.splits",
        "cls_core.models.fast",
        "cls_core.models.networks",
        "cls_core.app.figures",
    }
    assert theirs == {"gradio"}


def test_an_upward_import_inside_a_function_is_caught(tmp_path):
    root = probe(
        tmp_path, {"models/_probe.py": "def f():\n    from cls_core.app import figures\n", "app/figures.py": ""}
    )
    assert upward_imports(root) == ["cls_core.models._probe -> cls_core.app.figures"]


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


def test_a_benchmark_tool_imported_in_a_function_counts_as_optional(tmp_path):
    path = tmp_path / "_probe.py"  # parsed, never imported
    path.write_text(
        "import numpy\nfrom playwright import x\n\ndef f():\n    import numpy\n"
        "    from playwright.sync_api import sync_playwright\n    import browser_tool.sub\n"
    )
    assert imported_only_in_functions(path) == {"browser_tool"}
