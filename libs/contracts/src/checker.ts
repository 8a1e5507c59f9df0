import { PLATFORM_PATHS } from './routes';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { OpenApiDocument } from './openapi';

/** A response as a test saw it, whatever client it used. */
export interface SeenResponse {
  readonly method: string;
  /** The path, with or without its query string. */
  readonly path: string;
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The parsed JSON body, or undefined when there was none. */
  readonly body: unknown;
}

interface ResponseObject {
  readonly headers?: Record<string, { required?: boolean }>;
  readonly content?: Record<string, { schema: unknown }>;
}

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** What every service answers beside its API (probes, the scrape, the contract): not in the document. */

/**
 * Holds responses to an OpenAPI document: each one must be a status the operation declares, with
 * the content type and body schema it declares, and every header it marks required (the request
 * id on all of them). A path the document does not have may only be a `route-not-found` problem;
 * the platform's own paths (health, metrics, the document itself) are not part of the contract.
 * Violations are collected (`violations`), so tests can check every response they make and
 * assert once, after each test, that there were none.
 */
export class ContractChecker {
  readonly violations: string[] = [];
  readonly #document: OpenApiDocument;
  readonly #ajv: Ajv2020;
  readonly #paths: { template: string; pattern: RegExp }[];

  constructor(document: OpenApiDocument) {
    this.#document = document;
    this.#ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.#ajv);
    // Relative references (`#/components/schemas/…`) resolve against the document.
    this.#ajv.addSchema({ ...document, $id: 'openapi' }, 'openapi');
    this.#paths = Object.keys(document.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
    }));
  }

  /** The problems with one response (also recorded in `violations`). */
  check(response: SeenResponse): string[] {
    const found = this.#problems(response);
    const where = `${response.method} ${response.path} -> ${response.status}`;
    this.violations.push(...found.map((problem) => `${where}: ${problem}`));
    return found;
  }

  #problems(response: SeenResponse): string[] {
    const out: string[] = [];
    const path = response.path.split('?', 1)[0] ?? response.path;
    if (PLATFORM_PATHS.has(path)) return out;
    const method = response.method.toLowerCase();
    if (response.headers['x-request-id'] === undefined) out.push('no x-request-id header');
    // Literal paths before templated ones, as the routers match them.
    const matches = this.#paths
      .filter((p) => p.pattern.test(path))
      .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
    const template = matches.find((p) => this.#document.paths[p.template]?.[method] !== undefined)?.template;
    if (template === undefined) {
      const expected = matches.length > 0 ? 'method-not-allowed' : 'route-not-found';
      if (!this.#isProblem(response, expected))
        out.push(`no operation for ${method.toUpperCase()} ${path}, and not a ${expected} problem`);
      return out;
    }
    const operation = this.#document.paths[template]?.[method] as { responses: Record<string, ResponseObject> };
    const declared = operation.responses[String(response.status)];
    if (declared === undefined) {
      out.push(`status ${response.status} is not declared for ${method.toUpperCase()} ${template}`);
      return out;
    }
    for (const [name, header] of Object.entries(declared.headers ?? {})) {
      if (name === 'x-request-id') continue; // checked for every response above
      if (header.required && response.headers[name] === undefined) out.push(`required header ${name} is missing`);
    }
    const contentType =
      String(response.headers['content-type'] ?? '')
        .split(';', 1)[0]
        ?.trim() ?? '';
    const media = Object.keys(declared.content ?? {});
    if (media.length === 0) {
      if (response.body !== undefined && response.body !== '') out.push('a body where the operation declares none');
      return out;
    }
    if (!media.includes(contentType)) {
      out.push(`content type ${contentType || '(none)'} is not one of ${media.join(', ')}`);
      return out;
    }
    const pointer = `openapi#/paths/${escapePointer(template)}/${method}/responses/${response.status}/content/${escapePointer(contentType)}/schema`;
    const validate = this.#ajv.getSchema(pointer);
    if (validate === undefined) {
      out.push(`no schema at ${pointer}`);
    } else if (!validate(response.body)) {
      out.push(`body does not match its schema: ${this.#ajv.errorsText(validate.errors)}`);
    }
    return out;
  }

  #isProblem(response: SeenResponse, code: string): boolean {
    const body = response.body as { type?: unknown } | undefined;
    return (
      String(response.headers['content-type']).startsWith('application/problem+json') &&
      body?.type === `urn:problem-type:${code}`
    );
  }
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options']);

interface SuperagentResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string;
}
interface SuperagentTest {
  method: string;
  url: string;
  set(headers: Record<string, string>): SuperagentTest;
  on(event: 'response', listener: (res: SuperagentResponse) => void): unknown;
}

/**
 * A supertest agent (`request(app)`) whose every response is checked against the document: the
 * tests go on as they are written, and `checker.violations` lists what broke the contract.
 * `headers` go on every request (`Authorization` of the caller the agent stands for).
 */
export function checkedAgent<T extends object>(
  agent: T,
  checker: ContractChecker,
  headers: Record<string, string> = {},
): T {
  return new Proxy(agent, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string' || !HTTP_METHODS.has(property)) return value;
      return (...args: unknown[]) => {
        const test = (value as (...a: unknown[]) => SuperagentTest).apply(target, args).set(headers);
        test.on('response', (res) => {
          const url = new URL(test.url, 'http://localhost');
          checker.check({
            method: test.method,
            path: url.pathname + url.search,
            status: res.status,
            headers: res.headers,
            body: res.text === '' ? undefined : res.body,
          });
        });
        return test;
      };
    },
  });
}
