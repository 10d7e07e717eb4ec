#!/usr/bin/env bash
# Runs every test project of the solution and prints one summary line:
#   tests: N passed, N failed[, N skipped]
# Installs what the tests need first (Debian packages, NuGet restore). Tests that need root fail
# with a clear message when run without it.
set -uo pipefail
cd "$(dirname "$0")/.."

source scripts/lib/prerequisites.sh
install_prerequisites

configuration=${CONFIGURATION:-Release}
echo "== build ($configuration)"
if ! dotnet build Osprey.slnx -c "$configuration" -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "tests: 0 passed, 1 failed"
  exit 1
fi

passed=0 failed=0 skipped=0
for project in tests/*.Tests/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  binary="$(dirname "$project")/bin/$configuration/net10.0/$name"
  echo "== $name"
  log=$(mktemp)
  "$binary" -noColor 2>&1 | tee "$log"
  code=${PIPESTATUS[0]}
  summary=$(grep -E "^\s*$name\s+Total:" "$log" | tail -n 1)
  if [[ -z "$summary" ]]; then
    echo "$name: no test summary (exit code $code)"
    failed=$((failed + 1))
  else
    total=$(sed -E 's/.*Total: ([0-9]+).*/\1/' <<<"$summary")
    errors=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$summary")
    fails=$(sed -E 's/.*Failed: ([0-9]+).*/\1/' <<<"$summary")
    skips=$(sed -E 's/.*Skipped: ([0-9]+).*/\1/' <<<"$summary")
    notrun=$(sed -E 's/.*Not Run: ([0-9]+).*/\1/' <<<"$summary")
    passed=$((passed + total - fails - skips - notrun))
    failed=$((failed + fails + errors))
    skipped=$((skipped + skips + notrun))
    if [[ $code -ne 0 && $fails -eq 0 && $errors -eq 0 ]]; then
      echo "$name: runner exited with $code"
      failed=$((failed + 1))
    fi
  fi
  rm -f "$log"
done

line="tests: $passed passed, $failed failed"
if [[ $skipped -gt 0 ]]; then
  line="$line, $skipped skipped"
fi
echo "$line"
[[ $failed -eq 0 ]]
