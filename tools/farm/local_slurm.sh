#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, in one folder, for tests and for trying
# Examples/farm/slurm_lipsync.sh: munged on its own socket and key, slurmctld and slurmd with a
# generated slurm.conf on free ports. Needs root (slurmd starts jobs as their user) and Debian's
# slurm-wlm + munge.
#
#   tools/farm/local_slurm.sh start DIR    # prints `export SLURM_CONF=DIR/slurm.conf`
#   tools/farm/local_slurm.sh stop DIR
set -euo pipefail
cmd=${1:?start or stop} dir=${2:?folder}

stop() {
    for name in slurmd slurmctld munged; do
        if [[ -f $dir/$name.pid ]]; then
            pid=$(cat "$dir/$name.pid")
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
            rm -f "$dir/$name.pid"
        fi
    done
}

if [[ $cmd == stop ]]; then stop; exit 0; fi
[[ $cmd == start ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "local_slurm: needs root (slurmd runs jobs as their owner)" >&2; exit 77; }
for tool in munged slurmctld slurmd sbatch sinfo; do
    command -v "$tool" >/dev/null || { echo "local_slurm: no $tool (apt-get install slurm-wlm munge)" >&2; exit 77; }
done

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
chmod 0700 "$dir"
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 0700 "$dir/munge"
trap 'stop' ERR

# munge: a fresh key, its own socket.
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1 count=1024 status=none
chmod 0400 "$dir/munge/munge.key"
munged --force --socket="$dir/munge/socket" --key-file="$dir/munge/munge.key" --pid-file="$dir/munged.pid" \
    --log-file="$dir/munged.log" --seed-file="$dir/munge/seed" </dev/null >/dev/null 2>&1

# Two free TCP ports for slurmctld and slurmd.
read -r ctld_port slurmd_port < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

host=$(hostname -s)
# The node as slurmd sees the hardware (CPUs, sockets, cores, memory), so it registers cleanly.
node=$(slurmd -C | head -1 | sed -e "s/^NodeName=[^ ]*/NodeName=$host NodeAddr=127.0.0.1/" -e 's/ RealMemory=[0-9]*//')
cat > "$dir/slurm.conf" <<CONF
ClusterName=omnieditlocal
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$dir/munge/socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
MinJobAge=300
$node State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
# The daemons keep no descriptor of the caller's (a caller reading our output to its end must not wait for them).
slurmctld -i </dev/null >/dev/null 2>&1
slurmd </dev/null >/dev/null 2>&1
for _ in $(seq 150); do
    state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
    if [[ $state == idle* ]]; then
        echo "export SLURM_CONF=$dir/slurm.conf"
        exit 0
    fi
    sleep 0.2
done
echo "local_slurm: the node did not come up (state '${state:-none}'); logs in $dir" >&2
tail -5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
stop
exit 1
