# scripts/lib/log.sh — messages, usage and small checks for the test-host scripts.
# Sourced (never run). The sourcing script sets PROG (the prefix of its messages).

T0=$EPOCHREALTIME
elapsed() { awk -v s="$T0" -v e="$EPOCHREALTIME" 'BEGIN{printf "%.1f", e-s}'; }
log() { printf '%s: [%5ss] %s\n' "$PROG" "$(elapsed)" "$*" >&2; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# usage: the script's header comment (line 2 up to `set -euo`), on stderr; exit 2.
usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2
  exit 2
}

# require_root_for WHY: die unless running as root.
require_root_for() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (it manages $1)"
}

json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

shell_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
