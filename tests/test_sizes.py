"""One job per class and function, kept: no class over 170 statements, no function over 75, in
cls_core and app.py. A size counts the lines on which a statement starts, so that the lines
the formatter (ruff format) breaks a long call into do not count."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_CLASS, MAX_FUNCTION = 170, 75
EXEMPT: set[tuple[str, str]] = set()  # (file, name) allowed to be longer: none


def sizes():
    """(file, name, kind, statements) of every class and function (methods and nested ones too)."""
    for path in [ROOT / "app.py", *sorted((ROOT / "cls_core").rglob("*.py"))]:
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                kind = "class" if isinstance(node, ast.ClassDef) else "function"
                yield where, node.name, kind, len({n.lineno for n in ast.walk(node) if isinstance(n, ast.stmt)})


def test_no_class_or_function_is_too_long():
    too_long = [
        f"{where}: {kind} {name}, {lines} statements"
        for where, name, kind, lines in sizes()
        if (where, name) not in EXEMPT and lines > (MAX_CLASS if kind == "class" else MAX_FUNCTION)
    ]
    assert not too_long, "\n".join(too_long)


def largest():
    """The largest class and function outside the exception: `python tests/test_sizes.py`."""
    found = [f for f in sizes() if (f[0], f[1]) not in EXEMPT]
    for kind in ("class", "function"):
        where, name, _, lines = max((f for f in found if f[2] == kind), key=lambda f: f[3])
        print(f"largest {kind}: {where} {name}, {lines} statements")


if __name__ == "__main__":
    largest()
