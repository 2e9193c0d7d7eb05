#!/usr/bin/env bash
# Migrate benchmark ("migrate" row): the whole qvm-to-lvm tool, one run migrating one domain per
# image shape (a)-(d) of copy-bench.sh from a file pool into an LVM thin pool, against qemu-img
# convert (best flags) and dd conv=sparse into the same kind of fresh thin LVs, interleaved in the
# same run, in the project's test VM (this host's kernel has no device-mapper). Before each timed
# run the page cache is dropped and the program's own files are read back in (migrate-bench-vm.sh
# says why). Prints a Markdown table of medians with the ratios to qemu-img and the thin pool's data
# usage after each copy: per shape the domain's own time in the run (its LV's creation, copy,
# verification, commit and qubes.xml save, as the tool's --json result reports it), and the whole
# run's wall time (JVM start included) against the reference tools' four copies together.
# Usage: bench/migrate-bench.sh [RUNS=3] [DIVISOR=1]   (DIVISOR scales the images down, e.g. 4)
#        MODE=per-shape bench/migrate-bench.sh ...      (a tool run of its own per domain, each
#                                                        paying the JVM's start: the table before
#                                                        2026-12-06)
#        QVM_TO_LVM_AOT=0 bench/migrate-bench.sh ...    (the tool without the launcher's AOT cache)
#        QVM_TO_LVM_JIT=full bench/migrate-bench.sh ... (with the JVM's tiered JIT instead of C1 only)
# Needs what .ci/run installs (qemu-system-x86, linux-image-amd64, lvm2, busybox-static, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
DIV=${2:-1}
if [ ! -f migrate-tool/target/launch-classpath.txt ]; then   # what the launcher runs with, in the VM too
    mvn -q -B install -DskipTests -pl migrate-tool -am
fi
# Two vCPUs, as this machine has two cores, when the tool runs C1 only (the launcher's default where
# libxxhash is present; the VM tests run so too). With the tiered JIT (QVM_TO_LVM_JIT=full) one
# vCPU: qemu 7.2's multi-threaded TCG crashes JVMs running C2 code now and then (measured: 6
# SIGSEGVs at freshly patched compiled-method entries in 28 tool runs).
if [ "${QVM_TO_LVM_JIT:-}" = full ]; then smp=1; else smp=2; fi
export VM_SMP=${VM_SMP:-$smp} VM_MEM=${VM_MEM:-3G} VM_TIMEOUT=${VM_TIMEOUT:-5400}
exec test-harness/vm/run-in-vm.sh "RUNS=$RUNS DIV=$DIV MODE=${MODE:-one-run} QVM_TO_LVM_AOT=${QVM_TO_LVM_AOT:-1} QVM_TO_LVM_JIT=${QVM_TO_LVM_JIT:-} ROOT='$PWD' bash '$PWD/bench/migrate-bench-vm.sh'" 32G,16G
