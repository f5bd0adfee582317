#!/usr/bin/env bash
# Compiles and lints main.bicep and main.example.bicepparam with the Bicep CLI, which comes from its NuGet package
# (Azure.Bicep.CommandLine.linux-x64) restored into a throw-away project: no az CLI and no download outside NuGet.
#   bash infra/azure/check.sh
set -euo pipefail
BICEP_VERSION="${BICEP_VERSION:-0.49.2}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
cat > "$tools/bicep.csproj" <<PROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup>
  <ItemGroup><PackageDownload Include="Azure.Bicep.CommandLine.linux-x64" Version="[$BICEP_VERSION]" /></ItemGroup>
</Project>
PROJ
dotnet restore "$tools/bicep.csproj" >/dev/null
packages="$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')"
bicep="$packages/azure.bicep.commandline.linux-x64/$BICEP_VERSION/tools/bicep"
chmod +x "$bicep"
"$bicep" build "$here/main.bicep" --stdout >/dev/null
"$bicep" build-params "$here/main.example.bicepparam" --stdout >/dev/null
"$bicep" lint "$here/main.bicep"
echo "bicep $BICEP_VERSION: main.bicep and main.example.bicepparam compile and lint clean"
