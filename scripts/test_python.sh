#!/usr/bin/env bash
# The Python package's tests (python/tests): pip install . into a fresh venv on
# Debian's /usr/bin/python3 that sees Debian's torch, numpy, pytest and
# scikit-learn (--system-site-packages), then pytest. scikit-build-core comes
# from PyPI at install time. Run by scripts/test.sh; alone:
#   bash scripts/test_python.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_packages python3 python3-venv python3-pip-whl python3-torch python3-numpy python3-pytest python3-sklearn \
  g++ cmake ninja-build libxsimd-dev
start=$SECONDS
venv=build/venv
rm -rf "$venv"
/usr/bin/python3 -m venv --system-site-packages "$venv"
# pip builds libinertia.so alone (INERTIA_BUILD_PYTHON), in build/python/ (kept: a rerun rebuilds only
# what changed).
# The library's glue (validation, registry, C ABI; not the kernels) at -O1 here, a shorter build: these tests
# check the package over the C ABI, and the Release stage of scripts/test.sh tests the library's C++ at the
# Release flags. A user's plain `pip install .` builds everything at the Release flags.
CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) "$venv/bin/pip" install --quiet --disable-pip-version-check \
  --config-settings=cmake.define.INERTIA_GLUE_OPTIMIZATION=-O1 .
echo "==> pip install . took $((SECONDS - start)) s; inertia $("$venv/bin/python" -c 'import inertia, inertia.torch; print(inertia.__version__, inertia.arch())')"
# From outside the source tree, so that `import inertia` is the installed package. OpenMP workers sleep when
# idle (passive): pytest and the steps share two cores.
(cd build && OMP_WAIT_POLICY=passive venv/bin/python -m pytest -q -p no:cacheprovider ../python/tests)
echo "==> Python step took $((SECONDS - start)) s"
