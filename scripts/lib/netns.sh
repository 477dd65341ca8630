# scripts/lib/netns.sh — hosts in network namespaces: what runs in one, its sshd.
# Sourced (never run); needs log.sh and proc.sh.

netns_exists() { [[ -e /run/netns/$1 ]]; }

# netns_pids NS: every process whose network namespace is NS.
netns_pids() {
  netns_exists "$1" || return 0
  ip netns pids "$1" 2>/dev/null || true
}

# netns_listening NS PORT: something listens on TCP PORT inside NS.
netns_listening() { [[ -n $(ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null || true) ]]; }

# netns_sshds NS [PID...]: the sshd processes among PIDs and in NS (listener
# and sessions), each followed by what it runs.
netns_sshds() {
  local ns=$1 p c
  local -A seen=()
  shift
  for p in "$@" $(netns_pids "$ns"); do
    [[ -n ${seen[$p]:-} ]] && continue
    seen[$p]=1
    [[ $(cat "/proc/$p/comm" 2>/dev/null) == sshd* ]] || continue
    printf '%s\n' "$p"
    for c in $(descendants "$p"); do printf '%s\n' "$c"; done
  done
}

# netns_stop_sshd NS WHAT [PID...]: stop the sshd listener and every sshd
# process in NS (sessions included), together with what those run.
netns_stop_sshd() {
  local ns=$1 what=$2 victims
  shift 2
  victims=$(netns_sshds "$ns" "$@" | sort -un | tr '\n' ' ')
  victims=${victims% }
  [[ -n $victims ]] || return 0
  log "stopping $what (pids $victims)"
  # shellcheck disable=SC2086
  terminate 10 $victims
}
