#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The .deb's maintainer scripts do the right things, run against stand-ins for adduser,
# chown, deb-systemd-helper and the rest that only record their calls: a real run would
# create a system user and write /etc on this machine.
# Usage: maintainer_scripts.sh GENERATED_SCRIPTS_DIR
. "$(dirname "$0")/lib.sh"
scripts=$1
conf=$scratch/etc-switchboard
log=$scratch/calls
bin=$scratch/bin
mkdir -p "$bin"

# One recording stand-in for every program the scripts may run. Exit statuses are set by
# the scenario: GETENT (user exists: 0), STATOVERRIDE (override set: 0), WAS_ENABLED.
cat >"$bin/stub" <<'STUB'
#!/bin/sh
echo "${0##*/} $*" >>"$CALLS"
case "${0##*/} $*" in
"getent "*) exit "${GETENT:-2}" ;;
"dpkg-statoverride "*) exit "${STATOVERRIDE:-1}" ;;
"deb-systemd-helper --quiet was-enabled "*) exit "${WAS_ENABLED:-0}" ;;
esac
exit 0
STUB
chmod +x "$bin/stub"
all_stubs="getent adduser useradd chown chmod dpkg-statoverride deb-systemd-helper \
    deb-systemd-invoke systemctl"
install_stubs() {
    for link in "$bin"/*; do
        if [ -L "$link" ]; then rm -f "$link"; fi
    done
    for name in "$@"; do ln -sf stub "$bin/$name"; done
    ln -sf "$(command -v rm)" "$bin/rm"
}

# Runs SCRIPT ARGS... with CONFIG_DIR pointed at the scratch directory and PATH holding
# only the stand-ins, so any program the scripts call without a stand-in fails the run.
run() {
    script=$1
    shift
    sed "s#^CONFIG_DIR=.*#CONFIG_DIR=\"$conf\"#" "$scripts/$script" >"$scratch/$script"
    : >"$log"
    CALLS=$log PATH=$bin /bin/sh -e "$scratch/$script" "$@" >"$scratch/out" 2>&1
}
called() { grep -qxF -- "$1" "$log" || fail "$2: expected call '$1'; calls: $(tr '\n' ';' <"$log")"; }
not_called() { ! grep -q -- "$1" "$log" || fail "$2: unexpected call '$1'; calls: $(tr '\n' ';' <"$log")"; }
if [ -d /run/systemd/system ]; then systemd_running=yes; else systemd_running=no; fi

mkdir -p "$conf"
touch "$conf/switchboard.toml"

# A first installation: the user is created, owns the directory, the unit is enabled.
install_stubs $all_stubs
run postinst configure || fail "postinst configure failed: $(cat "$scratch/out")"
called "adduser --system --group --no-create-home --home /nonexistent --quiet switchboard" "install"
called "chown switchboard:switchboard $conf" "install"
called "chmod 0750 $conf" "install"
called "chown switchboard:switchboard $conf/switchboard.toml" "install"
called "chmod 0640 $conf/switchboard.toml" "install"
called "deb-systemd-helper enable switchboard.service" "install"
if [ "$systemd_running" = yes ]; then
    called "deb-systemd-invoke start switchboard.service" "install"
else
    not_called "systemctl" "install without a running systemd"
    not_called "deb-systemd-invoke" "install without a running systemd"
fi

# An upgrade: the user exists, and an administrator's `systemctl disable` is kept.
GETENT=0 WAS_ENABLED=1 run postinst configure 0.0.9 || fail "postinst upgrade failed: $(cat "$scratch/out")"
not_called "adduser" "upgrade"
not_called "deb-systemd-helper enable" "upgrade"
called "deb-systemd-helper update-state switchboard.service" "upgrade"

# dpkg-statoverride wins over the default owner and mode.
STATOVERRIDE=0 run postinst configure || fail "postinst with statoverride failed"
not_called "chown" "statoverride"

# Without adduser, useradd makes the same system user.
install_stubs getent useradd chown chmod dpkg-statoverride
run postinst configure || fail "postinst with useradd failed: $(cat "$scratch/out")"
called "useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin switchboard" "useradd"

# Without any systemd tool at all (a container, a chroot), it still succeeds.
run postinst configure || fail "postinst without systemd tools failed: $(cat "$scratch/out")"
install_stubs $all_stubs
run postinst frobnicate && fail "postinst accepted an unknown action"

# Removal and purge.
run prerm remove || fail "prerm remove failed: $(cat "$scratch/out")"
run postrm remove || fail "postrm remove failed: $(cat "$scratch/out")"
called "deb-systemd-helper mask switchboard.service" "remove"
[ -d "$conf" ] || fail "postrm remove deleted the configuration directory"
run postrm purge || fail "postrm purge failed: $(cat "$scratch/out")"
called "deb-systemd-helper purge switchboard.service" "purge"
[ ! -e "$conf" ] || fail "postrm purge left $conf"
not_called "deluser" "purge"

finish
