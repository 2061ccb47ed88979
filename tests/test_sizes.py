"""One job per class and function, kept: no class over 200 lines, no function over 80, in
cls_core and app.py."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_CLASS, MAX_FUNCTION = 200, 80
EXEMPT: set[tuple[str, str]] = set()  # (file, name) allowed to be longer: none


def sizes():
    """(file, name, kind, lines) of every class and function (methods and nested ones too)."""
    for path in [ROOT / "app.py", *sorted((ROOT / "cls_core").rglob("*.py"))]:
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                kind = "class" if isinstance(node, ast.ClassDef) else "function"
                yield where, node.name, kind, node.end_lineno - node.lineno + 1


def test_no_class_or_function_is_too_long():
    too_long = [
        f"{where}: {kind} {name}, {lines} lines"
        for where, name, kind, lines in sizes()
        if (where, name) not in EXEMPT and lines > (MAX_CLASS if kind == "class" else MAX_FUNCTION)
    ]
    assert not too_long, "\n".join(too_long)


def largest():
    """The largest class and function outside the exception: `python tests/test_sizes.py`."""
    found = [f for f in sizes() if (f[0], f[1]) not in EXEMPT]
    for kind in ("class", "function"):
        where, name, _, lines = max((f for f in found if f[2] == kind), key=lambda f: f[3])
        print(f"largest {kind}: {where} {name}, {lines} lines")


if __name__ == "__main__":
    largest()
