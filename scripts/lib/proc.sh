# scripts/lib/proc.sh — processes: liveness, pid files, process trees, stopping,
# starting daemons without inherited descriptors, who listens where.
# Sourced (never run); needs log.sh. TIMEOUT (seconds) bounds waits for daemons.

# running PID: alive and not a zombie (init may be slow to reap orphans).
running() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}

# live_pid FILE COMM-PREFIX [CMDLINE-SUBSTRING]: print the pid recorded in FILE
# if that process is alive and looks like what we started.
live_pid() {
  local file=$1 comm=$2 want=${3:-} pid c cmd
  [[ -s $file ]] || return 1
  pid=$(<"$file")
  pid=${pid//[!0-9]/}
  [[ -n $pid ]] || return 1
  running "$pid" || return 1
  c=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  [[ $c == "$comm"* ]] || return 1
  if [[ -n $want ]]; then
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ $cmd == *"$want"* ]] || return 1
  fi
  printf '%s\n' "$pid"
}

descendants() {
  local c
  for c in $(pgrep -P "$1" || true); do
    printf '%s\n' "$c"
    descendants "$c"
  done
}

# wait_gone SECONDS PID...: true once none of the pids is running.
wait_gone() {
  local secs=$1 p alive i
  shift
  for ((i = 0; i < secs * 10; i++)); do
    alive=0
    for p in "$@"; do running "$p" && alive=1 && break; done
    [[ $alive -eq 0 ]] && return 0
    sleep 0.1
  done
  return 1
}

# terminate SECONDS PID...: SIGTERM, bounded wait, then SIGKILL.
terminate() {
  local secs=$1
  shift
  [[ $# -gt 0 ]] || return 0
  kill -TERM "$@" 2>/dev/null || true
  if ! wait_gone "$secs" "$@"; then
    warn "pid(s) $* did not exit within ${secs}s, sending SIGKILL"
    kill -KILL "$@" 2>/dev/null || true
    wait_gone 5 "$@" || true
  fi
}

# stop_daemon PID WHAT: stop a daemon and its process tree (dockerd: containerd
# and the shims). SIGTERM, up to TIMEOUT seconds, then SIGKILL for the whole
# tree; what of the tree outlives the daemon is terminated too. False if PID
# survives SIGKILL.
stop_daemon() {
  local pid=$1 what=$2 kids p left=() i
  kids=$(descendants "$pid")
  log "stopping $what (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_gone "$TIMEOUT" "$pid"; then
    warn "$what did not exit within ${TIMEOUT}s; killing it and its children"
    # shellcheck disable=SC2086
    kill -KILL "$pid" $kids 2>/dev/null || true
    wait_gone 10 "$pid" || return 1
  fi
  for p in $kids; do running "$p" && left+=("$p"); done
  [[ ${#left[@]} -eq 0 ]] || terminate 10 "${left[@]}"
  # Give init a moment to reap it.
  for ((i = 0; i < 50; i++)); do [[ -e /proc/$pid ]] || break; sleep 0.1; done
  return 0
}

# without_fds CMD...: run CMD with no open descriptor beyond 0-2 (redirect
# those at the call). A descriptor inherited from the caller, such as the lock
# flock(1) holds while running this script, would otherwise live on in a
# daemon and hold that lock for as long as the daemon runs.
without_fds() {
  (
    local fd
    for fd in $(ls "/proc/$BASHPID/fd"); do
      [[ $fd -gt 2 ]] && eval "exec $fd>&-"
    done
    exec "$@"
  )
}

# spawn_daemon CMD...: like without_fds, in its own session, in the
# background; $! is CMD's pid.
spawn_daemon() {
  (
    local fd
    for fd in $(ls "/proc/$BASHPID/fd"); do
      [[ $fd -gt 2 ]] && eval "exec $fd>&-"
    done
    exec setsid "$@"
  ) &
}

port_listener() { ss -Hltnp "sport = :$1" 2>/dev/null || true; }

# socket_listeners PATH: pids (space-separated) of the processes listening on
# the unix socket PATH. A daemon is judged by its socket, never by its name:
# other dockerds (the decoy, test sandboxes, nodes) may run beside ours.
socket_listeners() {
  { ss -Hxlp src "$1" 2>/dev/null || true; } | awk -v p="$1" '$5 == p' | { grep -o 'pid=[0-9]*' || true; } |
    cut -d= -f2 | sort -un | tr '\n' ' ' | sed 's/ $//'
}

# docker_answers_on SOCKET: the dockerd on this unix socket answers.
docker_answers_on() { docker -H "unix://$1" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
