import { loadConfig } from '../config/config';

describe('gRPC configuration', () => {
  it('listens on 50051, on the HTTP bind address, unless told otherwise', () => {
    expect(loadConfig({})).toMatchObject({ grpcPort: 50051, grpcHost: '0.0.0.0' });
    expect(loadConfig({ HOST: '127.0.0.1' })).toMatchObject({ grpcHost: '127.0.0.1' });
    expect(loadConfig({ HOST: '127.0.0.1', GRPC_HOST: '::', GRPC_PORT: '9090' })).toMatchObject({ grpcHost: '::', grpcPort: 9090 });
  });

  it('takes GRPC_PORT=0 (a free port, for tests) even when PORT is 0 too', () => {
    expect(loadConfig({ PORT: '0', GRPC_PORT: '0' })).toMatchObject({ port: 0, grpcPort: 0 });
  });

  it.each([
    [{ GRPC_PORT: 'fifty' }, 'GRPC_PORT: must be a whole number, got "fifty"'],
    [{ GRPC_PORT: '70000' }, 'GRPC_PORT: must be between 0 and 65535, got 70000'],
    [{ PORT: '9000', GRPC_PORT: '9000' }, 'GRPC_PORT: must differ from PORT (both are 9000)'],
    [{ GRPC_HOST: 'host name with spaces' }, 'GRPC_HOST: must be a host name or IP address'],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
