"""The modules of cls_core form layers: no module imports, even inside a function, one that
imports it back (directly or through others)."""

import ast
import graphlib
from pathlib import Path

import cls_core

PACKAGE = Path(cls_core.__file__).parent


def imported_modules(path):
    """The cls_core modules a file imports anywhere in it, function bodies included."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:    # from .x import y / from . import x
            names.update([node.module] if node.module else [alias.name for alias in node.names])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cls_core."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            names.update(a.name.split(".")[1] for a in node.names if a.name.startswith("cls_core."))
    return {name.split(".")[0] for name in names}


def import_graph():
    return {path.stem: imported_modules(path) for path in PACKAGE.glob("*.py") if path.stem != "__init__"}


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    assert graph["train"] >= {"evaluate", "linear", "predict"}  # the parser sees what is there
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as e:
        raise AssertionError(f"import cycle: {' -> '.join(e.args[1])}") from None
    assert order.index("linear") < order.index("predict") < order.index("evaluate") < order.index("train")


def test_the_linear_model_imports_nothing_that_uses_it():
    assert import_graph()["linear"] <= {"calibration", "checkpoint"}


def test_the_parser_sees_imports_inside_functions(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("from .a import x\nimport cls_core.b\n\ndef f():\n    from .c import y\n    from . import d, e\n")
    assert imported_modules(path) == {"a", "b", "c", "d", "e"}
