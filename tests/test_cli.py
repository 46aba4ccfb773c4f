"""The command line (``lrjit`` / ``python -m lrjit``): each command's output against the Python API, run in
a subprocess; bad input exits 2 with a message naming the argument (checked in-process, through
``lrjit.cli.main.main``, to keep the suite fast); the ``[project.scripts]`` entry resolves."""

from __future__ import annotations

import importlib
import json
import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import lrjit
from lrjit.cli.main import main
from lrjit.cli.show import BLOCKS

ROOT = pathlib.Path(__file__).resolve().parents[1]
WARMUP_COSINE = "warmup(CosineDecay(0.1, 10_000), steps=500)"
BATCH = "CosineDecay([0.1, 0.3], 2000, alpha=0.1)"
KERAS = json.loads((ROOT / "tests" / "fixtures" / "imports_golden.json").read_text())["keras"][0][
    "serialized"
]


def run_cli(*args: str, cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    """``python -m lrjit ARGS`` with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.setdefault("JAX_PLATFORMS", "cpu")
    return subprocess.run(
        [sys.executable, "-m", "lrjit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_console_script_entry_resolves() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()  # (tomllib is Python 3.11+)
    entry = re.search(r'^\[project\.scripts\]\nlrjit = "([\w.]+):(\w+)"$', pyproject, re.M)
    assert entry is not None, "pyproject.toml: [project.scripts] lrjit = ..."
    module, name = entry.groups()
    assert getattr(importlib.import_module(module), name) is main


def test_the_installed_console_script_runs(tmp_path: pathlib.Path) -> None:
    script = pathlib.Path(sys.executable).parent / "lrjit"  # installed by pip next to this interpreter
    if not script.exists():
        pytest.skip("lrjit is not installed in this environment (pip install -e .)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [str(script), "eval", WARMUP_COSINE, "--at", "0,250,500", "--format", "json"],
        cwd=tmp_path,
        env={**env, "JAX_PLATFORMS": "cpu"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)["lr"]
    want = np.asarray(lrjit.parse(WARMUP_COSINE)(np.array([0, 250, 500])))
    np.testing.assert_array_equal(np.float32(got), want)


def test_help_lists_the_commands_with_examples(tmp_path: pathlib.Path) -> None:
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for command in ("show", "plot", "eval", "convert", "families"):
        assert command in result.stdout
    assert "examples:" in result.stdout and "lrjit show" in result.stdout


def test_show_rows_match_the_curves(tmp_path: pathlib.Path) -> None:
    result = run_cli("show", WARMUP_COSINE, BATCH, "--steps", "3000", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split()[:7] == ["spec", "step", "0", "peak", "at", "step", "final"]
    expected = [(WARMUP_COSINE, lrjit.parse(WARMUP_COSINE), None)] + [
        (f"{BATCH} [{i}]", lrjit.parse(BATCH), i) for i in range(2)
    ]
    assert len(rows) == len(expected)
    for row, (label, schedule, i) in zip(rows, expected, strict=True):
        assert row.startswith(label + " ")
        *numbers, curve = row[len(label) :].split()
        y = np.asarray(lrjit.curves(schedule, 3000))
        y = y if i is None else y[i]
        want = [y[0], y.max(), int(y.argmax()), y[-1], y.min()]
        assert [float(x) for x in numbers] == pytest.approx([float(f"{v:.5g}") for v in want])
        assert len(curve) == 40 and set(curve) <= set(BLOCKS)
    assert rows[0].split()[-1][0] == BLOCKS[0] and BLOCKS[-1] in rows[0]  # warmup from 0 to the peak


def test_eval_csv_and_json_give_the_exact_values(tmp_path: pathlib.Path) -> None:
    csv = run_cli("eval", WARMUP_COSINE, "--at", "0,250,500,9999", cwd=tmp_path)
    assert csv.returncode == 0, csv.stderr
    lines = csv.stdout.splitlines()
    assert lines[0] == "step,lr"
    steps = np.array([0, 250, 500, 9999])
    want = np.asarray(lrjit.curves(lrjit.parse(WARMUP_COSINE), steps))
    got = np.array([[float(x) for x in line.split(",")] for line in lines[1:]])
    np.testing.assert_array_equal(got[:, 0], steps)
    np.testing.assert_array_equal(got[:, 1].astype(np.float32), want)  # shortest decimals read back exactly

    out = run_cli("eval", BATCH, "--steps", "50", "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["spec"] == BATCH and data["steps"] == list(range(50))
    np.testing.assert_array_equal(
        np.asarray(data["lr"], np.float32), np.asarray(lrjit.curves(lrjit.parse(BATCH), 50))
    )


def test_plot_writes_a_png(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.image

    config = tmp_path / "sched.json"
    config.write_text(json.dumps(lrjit.OneCycleLR(0.1, total_steps=2000).to_config()))
    result = run_cli(
        "plot", WARMUP_COSINE, str(config), "--steps", "2000", "--log", "-o", "out.png", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    path = tmp_path / "out.png"
    assert path.stat().st_size > 0 and "out.png" in result.stdout
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100
    assert (image[..., :3] < 0.9).any(axis=-1).mean() > 0.01  # lines, text and ticks, not a blank canvas


def test_convert_reads_a_keras_dict(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "keras.json"
    path.write_text(json.dumps(KERAS))
    result = run_cli("convert", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    _, config, spec = result.stdout.split("# ", 2)
    assert config.startswith("config\n") and spec.startswith("spec\n")
    schedule = lrjit.compile(KERAS).schedule
    assert json.loads(config.split("\n", 1)[1]) == schedule.to_config()
    assert spec.split("\n")[1] == lrjit.to_spec(schedule)


def test_a_bad_spec_exits_2_with_the_column(tmp_path: pathlib.Path) -> None:
    result = run_cli("show", "warmup(CosineDecay(0.1, 1000), stepz=5)", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert "warmup() has no argument `stepz`" in result.stderr and "(at column 32)" in result.stderr


# ------------------------------------------------------------------------------------------ in-process
def test_convert_round_trips_config_and_spec(capsys: pytest.CaptureFixture[str]) -> None:
    schedule = lrjit.warmup(lrjit.CosineDecayRestarts(0.1, 1000), 200) * 0.5 + 1e-5
    assert main(["convert", json.dumps(schedule.to_config()), "--to", "config"]) == 0
    assert json.loads(capsys.readouterr().out) == schedule.to_config()
    assert main(["convert", lrjit.to_spec(schedule), "--to", "spec"]) == 0
    assert capsys.readouterr().out.strip() == lrjit.to_spec(schedule)


def test_a_sweep_config_shows_one_row_per_config(capsys: pytest.CaptureFixture[str]) -> None:
    sweep = lrjit.Sweep([lrjit.CosineDecay(0.1, 100), lrjit.StepLR(0.1, 30), lrjit.CosineDecay(0.2, 100)])
    text = json.dumps(sweep.to_config())
    assert main(["show", text, "--steps", "100"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [r.split()[-7] for r in rows] == ["[0]", "[1]", "[2]"]
    assert [float(r.split()[-5]) for r in rows] == pytest.approx([0.1, 0.1, 0.2])  # the peaks


def test_families_lists_every_class(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["families"]) == 0
    out = capsys.readouterr().out
    for name, cls in lrjit.registry().items():
        assert f"\n{name}(" in "\n" + out and cls.reference in out
    assert "CosineDecay(initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "CosineDecy(0.1, 100)"], "unknown function `CosineDecy`; did you mean `CosineDecay`"),
        (["show", '{"family": "Nope", "x": 1}'], "family: unknown family 'Nope'"),
        (["show", "missing.json"], "SPEC 'missing.json': cannot read the file"),
        (["show", "{not json"], "not valid JSON"),
        (["eval", "StepLR(0.1, 30)", "--at", "0,x"], "argument --at: expected comma-separated integer steps"),
        (["eval", "StepLR(0.1, 30)", "--at", "-1"], "got '-1'"),
        (["eval", "StepLR(0.1, 30)"], "one of the arguments --at --steps is required"),
        (["show", "StepLR(0.1, 30)", "--steps", "0"], "argument --steps: expected an integer >= 1, got '0'"),
        (["plot", "StepLR(0.1, 30)", "-o", "out.gif"], "argument -o/--output: expected a .png, .svg or .pdf"),
        (["convert", '{"class_name": "Foo", "config": {}}'], "class_name='Foo' is no schedule format"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_input_exits_2_naming_the_argument(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        status = main(argv)
    except SystemExit as e:  # argparse's own errors
        status = e.code
    assert status == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_sparkline() -> None:
    from lrjit.cli.show import sparkline

    assert sparkline(np.linspace(0, 1, 80)) == "".join(b * 5 for b in BLOCKS)
    assert sparkline(np.full(100, 0.1)) == BLOCKS[3] * 40
    assert sparkline(np.arange(5.0)) == "▁▃▅▇█"  # fewer steps than characters: one per step
