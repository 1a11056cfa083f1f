#!/usr/bin/env bash
# The Debian packages dmlvae uses beyond Python: Fashion-MNIST (a dataset of the book) and chromium with
# chromium-driver (every built page is opened in a real browser). `make test` and `make book` call this first.
# Present: nothing happens. Missing, as root with apt-get: they are installed. Missing elsewhere (a laptop
# without root or apt): one note says what is skipped and how to enable it, and make goes on (Fashion-MNIST is
# downloaded when a page needs it, the browser check is skipped). Under CI or DMLVAE_STRICT=1 a package that
# cannot be installed is an error (exit status 1) with the one command to run.
set -euo pipefail
PACKAGES=(dataset-fashion-mnist chromium chromium-driver)
missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! command -v dpkg >/dev/null 2>&1 || ! dpkg -s "$pkg" >/dev/null 2>&1; then
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
if [ -n "${CI:-}" ] || [ -n "${DMLVAE_STRICT:-}" ]; then
  echo "error: missing system packages: ${missing[*]}. Run this once, then run make again:" >&2
  echo "  sudo apt-get update && sudo $cmd" >&2
  exit 1
fi
echo "dmlvae: note: the system packages ${missing[*]} are not installed (no root or apt-get here); going on without" \
  "them: Fashion-MNIST is downloaded when a page needs it, and without chromium the built pages are not checked" \
  "in a browser. Where apt-get and root exist: sudo $cmd" >&2
exit 0
