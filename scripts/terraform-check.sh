#!/usr/bin/env bash
# terraform fmt -check, then init -backend=false + validate for every Terraform root
# (terraform/local, terraform/infrastructure, each terraform/examples/*) and module, then
# `terraform test` where a tests/ folder exists (plans against a mocked AWS provider: no
# credentials, no network).
# Leaves nothing behind: provider downloads go to a temporary TF_DATA_DIR, and lock files the
# run creates are removed again. Without a terraform binary it says so loudly and exits 0
# (test/infra then still parses every .tf file).
set -euo pipefail

cd "$(dirname "$0")/.."

if ! command -v terraform >/dev/null 2>&1; then
  echo "############################################################################" >&2
  echo "## terraform-check: NO terraform BINARY FOUND - fmt/validate SKIPPED.      ##" >&2
  echo "## Only the HCL parsing tests in test/infra cover terraform/ on this host. ##" >&2
  echo "############################################################################" >&2
  exit 0
fi

# A host with a filesystem mirror of the provider (no registry access) uses the committed CLI
# config unless it names a CLI config file that exists; elsewhere (GitHub Actions) Terraform
# downloads the provider as usual.
if [ -d /opt/tf-plugins ] && [ ! -f "${TF_CLI_CONFIG_FILE:-}" ]; then
  export TF_CLI_CONFIG_FILE="$PWD/terraform/.terraformrc"
fi
export TF_IN_AUTOMATION=1 TF_INPUT=0

work=$(mktemp -d)
created_locks=()
cleanup() {
  for lock in "${created_locks[@]+"${created_locks[@]}"}"; do rm -f "$lock"; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "terraform-check: $(terraform version | head -n 1)"
echo "terraform-check: fmt -check -recursive terraform"
terraform fmt -check -recursive -diff terraform

dirs=(terraform/local terraform/infrastructure)
for dir in terraform/examples/*/ terraform/modules/*/; do dirs+=("${dir%/}"); done

status=0
for dir in "${dirs[@]}"; do
  lock="$dir/.terraform.lock.hcl"
  [ -e "$lock" ] || created_locks+=("$lock")
  export TF_DATA_DIR="$work/${dir//\//_}"
  if ! terraform -chdir="$dir" init -backend=false -no-color >"$work/init.log" 2>&1; then
    echo "terraform-check: FAIL init $dir" >&2
    cat "$work/init.log" >&2
    status=1
    continue
  fi
  if ! terraform -chdir="$dir" validate -no-color >"$work/validate.log" 2>&1; then
    echo "terraform-check: FAIL validate $dir" >&2
    cat "$work/validate.log" >&2
    status=1
    continue
  fi
  if compgen -G "$dir/tests/*.tftest.hcl" >/dev/null; then
    if ! terraform -chdir="$dir" test -no-color >"$work/test.log" 2>&1; then
      echo "terraform-check: FAIL test $dir" >&2
      cat "$work/test.log" >&2
      status=1
      continue
    fi
    echo "terraform-check: ok   $dir (validate, $(grep -Eo '[0-9]+ passed' "$work/test.log" | tail -n 1) by terraform test)"
  else
    echo "terraform-check: ok   $dir (validate)"
  fi
done
exit $status
