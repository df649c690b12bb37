#!/bin/bash
# Entrypoint of the prosody image (docker/Dockerfile.prosody), run as the prosody user: fills in
# the config template made at build time by prosody/config.ts's renderer (via
# prosody/container-config.ts) with what is known only now, creates the first presenter
# account if asked and absent, then execs Prosody in the foreground (it handles SIGTERM).
#   DECKCAST_XMPP_HOST                    account host (default localhost; guest./rooms./deckcast. derived)
#   DECKCAST_COMPONENT_SECRET_FILE        file holding the XEP-0114 secret (wins), or
#   DECKCAST_COMPONENT_SECRET             the secret itself; never baked into the image
#   DECKCAST_PRESENTER_USER               first presenter account, created if absent, with its password from
#   DECKCAST_PRESENTER_PASSWORD_FILE      a file (wins), or DECKCAST_PRESENTER_PASSWORD
#   PROSODY_TRUSTED_PROXIES              space-separated addresses/CIDRs of deckcast's WebSocket proxy (default 127.0.0.1)
#   DECKCAST_PROSODY_INTERFACES           space-separated addresses to listen on (default * = all of the container's;
#                                         127.0.0.1 when deckcast shares the loopback: one pod, host networking)
# Certificates: /etc/prosody/certs/<host>.crt and .key when mounted, else a self-signed pair
# generated once into the data volume (/var/lib/prosody/certs).
set -euo pipefail
die() { echo "prosody-entrypoint: $*" >&2; exit 64; }

template=/usr/lib/deckcast/prosody.cfg.lua.template
config=/run/prosody/prosody.cfg.lua   # /etc/prosody/prosody.cfg.lua links here, so a bare prosodyctl finds it

host=${DECKCAST_XMPP_HOST:-localhost}
[[ $host =~ ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$ && ${#host} -le 200 ]] \
  || die "DECKCAST_XMPP_HOST must be a lower-case DNS name"

secret=
if [ -n "${DECKCAST_COMPONENT_SECRET_FILE:-}" ]; then
  [ -r "$DECKCAST_COMPONENT_SECRET_FILE" ] || die "DECKCAST_COMPONENT_SECRET_FILE is not readable"
  secret=$(head -c 1100 "$DECKCAST_COMPONENT_SECRET_FILE" | head -n 1 | tr -d '\r\n') # bounded: a file with no newline is not read whole
else
  secret=${DECKCAST_COMPONENT_SECRET:-}
fi
# A restricted alphabet: it goes into a Lua string and through sed without any quoting.
[[ $secret =~ ^[A-Za-z0-9._~+/=-]{16,256}$ ]] \
  || die "the component secret (DECKCAST_COMPONENT_SECRET_FILE or DECKCAST_COMPONENT_SECRET) must be 16-256 characters of A-Z a-z 0-9 . _ ~ + / = -"

set -f # the lists below are split on spaces, never globbed ("*" is an interface)
proxies=
for p in ${PROSODY_TRUSTED_PROXIES:-127.0.0.1}; do
  [[ $p =~ ^[0-9A-Fa-f.:]+(/[0-9]{1,3})?$ ]] || die "PROSODY_TRUSTED_PROXIES: not an address or CIDR"
  proxies+="\"$p\"; "
done

interfaces=
for a in ${DECKCAST_PROSODY_INTERFACES:-*}; do
  [[ $a =~ ^([0-9A-Fa-f.:]+|\*)$ ]] || die "DECKCAST_PROSODY_INTERFACES: not an address or *"
  interfaces+="\"$a\"; "
done
set +f

if [ -r "/etc/prosody/certs/$host.crt" ] && [ -r "/etc/prosody/certs/$host.key" ]; then
  certs=/etc/prosody/certs
else
  certs=/var/lib/prosody/certs
  if [ ! -s "$certs/$host.crt" ] || [ ! -s "$certs/$host.key" ]; then
    echo "prosody-entrypoint: no certificate mounted at /etc/prosody/certs/$host.crt: generating a self-signed pair in $certs" >&2
    mkdir -p -m 700 "$certs"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$host" \
      -addext "subjectAltName=DNS:$host,DNS:guest.$host,DNS:rooms.$host,DNS:deckcast.$host" \
      -keyout "$certs/$host.key" -out "$certs/$host.crt" 2>/dev/null
    chmod 600 "$certs/$host.key"
  fi
fi

umask 077
sed -e "s|deckcast-host\.invalid|$host|g" \
    -e "s|@DECKCAST_COMPONENT_SECRET@|$secret|" \
    -e "s|@DECKCAST_CERTS_DIR@|$certs|" \
    -e "s|@PROSODY_TRUSTED_PROXIES@|$proxies|" \
    -e "s|@DECKCAST_PROSODY_INTERFACES@|$interfaces|g" \
    "$template" > "$config.tmp"
mv "$config.tmp" "$config"

# The first presenter (Prosody's file store: <data>/<host>/accounts/<user>.dat, names %-encoded).
enc() { local s=$1 out= c i; for ((i = 0; i < ${#s}; i++)); do c=${s:i:1}; if [[ $c =~ [A-Za-z0-9] ]]; then out+=$c; else out+=$(printf '%%%02x' "'$c"); fi; done; printf '%s' "$out"; }
user=${DECKCAST_PRESENTER_USER:-}
if [ -n "$user" ]; then
  [[ $user =~ ^[a-z0-9][a-z0-9._-]{0,63}$ ]] || die "DECKCAST_PRESENTER_USER: use 1-64 of a-z 0-9 . _ - (starting with a letter or digit)"
  if [ ! -e "/var/lib/prosody/$(enc "$host")/accounts/$(enc "$user").dat" ]; then
    if [ -n "${DECKCAST_PRESENTER_PASSWORD_FILE:-}" ]; then
      [ -r "$DECKCAST_PRESENTER_PASSWORD_FILE" ] || die "DECKCAST_PRESENTER_PASSWORD_FILE is not readable"
      password=$(head -c 1100 "$DECKCAST_PRESENTER_PASSWORD_FILE" | head -n 1 | tr -d '\r\n')
    else
      password=${DECKCAST_PRESENTER_PASSWORD:-}
    fi
    [ -n "$password" ] || die "DECKCAST_PRESENTER_USER is set but no password (DECKCAST_PRESENTER_PASSWORD_FILE or DECKCAST_PRESENTER_PASSWORD)"
    printf '%s\n%s\n' "$password" "$password" | prosodyctl --config "$config" register "$user" "$host" >/dev/null
    echo "prosody-entrypoint: created the presenter account $user@$host" >&2
  fi
fi

exec prosody --config "$config" -F
