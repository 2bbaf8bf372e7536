#!/usr/bin/env sh
# Packages the Lambda functions (npx sls package) the way CI does: no AWS credentials, no
# profile, and a throw-away HOME, since osls needs none of them to build the artefacts.
# Extra arguments go to `sls package`, e.g. --package <dir>. STAGE defaults to dev.
set -eu
cd "$(dirname "$0")/.."
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT INT TERM
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE -u AWS_DEFAULT_PROFILE \
  HOME="$home" NPM_CONFIG_UPDATE_NOTIFIER=false NO_UPDATE_NOTIFIER=1 SLS_TELEMETRY_DISABLED=1 \
  ./node_modules/.bin/sls package --stage "${STAGE:-dev}" "$@"
