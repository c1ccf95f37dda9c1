#!/usr/bin/env bash
# Train what a profile's store still lacks on a GPU machine, from a copy of this
# checkout, and bring the records and score files back. Three steps:
#
#   here:   bash scripts/device_grid.sh pack [DATASET ...]   (default: mnist cifar10)
#       packs $AEUTILS_DATA's datasets into .devdata/data.tgz, with their digests
#       (python -m aeutils digest) and the commit, and a piq wheel into .whl/ (both git-ignored);
#       pack right before the device call, after the last commit: its records name that commit
#   there:  PROFILE=thesis BUDGET=420 bash scripts/device_grid.sh run [grid options]
#       (carry .devdata, .whl and results/PROFILE/results.jsonl.claims: the claims of this
#       machine's running grid keep the GPU off the groups it is training.) Installs the
#       wheel if piq is missing, unpacks the data, stops unless every digest equals the packed
#       one (same pixels under the same keys), then runs the profile's missing runs in
#       priority order (`aeutils grid --order priority --budget BUDGET`: MNIST before
#       CIFAR-10, the cheapest groups first, no group started that its estimate says would
#       not finish in time); LIMIT seconds is the hard stop behind the budget. What finished
#       is written to $OUT: results.jsonl, scores.tgz (the score files written there),
#       grid.log, digests.txt, profile. Calling it again (after a merge here) trains what is left.
#   here:   bash scripts/device_grid.sh merge DIR             (DIR: where $OUT came back)
#       merges DIR/results.jsonl into the store of the profile that `run` trained for
#       (DIR/profile; a different PROFILE is refused) and unpacks the score files beside it.
#
# Env: PROFILE (compare), WORKERS (6), BUDGET (420 s), LIMIT (BUDGET + 60 s), DEVICE (cuda;
# cpu tries it here), PYTHON (python3 there, .venv/bin/python here when present), STORE
# (results/$PROFILE/results.jsonl), OUT (build/device-out), DEVDATA (.devdata), WHEELS
# (.whl), WORK (/tmp: the unpacked data, cache and wheel go under it there).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PROFILE:-compare}
store=${STORE:-results/$profile/results.jsonl}
py=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}
devdata=${DEVDATA:-.devdata}
wheels=${WHEELS:-.whl}
work=${WORK:-/tmp}

pack() {
    local data=${AEUTILS_DATA:?set AEUTILS_DATA to the data root, e.g. ../shared/data}
    local names=("$@") folders=() name
    [ ${#names[@]} -gt 0 ] || names=(mnist cifar10)
    declare -A folder=([mnist]=MNIST [fashion-mnist]=FashionMNIST [cifar10]=cifar10-jpeg)
    for name in "${names[@]}"; do  # every name checked before anything is written
        [ -n "${folder[$name]:-}" ] || { echo "pack: one of ${!folder[*]}, not $name" >&2; exit 2; }
        folders+=("${folder[$name]}")
    done
    mkdir -p "$devdata" "$wheels"
    : > "$devdata/digests.txt"
    for name in "${names[@]}"; do
        "$py" -m aeutils digest "$name" | tee -a "$devdata/digests.txt"
    done
    tar czf "$devdata/data.tgz" -C "$data" --exclude='*.gz' "${folders[@]}"
    git rev-parse --short HEAD > "$devdata/commit"
    [ -z "$(git status --porcelain --untracked-files=no -- aeutils)" ] || \
        echo "warning: aeutils/ has uncommitted changes; records will name $(cat "$devdata/commit")"
    ls "$wheels"/piq-*.whl >/dev/null 2>&1 || "$py" -m pip download -q --no-deps piq -d "$wheels"
    du -sh "$devdata/data.tgz" "$wheels"
}

run() {
    local out=${OUT:-build/device-out} budget=${BUDGET:-420}
    local limit=${LIMIT:-$((${budget%.*} + 60))}
    mkdir -p "$out"
    echo "$profile" > "$out/profile"  # merge reads it: the runs go back into this profile's store
    if ! "$py" -c "import importlib.util as u; raise SystemExit(not u.find_spec('piq'))"; then
        "$py" -m pip install -q --no-deps --target "$work/device-site" "$wheels"/piq-*.whl
        export PYTHONPATH=$work/device-site${PYTHONPATH:+:$PYTHONPATH}
    fi
    export AEUTILS_DATA=$work/device-data AEUTILS_CACHE=$work/device-cache
    export AEUTILS_COMMIT=${AEUTILS_COMMIT:-$(cat "$devdata/commit")}
    mkdir -p "$AEUTILS_DATA"
    tar xzf "$devdata/data.tgz" -C "$AEUTILS_DATA"
    : > "$out/digests.txt"
    while read -r name expected; do
        "$py" -m aeutils digest "$name" --expect "$name $expected" | tee -a "$out/digests.txt"
    done < "$devdata/digests.txt"
    local marker scores
    marker=$(mktemp)
    scores=$(dirname "$store")/scores
    mkdir -p "$scores"
    # The grid's workers are its children: run it as its own process group, so the hard
    # limit stops all of them, between groups or not (what a group had not stored is lost).
    set +e
    setsid "$py" -m aeutils grid --profile "$profile" --device "${DEVICE:-cuda}" \
        --workers "${WORKERS:-6}" --results "$store" --keep-scores final --no-progress \
        --order priority --budget "$budget" "$@" > "$out/grid.log" 2>&1 &
    local pid=$! waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$limit" ]; do
        sleep 1
        waited=$((waited + 1))
    done
    # The group is killed either way (a worker can outlive the grid that started it); the
    # limit is reported only when the grid itself was still running at it.
    if kill -0 "$pid" 2>/dev/null; then
        echo "stopped at the $limit s limit" >> "$out/grid.log"
    fi
    kill -- -"$pid" 2>/dev/null || true
    wait "$pid"
    local rc=$?
    set -e
    tail -5 "$out/grid.log"
    cp "$store" "$out/results.jsonl"
    (cd "$scores" && find . -type f -newer "$marker" -print0 | tar czf - --null -T -) \
        > "$out/scores.tgz"
    rm -f "$marker"
    echo "$(tar tzf "$out/scores.tgz" | wc -l) score files, records in $out/results.jsonl"
    return "$rc"
}

merge() {
    local dir=${1:?usage: device_grid.sh merge DIR (the folder that OUT came back into)}
    if [ -f "$dir/profile" ]; then  # the profile the runs were trained for, not a default
        local trained
        trained=$(cat "$dir/profile")
        if [ -n "${PROFILE:-}" ] && [ "$PROFILE" != "$trained" ]; then
            echo "merge: $dir holds runs of profile $trained, not PROFILE=$PROFILE" >&2
            exit 2
        fi
        store=${STORE:-results/$trained/results.jsonl}
    fi
    "$py" -m aeutils merge "$store" "$dir/results.jsonl"
    mkdir -p "$(dirname "$store")/scores"
    tar xzf "$dir/scores.tgz" -C "$(dirname "$store")/scores"
}

cmd=${1:-}
shift || true
case "$cmd" in
    pack | run | merge) "$cmd" "$@" ;;
    *) echo "usage: $0 pack [DATASET ...] | run [grid options] | merge DIR" >&2; exit 2 ;;
esac
