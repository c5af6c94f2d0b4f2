#!/bin/sh
# `cpack -G DEB` builds a package that installs SPEC §8's files at Debian's paths, with
# the config as a conffile and maintainer scripts that create the system user.
# It is checked with dpkg-deb only: `dpkg -i` here would create a real user and write
# /etc on the test machine.
# Usage: deb_package.sh CPACK_COMMAND USR_BUILD_DIR SOURCE_DIR
. "$(dirname "$0")/lib.sh"
cpack=$1
build=$2
src=$3
need dpkg-deb dpkg

out=$scratch/out
if ! log=$(cd "$build" && "$cpack" -G DEB -B "$out" 2>&1); then
    echo "$log" >&2
    fail "cpack -G DEB failed"
    finish
fi
set -- "$out"/switchboard_*.deb
deb=$1
if [ ! -f "$deb" ]; then
    fail "no switchboard_*.deb in $out: $(ls "$out")"
    finish
fi
echo "built $(basename "$deb")"

# Control fields.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = switchboard ] || fail "Package: $(field Package)"
version=$("$build/switchboard" --version | sed -n 's/^switchboard //p')
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), binary says $version"
if command -v dpkg >/dev/null 2>&1; then
    [ "$(field Architecture)" = "$(dpkg --print-architecture)" ] ||
        fail "Architecture: $(field Architecture)"
fi
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
[ -n "$(field Description)" ] || fail "no Description"
depends=$(field Depends)
echo "Depends: $depends"
for package in libevent-2.1-7 libcjson1 libsystemd0 adduser; do
    printf '%s\n' "$depends" | grep -q "\\b$package\\b" || fail "Depends lacks $package: $depends"
done
if grep -q '^SWITCHBOARD_DPKG_SHLIBDEPS:FILEPATH=/' "$build/CMakeCache.txt" &&
    grep -q '^SWITCHBOARD_FILE_PROGRAM:FILEPATH=/' "$build/CMakeCache.txt"; then
    # dpkg-shlibdeps ran: it adds versioned dependencies, libc6 among them.
    printf '%s\n' "$depends" | grep -q 'libc6 (>=' ||
        fail "dpkg-shlibdeps was found but Depends has no versioned libc6: $depends"
fi

# The file list: exactly these files, owned by root, with these modes.
dpkg-deb -c "$deb" >"$scratch/contents"
awk '$1 !~ /^d/ { print $1, $2, $6 }' "$scratch/contents" | sort >"$scratch/files"
sort >"$scratch/expected" <<'LIST'
-rw-r----- root/root ./etc/switchboard/switchboard.toml
-rw-r--r-- root/root ./lib/systemd/system/switchboard.service
-rw-r--r-- root/root ./usr/share/man/man5/switchboard.toml.5.gz
-rw-r--r-- root/root ./usr/share/man/man8/switchboard.8.gz
-rwxr-xr-x root/root ./usr/sbin/switchboard
LIST
diff -u "$scratch/expected" "$scratch/files" >"$scratch/files.diff" ||
    fail "dpkg-deb -c: unexpected file list: $(cat "$scratch/files.diff")"

# Control archive: the config is a conffile; the scripts are executable, valid sh, and
# about the right directory.
dpkg-deb -e "$deb" "$scratch/control"
[ "$(cat "$scratch/control/conffiles" 2>/dev/null)" = /etc/switchboard/switchboard.toml ] ||
    fail "conffiles is not exactly /etc/switchboard/switchboard.toml: $(cat "$scratch/control/conffiles" 2>&1)"
for script in postinst prerm postrm; do
    expect_file "$scratch/control/$script" 755
    sh -n "$scratch/control/$script" || fail "$script is not valid sh"
done
expect_grep '^CONFIG_DIR="/etc/switchboard"$' "$scratch/control/postinst" "postinst"
expect_grep 'adduser --system --group --no-create-home --home /nonexistent' \
    "$scratch/control/postinst" "postinst"
expect_grep 'chown switchboard:switchboard' "$scratch/control/postinst" "postinst"
expect_grep '^CONFIG_DIR="/etc/switchboard"$' "$scratch/control/postrm" "postrm"

# The files themselves.
dpkg-deb -x "$deb" "$scratch/root"
root=$scratch/root
cmp -s "$root/lib/systemd/system/switchboard.service" "$src/packaging/switchboard.service" ||
    fail "the packaged unit differs from packaging/switchboard.service"
cmp -s "$root/etc/switchboard/switchboard.toml" "$src/etc/switchboard.toml" ||
    fail "the packaged config differs from etc/switchboard.toml"
for page in man8/switchboard.8 man5/switchboard.toml.5; do
    gzip -dc "$root/usr/share/man/$page.gz" | cmp -s - "$src/man/${page#*/}" ||
        fail "the packaged $page differs from man/${page#*/}"
done
binary=$root/usr/sbin/switchboard
"$binary" --version >/dev/null || fail "the packaged binary does not run"
"$binary" --help | grep -qF /etc/switchboard/switchboard.toml ||
    fail "the packaged binary's default config is not /etc/switchboard/switchboard.toml"
"$binary" -t -c "$root/etc/switchboard/switchboard.toml" >/dev/null ||
    fail "the packaged config does not pass switchboard -t"
if command -v file >/dev/null 2>&1; then
    file -L "$binary" | grep -q ', stripped' || fail "the packaged binary is not stripped"
fi

finish
