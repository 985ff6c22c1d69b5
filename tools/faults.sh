#!/usr/bin/env bash
# deno task faults: the library over a real, lossy network instead of loopback.
#
# Builds two network namespaces joined by a veth pair, with addresses from
# the benchmarking block 198.18.0.0/15 (RFC 2544) inside the namespaces
# only, shapes each direction with tbf (~20 Mbit/s) over a short pfifo queue
# (plus netem delay/loss where the kernel has netem), and runs
# tests/lossy/faults.ts over it: a 32 MiB TCP transfer checked by sha256
# with the link taken down and up in the middle, a connect with settimeout
# to an address nobody answers, a recv with a timeout on a downed link that
# then resumes with no byte lost, and UDP sent/received/lost counts.
#
# Needs root and iproute2 (installed through apt-get when missing). Where
# namespaces cannot be made it says so and exits 0 WITHOUT claiming a pass.
# Bounded in time: the scenarios get FAULTS_TIMEOUT seconds (default 150).
set -euo pipefail
cd "$(dirname "$0")/.."

skip() {
  echo "faults: SKIPPED, not run: $*" >&2
  echo "faults: (this is not a pass; run as root on Linux with iproute2 to exercise it)" >&2
  exit 0
}

[ "$(uname -s)" = Linux ] || skip "needs Linux network namespaces"
[ "$(id -u)" = 0 ] || skip "needs root (ip netns, tc)"
if ! command -v ip >/dev/null || ! command -v tc >/dev/null; then
  if command -v apt-get >/dev/null; then
    echo "faults: installing iproute2" >&2
    (apt-get install -y iproute2 >/dev/null 2>&1 ||
      { apt-get update >/dev/null 2>&1 && apt-get install -y iproute2 >/dev/null 2>&1; }) ||
      skip "iproute2 is missing and could not be installed"
  else
    skip "iproute2 (ip, tc) is missing and there is no apt-get"
  fi
fi

# The deno binary, resolved once: namespaces run it directly.
if [ -z "${DENO_BIN:-}" ]; then
  if command -v deno >/dev/null; then
    DENO_BIN=$(deno eval 'console.log(Deno.execPath())')
  else
    DENO_BIN=$(npx -y deno@2.9.6 eval 'console.log(Deno.execPath())')
  fi
fi
export DENO_BIN

ID=$$
export NS_A="seedfa$ID" NS_B="seedfb$ID" DEV_A="sfa$ID" DEV_B="sfb$ID"
export ADDR_A=198.18.0.1 ADDR_B=198.18.0.2 UNANSWERED=198.18.0.77

cleanup() {
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$NS_A" 2>/dev/null || skip "cannot create network namespaces here (ip netns add failed)"
ip netns add "$NS_B" || skip "cannot create a second network namespace"
ip link add "$DEV_A" netns "$NS_A" type veth peer name "$DEV_B" netns "$NS_B" ||
  skip "cannot create a veth pair"
ip -n "$NS_A" addr add "$ADDR_A/24" dev "$DEV_A"
ip -n "$NS_B" addr add "$ADDR_B/24" dev "$DEV_B"
for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
ip -n "$NS_A" link set "$DEV_A" up
ip -n "$NS_B" link set "$DEV_B" up
# An address of the subnet that no host answers: its frames go out and
# nobody takes them (no ARP failure, no ICMP), so a connect just waits.
ip -n "$NS_A" neigh add "$UNANSWERED" lladdr 02:00:00:00:00:77 dev "$DEV_A" nud permanent

shape() { # ns dev
  local ns=$1 dev=$2
  ip netns exec "$ns" tc qdisc add dev "$dev" root handle 1: tbf rate 20mbit burst 32kb latency 40ms ||
    skip "this kernel has no tbf qdisc (tc qdisc add … tbf failed)"
  if ip netns exec "$ns" tc qdisc add dev "$dev" parent 1:1 handle 10: netem delay 5ms loss 0.5% limit 32 2>/dev/null; then
    echo "faults: $dev: tbf 20mbit + netem delay 5ms loss 0.5% (limit 32)"
  else
    ip netns exec "$ns" tc qdisc add dev "$dev" parent 1:1 handle 10: pfifo limit 16 ||
      skip "this kernel has no pfifo qdisc"
    echo "faults: $dev: tbf 20mbit over pfifo limit 16 (no netem in this kernel)"
  fi
}
shape "$NS_A" "$DEV_A"
shape "$NS_B" "$DEV_B"

echo "faults: $NS_A ($ADDR_A) <-> $NS_B ($ADDR_B), deno $("$DENO_BIN" --version | head -1)"
timeout "${FAULTS_TIMEOUT:-150}" "$DENO_BIN" run --no-config --no-prompt \
  --allow-run=ip --allow-env=NS_A,NS_B,DEV_B,DENO_BIN,ADDR_A,ADDR_B,UNANSWERED \
  tests/lossy/faults.ts
