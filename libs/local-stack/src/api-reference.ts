import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { workspaceFile } from './routes';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalRoute } from './edge';

/** An OpenAPI document, as far as merging needs to know it. */
interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  readonly tags?: readonly { readonly name: string; readonly description?: string }[];
  readonly paths?: Readonly<Record<string, unknown>>;
  readonly components?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly [field: string]: unknown;
}

/**
 * The services' documents as one, for people reading the API through the edge: every path, every
 * tag (saying which service serves it) and every component once. The documents come from one
 * contract library, so a component of one name is the same in each; two that differ, or one path
 * in two services, is a bug, and merging refuses it rather than hide one of them.
 */
export function mergeDocuments(documents: readonly { service: string; document: OpenApiDocument }[]): OpenApiDocument {
  const paths: Record<string, unknown> = {};
  const components: Record<string, Record<string, unknown>> = {};
  const tags: { name: string; description: string }[] = [];
  for (const { service, document } of documents) {
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      if (path in paths) throw new Error(`${path} is in two services' documents (one is ${service})`);
      paths[path] = item;
    }
    for (const [kind, items] of Object.entries(document.components ?? {})) {
      const merged = (components[kind] ??= {});
      for (const [name, value] of Object.entries(items)) {
        if (name in merged && JSON.stringify(merged[name]) !== JSON.stringify(value)) {
          throw new Error(`components.${kind}.${name} differs between the services (one is ${service})`);
        }
        merged[name] = value;
      }
    }
    for (const tag of document.tags ?? []) {
      tags.push({
        name: tag.name,
        description: `Served by ${service} ${document.info.version}.${tag.description ? ` ${tag.description}` : ''}`,
      });
    }
  }
  const [first] = documents;
  return {
    ...(first?.document ?? { openapi: '3.1.0' }),
    info: {
      title: 'Platform API',
      version: documents.map(({ service, document }) => `${service} ${document.info.version}`).join(', '),
      description: documents
        .map(({ document }) => `**${document.info.title}**: ${document.info.description ?? ''}`)
        .join('\n\n'),
    },
    tags,
    paths,
    components,
  };
}

const page = (title: string) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title}</title>
  </head>
  <body>
    <redoc spec-url="/docs/openapi.json" hide-download-button="false"></redoc>
    <script src="/docs/redoc.standalone.js"></script>
  </body>
</html>
`;

/** A page of the repository's docs/ folder that the documents link to (`/docs/security.md`). */
const DOCS_PAGE = /^\/([a-z][a-z-]*)\.md$/;

/**
 * The interactive API reference of the local stack at `/docs` (never a production route): Redoc
 * rendering the services' own documents (each service's live `GET /openapi.json`) as one, and the
 * pages of docs/ they link to, as Markdown text.
 */
export function apiReference(upstreams: Readonly<Record<string, URL>>): LocalRoute {
  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) =>
    res
      .writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        // Everything the page needs comes from the edge; the renderer's call-outs (its vendor's logo) are blocked.
        'content-security-policy':
          "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; font-src 'self' data:",
      })
      .end(body);
  const answer = async (res: ServerResponse, path: string) => {
    switch (path) {
      case '/':
        return send(res, 200, 'text/html; charset=utf-8', page('Platform API reference'));
      case '/openapi.json': {
        const documents = await Promise.all(
          Object.entries(upstreams).map(async ([service, url]) => {
            const response = await fetch(new URL('/openapi.json', url), { signal: AbortSignal.timeout(5_000) });
            if (!response.ok) throw new Error(`${service} answered ${response.status} for /openapi.json`);
            return { service, document: (await response.json()) as OpenApiDocument };
          }),
        );
        return send(res, 200, 'application/json', JSON.stringify(mergeDocuments(documents)));
      }
      case '/redoc.standalone.js':
        return send(
          res,
          200,
          'text/javascript; charset=utf-8',
          await readFile(require.resolve('redoc/bundles/redoc.standalone.js')),
        );
      default: {
        const name = DOCS_PAGE.exec(path)?.[1];
        const file = name === undefined ? undefined : join(workspaceFile('docs'), `${name}.md`);
        const text = file === undefined ? undefined : await readFile(file).catch(() => undefined);
        if (text !== undefined) return send(res, 200, 'text/markdown; charset=utf-8', text);
        return send(res, 404, 'text/plain; charset=utf-8', 'Not found: the reference is at /docs\n');
      }
    }
  };
  return {
    path: '/docs',
    handle(req: IncomingMessage, res: ServerResponse, path: string) {
      req.resume();
      answer(res, path).catch((error: unknown) =>
        send(res, 502, 'text/plain; charset=utf-8', `The API reference could not be built: ${String(error)}\n`),
      );
    },
  };
}
