# Installs what building and running Osprey needs on Debian 12. Sourced by the demo and test scripts.
# The .NET 10 SDK must already be on PATH; everything else comes from Debian's packages and NuGet.

# clang-14 compiles the agent's BPF program; libbpf1 loads it; nftables (nft) applies network isolation and iproute2
# (ip netns) builds the namespaces its tests run in. Later capabilities add theirs here (libyara9, ...).
# The forensics tests check memory dumps with readelf (binutils) and gdb, and image a loop device (losetup, util-linux).
osprey_packages=(clang-14 libbpf1 nftables iproute2 binutils gdb util-linux libyara9 yara)

install_prerequisites() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "the .NET 10 SDK is required (dotnet on PATH)" >&2
    exit 1
  fi
  local missing=()
  for package in "${osprey_packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    if [[ $(id -u) -ne 0 ]]; then
      echo "missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})" >&2
      exit 1
    fi
    echo "== apt-get install ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  echo "== dotnet restore"
  dotnet restore Osprey.slnx -nologo -v q
}
