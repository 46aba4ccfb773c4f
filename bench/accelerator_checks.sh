#!/usr/bin/env bash
# The accelerator checks of bench/RESULTS.md in one run, sized for a machine lent for a few minutes:
#
#     bench/accelerator_checks.sh OUT_DIR
#
# from the repository root or anywhere (the checkout goes on PYTHONPATH; nothing is installed). Four steps,
# each under its own time limit so that the whole run ends within about ten minutes, each writing one file
# to OUT_DIR that ends with its exit status and duration:
#
#   env.txt              versions, jax.devices(), the backend, which test plugins are present
#   check_structure.txt  one fused kernel per family and composition (bench/check_structure.py)
#   bench_kernels.txt    the kernel, peak-only, eager and compile tables (bench/bench_kernels.py, with the
#                        GPU shapes on a GPU and the CPU shapes elsewhere)
#   suite.txt            the test suite, one line per test as it ends (so a run cut off by its limit still
#                        names what failed so far), then a summary of every test that did not pass
#
# Limits in seconds (environment): STRUCTURE_S (90), KERNELS_S (200), SUITE_S (270); WORKERS, the test
# processes (8, when pytest-xdist is present); PYTHON, the interpreter (python). A step cut off by its limit
# keeps what it printed. Record the results in bench/RESULTS.md.
set -u
out=${1:?usage: bench/accelerator_checks.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
# Several test processes share one accelerator: none may reserve most of its memory at start-up.
export XLA_PYTHON_CLIENT_PREALLOCATE=false
py=${PYTHON:-python}

step() {  # step NAME LIMIT COMMAND...: COMMAND's output, then its exit status and duration, to OUT/NAME.txt
    local name=$1 limit=$2
    shift 2
    local start=$SECONDS
    timeout "$limit" "$@" >"$out/$name.txt" 2>&1
    local rc=$?
    local note=""
    [ "$rc" -eq 124 ] && note=" (cut off at the limit)"
    echo "== $name: exit $rc$note after $((SECONDS - start)) s (limit $limit s)" | tee -a "$out/$name.txt"
}

step env 60 "$py" - <<'EOF'
import platform, sys
from importlib import metadata
import jax
print("python", sys.version.split()[0], platform.platform())
print("jax", jax.__version__, "backend", jax.default_backend(), "devices", jax.devices())
for name in ("jaxlib", "optax", "numpy", "torch", "timm", "transformers", "tensorflow", "pytest", "pytest-xdist"):
    try:
        print(f"{name}: {metadata.version(name)}")
    except metadata.PackageNotFoundError:
        print(f"{name}: absent")
EOF

backend=$("$py" -c 'import jax; print(jax.default_backend())' 2>/dev/null || echo unknown)
device=cpu
[ "$backend" = gpu ] && device=gpu

step check_structure "${STRUCTURE_S:-90}" "$py" bench/check_structure.py
step bench_kernels "${KERNELS_S:-200}" "$py" bench/bench_kernels.py --device "$device"

workers=()
if "$py" -c 'import xdist' 2>/dev/null; then
    workers=(-n "${WORKERS:-8}" --dist worksteal)
fi
step suite "${SUITE_S:-270}" "$py" -m pytest -p no:cacheprovider -o addopts= -v -ra --tb=short ${workers[@]+"${workers[@]}"}
