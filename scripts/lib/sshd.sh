# scripts/lib/sshd.sh — the sshd_config of a test sshd. Sourced (never run).

SSHD_BIN=${SSHD_BIN:-/usr/sbin/sshd}

# sshd_config OPTION=VALUE...: print an sshd_config. Options (defaults):
#   title=        first line, a comment saying who wrote the file
#   port= listen= pidfile=
#   hostkey=      repeatable, in order
#   syslog=       SyslogFacility (none)
#   root_login=   PermitRootLogin (yes)
#   password=     PasswordAuthentication (yes)
#   strict=       StrictModes (yes)
#   authorized_keys=  AuthorizedKeysFile (.ssh/authorized_keys)
#   sessions=     MaxSessions (64)
#   stream=       AllowStreamLocalForwarding (yes)
#   sftp=         yes: the sftp subsystem (yes)
#   extra=        lines appended as they are
# Everything else: public-key logins, no PAM, TCP forwarding, VERBOSE logging.
sshd_config() {
  local -A o=([title]="" [port]="" [listen]="" [pidfile]="" [syslog]="" [root_login]=yes [password]=yes
    [strict]=yes [authorized_keys]=.ssh/authorized_keys [sessions]=64 [stream]=yes [sftp]=yes [extra]="")
  local hostkeys=() kv k
  for kv in "$@"; do
    k=${kv%%=*}
    [[ $kv == *=* && -v o[$k] || $k == hostkey ]] || die "sshd_config: unknown option '$kv'"
    if [[ $k == hostkey ]]; then hostkeys+=("${kv#*=}"); else o[$k]=${kv#*=}; fi
  done
  printf '# %s\n' "${o[title]}"
  printf 'Port %s\nListenAddress %s\nAddressFamily inet\n' "${o[port]}" "${o[listen]}"
  for k in "${hostkeys[@]}"; do printf 'HostKey %s\n' "$k"; done
  printf 'PidFile %s\nLogLevel VERBOSE\n' "${o[pidfile]}"
  [[ -z ${o[syslog]} ]] || printf 'SyslogFacility %s\n' "${o[syslog]}"
  cat <<EOC
PermitRootLogin ${o[root_login]}
PubkeyAuthentication yes
PasswordAuthentication ${o[password]}
PermitEmptyPasswords no
KbdInteractiveAuthentication no
UsePAM no
StrictModes ${o[strict]}
AuthorizedKeysFile ${o[authorized_keys]}
MaxSessions ${o[sessions]}
MaxStartups 256
MaxAuthTries 10
LoginGraceTime 30
UseDNS no
AllowTcpForwarding yes
AllowStreamLocalForwarding ${o[stream]}
AllowAgentForwarding yes
X11Forwarding no
PermitTunnel no
GatewayPorts no
PrintMotd no
PrintLastLog no
EOC
  [[ ${o[sftp]} != yes ]] || printf 'Subsystem sftp /usr/lib/openssh/sftp-server\n'
  [[ -z ${o[extra]} ]] || printf '%s\n' "${o[extra]}"
}

# write_sshd_config FILE CONTENT: write FILE (0600) if CONTENT differs; true if it changed.
write_sshd_config() {
  local file=$1 new=$2
  [[ ! -f $file || $(<"$file") != "$new" ]] || return 1
  printf '%s\n' "$new" >"$file"
  chmod 0600 "$file"
}
