#!/usr/bin/env bash
# Does rewriting old class files pay on real hardware? The build once rewrote jars with pre-Java-6
# classes so that the JDK 25 AOT cache could hold them (UpgradeOldClassFiles.java, taken from git
# history at UPGRADE_REV, default 81f3df1, the last commit with it). The launcher with those
# rewritten copies against the launcher with the plain jars, on this host (no emulation), both
# with the AOT cache the launcher keeps. Two copies of the launcher, each with a target directory
# of its own, differ only in their class path file. Per
# variant one untimed run records its AOT cache (as a user's first run does); then RUNS rounds
# (default 7), each timing in turn for both variants: a dry run over a generated 20-domain
# installation, and a one-domain migration into its file-reflink pool (rolled back, untimed, after
# each). Whole wall time, JVM start included; medians. Usage: bench/launcher-aot.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
t=migrate-tool/target
[ -f $t/classpath.txt ] || mvn -q -B install -DskipTests -pl migrate-tool -am >&2
java=$(ls -d /usr/lib/jvm/*25*/bin/java | head -1)
work=$(mktemp -d /tmp/launcher-aot.XXXXXX)
trap 'rm -rf -- "$work"' EXIT
python3 bench/generate-installation.py 20 "$work/inst"
mkdir -p "$work/inst/target"
xml=$work/inst/qubes.xml

for v in rewritten plain; do
    mkdir -p "$work/$v/$t"
    cp qvm-to-lvm "$work/$v/"
    cp $t/migrate-tool-0.1.0-SNAPSHOT.jar "$work/$v/$t/"
    cp $t/classpath.txt "$work/$v/$t/classpath.txt"
done
git show "${UPGRADE_REV:-81f3df1}:migrate-tool/src/build/UpgradeOldClassFiles.java" > "$work/UpgradeOldClassFiles.java"
"$java" "$work/UpgradeOldClassFiles.java" $t/classpath.txt "$work/rewritten-lib" "$work/rewritten/$t/classpath.txt" >/dev/null

timed() { # prints the wall time of "$@" in ms; fails loudly
    local s e
    s=$(date +%s%N)
    "$@" >/dev/null 2>"$work/err" || { echo "failed: $*" >&2; cat "$work/err" >&2; exit 1; }
    e=$(date +%s%N)
    echo $(((e - s) / 1000000))
}
dry() { "$work/$1/qvm-to-lvm" --qubes-xml "$xml" --pool target --all --dry-run; }
one() { "$work/$1/qvm-to-lvm" --qubes-xml "$xml" --pool target vm2 --yes; }
undo() { "$work/$1/qvm-to-lvm" --qubes-xml "$xml" --rollback >/dev/null; }

for v in rewritten plain; do
    timed dry $v >/dev/null                       # records this variant's AOT cache
    [ -f "$work/$v/$t/qvm-to-lvm-c1.aot" ] || [ -f "$work/$v/$t/qvm-to-lvm-tiered.aot" ] || { echo "no AOT cache for $v" >&2; exit 1; }
    timed one $v >/dev/null; undo $v
done
declare -A times
for ((r = 1; r <= runs; r++)); do
    for v in rewritten plain; do
        times[$v-dry]+="$(timed dry $v) "
        times[$v-one]+="$(timed one $v) "; undo $v
    done
done
median() { tr ' ' '\n' <<< "$1" | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
printf '%-22s %14s %14s %8s\n' run "rewritten (ms)" "plain (ms)" "saved"
for k in dry one; do
    a=$(median "${times[rewritten-$k]}"); b=$(median "${times[plain-$k]}")
    label=$([ $k = dry ] && echo "dry run, 20 domains" || echo "migrate one domain")
    printf '%-22s %14s %14s %7.1f%%\n' "$label" "$a" "$b" "$(echo "100 * ($b - $a) / $b" | bc -l)"
    echo "  rewritten: ${times[rewritten-$k]}"
    echo "  plain:     ${times[plain-$k]}"
done
