#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `cmake --install` into a DESTDIR puts every file where SPEC §8 says, and a second
# install keeps the config file that the operator (or the admin API) changed.
# Usage: install_tree.sh CMAKE_COMMAND BUILD_DIR SOURCE_DIR SBIN_PATH CONFIG_DIR UNIT_DIR MAN_DIR
. "$(dirname "$0")/lib.sh"
cmake=$1
build=$2
src=$3
sbin_path=$4
config_dir=$5
unit_dir=$6
man_dir=$7
root=$scratch/root

# What already exists on this machine at the paths the install targets (DESTDIR-less).
host_paths="$sbin_path $config_dir/switchboard.toml $unit_dir/switchboard.service
    $man_dir/man8/switchboard.8.gz $man_dir/man5/switchboard.toml.5.gz"
host_before=$(for path in $host_paths; do [ -e "$path" ] && echo "$path"; done)

if ! out=$(DESTDIR="$root" "$cmake" --install "$build" 2>&1); then
    echo "$out" >&2
    fail "cmake --install failed"
    finish
fi

# Everything under DESTDIR, nothing beside it (the manifest lists paths without DESTDIR).
while read -r installed; do
    [ -e "$root$installed" ] || fail "$installed is in the install manifest but not in DESTDIR"
done <"$build/install_manifest.txt"
grep -qx "$config_dir/switchboard.toml" "$build/install_manifest.txt" ||
    fail "the config file is not in the install manifest"
host_after=$(for path in $host_paths; do [ -e "$path" ] && echo "$path"; done)
[ "$host_before" = "$host_after" ] || fail "the install wrote outside DESTDIR: $host_after"

# The binary, in sbin, and its compiled-in default is the installed config.
binary=$root$sbin_path
if [ ! -x "$binary" ]; then
    fail "no executable $binary"
else
    "$binary" --version | grep -q '^switchboard ' || fail "$binary --version"
    "$binary" --help | grep -qF "$config_dir/switchboard.toml" ||
        fail "$binary --help does not name $config_dir/switchboard.toml as the default"
fi

# The example config, mode 0640 (it may hold the admin token), byte for byte.
config=$root$config_dir/switchboard.toml
expect_file "$config" 640
cmp -s "$config" "$src/etc/switchboard.toml" || fail "$config differs from etc/switchboard.toml"
if [ -x "$binary" ]; then
    "$binary" -t -c "$config" >/dev/null || fail "the installed config does not pass -t"
fi

# The unit, with this prefix's paths.
unit=$root$unit_dir/switchboard.service
expect_file "$unit" 644
if [ -f "$unit" ]; then
    expect_grep "^Type=notify\$" "$unit" "unit"
    expect_grep "^ExecStartPre=$sbin_path -t -c $config_dir/switchboard.toml\$" "$unit" "unit"
    expect_grep "^ExecStart=$sbin_path -c $config_dir/switchboard.toml\$" "$unit" "unit"
    expect_grep '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" "unit"
    expect_grep "^Restart=on-failure\$" "$unit" "unit"
    expect_grep "^User=switchboard\$" "$unit" "unit"
    expect_grep "^Group=switchboard\$" "$unit" "unit"
    expect_grep "^ProtectSystem=strict\$" "$unit" "unit"
    expect_grep "^ReadWritePaths=$config_dir\$" "$unit" "unit"
    expect_grep "^StateDirectory=switchboard\$" "$unit" "unit"
    expect_grep "^CapabilityBoundingSet=\$" "$unit" "unit"
    expect_grep "^NoNewPrivileges=yes\$" "$unit" "unit"
    expect_grep "^PrivateTmp=yes\$" "$unit" "unit"
    expect_grep "^RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\$" "$unit" "unit"
    expect_grep "^WantedBy=multi-user.target\$" "$unit" "unit"
    # Only the two install paths differ from packaging/switchboard.service.
    sed -e "s#$sbin_path#/usr/sbin/switchboard#g" -e "s#$config_dir#/etc/switchboard#g" "$unit" |
        cmp -s - "$src/packaging/switchboard.service" ||
        fail "$unit differs from packaging/switchboard.service beyond the install paths"
fi

# The man pages, gzipped or not.
for page in man8/switchboard.8 man5/switchboard.toml.5; do
    base=$root$man_dir/$page
    if [ -f "$base.gz" ]; then
        gzip -dc "$base.gz" | cmp -s - "$src/man/$(basename "$page")" ||
            fail "$base.gz differs from man/$(basename "$page")"
        expect_file "$base.gz" 644
    elif [ -f "$base" ]; then
        cmp -s "$base" "$src/man/$(basename "$page")" || fail "$base differs from the source"
    else
        fail "no man page $base(.gz)"
    fi
done

# Installing again never overwrites an existing config: not the operator's edits, not
# the changes the admin API saved.
if [ -f "$config" ]; then
    echo '# edited by the operator' >>"$config"
    cp "$config" "$scratch/edited.toml"
    out=$(DESTDIR="$root" "$cmake" --install "$build" 2>&1) || fail "second cmake --install failed: $out"
    cmp -s "$config" "$scratch/edited.toml" || fail "the second install overwrote $config"
    printf '%s\n' "$out" | grep -q "Keeping existing: $config" ||
        fail "the second install did not say that it kept $config: $out"
fi

finish
