#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `cpack -G DEB` builds a package that installs SPEC §8's files at Debian's paths, with
# the config as a conffile and maintainer scripts that create the system user, and the
# copyright file (Apache-2.0, Debian's machine-readable format) and changelog Debian wants.
# It is checked with dpkg-deb, and with lintian when it is installed (make deps installs
# it): any error (E:) fails; warnings are printed. `dpkg -i` here would create a real user
# and write /etc on the test machine.
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
# The project's name and address, or the one the build was configured with.
maintainer=$(sed -n 's/^SWITCHBOARD_DEB_MAINTAINER:STRING=//p' "$build/CMakeCache.txt")
[ -n "$maintainer" ] || fail "no SWITCHBOARD_DEB_MAINTAINER in $build/CMakeCache.txt"
[ "$(field Maintainer)" = "$maintainer" ] ||
    fail "Maintainer: '$(field Maintainer)', configured: '$maintainer'"
printf '%s\n' "$(field Maintainer)" | grep -Eq '^[^<]+ <[^@<> ]+@[^@<> ]+\.[^@<> ]+>$' ||
    fail "Maintainer is not 'Name <user@domain>': $(field Maintainer)"
[ -n "$(field Description)" ] || fail "no Description"
depends=$(field Depends)
echo "Depends: $depends"
for package in libevent-2.1-7 libcjson1 libsystemd0 libssl3 adduser; do
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
-rw-r--r-- root/root ./usr/share/doc/switchboard/changelog.gz
-rw-r--r-- root/root ./usr/share/doc/switchboard/copyright
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

# The copyright file: Debian's machine-readable format, every file Apache-2.0, the licence
# paragraph pointing at the system's copy of the text; byte for byte the tracked file.
copyright=$root/usr/share/doc/switchboard/copyright
if [ -f "$copyright" ]; then
    cmp -s "$copyright" "$src/packaging/debian/copyright" ||
        fail "the packaged copyright differs from packaging/debian/copyright"
    [ "$(head -n 1 "$copyright")" = \
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" ] ||
        fail "copyright: the first line is not DEP-5's Format: $(head -n 1 "$copyright")"
    expect_grep '^Upstream-Name: switchboard$' "$copyright" "copyright"
    expect_grep '^Source: .' "$copyright" "copyright"
    expect_grep '^Files: \*$' "$copyright" "copyright"
    expect_grep '^Copyright: .' "$copyright" "copyright"
    [ "$(grep -c '^License: Apache-2.0$' "$copyright")" = 2 ] ||
        fail "copyright: want 'License: Apache-2.0' in the Files paragraph and as its own"
    expect_grep '/usr/share/common-licenses/Apache-2\.0' "$copyright" "copyright"
    if [ -f /usr/share/common-licenses/Apache-2.0 ] &&
        ! cmp -s /usr/share/common-licenses/Apache-2.0 "$src/LICENSE"; then
        fail "LICENSE is not the text of /usr/share/common-licenses/Apache-2.0"
    fi
fi

# The changelog: Debian's format, gzipped, its newest entry this version.
changelog=$root/usr/share/doc/switchboard/changelog.gz
if [ -f "$changelog" ]; then
    gzip -dc "$changelog" | cmp -s - "$src/packaging/debian/changelog" ||
        fail "the packaged changelog.gz differs from packaging/debian/changelog"
    gzip -dc "$changelog" | head -n 1 | grep -q "^switchboard ($version) " ||
        fail "changelog: the newest entry is not $version: $(gzip -dc "$changelog" | head -n 1)"
fi

# md5sums lists every file and they match.
if [ -f "$scratch/control/md5sums" ]; then
    (cd "$root" && md5sum --quiet -c "$scratch/control/md5sums") >"$scratch/md5.out" 2>&1 ||
        fail "md5sums does not match the files: $(cat "$scratch/md5.out")"
    [ "$(wc -l <"$scratch/control/md5sums")" = "$(wc -l <"$scratch/files")" ] ||
        fail "md5sums lists $(wc -l <"$scratch/control/md5sums") files, the package has $(wc -l <"$scratch/files")"
else
    fail "the control archive has no md5sums"
fi

# lintian, Debian's package checker: no error. Its warnings are printed, not fatal.
if command -v lintian >/dev/null 2>&1; then
    lintian --fail-on none --tag-display-limit 0 "$deb" >"$scratch/lintian" 2>&1 ||
        fail "lintian did not run: $(cat "$scratch/lintian")"
    echo "lintian:"
    sed 's/^/  /' "$scratch/lintian"
    if grep -q '^E: ' "$scratch/lintian"; then
        fail "lintian reports errors: $(grep '^E: ' "$scratch/lintian")"
    fi
else
    echo "lintian is not installed (make deps installs it): not run"
fi

finish
