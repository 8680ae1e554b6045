#!/usr/bin/env bash
# Installs what ModelFloat needs to build and test on Debian 12 (or a derivative), skipping
# what is already there. Safe to run again.
set -euo pipefail

packages=(
    cmake ninja-build g++ pkg-config ccache
    qt6-base-dev qt6-base-dev-tools libqt6sql6-sqlite
    libssl-dev openssl nlohmann-json3-dev
    libfuse3-dev fuse3
    libisal-dev
    libqrencode-dev
    util-linux
    clang-14 libclang-rt-14-dev
    qtkeychain-qt6-dev libsecret-1-0 gnome-keyring libsecret-tools dbus-daemon dbus-bin
    qt6-svg-dev libqt6svg6
    xvfb xauth trayer x11-utils xdotool libqt6gui6
    rclone curl apache2
    skopeo
    strace
    chromium
    zbar-tools
    dpkg-dev help2man lintian devscripts appstream debootstrap debian-archive-keyring
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
