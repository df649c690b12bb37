#!/bin/bash
# Entrypoint of the deckcast image (docker/Dockerfile.deckcast): runs the server directly
# (not `npm start`, whose prestart would rebuild the web client and whose npm would sit
# between the signal and the server). SIGTERM stops every part in order (server/main.ts).
# Run the container with an init (compose's `init: true`, podman/docker `--init`) so the
# LibreOffice workers deckcast starts are reaped.
set -euo pipefail
cd /app
if [ "$#" -gt 0 ] && [ "$1" = "deckcast" ]; then
  shift; exec node server/cli/bin.mjs "$@"
fi
exec node_modules/.bin/tsx server/main.ts "$@"
