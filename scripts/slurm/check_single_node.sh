#!/usr/bin/env bash
# The cluster path on a real SLURM, by hand (not in CI), as root on a Debian machine
# without systemd (a container is fine):
#
#   sudo scripts/slurm/check_single_node.sh            # PROFILE=smoke, 4 shards
#
# 1. installs slurm-wlm and munge from Debian's packages if missing;
# 2. writes a single-node slurm.conf (this host, $CPUS CPUs, no accounting) under
#    $SCRATCH and starts munged, slurmctld and slurmd as daemons;
# 3. submits scripts/slurm/grid-array.sbatch as a $SHARDS-task job array for $PROFILE,
#    and a job that depends on it (afterok) which merges the shard tables with
#    `aeutils merge` and runs the derived (selection) blocks unsharded on the merge;
# 4. runs the same profile on this machine in one process, without SLURM;
# 5. compares the two tables (scripts/slurm/compare_tables.py): the same (key, epoch)
#    pairs, every |AUC difference| <= $TOL;
# 6. if $PYTHON can import submitit (SUBMITIT=0 skips, SUBMITIT=1 insists), does 3 and
#    5 again through scripts/slurm/submitit_grid.py;
# 7. stops the daemons it started (also on failure).
#
# Settings (environment): PROFILE (smoke), SHARDS (4), SCRATCH (/tmp/aeutils-slurm,
# wiped at start), PYTHON (<repo>/.venv/bin/python), DEVICE (cpu, for both runs),
# CPUS (2), TOL (1e-4), AEUTILS_DATA (/work/shared/data; MNIST/raw is read from there),
# AEUTILS_CACHE ($SCRATCH/cache).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PROFILE=${PROFILE:-smoke}
SHARDS=${SHARDS:-4}
SCRATCH=${SCRATCH:-/tmp/aeutils-slurm}
PYTHON=${PYTHON:-$REPO/.venv/bin/python}
DEVICE=${DEVICE:-cpu}
CPUS=${CPUS:-2}
TOL=${TOL:-1e-4}
export AEUTILS_DATA=${AEUTILS_DATA:-/work/shared/data}
export AEUTILS_CACHE=${AEUTILS_CACHE:-$SCRATCH/cache}
export OMP_NUM_THREADS=1
HOST=$(hostname -s)
T0=$SECONDS

say() { printf '[%s +%3ds] %s\n' "$(date +%T)" "$((SECONDS - T0))" "$*"; }
die() { say "FAIL: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (installs packages, starts munged/slurmd)"
[[ -x $PYTHON ]] || die "no python at $PYTHON (set PYTHON=...)"

# --- 1. packages -------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
        || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    if ! apt-cache show slurm-wlm munge >/dev/null 2>&1; then
        say "apt-get update"
        apt-get update -qq
    fi
    apt-cache policy slurm-wlm munge | grep -E '^[a-z]|Candidate'
    say "apt-get install slurm-wlm munge"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
say "$(slurmctld -V), munge $(dpkg-query -W -f '${Version}' munge), host $HOST"

for d in slurmctld slurmd; do
    ps -C "$d" -o stat= | grep -qv '^Z' && die "a $d is already running; this script wants its own cluster"
done

# --- 2. config and daemons ------------------------------------------------------------
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"/{etc,state/ctld,state/d,log,run,logs,shards}
export SLURM_CONF=$SCRATCH/etc/slurm.conf
MEM=$(awk '/MemTotal/ {print int($2 / 1024) - 512}' /proc/meminfo)
cat >"$SLURM_CONF" <<EOF
# single-node cluster written by scripts/slurm/check_single_node.sh
ClusterName=aeutils
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
ReturnToService=2
StateSaveLocation=$SCRATCH/state/ctld
SlurmdSpoolDir=$SCRATCH/state/d
SlurmctldPidFile=$SCRATCH/run/slurmctld.pid
SlurmdPidFile=$SCRATCH/run/slurmd.pid
SlurmctldLogFile=$SCRATCH/log/slurmctld.log
SlurmdLogFile=$SCRATCH/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

STARTED_MUNGE=0
STARTED_SLURM=0
live_steps() { ps -C slurmstepd -o pid=,stat= | awk '$2 !~ /^Z/ {print $1}'; }
cleanup() {
    local rc=$?
    if [[ $STARTED_SLURM -eq 1 ]]; then
        # A job can still be winding down (submitit returns as soon as the result file is
        # written, before its srun step ends): let the queue drain, cancel what is left,
        # and wait for the job steps to go before the daemons do.
        for i in $(seq 60); do
            [[ -z $(squeue -h -o %i 2>/dev/null) ]] && break
            [[ $i -eq 20 ]] && squeue -h -o %i 2>/dev/null | xargs -r scancel
            sleep 1
        done
        for _ in $(seq 30); do [[ -n $(live_steps) ]] || break; sleep 1; done
        say "stopping slurmctld and slurmd"
        scontrol shutdown >/dev/null 2>&1 || true
        for f in "$SCRATCH"/run/slurmd.pid "$SCRATCH"/run/slurmctld.pid; do
            for _ in $(seq 20); do
                [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null || break
                sleep 0.5
            done
            [[ -f $f ]] && kill "$(cat "$f")" 2>/dev/null || true
        done
    fi
    if [[ $STARTED_SLURM -eq 1 && -n $(live_steps) ]]; then
        say "warning: job steps left behind: $(live_steps | tr '\n' ' ')"
    fi
    if [[ $STARTED_MUNGE -eq 1 && -f /run/munge/munged.pid ]]; then
        say "stopping munged"
        kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
    fi
    if [[ $rc -ne 0 ]]; then
        say "exit $rc; daemon logs in $SCRATCH/log, job logs in $SCRATCH/logs"
        tail -n 15 "$SCRATCH"/log/*.log 2>/dev/null || true
    fi
    exit $rc
}
trap cleanup EXIT

if [[ ! -s /etc/munge/munge.key ]]; then
    say "creating /etc/munge/munge.key"
    install -d -o munge -g munge -m 0700 /etc/munge
    (umask 077; dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none)
    chown munge:munge /etc/munge/munge.key
fi
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    install -d -o munge -g munge -m 0755 /run/munge
    runuser -u munge -- /usr/sbin/munged
    STARTED_MUNGE=1
    for _ in $(seq 20); do munge -n </dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.5; done
fi
munge -n </dev/null | unmunge >/dev/null || die "munge does not work"
say "munged up"

STARTED_SLURM=1
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for i in $(seq 60); do
    state=$(sinfo -h -N -n "$HOST" -o %t 2>/dev/null || true)
    [[ $state == idle ]] && break
    [[ $i -eq 60 ]] && die "node $HOST not idle after 60 s (state: ${state:-none})"
    sleep 1
done
say "slurm up:"
sinfo -N -o '%N %P %t %c %m'

# --- 3. the job array and the merge job ----------------------------------------------
SHARD_DIR=$SCRATCH/shards
MERGED=$SCRATCH/merged/results.jsonl
SINGLE=$SCRATCH/single/results.jsonl
cd "$REPO"
say "sbatch: profile $PROFILE in $SHARDS shards"
t_slurm=$SECONDS
jid=$(sbatch --parsable --chdir="$REPO" --array="0-$((SHARDS - 1))" \
        --output="$SCRATCH/logs/grid-%A_%a.log" \
        --export="ALL,PROFILE=$PROFILE,RESULTS_DIR=$SHARD_DIR,PYTHON=$PYTHON,DEVICE=$DEVICE" \
        scripts/slurm/grid-array.sbatch)
say "array job $jid submitted"
finish_cmd="'$PYTHON' -m aeutils merge '$MERGED' '$SHARD_DIR'/shard-*.jsonl && \
'$PYTHON' -m aeutils grid --profile '$PROFILE' --results '$MERGED' --device '$DEVICE' --no-progress"
sbatch --wait --parsable --chdir="$REPO" --job-name=aeutils-merge \
    --dependency="afterok:$jid" --kill-on-invalid-dep=yes \
    --output="$SCRATCH/logs/merge-%j.log" --wrap "$finish_cmd" >"$SCRATCH/run/merge.jid" &
waiter=$!
last=""
while kill -0 "$waiter" 2>/dev/null; do
    now=$(squeue -h -o '%i:%T' | sort | tr '\n' ' ')
    [[ $now != "$last" && -n $now ]] && say "squeue: $now"
    last=$now
    sleep 2
done
wait "$waiter" && rc=0 || rc=$?
mid=$(cat "$SCRATCH/run/merge.jid" 2>/dev/null || true)
for f in "$SCRATCH"/logs/grid-*.log "$SCRATCH"/logs/merge-*.log; do
    [[ -f $f ]] || continue
    echo "----- ${f#"$SCRATCH"/} -----"
    cat "$f"
done
echo "-----"
[[ $rc -eq 0 ]] || die "SLURM jobs failed (array $jid, merge ${mid:-?}: sbatch --wait exit $rc)"
# sbatch --wait exits 0 also when the merge job was cancelled because a shard failed
# (afterok never satisfied), so ask slurmctld for every job's final state and exit code.
summary=""
failed=0
while read -r line; do
    [[ -n $line ]] || continue
    id=$(grep -oE '(^| )JobId=[0-9]+' <<<"$line" | cut -d= -f2)
    task=$(grep -oE '(^| )ArrayTaskId=[0-9]+' <<<"$line" | cut -d= -f2 || true)
    st=$(grep -oE '(^| )JobState=[A-Z_]+' <<<"$line" | cut -d= -f2)
    ec=$(grep -oE '(^| )ExitCode=[0-9:]+' <<<"$line" | cut -d= -f2)
    [[ -n $task ]] && id="${jid}_$task"
    summary+="$id $st $ec, "
    [[ $st == COMPLETED && $ec == 0:0 ]] || failed=1
done < <(scontrol -o show job "$jid"; scontrol -o show job "${mid:?no merge job id}")
say "jobs: ${summary%, }"
[[ $failed -eq 0 ]] || die "a SLURM job did not complete (array $jid, merge job $mid)"
n_logs=$(ls "$SCRATCH"/logs/grid-*.log | wc -l)
[[ $n_logs -eq $SHARDS ]] || die "expected $SHARDS task logs, found $n_logs"
say "SLURM path done in $((SECONDS - t_slurm)) s (array $jid, merge job $mid)"

# --- 4. one machine, no SLURM, no shards ----------------------------------------------
say "one-machine run of $PROFILE"
t_single=$SECONDS
"$PYTHON" -m aeutils grid --profile "$PROFILE" --results "$SINGLE" --device "$DEVICE" --no-progress
say "one-machine run done in $((SECONDS - t_single)) s"

# --- 5. compare -----------------------------------------------------------------------
"$PYTHON" scripts/slurm/compare_tables.py "$MERGED" "$SINGLE" --tol "$TOL" --label compare \
    || die "the merged SLURM table differs from the one-machine run"

# --- 6. optional: the same through submitit ---------------------------------------------
if [[ ${SUBMITIT:-auto} != 0 ]] && "$PYTHON" -c "import submitit" 2>/dev/null; then
    say "submitit $("$PYTHON" -c 'import submitit; print(submitit.__version__)'):" \
        "profile $PROFILE in $SHARDS shards"
    t_sub=$SECONDS
    "$PYTHON" scripts/slurm/submitit_grid.py --profile "$PROFILE" --shards "$SHARDS" \
        --out "$SCRATCH/submitit" --device "$DEVICE" --timeout-min 30 --mem-gb 4
    say "submitit path done in $((SECONDS - t_sub)) s"
    "$PYTHON" scripts/slurm/compare_tables.py "$SCRATCH/submitit/merged/results.jsonl" "$SINGLE" \
        --tol "$TOL" --label submitit || die "the submitit table differs from the one-machine run"
elif [[ ${SUBMITIT:-auto} == 1 ]]; then
    die "SUBMITIT=1 but $PYTHON cannot import submitit"
else
    say "submitit not importable by $PYTHON: skipped (pip install submitit, or SUBMITIT=0)"
fi
say "all done in $((SECONDS - T0)) s; tables in $SCRATCH"
