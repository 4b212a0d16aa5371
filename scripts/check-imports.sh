#!/usr/bin/env bash
# Only the three thin wrapper modules may import a C module: everything else is safe Swift.
# (SwiftPM would let any target import a C module it can see, so this is checked here.)
set -euo pipefail
cd "$(dirname "$0")/.."
offenders=$(grep -rEn '^[[:space:]]*(@_exported[[:space:]]+)?((public|package|internal|fileprivate|private)[[:space:]]+)?import[[:space:]]+(CProtobufC|COpenSSL|CLibPQ|IngestProtoC)\b' \
    Sources Tests --include='*.swift' |
    grep -vE '^Sources/(IngestMessages|CryptoPrimitives|LibPQ)/' || true)
if [ -n "$offenders" ]; then
    echo "C modules imported outside IngestMessages, CryptoPrimitives and LibPQ:" >&2
    echo "$offenders" >&2
    exit 1
fi
echo "C imports confined to IngestMessages, CryptoPrimitives and LibPQ"
