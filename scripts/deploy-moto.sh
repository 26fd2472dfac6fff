#!/usr/bin/env bash
# Deploys the word-count example to moto_server with the real CDK CLI: `cdk bootstrap`, then
# `cdk deploy` (moto emulates CloudFormation). test/cdk/word-count-stack-deploy.test.ts does the
# same in CI; this is the by-hand version. See docs/deploy.md.
#
# Usage: scripts/deploy-moto.sh            # uses $AWS_ENDPOINT_URL, else starts moto on port 5000
#        MOTO_PORT=5077 scripts/deploy-moto.sh
#        scripts/deploy-moto.sh --replace  # delete a table/stream sluice-word-count made outside the stack (by sluice dev)
set -euo pipefail
cd "$(dirname "$0")/.."

replace=""
if [ "${1:-}" = "--replace" ]; then replace="--replace"; shift; fi

port="${MOTO_PORT:-5000}"
endpoint="${AWS_ENDPOINT_URL:-http://localhost:${port}}"
case "$endpoint" in
  *127.0.0.1*) echo "deploy-moto: use http://localhost:..., not 127.0.0.1: moto resolves CloudFormation TemplateURLs to buckets only for 'localhost'" >&2; exit 2 ;;
esac

answering() { node -e "fetch('$1/moto-api/').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; }

if ! answering "$endpoint"; then
  if [ -n "${AWS_ENDPOINT_URL:-}" ]; then
    echo "deploy-moto: nothing answers on AWS_ENDPOINT_URL=$endpoint" >&2; exit 1
  fi
  command -v moto_server >/dev/null || { echo 'deploy-moto: moto_server not found (pip install "moto[server]==5.2.1")' >&2; exit 1; }
  moto_server -H 127.0.0.1 -p "$port" >"${TMPDIR:-/tmp}/moto-$port.log" 2>&1 &
  echo "deploy-moto: started moto_server (pid $!) on $endpoint; stop it with: kill $!"
  for _ in $(seq 1 100); do answering "$endpoint" && break; sleep 0.2; done
  answering "$endpoint" || { echo "deploy-moto: moto_server did not start, see ${TMPDIR:-/tmp}/moto-$port.log" >&2; exit 1; }
fi

# Dummy credentials: nothing here may reach a real account.
export AWS_ENDPOINT_URL="$endpoint" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
unset AWS_PROFILE AWS_SESSION_TOKEN
# A stack half-made by an earlier deploy, or a table/stream of the app made by `sluice dev`, would make
# CloudFormation fail (on moto with an XML parse error) and leave the stack in REVIEW_IN_PROGRESS.
node scripts/moto-preflight.mjs "$endpoint" SluiceWordCount word-count $replace
npx cdk bootstrap
if ! npx cdk deploy SluiceWordCount --require-approval never -c destroyData=true "$@"; then
  node scripts/moto-preflight.mjs "$endpoint" SluiceWordCount word-count >/dev/null 2>&1 || true
  echo "deploy-moto: cdk deploy failed; the half-made stack was deleted, so the next run starts clean" >&2
  exit 1
fi
echo "deploy-moto: deployed. Push with: npx sluice push --endpoint $endpoint --stream sluice-word-count --file <lines.txt>"
