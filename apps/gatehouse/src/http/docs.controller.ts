import { Controller, Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openApiDocument } from '@gatehouse/contracts';
import { Public } from '../auth/auth.guard';

// swagger-ui-dist ships the UI's static files; serving them ourselves keeps /docs offline-capable.
const assets = join(require.resolve('swagger-ui-dist/package.json'), '..');
const ASSETS = new Map([
  ['swagger-ui.css', 'text/css'],
  ['swagger-ui-bundle.js', 'application/javascript'],
  ['swagger-ui-standalone-preset.js', 'application/javascript'],
]);

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Gatehouse API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/docs-json', dom_id: '#ui' });</script>
</body></html>`;

@Public()
@Controller()
export class DocsController {
  @Get('docs-json')
  json() {
    return openApiDocument;
  }

  @Get('docs')
  page(@Res() reply: FastifyReply) {
    void reply.header('Content-Type', 'text/html; charset=utf-8').send(PAGE);
  }

  @Get('docs/assets/:file')
  async asset(@Param('file') file: string, @Res() reply: FastifyReply) {
    const type = ASSETS.get(file);
    if (!type) {
      void reply.status(404).header('Content-Type', 'application/problem+json').send({ type: 'about:blank', title: 'Not Found', status: 404, code: 'ROUTE.NOT_FOUND', detail: 'no such asset' });
      return;
    }
    void reply.header('Content-Type', type).header('Cache-Control', 'public, max-age=86400').send(await readFile(join(assets, file)));
  }
}
