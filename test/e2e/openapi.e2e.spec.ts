import { openApiDocument } from '@gatehouse/contracts';
import { registeredRoutes } from '../../apps/gatehouse/src/bootstrap';
import { startGatehouse, TestGatehouse } from '../support/gatehouse';

/** The OpenAPI document and the server must not drift: every served route is documented, and nothing else. */
describe('OpenAPI document', () => {
  let gh: TestGatehouse;
  beforeAll(async () => {
    gh = await startGatehouse();
  });
  afterAll(() => gh.stop());

  it('documents exactly the routes the server serves', () => {
    const served = (registeredRoutes.get(gh.app) ?? [])
      .filter((r) => !r.includes('/docs/assets/'))
      .map((r) => r.replace(/:(\w+)/g, '{$1}'))
      .sort();
    const documented = Object.entries(openApiDocument.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(served.length).toBeGreaterThan(10);
    expect(served).toEqual(documented);
  });

  it('is served at /docs-json, and the explorer at /docs', async () => {
    const json = await gh.http('GET', '/docs-json');
    expect(json.status).toBe(200);
    expect(json.body.openapi).toBe('3.1.0');
    const page = await gh.http('GET', '/docs');
    expect(page.status).toBe(200);
    expect(String(page.headers['content-type'])).toContain('text/html');
    const asset = await gh.http('GET', '/docs/assets/swagger-ui-bundle.js');
    expect(asset.status).toBe(200);
  });
});
