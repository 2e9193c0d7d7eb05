#!/usr/bin/env bash
# A/B benchmark of the tool itself: this tree against another commit of it (default HEAD), both
# through their launchers, interleaved in one boot of the test VM, with qemu-img convert (best
# flags) on the same image in the same round. Why a paired run: the whole-run times of the tool and
# of qemu-img move by 20-40 % from one VM boot to the next (the host's load, TCG), far more than a
# start-up change moves them; only runs of the same boot, alternated, compare.
# Shapes: (d) with --fs-aware and (a), as in migrate-bench.sh; the cache protocol is the same (page
# cache dropped, the program's own files read back in before each timed run).
# Prints one line per timed run, then per shape the medians and each round's difference.
# Usage: bench/migrate-ab.sh [COMMIT=HEAD] [ROUNDS=5]
# Needs what .ci/run installs (qemu-system-x86, linux-image-amd64, lvm2, busybox-static, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
COMMIT=${1:-HEAD}
ROUNDS=${2:-5}
# Inside the repository, not under /tmp: the VM sees the host's files, but has a /tmp of its own.
other=$PWD/bench/target/ab-other
rm -rf "$other"; git worktree prune
mkdir -p bench/target
trap 'git worktree remove --force "$other" >/dev/null 2>&1 || rm -rf "$other"; git worktree prune' EXIT
git worktree add --detach -f "$other" "$COMMIT" >/dev/null
# package, not install: each tree's launcher class path then names its own module jars, and the
# local repository keeps this tree's
(cd "$other" && mvn -q -B package -DskipTests -pl migrate-tool -am)
mvn -q -B install -DskipTests -pl migrate-tool -am
rm -f migrate-tool/target/qvm-to-lvm-*.aot* "$other"/migrate-tool/target/qvm-to-lvm-*.aot*
export VM_SMP=${VM_SMP:-2} VM_MEM=${VM_MEM:-3G} VM_TIMEOUT=${VM_TIMEOUT:-3600}
test-harness/vm/run-in-vm.sh "ROUNDS=$ROUNDS A='$other' B='$PWD' bash '$PWD/bench/migrate-ab-vm.sh'" 24G,16G
