#!/usr/bin/env bash
# Builds the Debian package with CPack and checks it the way a Debian maintainer and a user on a
# clean system would:
#   1. lintian: any error fails (warnings and infos are shown); hardening-check on the programs;
#      appstreamcli validate on the AppStream metainfo;
#   2. a minimal Debian 12 (debootstrap --variant=minbase bookworm, from the archive this
#      machine's apt uses): `apt-get install ./modelfloat_*.deb` resolves every dependency
#      (without Recommends: Depends alone must be enough; the default install with Recommends is
#      resolved too, without unpacking), then, as a normal user: `modelfloat-cli --version`
#      says the package's version, a float and a restore compare equal with cmp, the GUI's
#      window appears under Xvfb and SIGTERM ends it cleanly (no socket left), and
#      `apt-get purge` leaves none of the package's files.
# The debootstrapped root and the downloaded packages are cached in
# ${PACKAGE_CHECK_CACHE:-~/.cache/modelfloat/package-check} (never in the repository); each run
# works on a throw-away overlay of the cached root. If the archive cannot be reached, this says
# so and fails. Needs root (or sudo) for debootstrap, mounts and chroot.
#   scripts/package-check.sh [BUILD_DIR]     (default: build-ci, else build)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

build="${1:-}"
if [ -z "$build" ]; then
    build=build-ci
    [ -f "$build/CPackConfig.cmake" ] || build=build
fi
build=$(cd "$build" && pwd)
[ -f "$build/CPackConfig.cmake" ] || { echo "package-check: no CMake build in $build" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
    # Mounts and chroot need root; the cache stays this user's.
    exec sudo env PACKAGE_CHECK_CACHE="${PACKAGE_CHECK_CACHE:-$HOME/.cache/modelfloat/package-check}" \
        "$0" "$build"
fi
cache="${PACKAGE_CHECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/modelfloat/package-check}"
case "$cache" in "$repo"/*) echo "package-check: the cache must not be in the repository" >&2; exit 1 ;; esac
mkdir -p "$cache"

started=$SECONDS
step() { echo "== package-check: $* ($((SECONDS - started)) s)"; }
fail() { echo "package-check: FAILED: $*" >&2; exit 1; }

# ---- 1. Build the package, lintian, hardening-check, appstreamcli ---------------------------
step "building the .deb with CPack"
cmake --build "$build" >"$cache/build.log" 2>&1 || { tail -n 40 "$cache/build.log"; fail "the build"; }
out="$build/package-check"
rm -rf "$out"
mkdir -p "$out"
(cd "$out" && cpack --config "$build/CPackConfig.cmake" -G DEB >cpack.log 2>&1) ||
    { cat "$out/cpack.log"; fail "cpack"; }
deb=$(ls "$out"/*.deb)
version=$(dpkg-deb -f "$deb" Version)
echo "$(basename "$deb"): version $version"
dpkg-deb -f "$deb" Depends Recommends Suggests

step "lintian"
lintian_status=0
lintian --display-info --fail-on error "$deb" >"$out/lintian.log" 2>&1 || lintian_status=$?
# As root lintian says it would rather not be; its verdict is the same.
grep -v "running with root privileges" "$out/lintian.log" || true
[ $lintian_status -eq 0 ] || fail "lintian reported errors"

step "hardening-check"
mkdir -p "$out/contents"
dpkg-deb -x "$deb" "$out/contents"
# PIE, stack protector, RELRO and BIND_NOW are checked in the binaries. FORTIFY_SOURCE shows in
# a binary only as calls to __*_chk functions, which the compiler emits only where it knows a
# buffer's size but not the length written; these programs leave such I/O to Qt, so the check
# would say "only unprotected functions found" whatever the flags (lintian's
# hardening-no-fortify-functions says the same, an info it documents as a possible false
# positive). So every compile command of the build must have carried -D_FORTIFY_SOURCE=2.
# Control-flow protection is not asked of Debian packages (Debian 12's own C runtime objects
# are built without it, so no program linked with them can have it).
hardening-check "$out/contents/usr/bin/"* || true
hardening-check --nofortify --nocfprotection --quiet "$out/contents/usr/bin/"* ||
    fail "hardening-check"
commands=$(grep -c '"command"' "$build/compile_commands.json")
fortified=$(grep '"command"' "$build/compile_commands.json" | grep -c -- '-D_FORTIFY_SOURCE=2 ') || true
echo "FORTIFY_SOURCE=2 in $fortified of $commands compile commands"
[ "$fortified" -eq "$commands" ] || fail "not every file was compiled with -D_FORTIFY_SOURCE=2"

step "appstreamcli validate"
appstreamcli validate --no-net "$out"/contents/usr/share/metainfo/*.metainfo.xml ||
    fail "appstreamcli validate"
[ -f "$out/contents/usr/share/man/man1/modelfloat.1.gz" ] &&
    [ -f "$out/contents/usr/share/man/man1/modelfloat-cli.1.gz" ] ||
    fail "the manual pages are missing (is help2man installed?)"

# ---- 2. The archive apt uses -----------------------------------------------------------------
# Every enabled "deb" entry of this machine's apt sources whose suite is bookworm or a
# bookworm-* suite, as "URI SUITE COMPONENTS [SIGNED-BY]" (one-line and deb822 formats).
apt_entries() {
    {
        cat /etc/apt/sources.list 2>/dev/null || true
        for f in /etc/apt/sources.list.d/*.list; do if [ -f "$f" ]; then cat "$f"; fi; done
    } | awk '
        /^[ \t]*deb[ \t]/ {
            signed = ""; i = 2
            if ($2 ~ /^\[/) {
                for (; i <= NF; i++) {
                    if ($i ~ /signed-by=/) { s = $i; sub(/.*signed-by=/, "", s); sub(/\].*/, "", s); signed = s }
                    if ($i ~ /\]$/) { i++; break }
                }
            }
            uri = $i; suite = $(i + 1); comps = ""
            for (j = i + 2; j <= NF; j++) comps = comps (comps ? "," : "") $j
            print uri, suite, comps, signed
        }'
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '
            function flush() {
                if (types ~ /(^| )deb( |$)/ && enabled != "no")
                    for (u in uris) for (s in suites) print uris[u], suites[s], comps, signed
                delete uris; delete suites; types = ""; comps = ""; signed = ""; enabled = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            {
                key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
                if (key == "types") types = $0
                else if (key == "uris") { n = split($0, a, " "); for (k = 1; k <= n; k++) uris[k] = a[k] }
                else if (key == "suites") { n = split($0, a, " "); for (k = 1; k <= n; k++) suites[k] = a[k] }
                else if (key == "components") { comps = $0; gsub(/ +/, ",", comps) }
                else if (key == "signed-by") signed = $0
                else if (key == "enabled") enabled = tolower($0)
            }
            END { flush() }' "$f"
    done
}
mapfile -t entries < <(apt_entries | awk '$2 == "bookworm" || $2 ~ /^bookworm-/')
mirror=""
for e in "${entries[@]}"; do
    read -r uri suite _ <<<"$e"
    [ "$suite" = bookworm ] && { mirror=$uri; break; }
done
[ -n "$mirror" ] || fail "this machine's apt sources have no Debian bookworm archive to build a clean root from"
echo "archive: $mirror (suites: $(printf '%s\n' "${entries[@]}" | awk '{print $2}' | sort -u | xargs))"
unreachable() {
    echo "package-check: FAILED: cannot reach the Debian archive at $mirror: $*" >&2
    echo "package-check: the clean-system check did not run; it needs the archive apt uses." >&2
    exit 1
}

# ---- 3. The cached minimal root --------------------------------------------------------------
arch=$(dpkg --print-architecture)
base="$cache/bookworm-minbase-$arch"
if [ ! -f "$base/.complete" ] || [ "$(cat "$base/.complete")" != "$mirror" ]; then
    step "debootstrap --variant=minbase bookworm (first run: cached in $base)"
    rm -rf "$base" "$base.partial"
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    debootstrap --variant=minbase --keyring="$keyring" bookworm "$base.partial" "$mirror" \
        >"$cache/debootstrap.log" 2>&1 || {
        tail -n 20 "$cache/debootstrap.log" >&2
        rm -rf "$base.partial"
        unreachable "debootstrap failed (log: $cache/debootstrap.log)"
    }
    # A clean system with one normal user; no service starts inside the chroot.
    chroot "$base.partial" useradd --create-home --uid 4242 --shell /bin/sh user
    printf '#!/bin/sh\nexit 101\n' >"$base.partial/usr/sbin/policy-rc.d"
    chmod 755 "$base.partial/usr/sbin/policy-rc.d"
    echo force-unsafe-io >"$base.partial/etc/dpkg/dpkg.cfg.d/unsafe-io" # a throw-away root
    chroot "$base.partial" apt-get clean
    echo "$mirror" >"$base.partial/.complete"
    mv "$base.partial" "$base"
fi

# ---- 4. A throw-away overlay of it, with proc/sys/dev for apt --------------------------------
run=$(mktemp -d "$cache/run.XXXXXX")
root="$run/root"
mounts=()
gui_pid=""
xvfb_pid=""
cleanup() {
    local status=$?
    [ -n "$gui_pid" ] && kill -KILL "$gui_pid" 2>/dev/null
    [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
        umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" 2>/dev/null ||
            echo "package-check: could not unmount ${mounts[i]}" >&2
    done
    rm -rf "$run"
    echo "== package-check: $([ $status -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - started)) s"
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mount_in() { mount "$@" && mounts+=("${!#}"); }

mkdir -p "$root" "$run/upper" "$run/work"
if ! mount_in -t overlay overlay -o "lowerdir=$base,upperdir=$run/upper,workdir=$run/work" "$root"; then
    echo "(no overlayfs here: copying the root)"
    rmdir "$root"
    cp -a "$base" "$root"
fi
mount_in -t proc proc "$root/proc"
mount_in -t sysfs sysfs "$root/sys"
mount_in --bind /dev "$root/dev"
mount_in --bind /dev/pts "$root/dev/pts"
mkdir -p "$cache/apt-archives/partial"
mount_in --bind "$cache/apt-archives" "$root/var/cache/apt/archives" # downloads kept between runs
mkdir -p "$root/tmp/.X11-unix"
mount_in --bind /tmp/.X11-unix "$root/tmp/.X11-unix"
cp /etc/resolv.conf "$root/etc/resolv.conf"
: >"$root/etc/apt/sources.list"
for e in "${entries[@]}"; do
    read -r uri suite comps signed <<<"$e"
    echo "deb ${signed:+[signed-by=$signed] }$uri $suite ${comps//,/ }" >>"$root/etc/apt/sources.list"
done
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"; }

step "apt-get update in the clean root"
in_root apt-get update --error-on=any -q >"$run/update.log" 2>&1 ||
    { cat "$run/update.log" >&2; unreachable "apt-get update failed"; }

step "apt-get install ./$(basename "$deb") (Depends only)"
cp "$deb" "$root/tmp/"
pkg="/tmp/$(basename "$deb")"
# With Recommends, as apt installs by default: resolved only, not unpacked.
in_root apt-get install -s -q "$pkg" >"$run/simulate.log" 2>&1 ||
    { cat "$run/simulate.log" >&2; fail "the install with Recommends does not resolve"; }
echo "with Recommends apt would install $(grep -c '^Inst ' "$run/simulate.log") packages"
in_root apt-get install -y -q --no-install-recommends "$pkg" >"$run/install.log" 2>&1 ||
    { tail -n 30 "$run/install.log" >&2; fail "apt-get install"; }
echo "installed $(grep -c '^Setting up' "$run/install.log") packages"
[ -s "$root/etc/ssl/certs/ca-certificates.crt" ] || fail "no CA bundle after the install"

# ---- 5. As a normal user ---------------------------------------------------------------------
uid=4242
mkdir -p "$root/run/user/$uid"
chown "$uid:$uid" "$root/run/user/$uid"
chmod 700 "$root/run/user/$uid"
as_user() { chroot --userspec=$uid:$uid "$root" /usr/bin/env -i HOME=/home/user USER=user \
    PATH=/usr/bin:/bin LC_ALL=C.UTF-8 XDG_RUNTIME_DIR=/run/user/$uid "$@"; }

step "modelfloat-cli --version"
said=$(as_user modelfloat-cli --version)
echo "$said"
[ "$said" = "modelfloat-cli $version" ] || fail "modelfloat-cli says \"$said\", the package is $version"

step "float and restore as a normal user"
as_user sh -ec '
    cd "$HOME"
    head -c 48000000 /dev/urandom >model.bin
    modelfloat-cli float model.bin --name clean-check --quiet
    modelfloat-cli restore clean-check --to restored --quiet
    cmp model.bin restored/model.bin
    echo "restored $(stat -c %s restored/model.bin) bytes, equal (cmp)"
' || fail "float and restore"

step "the GUI under Xvfb"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$run/display" >"$run/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 100); do [ -s "$run/display" ] && break; sleep 0.1; done
[ -s "$run/display" ] || { cat "$run/xvfb.log" >&2; fail "Xvfb did not start"; }
display=":$(cat "$run/display")"
chroot --userspec=$uid:$uid "$root" /usr/bin/env -i HOME=/home/user USER=user PATH=/usr/bin:/bin \
    LC_ALL=C.UTF-8 XDG_RUNTIME_DIR=/run/user/$uid DISPLAY="$display" \
    /usr/bin/modelfloat >"$run/gui.log" 2>&1 &
gui_pid=$!
window=""
for _ in $(seq 120); do
    window=$(DISPLAY=$display xdotool search --onlyvisible --class modelfloat 2>/dev/null | head -n 1) || true
    [ -n "$window" ] && break
    kill -0 "$gui_pid" 2>/dev/null || break
    sleep 0.5
done
[ -n "$window" ] || { cat "$run/gui.log" >&2; fail "no ModelFloat window appeared"; }
DISPLAY=$display xwininfo -id "$window" | grep -E "xwininfo|Width|Height|Map State"
! grep -iE "plugin|cannot|could not|error" "$run/gui.log" || fail "the GUI complained (above)"
socket=$(ls "$root/run/user/$uid"/modelfloat-* 2>/dev/null | head -n 1)
[ -n "$socket" ] || fail "no single-instance socket in XDG_RUNTIME_DIR"
kill -TERM "$gui_pid"
for _ in $(seq 100); do kill -0 "$gui_pid" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$gui_pid" 2>/dev/null; then fail "the GUI did not quit on SIGTERM"; fi
gui_status=0
wait "$gui_pid" || gui_status=$?
gui_pid=""
[ "$gui_status" -eq 0 ] || fail "the GUI exited with $gui_status on SIGTERM"
[ ! -e "$socket" ] || fail "SIGTERM left the single-instance socket $socket"
[ ! -e "$root/home/user/.local/share/modelfloat/vault/registry.sqlite-wal" ] ||
    fail "SIGTERM left the vault's registry open (-wal)"
echo "window $window appeared; SIGTERM: exit 0, socket and WAL gone"

step "apt-get purge"
files=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {sub(/^\./, "", $6); print $6}')
in_root apt-get purge -y -q modelfloat >"$run/purge.log" 2>&1 || { cat "$run/purge.log" >&2; fail "apt-get purge"; }
for f in $files; do [ ! -e "$root$f" ] || fail "$f is left after apt-get purge"; done
echo "no file of the package is left"
