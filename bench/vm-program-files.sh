# Sourced by the VM halves of the migrate benchmarks (needs ROOT): what each program's run reads,
# so that a benchmark can read it back into the page cache after dropping the caches (see
# migrate-bench-vm.sh for why).
#   libs BINARY          the shared libraries ldd names for BINARY
#   tool_files           fills TOOL_FILES: the JDK's lib and conf (without src.zip and ct.sym), the
#                        launcher, its class path and AOT cache, lvm and its libraries, libxxhash
#   cold_data_warm_program PROGRAM
#                        drops the page cache, then reads back PROGRAM's files (tool*: TOOL_FILES,
#                        which tool_files must have filled; otherwise the binary and its libraries)
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
}
