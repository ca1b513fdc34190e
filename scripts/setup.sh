#!/usr/bin/env bash
# Installs everything pxecheck and its test suite need on a Debian 12 machine (run as root):
# the Debian packages (tshark, the real DHCP/TFTP/HTTP servers the tests start in network
# namespaces, QEMU with OVMF and the iPXE ROMs, libpcap headers and a C toolchain for pxecheck's libpcap binding), then the
# npm packages, then builds. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  ca-certificates
  libpcap-dev            # pxecheck's libpcap binding (native/pcap_live.c) builds against it
  build-essential python3  # node-gyp compiles that binding during npm ci
  tshark                 # independent oracle in the tests, peer in the benchmarks
  tcpdump iproute2 nftables busybox
  ethtool                # offloads off on lab veths: an MTU mismatch drops full-size TCP segments (captures/lab mtu-*)
  isc-dhcp-client        # dhclient -4/-6: OS DHCP clients in captures/field
  dnsmasq kea-dhcp4-server kea-dhcp6-server isc-dhcp-server tftpd-hpa nginx-light radvd
  qemu-system-x86 ovmf ipxe-qemu ipxe
  chromium               # headless browser test of analyze --format html
  prometheus             # promtool: checks the metrics of capture --metrics and docs/prometheus/alerts.yml
)

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: run as root (it installs Debian packages and the tests create network namespaces)" >&2
  exit 2
fi

# Installing the server packages must not start them on this host's own network: keep Debian's
# maintainer scripts from starting services while we install (restored afterwards).
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
trap '[ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${DEBIAN_PACKAGES[@]}"

npm ci --no-audit --no-fund
npm run build
