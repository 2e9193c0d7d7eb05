#!/usr/bin/env bash
# Planner scale: wall time of `qvm-to-lvm --all --dry-run` over generated installations of N
# domains (one template, N-1 AppVMs based on it, each with a 1 MiB sparse private image), into a
# file-reflink target pool. Protocol: each size once after one untimed warm-up run; the figure is
# the tool's whole wall time (JVM start included). Usage: bench/planner-scale.sh [N...]
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-254 2000 4000}")
[ -f migrate-tool/target/launch-classpath.txt ] || mvn -q -B install -DskipTests -pl migrate-tool -am >&2
work=$(mktemp -d /tmp/planner-scale.XXXXXX)
trap 'rm -rf -- "$work"' EXIT

generate() { # $1 = domains, $2 = directory
    python3 bench/generate-installation.py "$1" "$2"
}

printf '%-8s %s\n' domains "dry run wall time (s)"
for n in "${sizes[@]}"; do
    dir=$work/$n
    mkdir -p "$dir/target"
    generate "$n" "$dir"
    ./qvm-to-lvm --qubes-xml "$dir/qubes.xml" --pool target --all --dry-run >/dev/null 2>&1 || true
    start=$(date +%s.%N)
    code=0
    ./qvm-to-lvm --qubes-xml "$dir/qubes.xml" --pool target --all --dry-run >/dev/null 2>"$work/err" || code=$?
    end=$(date +%s.%N)
    [ "$code" = 0 ] || { echo "dry run over $n domains exited $code:" >&2; tail -5 "$work/err" >&2; exit 1; }
    printf '%-8s %.2f\n' "$n" "$(echo "$end - $start" | bc)"
done
