#!/usr/bin/env bash
# Checks that schema/ambassador.schema.json and the option tables in docs/configuration.md are what the option
# declarations generate, and that every shipped JSON config names the schema and passes it (ConfigurationSchemaTests,
# which the full test suite runs too). When the Native AOT binary has been published (.ci/aot-smoke.sh), it must print
# the same schema: the shipped form generates it with the same, trimmed code.
# `.ci/schema-check.sh --write` regenerates both files instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--write" ]; then
  exec dotnet run --project src/Ambassador -- schema --write "$PWD"
fi

# Under .ci/run the suite step runs these tests; alone, the script runs them itself.
if [ "${CI:-}" != "true" ]; then
  dotnet test tests/Ambassador.Tests --filter "FullyQualifiedName~ConfigurationSchemaTests"
fi

aot=artifacts/publish/aot/Ambassador
if [ -x "$aot" ]; then
  if ! "$aot" schema | diff -u schema/ambassador.schema.json - >/tmp/schema-check.diff; then
    head -n 40 /tmp/schema-check.diff >&2
    echo "schema-check: the AOT binary's schema differs from schema/ambassador.schema.json; run .ci/schema-check.sh --write" >&2
    exit 1
  fi
  echo "schema-check: ok: the AOT binary generates the committed schema"
else
  echo "schema-check: no AOT binary at $aot; skipped the AOT comparison"
fi
