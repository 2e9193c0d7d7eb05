# Sourced by the VM halves of the migrate benchmarks (needs ROOT): what each program's run reads,
# so that a benchmark can read it back into the page cache after dropping the caches (see
# migrate-bench-vm.sh for why).
#   libs BINARY          the shared libraries ldd names for BINARY
#   tool_files           fills TOOL_FILES: the JDK's lib and conf (without src.zip and ct.sym), the
#                        launcher, its class path and AOT cache, lvm and its libraries, libxxhash
#   cold_data_warm_program PROGRAM
#                        drops the page cache, then reads back PROGRAM's files (tool*: TOOL_FILES,
#                        which tool_files must have filled; otherwise the binary and its libraries),
#                        then waits QVM_BENCH_SETTLE seconds (default 2; see below)
libs() { ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'; }
tool_files() {
  local java jdk f
  java=$(for j in /usr/lib/jvm/*25*/bin/java; do [ -x "$j" ] && echo "$j" && break; done)
  jdk=${java%/bin/java}
  TOOL_FILES=()
  # A here-string, not <(...): the VM has no /dev/fd.
  while IFS= read -r f; do [ -f "$f" ] && TOOL_FILES+=("$f"); done <<< "$(
    find "$jdk/lib" "$jdk/conf" "$jdk/bin/java" "$jdk/release" -type f ! -name src.zip ! -name ct.sym
    printf '%s\n' "$ROOT/qvm-to-lvm" "$ROOT/migrate-tool/target/launch-classpath.txt"
    tr ':' '\n' < "$ROOT/migrate-tool/target/launch-classpath.txt"; echo
    ls "$ROOT"/migrate-tool/target/*.jar "$ROOT"/migrate-tool/target/qvm-to-lvm-*.aot* 2>/dev/null
    command -v lvm; libs "$(command -v lvm)"; libs "$java"; ls /usr/lib/x86_64-linux-gnu/libxxhash.so.0* 2>/dev/null)"
}
cold_data_warm_program() {
  sync; echo 3 > /proc/sys/vm/drop_caches
  case $1 in
    tool*) cat "${TOOL_FILES[@]}" > /dev/null ;;
    *) local bin; bin=$(command -v "$1"); cat "$bin" $(libs "$bin") > /dev/null ;;
  esac
  # Why the wait: in this VM a buffered read that starts right after drop_caches is far slower
  # than one started a second later. qemu-img convert of image (a) (8 GiB sparse, 1 GiB data),
  # three rounds in one boot (2026-12-04, 19:25 UTC): 12.43 / 11.15 / 9.26 s when it started at
  # once, 7.51 / 6.89 / 5.28 s after `sleep 1`, 6.33 / 6.27 / 5.31 s when only the source's pages
  # had been evicted (no drop_caches at all). In the boot before, strace put the difference in its
  # source reads (pread64 47.7 s summed over its threads right after the drop, 16.4 s without
  # it). The tool was not hit: its reads are O_DIRECT and start after its JVM has started. Every
  # program now gets the same pause, untimed.
  sleep "${QVM_BENCH_SETTLE:-2}"
}
