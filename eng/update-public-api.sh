#!/usr/bin/env bash
# Rewrites PublicAPI.Unshipped.txt of every project that tracks its public API so the files match the code:
# symbols reported as new (RS0016) are added, symbols reported as gone (RS0017) are removed. Run it after a merge
# that adds or changes public API, review the diff like code, and commit it.
# Usage: eng/update-public-api.sh [project.csproj ...]   (default: every project with a PublicAPI.Unshipped.txt)
#
# It reads the analyzer's own messages from a build rather than running `dotnet format analyzers`, because the code
# fix there does not see source-generated symbols, and most of LlmDataDist's public API is generated.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then
  projects=("$@")
else
  mapfile -t projects < <(find src simulator -name PublicAPI.Unshipped.txt -not -path '*/bin/*' -not -path '*/obj/*' \
    | sort | while read -r file; do ls "$(dirname "$file")"/*.csproj; done)
fi

# Build everything once (public API differences are warnings here), then recompile each project alone.
for project in "${projects[@]}"; do
  dotnet build "$project" -nologo -v quiet -p:TreatWarningsAsErrors=false >/dev/null 2>&1 || true
done

for project in "${projects[@]}"; do
  dir=$(dirname "$project")
  unshipped="$dir/PublicAPI.Unshipped.txt"
  log=$(mktemp)
  own="[$(cd "$dir" && pwd)/$(basename "$project")]"
  # Rebuild so every diagnostic is reported, not only those of files that changed.
  dotnet build "$project" --no-incremental --no-restore -nologo -clp:NoSummary -p:BuildProjectReferences=false \
    -p:TreatWarningsAsErrors=false \
    > "$log" 2>&1 || true
  # Only this project's diagnostics (a referenced project reports its own), each once.
  grep -F "$own" "$log" > "$log.own" || true
  mv "$log.own" "$log"
  added=$(grep -oE "RS0016: Symbol '.*' is not part of the declared public API" "$log" \
    | sed -E "s/^RS0016: Symbol '(.*)' is not part of the declared public API$/\1/" | sort -u || true)
  removed=$(grep -oE "RS0017: Symbol '.*' is part of the declared API, but is either not public or could not be found" "$log" \
    | sed -E "s/^RS0017: Symbol '(.*)' is part of the declared API.*$/\1/" | sort -u || true)
  rm -f "$log"
  {
    echo '#nullable enable'
    { grep -vxF '#nullable enable' "$unshipped" | grep -vxF -f <(printf '%s\n' "$removed") || true
      printf '%s\n' "$added"
    } | { grep -v '^$' || true; } | LC_ALL=C sort -u
  } > "$unshipped.new"
  mv "$unshipped.new" "$unshipped"
  echo "$project: $(printf '%s' "$added" | grep -c . || true) added, $(printf '%s' "$removed" | grep -c . || true) removed"
done

# Whatever the analyzer still reports (an API removed that was already shipped, say) needs a person.
for project in "${projects[@]}"; do
  dotnet build "$project" -nologo -v quiet >/dev/null 2>&1 \
    || { echo "$project still does not build; run: dotnet build $project" >&2; exit 1; }
done
