import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';

/**
 * A gRPC client built only from .proto files, as a customer would build one: Gatehouse's
 * own (libs/contracts/proto), the standard health proto (grpc-health-check) and the
 * reflection protos (@grpc/reflection). No server code is imported, and it keeps the
 * protos' snake_case field names, so nothing is shared with the server but the wire.
 */
export const PROTO_DIR = join(__dirname, '..', '..', 'libs', 'contracts', 'proto');
const HEALTH_PROTO = require.resolve('grpc-health-check/proto/health/v1/health.proto');
const REFLECTION_DIR = join(require.resolve('@grpc/reflection/package.json'), '..', 'build', 'proto');

const OPTIONS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

type Loaded = grpc.GrpcObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- generated at run time from the protos

function load(files: string[], includeDirs: string[]): Loaded {
  return grpc.loadPackageDefinition(protoLoader.loadSync(files, { ...OPTIONS, includeDirs })) as Loaded;
}

export type GatehouseMethod = 'Check' | 'CheckBulk' | 'IntrospectApiKey' | 'LookupResources' | 'LookupSubjects';

export interface CallOptions {
  /** Sent as `authorization: Bearer <key>`. */
  key?: string;
  /** A raw `authorization` value (for malformed credentials). */
  authorization?: string;
  /** The call's deadline, in ms from now. */
  deadlineMs?: number;
}

/** A failed call, with the stable code from the trailers and the decoded google.rpc.Status. */
export interface GrpcFailure {
  code: grpc.status;
  details: string;
  /** `gatehouse-error-code`, absent when grpc-js itself ended the call (deadline, message size). */
  errorCode?: string;
  status?: { code: number; message: string; details: { type: string; value: Record<string, unknown> }[] };
}

export class GrpcTestClient {
  private readonly permissions: grpc.Client & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  private readonly health: grpc.Client & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  private readonly reflection: Record<'v1' | 'v1alpha', grpc.Client & Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  private readonly statusTypes: protobuf.Root;

  constructor(readonly address: string) {
    const gatehouse = load(['gatehouse/v1/permission_service.proto'], [PROTO_DIR]);
    const credentials = grpc.credentials.createInsecure();
    this.permissions = new gatehouse.gatehouse.v1.PermissionService(address, credentials);
    this.health = new (load([HEALTH_PROTO], []).grpc.health.v1.Health)(address, credentials);
    const v1 = load(['grpc/reflection/v1/reflection.proto'], [REFLECTION_DIR]);
    const v1alpha = load(['grpc/reflection/v1alpha/reflection.proto'], [REFLECTION_DIR]);
    this.reflection = {
      v1: new v1.grpc.reflection.v1.ServerReflection(address, credentials),
      v1alpha: new v1alpha.grpc.reflection.v1alpha.ServerReflection(address, credentials),
    };
    this.statusTypes = new protobuf.Root();
    this.statusTypes.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : join(PROTO_DIR, target));
    this.statusTypes.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto']);
  }

  /** A unary call of gatehouse.v1.PermissionService; rejects with a GrpcFailure. */
  call<T = any>(method: GatehouseMethod, request: object, options: CallOptions = {}): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const metadata = new grpc.Metadata();
    if (options.key !== undefined) metadata.set('authorization', `Bearer ${options.key}`);
    if (options.authorization !== undefined) metadata.set('authorization', options.authorization);
    const callOptions: grpc.CallOptions = options.deadlineMs !== undefined ? { deadline: Date.now() + options.deadlineMs } : {};
    return new Promise((resolve, reject) => {
      this.permissions[method](request, metadata, callOptions, (error: grpc.ServiceError | null, response: T) => {
        if (error) reject(this.failure(error));
        else resolve(response);
      });
    });
  }

  /** The failure a call ended with; fails the test if it succeeded. */
  async failureOf(method: GatehouseMethod, request: object, options: CallOptions = {}): Promise<GrpcFailure> {
    try {
      const response = await this.call(method, request, options);
      throw new Error(`expected ${method} to fail, it answered ${JSON.stringify(response)}`);
    } catch (error) {
      if (error instanceof Error) throw error;
      return error as GrpcFailure;
    }
  }

  /** grpc.health.v1.Health/Check: SERVING, NOT_SERVING, … */
  healthCheck(service = ''): Promise<string> {
    return new Promise((resolve, reject) => {
      this.health.Check({ service }, (error: grpc.ServiceError | null, response: { status: string }) => (error ? reject(error) : resolve(response.status)));
    });
  }

  /** One request on the reflection stream. */
  reflect(version: 'v1' | 'v1alpha', request: object): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return new Promise((resolve, reject) => {
      const stream = this.reflection[version].ServerReflectionInfo();
      stream.on('data', (response: Record<string, unknown>) => {
        resolve(response);
        stream.end();
      });
      stream.on('error', reject);
      stream.write({ host: '', ...request });
    });
  }

  close(): void {
    this.permissions.close();
    this.health.close();
    this.reflection.v1.close();
    this.reflection.v1alpha.close();
  }

  private failure(error: grpc.ServiceError): GrpcFailure {
    const code = error.metadata?.get('gatehouse-error-code')[0];
    const bin = error.metadata?.get('grpc-status-details-bin')[0];
    const failure: GrpcFailure = { code: error.code, details: error.details };
    if (typeof code === 'string') failure.errorCode = code;
    if (Buffer.isBuffer(bin)) {
      const Status = this.statusTypes.lookupType('google.rpc.Status');
      // Any is read raw: protobufjs names its fields as any.proto does (type_url).
      const decoded = Status.decode(bin) as unknown as { code: number; message: string; details?: { type_url: string; value: Uint8Array }[] };
      failure.status = {
        code: decoded.code,
        message: decoded.message,
        details: (decoded.details ?? []).map((any) => {
          const type = any.type_url.replace(/^type\.googleapis\.com\//, '');
          const message = this.statusTypes.lookupType(type);
          return { type, value: message.toObject(message.decode(any.value), { longs: Number }) };
        }),
      };
    }
    return failure;
  }
}
