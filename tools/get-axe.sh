#!/bin/sh
# Fetch axe-core (the accessibility engine the browser tests run) into .tools/axe/axe.min.js.
#
# Source: the npm package axe-core (MPL-2.0), used only by the tests, never served.
# Idempotent and quiet; prints the file's path on success.
set -eu

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
DEST="$ROOT/.tools/axe"
AXE="$DEST/axe.min.js"
PACKAGE="axe-core@4"

if [ -s "$AXE" ]; then
    echo "$AXE"
    exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "get-axe: npm is required" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
cd "$WORK"
npm pack --silent "$PACKAGE" >/dev/null 2>npm.log || { cat npm.log >&2; exit 1; }
tar -xzf ./*.tgz package/axe.min.js
mkdir -p "$DEST"
mv package/axe.min.js "$AXE.tmp.$$"
mv "$AXE.tmp.$$" "$AXE"
echo "$AXE"
