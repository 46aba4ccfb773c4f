"""Constructors are visible to type checkers: mypy reads every family's signature.

``Config`` carries ``typing.dataclass_transform`` with ``leaf``/``static``/``child`` as field specifiers,
so ``lrjit.CosineDecay(`` shows its arguments in an editor and a type checker flags a misspelled keyword
or a value of the wrong type. ``tests/typing/usage.py`` (written by ``tests/typing/generate_usage.py``)
builds every registered family and composition by keyword; mypy must accept it, and must reject copies
with a misspelled keyword and with a string where a step count goes.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

import lrjit

ROOT = pathlib.Path(__file__).resolve().parents[1]
USAGE = ROOT / "tests" / "typing" / "usage.py"
MISSPELLED = "lrjit.CosineDecay(initial_learning_rate=0.1, decay_step=1000)\n"
WRONG_TYPE = 'lrjit.CosineDecay(initial_learning_rate=0.1, decay_steps="1000")\n'


def test_usage_builds_every_family_by_keyword() -> None:
    tree = ast.parse(USAGE.read_text())
    built = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args
    }
    missing = sorted(set(lrjit.registry()) - built)
    assert not missing, f"tests/typing/usage.py lacks {missing}: run tests/typing/generate_usage.py"


@pytest.fixture(scope="module")
def mypy_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """mypy's messages per file, for the usage file and the two wrong copies, in one run."""
    pytest.importorskip("mypy", reason="the type check needs mypy (the dev extra)")
    work = tmp_path_factory.mktemp("typing")
    files = {"usage": USAGE}
    for name, text in {"misspelled": MISSPELLED, "wrong_type": WRONG_TYPE}.items():
        files[name] = work / f"{name}.py"
        files[name].write_text("import lrjit\n\n" + text)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--follow-imports=silent",
            "--no-error-summary",
            "--cache-dir",
            str(work / "cache"),
            *map(str, files.values()),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr  # 2: mypy itself failed
    return {
        name: "\n".join(line for line in result.stdout.splitlines() if line.startswith(str(path)))
        for name, path in files.items()
    }


def test_mypy_accepts_every_constructor(mypy_report: dict[str, str]) -> None:
    assert mypy_report["usage"] == ""


def test_mypy_flags_a_misspelled_keyword(mypy_report: dict[str, str]) -> None:
    assert 'Unexpected keyword argument "decay_step" for "CosineDecay"' in mypy_report["misspelled"]


def test_mypy_flags_a_string_step_count(mypy_report: dict[str, str]) -> None:
    report = mypy_report["wrong_type"]
    assert 'Argument "decay_steps" to "CosineDecay" has incompatible type "str"' in report
