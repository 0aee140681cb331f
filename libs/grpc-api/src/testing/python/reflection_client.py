"""A gRPC client that knows nothing of RelayLLM but what server reflection serves.

Run with Debian's python3-grpcio and python3-protobuf (/usr/bin/python3):

    reflection_client.py TARGET REFLECTION_DESCRIPTOR_SET

REFLECTION_DESCRIPTOR_SET is grpc/reflection/v1/reflection.proto compiled to a
FileDescriptorSet (protoc --descriptor_set_out): the one protocol a reflection
client must know beforehand. Everything else comes from the server:

1. list_services;
2. for each service, file_containing_symbol, every returned file added to one
   DescriptorPool (which rejects malformed descriptors, e.g. a map_entry option
   set on a message that is no map entry, or a type from a file not imported);
3. file_by_filename for every file the pool holds, and for one worker proto
   (expected NOT_FOUND on the public port);
4. a Generate call, a GenerateStream call and a health Check built from the
   pool's message classes alone.

Prints one JSON object on stdout (the spec asserts on it); exits 1 on any failure.
"""

import json
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

REFLECTION_METHOD = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
WORKER_PROTO = "relayllm/v1/slm_worker.proto"


def message_class(pool, name):
    return message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName(name))


class Reflection:
    """One request, one answer, over the bidi reflection stream."""

    def __init__(self, channel, bootstrap_pool):
        self.request_type = message_class(bootstrap_pool, "grpc.reflection.v1.ServerReflectionRequest")
        response_type = message_class(bootstrap_pool, "grpc.reflection.v1.ServerReflectionResponse")
        self.call = channel.stream_stream(
            REFLECTION_METHOD,
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_type.FromString,
        )

    def ask(self, **fields):
        (response,) = list(self.call(iter([self.request_type(**fields)]), timeout=10))
        return response

    def files(self, **fields):
        """The FileDescriptorProtos of an answer, or the error code's name when NOT_FOUND etc."""
        response = self.ask(**fields)
        if response.HasField("error_response"):
            return next(c.name for c in grpc.StatusCode if c.value[0] == response.error_response.error_code)
        return [descriptor_pb2.FileDescriptorProto.FromString(raw) for raw in response.file_descriptor_response.file_descriptor_proto]


def add_files(pool, added, protos):
    """Adds files to the pool, each after its imports (the answer holds them all)."""
    pending = [p for p in protos if p.name not in added]
    while pending:
        ready = [p for p in pending if all(d in added for d in p.dependency)]
        if not ready:
            raise RuntimeError(f"imports missing from the answer: {[(p.name, list(p.dependency)) for p in pending]}")
        for proto in ready:
            pool.Add(proto)
            added[proto.name] = proto
        pending = [p for p in pending if p.name not in added]


def optional_fields(protos):
    """Full names of the fields the served descriptors mark proto3_optional."""
    names = []
    for proto in protos:
        def walk(message, scope):
            full = f"{scope}.{message.name}"
            names.extend(f"{full}.{f.name}" for f in message.field if f.proto3_optional)
            for nested in message.nested_type:
                walk(nested, full)
        for message in proto.message_type:
            walk(message, proto.package)
    return sorted(names)


def call(channel, pool, method, request_dict, stream=False):
    service_name, method_name = method.rsplit("/", 1)
    descriptor = pool.FindServiceByName(service_name).FindMethodByName(method_name)
    request_type = message_factory.MessageFactory(pool).GetPrototype(descriptor.input_type)
    response_type = message_factory.MessageFactory(pool).GetPrototype(descriptor.output_type)
    request = json_format.ParseDict(request_dict, request_type())
    make = channel.unary_stream if stream else channel.unary_unary
    rpc = make(f"/{method}", request_serializer=lambda m: m.SerializeToString(), response_deserializer=response_type.FromString)
    result = rpc(request, timeout=10)
    as_dict = lambda m: json_format.MessageToDict(m, preserving_proto_field_name=True)
    return [as_dict(m) for m in result] if stream else as_dict(result)


def main(target, reflection_descriptor_set):
    bootstrap = descriptor_pool.DescriptorPool()
    with open(reflection_descriptor_set, "rb") as f:
        for proto in descriptor_pb2.FileDescriptorSet.FromString(f.read()).file:
            bootstrap.Add(proto)
    out = {}
    with grpc.insecure_channel(target) as channel:
        reflection = Reflection(channel, bootstrap)
        services = [s.name for s in reflection.ask(list_services="").list_services_response.service]
        out["services"] = services
        pool = descriptor_pool.DescriptorPool()
        added = {}
        out["files_by_service"] = {}
        for service in services:
            protos = reflection.files(file_containing_symbol=service)
            if isinstance(protos, str):
                raise RuntimeError(f"file_containing_symbol {service}: {protos}")
            out["files_by_service"][service] = [p.name for p in protos]
            add_files(pool, added, protos)
        answers = {name: reflection.files(file_by_filename=name) for name in sorted(added) + [WORKER_PROTO]}
        out["file_by_filename"] = {k: v if isinstance(v, str) else [p.name for p in v] for k, v in answers.items()}
        out["proto3_optional"] = optional_fields(added.values())
        request = {"prompt": "Q: 2+2?", "max_tokens": 16, "temperature": 0, "limits": {"max_turns": 2}, "request_id": "py-1"}
        out["generate"] = call(channel, pool, "relayllm.v1.RelayService/Generate", request)
        out["generate_stream"] = call(channel, pool, "relayllm.v1.RelayService/GenerateStream", {**request, "request_id": "py-2"}, stream=True)
        out["health"] = call(channel, pool, "grpc.health.v1.Health/Check", {"service": "relayllm.v1.RelayService"})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
