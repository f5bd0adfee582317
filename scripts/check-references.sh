#!/usr/bin/env bash
# Checks that no project references an executable project's assembly: every *.csproj under the directory given (the
# repository by default) that is an executable (OutputType Exe, or an Azure Functions app) may be referenced only to be
# built first (ProjectReference ... ReferenceOutputAssembly="false"), as the tests that run a program as a process do.
# Code that tests or other programs need lives in a library the executable references.
#   scripts/check-references.sh [ROOT]
# Prints each offending reference as "PROJECT: references executable TARGET", then one line
# "references: N checked, M to an executable"; exits 1 if any.
set -euo pipefail
root=$(cd "${1:-$(dirname "$0")/..}" && pwd)

is_executable() {
  grep -Eqi '<OutputType>\s*(Exe|WinExe)\s*</OutputType>|<AzureFunctionsVersion>' "$1"
}

checked=0 bad=0
while IFS= read -r -d '' project; do
  dir=$(dirname "$project")
  while IFS= read -r line; do
    include=$(sed -E 's/.*Include="([^"]+)".*/\1/' <<<"$line")
    target=$(realpath -m "$dir/${include//\\//}")
    checked=$((checked + 1))
    if [ -f "$target" ] && is_executable "$target" && ! grep -Eq 'ReferenceOutputAssembly="false"' <<<"$line"; then
      echo "${project#"$root"/}: references executable ${target#"$root"/}"
      bad=$((bad + 1))
    fi
  done < <(grep -E '<ProjectReference[^>]*Include=' "$project" || true)
done < <(find "$root" -name '*.csproj' -not -path '*/bin/*' -not -path '*/obj/*' -not -path '*/.git/*' -print0)

echo "references: $checked checked, $bad to an executable"
[ "$bad" -eq 0 ]
