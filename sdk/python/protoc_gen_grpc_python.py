#!/usr/bin/env python3
"""A protoc plugin (for `buf generate`) wrapping the gRPC Python generator of grpcio-tools.

grpcio-tools builds the gRPC Python generator into its bundled protoc (`--grpc_python_out`)
but ships no `protoc-gen-grpc_python` executable, and buf only knows protoc's own built-in
generators by name. This shim speaks the plugin protocol: it reads the CodeGeneratorRequest
from stdin, runs grpcio-tools' protoc on the request's descriptors and answers with the files it
wrote. sdk/python/generate.sh does not need it; buf.gen.yaml does.
"""

import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def generate(request: plugin_pb2.CodeGeneratorRequest) -> plugin_pb2.CodeGeneratorResponse:
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    with tempfile.TemporaryDirectory() as tmp:
        descriptors = os.path.join(tmp, "request.binpb")
        with open(descriptors, "wb") as f:
            f.write(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        args = ["protoc", f"--descriptor_set_in={descriptors}", f"--grpc_python_out={out}"]
        if request.parameter:
            args.append(f"--grpc_python_opt={request.parameter}")
        if protoc.main(args + list(request.file_to_generate)) != 0:
            response.error = "grpc_tools.protoc failed (see stderr)"
            return response
        for root, _, names in os.walk(out):
            for name in sorted(names):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as f:
                    response.file.add(name=os.path.relpath(path, out), content=f.read())
    return response


if __name__ == "__main__":
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    sys.stdout.buffer.write(generate(request).SerializeToString())
