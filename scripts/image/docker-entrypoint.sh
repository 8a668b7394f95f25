#!/bin/sh
# Entrypoint of the local stand-in for the official Bun image (scripts/image-build.sh), behaving as
# the official one does: a command whose first word is an option (`-e ...`) is given to bun,
# anything else runs as given, with exec so the command is the process that receives signals.
set -e
case "${1:-}" in
  -*) set -- /usr/local/bin/bun "$@" ;;
esac
exec "$@"
