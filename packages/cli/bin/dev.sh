#!/bin/sh
# `pnpm -s coder-dx …` from the repository root. Every step execs, so the process pnpm signals
# is the CLI itself (a SIGTERM to pnpm reaches it; no shell is left in between). A terminal's
# Ctrl-C reaches it twice (the process group, and pnpm's copy): the CLI takes the two as one.
# The bundled CLI starts faster; it is used when it is newer than every source file.
root="$(cd "$(dirname "$0")/../../.." && pwd)" || exit 2
bundle="$root/packages/cli/dist/main.js"
if [ -f "$bundle" ] && [ -z "$(find "$root"/packages/*/src "$root/packages/storage/migrations" -newer "$bundle" -type f 2>/dev/null | head -n 1)" ]; then
  exec node --max-semi-space-size=32 --max-old-space-size=1024 "$bundle" "$@"
fi
exec node --max-semi-space-size=32 --max-old-space-size=1024 --import tsx "$root/packages/cli/src/main.ts" "$@"
