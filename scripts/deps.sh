# Sourced by scripts/test.sh and scripts/profile.sh: installs whichever of the
# given Debian packages are missing (needs root, as on a fresh machine), and
# says what it does.
ensure_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "==> Debian packages: all present ($*)"
    return
  fi
  echo "==> Installing missing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Everything the library, its tests and its benchmarks build with.
INERTIA_BUILD_PACKAGES=(g++ cmake make pkg-config libxsimd-dev catch2 libbenchmark-dev libcli11-dev
  nlohmann-json3-dev libeigen3-dev)
