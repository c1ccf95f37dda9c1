#!/usr/bin/env bash
# The CUDA path, checked on a machine with a GPU: the tests that train, score, snapshot
# and compare SSIM run there on CUDA (AEUTILS_TEST_DEVICE=cuda; the suite otherwise pins
# the CPU), and the log is kept. A test that needs bit-equal results may differ on CUDA:
# that is what this run is for.
#   bash scripts/cuda_check.sh [OUTDIR]     (make cuda-check)      PYTHON=python3, PYTEST_WORKERS=8 (needs pytest-xdist)
# Without CUDA it stops at once: on a CPU these tests are what `make test` runs anyway.
set -u
out=${1:-build/cuda-check}
py=${PYTHON:-python3}
mkdir -p "$out"
"$py" - <<'PY' || exit 2
import torch
assert torch.cuda.is_available(), "no CUDA device: nothing to check"
print("torch", torch.__version__, "on", torch.cuda.get_device_name(0))
PY
AEUTILS_TEST_DEVICE=cuda "$py" -m pytest -q -p no:cacheprovider ${PYTEST_WORKERS:+-n "$PYTEST_WORKERS"} \
    tests/test_ssim.py tests/test_train.py tests/test_models_losses.py tests/test_pipeline.py \
    tests/test_baselines.py tests/test_detector.py tests/test_estimate.py tests/test_precision.py \
    2>&1 | tee "$out/pytest-cuda.log" | tail -25
exit "${PIPESTATUS[0]}"
