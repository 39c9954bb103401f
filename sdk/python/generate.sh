#!/usr/bin/env bash
# Generates the Stride Python client from proto/ with grpcio-tools, whose Python module bundles
# protoc and the gRPC Python plugin: no system protoc, no network.
#
#   sdk/python/generate.sh [OUT_DIR]     # default: sdk/python/stride_sdk (git-ignored)
#
# PYTHON names the interpreter (default python3); it needs sdk/python/requirements.txt.
# OUT_DIR receives stride/{auth,fitness}/v1/*_pb2.py, *_pb2.pyi and *_pb2_grpc.py; put OUT_DIR on
# sys.path (PYTHONPATH) and `from stride.auth.v1 import auth_service_pb2`. The google.api
# annotations the protos import are not generated: they come from googleapis-common-protos.
# buf.gen.yaml does the same through `buf generate`.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/stride_sdk}"
python="${PYTHON:-python3}"

mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$here/../../proto"
files=()
while IFS= read -r file; do files+=("$file"); done < <(find stride -name '*.proto' | LC_ALL=C sort)

# `python -m grpc_tools.protoc` adds grpcio-tools' copy of the google/protobuf includes itself.
"$python" -m grpc_tools.protoc -I . \
  --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" \
  "${files[@]}"
echo "generated ${#files[@]} protos into $out"
