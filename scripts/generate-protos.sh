#!/usr/bin/env bash
# Regenerates the committed protobuf code: Swift (Sources/Wire/Generated) and C
# (clients/c/generated). protoc-gen-swift is built once from the swift-protobuf version
# the package uses, into .build-protoc/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.39.0
plugin=${PROTOC_GEN_SWIFT:-}
if [[ -z "$plugin" ]]; then
    plugin=.build-protoc/swift-protobuf/.build/release/protoc-gen-swift
    if [[ ! -x "$plugin" ]]; then
        mkdir -p .build-protoc
        rm -rf .build-protoc/swift-protobuf
        git clone --quiet --branch "$version" --depth 1 https://github.com/apple/swift-protobuf .build-protoc/swift-protobuf
        (cd .build-protoc/swift-protobuf && swift build -c release --product protoc-gen-swift)
    fi
fi
rm -rf Sources/Wire/Generated/annotator clients/c/generated/annotator
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Public \
    --swift_out=Sources/Wire/Generated -I Protos Protos/annotator/v1/*.proto
protoc --c_out=clients/c/generated -I Protos Protos/annotator/v1/*.proto
echo "regenerated Swift and C code from Protos/"
