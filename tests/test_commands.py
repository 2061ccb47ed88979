"""Every `python -m` command README documents still runs where README says (each with --help)."""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Named by the issues to come; they must keep these names once they exist.
RESERVED = {"cls_core.report"}
# Runs each module as `python -m` would (runpy, as __main__) with --help, all in one process
# so that torch is imported once; prints {module: [exit code, what it printed]}.
RUN_EACH = """
import contextlib, io, json, runpy, sys
out = {}
for module in sys.argv[1:]:
    sys.argv = [module, "--help"]
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as e:
        code = e.code or 0
    out[module] = [code, printed.getvalue()]
print(json.dumps(out))
"""


def documented_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return sorted(set(re.findall(r"(?:python -m|torchrun[^\n`]*? -m) (cls_core(?:\.[a-z_]+)*)", readme)))


def test_readme_documents_the_main_commands():
    assert {"cls_core.train", "cls_core.evaluate", "cls_core.predict", "cls_core.data", "cls_core.bench"} <= set(
        documented_commands()
    )


def test_every_documented_command_answers_help():
    modules = [m for m in documented_commands() if m not in RESERVED]
    run = subprocess.run(
        [sys.executable, "-c", RUN_EACH, *modules], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads(run.stdout.splitlines()[-1])
    assert set(results) == set(modules)
    for module, (code, printed) in results.items():
        assert code == 0 and "usage:" in printed, (module, code, printed[:300])
        assert f"python -m {module}" in printed, (module, printed[:200])  # its own name, not an old one
