import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import * as protobuf from 'protobufjs';

/**
 * Where the .proto files live: libs/contracts/proto, copied as-is to dist/ by the build,
 * so this relative path holds in both the sources and the compiled output.
 */
export const PROTO_ROOT = join(__dirname, '..', '..', '..', '..', 'libs', 'contracts', 'proto');

export const GATEHOUSE_PROTOS = ['gatehouse/v1/permission_service.proto'];
const STATUS_PROTOS = ['google/rpc/status.proto', 'google/rpc/error_details.proto'];

/** camelCase fields, 64-bit numbers and enums as strings, `oneofs` names the field set in each oneof. */
export const LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };

/**
 * The package the server serves, plus grpc.health.v1 (from grpc-health-check's own file)
 * so that reflection describes the health service too, and the google.rpc error types,
 * so that reflection clients (grpcurl) can decode the details of a failed call.
 */
export function loadServerPackage(): protoLoader.PackageDefinition {
  return protoLoader.loadSync([...GATEHOUSE_PROTOS, ...STATUS_PROTOS, healthProtoPath], { ...LOADER_OPTIONS, includeDirs: [PROTO_ROOT] });
}

/** protobufjs types for the `grpc-status-details-bin` trailer (proto-loader gives no message codecs). */
export function loadStatusTypes(): { Status: protobuf.Type; ErrorInfo: protobuf.Type; RetryInfo: protobuf.Type } {
  const root = new protobuf.Root();
  // google/protobuf/* are bundled with protobufjs; everything else is ours.
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : join(PROTO_ROOT, target));
  root.loadSync(STATUS_PROTOS);
  return {
    Status: root.lookupType('google.rpc.Status'),
    ErrorInfo: root.lookupType('google.rpc.ErrorInfo'),
    RetryInfo: root.lookupType('google.rpc.RetryInfo'),
  };
}
