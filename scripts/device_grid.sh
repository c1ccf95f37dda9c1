#!/usr/bin/env bash
# Train what a profile's store still lacks on a GPU machine, from a copy of this
# checkout, and bring the records and score files back. Three steps:
#
#   here:   bash scripts/device_grid.sh pack [DATASET ...]   (default: mnist cifar10)
#       packs $AEUTILS_DATA's datasets into .devdata/data.tgz, with their digests
#       (python -m aeutils digest) and the commit, and a piq wheel into .whl/ (both git-ignored);
#       pack right before the device call, after the last commit: its records name that commit
#   there:  PROFILE=compare WORKERS=6 LIMIT=480 bash scripts/device_grid.sh run [grid options]
#       (carry .devdata, .whl and results/PROFILE/results.jsonl.claims: the claims of this
#       machine's running grid keep the GPU off the groups it is training.) Installs the
#       wheel if piq is missing, unpacks the data, stops unless every digest equals the packed
#       one (same pixels under the same keys), then runs `aeutils grid` for LIMIT seconds at
#       most; what finished is written to $OUT: results.jsonl, scores.tgz (the score files
#       written there), grid.log, digests.txt.
#   here:   bash scripts/device_grid.sh merge DIR             (DIR: where $OUT came back)
#       merges DIR/results.jsonl into the store and unpacks the score files beside it.
#
# Env: PROFILE (compare), WORKERS (6), LIMIT (480 s), DEVICE (cuda; cpu tries it here),
# PYTHON (python3 there, .venv/bin/python here when present), STORE
# (results/$PROFILE/results.jsonl), OUT (build/device-out).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-compare}
store=${STORE:-results/$profile/results.jsonl}
py=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}

pack() {
    local data=${AEUTILS_DATA:?set AEUTILS_DATA to the data root, e.g. ../shared/data}
    local names=("$@") folders=() name
    [ ${#names[@]} -gt 0 ] || names=(mnist cifar10)
    declare -A folder=([mnist]=MNIST [fashion-mnist]=FashionMNIST [cifar10]=cifar10-jpeg)
    for name in "${names[@]}"; do  # every name checked before anything is written
        [ -n "${folder[$name]:-}" ] || { echo "pack: one of ${!folder[*]}, not $name" >&2; exit 2; }
        folders+=("${folder[$name]}")
    done
    mkdir -p .devdata .whl
    : > .devdata/digests.txt
    for name in "${names[@]}"; do
        "$py" -m aeutils digest "$name" | tee -a .devdata/digests.txt
    done
    tar czf .devdata/data.tgz -C "$data" --exclude='*.gz' "${folders[@]}"
    git rev-parse --short HEAD > .devdata/commit
    [ -z "$(git status --porcelain --untracked-files=no -- aeutils)" ] || \
        echo "warning: aeutils/ has uncommitted changes; records will name $(cat .devdata/commit)"
    ls .whl/piq-*.whl >/dev/null 2>&1 || "$py" -m pip download -q --no-deps piq -d .whl
    du -sh .devdata/data.tgz .whl
}

run() {
    local out=${OUT:-build/device-out}
    mkdir -p "$out"
    if ! "$py" -c "import piq" 2>/dev/null; then
        "$py" -m pip install -q --no-deps --target /tmp/device-site .whl/piq-*.whl
        export PYTHONPATH=/tmp/device-site${PYTHONPATH:+:$PYTHONPATH}
    fi
    export AEUTILS_DATA=/tmp/device-data AEUTILS_CACHE=/tmp/device-cache
    export AEUTILS_COMMIT=${AEUTILS_COMMIT:-$(cat .devdata/commit)}
    mkdir -p "$AEUTILS_DATA"
    tar xzf .devdata/data.tgz -C "$AEUTILS_DATA"
    : > "$out/digests.txt"
    while read -r name expected; do
        "$py" -m aeutils digest "$name" --expect "$name $expected" | tee -a "$out/digests.txt"
    done < .devdata/digests.txt
    local marker
    marker=$(mktemp)
    local scores
    scores=$(dirname "$store")/scores
    mkdir -p "$scores"
    # The grid's workers are its children: run it as its own process group, so the limit
    # stops all of them, between groups or not (what a group had not stored is lost).
    set +e
    setsid "$py" -m aeutils grid --profile "$profile" --device "${DEVICE:-cuda}" \
        --workers "${WORKERS:-6}" --results "$store" --keep-scores final --no-progress "$@" \
        > "$out/grid.log" 2>&1 &
    local pid=$! waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "${LIMIT:-480}" ]; do
        sleep 5
        waited=$((waited + 5))
    done
    kill -- -"$pid" 2>/dev/null && echo "stopped at the ${LIMIT:-480} s limit" >> "$out/grid.log"
    wait "$pid"
    set -e
    tail -5 "$out/grid.log"
    cp "$store" "$out/results.jsonl"
    find "$scores" -type f -newer "$marker" -print0 | tar czf "$out/scores.tgz" --null -T -
    echo "$(tar tzf "$out/scores.tgz" | wc -l) score files, records in $out/results.jsonl"
}

merge() {
    local dir=${1:?usage: device_grid.sh merge DIR (the folder that OUT came back into)}
    "$py" -m aeutils merge "$store" "$dir/results.jsonl"
    tar xzf "$dir/scores.tgz"
}

cmd=${1:-}
shift || true
case "$cmd" in
    pack | run | merge) "$cmd" "$@" ;;
    *) echo "usage: $0 pack [DATASET ...] | run [grid options] | merge DIR" >&2; exit 2 ;;
esac
