# Sourced by the launchers (./qvm-to-lvm, ./qubes-storage): runs a tool's main class with JDK 25,
# building its module first if needed, with the JVM settings and AOT cache explained below. Bash
# built-ins only on the way to java (see ./qvm-to-lvm's header for why).
#
# launch_tool NAME MODULE MAIN JIT AOT ARGS...
#   NAME    the tool: the AOT cache's file name, -D<NAME>.home, and the environment overrides
#           <NAME in capitals, '-' as '_'>_AOT=0 and <...>_JIT=full
#   MODULE  the Maven module whose jar and target/classpath.txt it runs
#   JIT     c1 (C1 only where the system's libxxhash is present) or tiered
#   AOT     1 to keep and use an AOT cache, 0 not to
launch_tool() {
    local name=$1 module=$2 main=$3 jit_mode=$4 use_aot=$5
    shift 5
    local prefix=${name^^}
    prefix=${prefix//-/_}
    local aot_var=${prefix}_AOT jit_var=${prefix}_JIT
    local target=$root/$module/target
    local java=
    for j in /usr/lib/jvm/*25*/bin/java; do
        if [ -x "$j" ]; then java=$j; break; fi
    done
    if [ -z "$java" ] && [ -n "${JAVA_HOME:-}" ]; then java="$JAVA_HOME/bin/java"; fi
    java=${java:-java}
    if [ ! -f "$target/classpath.txt" ] || [ ! -f "$target/$module-0.1.0-SNAPSHOT.jar" ]; then
        echo "$name: building $module (once) ..." >&2
        (cd "$root" && mvn -q -B install -DskipTests -pl "$module" -am) >&2
    fi
    local jar=$target/$module-0.1.0-SNAPSHOT.jar deps=
    read -r deps < "$target/classpath.txt" || true   # one line without a newline at its end
    local cp="$jar:$deps"
    # Serial GC and no hsperfdata file: a short-lived tool with a small heap (the copy's buffers are
    # off-heap) needs neither G1's set-up and threads nor the perf-data mapping jps reads. A dry run
    # in the two-vCPU test VM: 3.30 / 3.44 / 3.50 s against 3.44 / 3.91 / 4.09 s with the defaults.
    # The JVM's own warnings and errors (an unusable AOT cache, say) go to stderr: by default they go
    # to stdout, into the middle of --json output.
    local run release jdk cpu aot fresh recorded recorded_cpu entries conf rc line f lib
    run=("$java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:-UsePerfData
         -Xlog:disable -Xlog:all=warning:stderr
         -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -D"$name".home="$root" -cp "$cp")

    # Two JVM settings for a short-lived tool, both measured in the test VM (TCG, one vCPU then), where
    # the JVM's own start-up work is most of a small migration (one-off runs of the tool under each
    # set-up; bench/migrate-bench.sh measures the defaults):
    # - C1 only, where the system's libxxhash is present: the copy's hot loops (XXH3, the zero scan)
    #   are then native (NativeKernels) and C2 has nothing left worth its compile time. Migrating an
    #   8 GiB sparse image with 1 GiB of data took 29.7 s instead of 37.6 s. <NAME>_JIT=full keeps
    #   the default tiered JIT. Tools whose own loops are Java (dedup's planning) ask for tiered.
    # - JDK 25's AOT cache (JEP 483/515: classes loaded and linked ahead), on unless <NAME>_AOT=0:
    #   with C1 only the same migration took 22.5 s. (With tiered C2 and hashing in Java it once made
    #   the copy slower, so it was opt-in; the replayed profiles had C2 compile start-up code first.)
    # The first run that does real work records what it uses, and the cache is then built quietly
    # (both cost that one run some seconds); every later run starts from it, until it goes stale (see
    # below).
    jit=tiered
    for lib in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do
        if [ "$jit_mode" = c1 ] && [ "${!jit_var:-}" != full ] && [ -e "$lib/libxxhash.so.0" ]; then jit=c1; fi
    done
    if [ "$jit" = c1 ]; then run+=(-XX:TieredStopAtLevel=1); fi
    case $java in
        */bin/java) release=${java%/bin/java}/release ;;
        *) release=$(dirname "$(dirname "$(readlink -f "$(command -v "$java")")")")/release ;;   # java from PATH
    esac
    jdk=
    if [ -r "$release" ]; then
        while IFS= read -r line; do
            case $line in JAVA_VERSION=*) jdk=${line#JAVA_VERSION=\"}; jdk=${jdk%%[.\"]*} ;; esac
        done < "$release"
    fi
    if [ "$use_aot" = 1 ] && [ "${!aot_var:-1}" = 1 ] && [ -n "$jdk" ] && [ "$jdk" -ge 25 ] 2>/dev/null; then
        # The cache is for this class path and JIT mode; it is stale once any jar on the class path is
        # newer than it (a rebuild), and it is for another class path (another dependency version) if
        # the class path recorded beside it differs. The JVM would otherwise silently ignore it and
        # never be told to build a new one. (A jar replaced by an older file at the same path goes
        # unnoticed here; the JVM then runs without the cache, slower but correct.)
        # It is also for one CPU: JDK 25 keeps machine code in the cache (the adapters between
        # interpreted and compiled code, made for the CPU features of the machine that built it) and
        # maps it without checking them: a cache built on this AVX-512 host, run in the test VM (whose
        # emulated CPU has AVX2 at most), had its 517 adapters loaded. So the CPU's feature flags are
        # recorded beside the class path, and a cache from another CPU (this checkout used from the
        # VM, or copied to another machine) is built again instead of run.
        cpu=
        if [ -r /proc/cpuinfo ]; then
            while IFS= read -r line; do
                case $line in flags*:*|Features*:*) cpu=${line#*:}; cpu=${cpu# }; break ;; esac
            done < /proc/cpuinfo
        fi
        aot=$target/$name-$jit.aot
        fresh=0
        if [ -f "$aot" ] && [ -f "$aot.classpath" ]; then
            recorded= recorded_cpu=
            { read -r recorded; read -r recorded_cpu; } < "$aot.classpath" || true
            if [ "$recorded" = "$cp" ] && [ "$recorded_cpu" = "$cpu" ]; then fresh=1; fi
            IFS=: read -r -a entries <<< "$cp"
            for f in "${entries[@]}"; do
                if [ "$f" -nt "$aot" ]; then fresh=0; fi
            done
        fi
        case "${1:-}" in ""|-h|--help|-V|--version) ;;   # too little work to learn from
        *)
            if [ "$fresh" = 0 ] && [ -w "$target" ]; then
                conf=$aot.conf.$$
                rc=0
                "${run[@]}" -XX:AOTMode=record -XX:AOTConfiguration="$conf" \
                    -XX:+UnlockDiagnosticVMOptions -XX:-DisplayVMOutput -Xlog:disable \
                    "$main" "$@" || rc=$?
                if [ "$rc" = 0 ] && [ -f "$conf" ]; then
                    "${run[@]}" -XX:AOTMode=create -XX:AOTConfiguration="$conf" -XX:AOTCache="$aot.$$" \
                        >/dev/null 2>&1 && printf '%s\n%s' "$cp" "$cpu" > "$aot.classpath" && mv "$aot.$$" "$aot" || rm -f "$aot.$$"
                fi
                rm -f "$conf"
                exit "$rc"
            fi ;;
        esac
        if [ "$fresh" = 1 ]; then run+=(-XX:AOTCache="$aot"); fi
    fi
    exec "${run[@]}" "$main" "$@"
}
