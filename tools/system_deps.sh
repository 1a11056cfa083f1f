#!/usr/bin/env bash
# The Debian packages dmlvae needs beyond Python: Fashion-MNIST (a dataset of the book), chromium and
# chromium-driver (every built page is opened in a real browser), npm (MathJax for the offline book).
# Present: nothing happens. Missing, as root with apt-get: they are installed. Otherwise: one message with
# the one command to run, and exit status 1. `make test` and `make book` call this first.
set -euo pipefail
PACKAGES=(dataset-fashion-mnist chromium chromium-driver npm)
missing=()
for pkg in "${PACKAGES[@]}"; do
  if [ "$pkg" = npm ]; then
    command -v npm >/dev/null 2>&1 || missing+=(npm)
  elif ! dpkg -s "$pkg" >/dev/null 2>&1; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${DMLVAE_NO_APT:-}" ]; then
  echo "dmlvae: installing the missing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  exit 0
fi
echo "error: missing system packages: ${missing[*]}. Run this once, then run make again:" >&2
echo "  sudo apt-get update && sudo $cmd" >&2
exit 1
