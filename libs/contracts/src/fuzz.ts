import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import type { OpenApiDocument } from './openapi';
import { ContractChecker } from './checker';

/** A request the fuzzer makes: the path with its query, headers in lower case, the raw body. */
export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export interface FuzzResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The parsed JSON body, or undefined. */
  readonly body: unknown;
}

export interface FuzzTarget {
  readonly document: OpenApiDocument;
  /** Sends one request to the service under test. */
  send(request: FuzzRequest): Promise<FuzzResponse>;
  /** The service's log lines (parsed), for the one line every request must leave. */
  logs(): readonly Record<string, unknown>[];
  /** The service's `/metrics`, for the series every request must count. */
  metrics(): Promise<string>;
  /** Headers every request carries (a bearer token, say). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Callers taken in turn by the generated requests, as headers (each a bearer token: of an
   * administrator, a person, a workload, a forged one, or none), after `headers`.
   */
  readonly callers?: readonly Readonly<Record<string, string>>[];
  /** Ids of things that exist (a user an order may be for), used as often as random ones. */
  readonly ids?: readonly string[];
}

/** One request that broke a rule, with what it was, so it can be kept as a regression case. */
export interface Finding {
  readonly rule: 'answer' | 'no-5xx' | 'contract' | 'printable' | 'log-line' | 'metric';
  readonly request: FuzzRequest;
  readonly status: number;
  readonly message: string;
}

interface Operation {
  readonly method: string;
  readonly template: string;
  readonly parameters: readonly { name: string; in: 'path' | 'query' | 'header'; required: boolean; schema: Schema }[];
  readonly body?: { required: boolean; schema: Schema };
  readonly statuses: ReadonlySet<number>;
}

type Schema = Record<string, unknown>;

/** Strings that broke services before, or that every text field should be tried with. */
const HOSTILE_STRINGS = [
  '',
  ' ',
  'a\u0000b',
  'line\nbreak',
  'c1 \u0085 next line',
  'csi \u009b31m',
  '\u007f',
  '\ud800',
  'x'.repeat(300),
  '%ff',
  '../../etc/passwd',
  '4242 4242 4242 4242',
  '{"nested":true}',
];

/** Ids a validator might let through that a database refuses, and the right shape in another case. */
const hostileIds = (uuid: string) => [
  `urn:uuid:${uuid}`,
  `{${uuid}}`,
  uuid.toUpperCase(),
  uuid.replace(/-/g, ''),
  `${uuid}%00`,
  '%ff%fe',
  '%E0%A4%A',
  'not-an-id',
  'a'.repeat(2_000),
];

function operations(document: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [template, item] of Object.entries(document.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      const op = raw as {
        parameters?: Operation['parameters'];
        requestBody?: { required: boolean; content: Record<string, { schema: Schema }> };
        responses: Record<string, unknown>;
      };
      out.push({
        method: method.toUpperCase(),
        template,
        parameters: op.parameters ?? [],
        body:
          op.requestBody === undefined
            ? undefined
            : { required: op.requestBody.required, schema: op.requestBody.content['application/json']?.schema ?? {} },
        statuses: new Set(Object.keys(op.responses).map(Number)),
      });
    }
  }
  return out;
}

/**
 * A fast-check arbitrary of the values a JSON schema accepts (the subset the platform's schemas
 * use: objects, arrays, strings with lengths, patterns and formats, integers, enums, constants,
 * unions, references to `components/schemas`).
 */
export function valuesOf(
  schema: Schema,
  document: OpenApiDocument,
  ids: readonly string[] = [],
): fc.Arbitrary<unknown> {
  if (typeof schema['$ref'] === 'string') {
    const name = schema['$ref'].replace('#/components/schemas/', '');
    return valuesOf((document.components['schemas']?.[name] ?? {}) as Schema, document, ids);
  }
  if ('const' in schema) return fc.constant(schema['const']);
  if (Array.isArray(schema['enum'])) return fc.constantFrom(...(schema['enum'] as unknown[]));
  const union = (schema['anyOf'] ?? schema['oneOf']) as Schema[] | undefined;
  if (union !== undefined) return fc.oneof(...union.map((s) => valuesOf(s, document, ids)));
  switch (schema['type']) {
    case 'object': {
      const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
      const required = new Set((schema['required'] ?? []) as string[]);
      return fc.record(
        Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, valuesOf(s, document, ids)])),
        {
          requiredKeys: Object.keys(properties).filter((k) => required.has(k)),
        },
      );
    }
    case 'array':
      return fc.array(valuesOf((schema['items'] ?? {}) as Schema, document, ids), {
        minLength: Number(schema['minItems'] ?? 0),
        maxLength: Math.min(Number(schema['maxItems'] ?? 5), 5),
      });
    case 'integer':
      return fc.integer({
        min: Math.max(Number(schema['minimum'] ?? -1e6), Number.MIN_SAFE_INTEGER),
        max: Math.min(Number(schema['maximum'] ?? 1e6), Number.MAX_SAFE_INTEGER),
      });
    case 'number':
      return fc.double({ min: Number(schema['minimum'] ?? -1e6), max: Number(schema['maximum'] ?? 1e6), noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'string':
      return strings(schema, ids);
    default:
      return fc.jsonValue();
  }
}

function strings(schema: Schema, ids: readonly string[]): fc.Arbitrary<string> {
  const minLength = Number(schema['minLength'] ?? 0);
  const maxLength = Math.min(Number(schema['maxLength'] ?? 40), 60);
  const fits = (s: string) => s.length >= minLength && s.length <= maxLength;
  switch (schema['format']) {
    case 'uuid':
      return ids.length === 0 ? fc.uuid() : fc.oneof(fc.uuid(), fc.constantFrom(...ids));
    case 'email':
      return fc.emailAddress().filter((e) => e.length <= maxLength);
    case 'date-time':
      return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  }
  if (typeof schema['pattern'] === 'string') {
    const matching = fc.stringMatching(new RegExp(schema['pattern'] as string)).filter(fits);
    // The same text with a control character slipped in (C0, DEL or C1: a terminal escape, a next
    // line), which a pattern for printable text must refuse.
    const tainted = fc
      .tuple(matching, fc.integer({ min: 0, max: 60 }), fc.constantFrom('\u0000', '\n', '\u007f', '\u0085', '\u009b'))
      .map(
        ([text, at, control]) => text.slice(0, at % (text.length + 1)) + control + text.slice(at % (text.length + 1)),
      );
    return fc.oneof({ arbitrary: matching, weight: 3 }, { arbitrary: tainted, weight: 1 });
  }
  return fc.string({ minLength, maxLength });
}

/** A value made wrong in one of the ways clients get it wrong. */
function broken(value: unknown, document: OpenApiDocument): fc.Arbitrary<unknown> {
  const variants: fc.Arbitrary<unknown>[] = [
    fc.constantFrom(null, 42, -1, 1.5, 2 ** 53, true, 'text', [], [1, 2], {}, { __proto__: { polluted: true } }),
    fc.constantFrom(...HOSTILE_STRINGS),
  ];
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    variants.push(fc.constant({ ...value, unexpected: 'field' }));
    if (keys.length > 0) {
      variants.push(
        fc.constantFrom(...keys).chain((key) =>
          fc.oneof(
            fc.constant(Object.fromEntries(Object.entries(value).filter(([k]) => k !== key))),
            fc
              .constantFrom(...HOSTILE_STRINGS, null, -1, 1.5, 10 ** 15, [], {})
              .map((bad) => ({ ...value, [key]: bad })),
          ),
        ),
      );
    }
  }
  void document;
  return fc.oneof(...variants);
}

/** How a body is sent: right, or in one of the ways that must be refused cleanly. */
const BODY_FORMS = [
  'json',
  'json',
  'json',
  'empty',
  'null',
  'malformed',
  'text/plain',
  'latin1',
  'deep',
  'huge',
] as const;

interface Step {
  readonly op: Operation;
  readonly valid: boolean;
  readonly pathIds: string[];
  readonly query: Record<string, unknown>;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  readonly bodyForm: (typeof BODY_FORMS)[number];
}

function stepArbitrary(
  ops: readonly Operation[],
  document: OpenApiDocument,
  ids: readonly string[],
): fc.Arbitrary<Step> {
  return fc.constantFrom(...ops).chain((op) => {
    const query = op.parameters.filter((p) => p.in === 'query');
    const headers = op.parameters.filter((p) => p.in === 'header');
    const queryValues = fc.record(Object.fromEntries(query.map((p) => [p.name, valuesOf(p.schema, document, ids)])), {
      requiredKeys: query.filter((p) => p.required).map((p) => p.name),
    });
    const headerValues = fc.record(
      Object.fromEntries(
        headers.map((p) => [
          p.name,
          // Only what HTTP can carry in a header at all (no control characters).
          valuesOf(p.schema, document, ids)
            .map(String)
            .filter((v) => /^[\t\u0020-\u007e]*$/.test(v)),
        ]),
      ),
      { requiredKeys: headers.filter((p) => p.required).map((p) => p.name) },
    ) as fc.Arbitrary<Record<string, string>>;
    const body = op.body === undefined ? fc.constant(undefined) : valuesOf(op.body.schema, document, ids);
    return fc.record({
      op: fc.constant(op),
      valid: fc.boolean(),
      pathIds: fc.array(fc.uuid(), { minLength: 2, maxLength: 2 }),
      query: queryValues,
      headers: headerValues,
      body: fc.boolean().chain((bad) => (bad ? body.chain((b) => broken(b, document)) : body)),
      bodyForm: fc.constantFrom(...BODY_FORMS),
    });
  });
}

const deepBody = () => `${'['.repeat(5_000)}${']'.repeat(5_000)}`;

/** The request of a step, with ids from earlier answers where it has them. */
function requestOf(
  step: Step,
  known: readonly string[],
  n: number,
  extraHeaders: Readonly<Record<string, string>>,
): FuzzRequest {
  let idIndex = 0;
  const path = step.op.template.replace(/\{[^}]+\}/g, () => {
    const candidates = [...known, ...(step.pathIds as string[])];
    const pick = candidates[(n + idIndex++) % candidates.length] as string;
    return step.valid ? pick : (hostileIds(pick)[n % hostileIds(pick).length] as string);
  });
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(step.query)) query.set(name, String(value));
  if (!step.valid && n % 3 === 0) query.set('unknown', '1');
  const search = query.toString();
  const headers: Record<string, string> = { ...extraHeaders, 'x-request-id': `fuzz-${n}`, ...step.headers };
  let body: string | undefined;
  if (step.op.body !== undefined || !step.valid) {
    switch (step.valid ? 'json' : step.bodyForm) {
      case 'json':
        body = step.body === undefined ? undefined : JSON.stringify(step.body);
        if (body !== undefined) headers['content-type'] = 'application/json';
        break;
      case 'empty':
        body = '';
        headers['content-type'] = 'application/json';
        break;
      case 'null':
        body = 'null';
        headers['content-type'] = 'application/json';
        break;
      case 'malformed':
        body = '{"a":';
        headers['content-type'] = 'application/json';
        break;
      case 'text/plain':
        body = 'a=b';
        headers['content-type'] = 'text/plain';
        break;
      case 'latin1':
        body = JSON.stringify(step.body ?? {});
        headers['content-type'] = 'application/json; charset=latin1';
        break;
      case 'deep':
        body = deepBody();
        headers['content-type'] = 'application/json';
        break;
      case 'huge':
        body = JSON.stringify({ filler: 'x'.repeat(110 * 1024) });
        headers['content-type'] = 'application/json';
        break;
    }
  }
  return { method: step.op.method, path: search === '' ? path : `${path}?${search}`, headers, body };
}

const idsIn = (body: unknown): string[] => {
  const found: string[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (typeof child === 'string' && /^(id|.*Id)$/.test(key) && /^[0-9a-f-]{36}$/.test(child)) found.push(child);
        else visit(child);
      }
    }
  };
  visit(body);
  return found;
};

/**
 * A control character (C0, DEL or C1) in any string of an answer: text the services keep is
 * printable, so one in an answer means it was stored.
 */
function controlCharacterIn(body: unknown): string | undefined {
  const strings: string[] = [];
  const visit = (value: unknown) => {
    if (typeof value === 'string') strings.push(value);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(body);
  for (const text of strings) {
    // eslint-disable-next-line no-control-regex -- control characters are what it looks for
    const match = /[\u0000-\u001f\u007f-\u009f]/.exec(text);
    if (match !== null) return `U+${match[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`;
  }
  return undefined;
}

/** `http_server_requests_total` by method, route and status, from a Prometheus text scrape. */
function requestCounts(scrape: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of scrape.matchAll(/^http_server_requests_total\{([^}]*)\} (\d+)/gm)) {
    const labels = Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    counts.set(`${labels['method']} ${labels['route']} ${labels['status_code']}`, Number(match[2]));
  }
  return counts;
}

export interface FuzzOptions {
  readonly seed: number;
  /** Generated requests. */
  readonly runs: number;
  /** Requests that broke a rule once, replayed first under the same rules. */
  readonly regressions?: readonly FuzzRequest[];
}

/** The operation a request is for: its method on the first template its path matches. */
function operationOf(ops: readonly Operation[], request: FuzzRequest): Operation | undefined {
  const path = request.path.split('?', 1)[0] ?? request.path;
  return [...ops]
    .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0))
    .find(
      (op) => op.method === request.method && new RegExp(`^${op.template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
    );
}

/**
 * Property-based fuzzing of a service from its OpenAPI document: the regression cases, then
 * sequences of valid and broken requests to every operation (ids from answers feed later calls),
 * each held to the rules every service keeps: an answer (no reset); no 5xx beyond what an
 * operation declares for an upstream failure; every answer one the document allows (problem
 * details on every error, `x-request-id` on every response); no control character in any text
 * it answers (text it keeps is printable); one log line per request with the route template of
 * the operation it was for; and a metric series that counted it. Returns what broke, with the
 * requests, so each can become a regression case.
 */
export async function fuzz(target: FuzzTarget, options: FuzzOptions): Promise<Finding[]> {
  const ops = operations(target.document);
  const checker = new ContractChecker(target.document);
  const findings: Finding[] = [];
  const known: string[] = [...(target.ids ?? [])];
  const before = requestCounts(await target.metrics());
  const expected = new Map<string, number>();
  const steps = fc.sample(stepArbitrary(ops, target.document, target.ids ?? []), {
    seed: options.seed,
    numRuns: options.runs,
  });
  const requests = [
    ...(options.regressions ?? []).map((r, n) => ({
      request: { ...r, headers: { ...target.headers, ...r.headers, 'x-request-id': `regression-${n}` } },
      op: operationOf(ops, r),
    })),
    ...steps.map((step, n) => ({
      request: requestOf(step, known, n, {
        ...target.headers,
        ...target.callers?.[n % target.callers.length],
      }),
      op: step.op as Operation | undefined,
    })),
  ];
  for (const { request, op } of requests) {
    const response = await target.send(request);
    const record = (rule: Finding['rule'], message: string) =>
      findings.push({ rule, request, status: response.status, message });
    if (response.status === 0) {
      record('answer', String(response.body));
      continue;
    }
    const upstream = response.status === 502 && op?.statuses.has(502) === true;
    if (response.status >= 500 && !upstream) record('no-5xx', `answered ${response.status}`);
    for (const violation of checker.check({
      ...request,
      status: response.status,
      headers: response.headers,
      body: response.body,
    })) {
      record('contract', violation);
    }
    if (response.status < 300) known.push(...idsIn(response.body).slice(0, 3));
    const unprintable = controlCharacterIn(response.body);
    if (unprintable !== undefined) record('printable', `answered a text with ${unprintable}`);
    const line = target
      .logs()
      .find((l) => l['request_id'] === request.headers['x-request-id'] && l['msg'] === 'request completed');
    const route = op === undefined ? 'unmatched' : op.template.replace(/\{([^}]+)\}/g, ':$1');
    if (line === undefined) record('log-line', 'no "request completed" log line');
    else if (line['route'] !== route) record('log-line', `logged under route ${String(line['route'])}, not ${route}`);
    const key = `${request.method} ${String(line?.['route'] ?? route)} ${response.status}`;
    expected.set(key, (expected.get(key) ?? 0) + 1);
  }
  const after = requestCounts(await target.metrics());
  for (const [key, count] of expected) {
    const counted = (after.get(key) ?? 0) - (before.get(key) ?? 0);
    if (counted < count) {
      findings.push({
        rule: 'metric',
        request: { method: key.split(' ')[0] ?? '', path: key.split(' ')[1] ?? '', headers: {} },
        status: Number(key.split(' ')[2]),
        message: `http_server_requests_total{${key}} counted ${counted} of ${count} requests`,
      });
    }
  }
  return findings;
}

/** A finding as one line, for a test's failure message. */
export const describeFinding = (f: Finding): string =>
  `[${f.rule}] ${f.request.method} ${f.request.path} ${f.request.body?.slice(0, 80) ?? ''} -> ${f.status}: ${f.message}`;

/** Sends fuzz requests over HTTP to a listening service, the path exactly as given (bad encodings included). */
export function httpSender(baseUrl: string): (request: FuzzRequest) => Promise<FuzzResponse> {
  const base = new URL(baseUrl);
  return (request) =>
    new Promise((resolve) => {
      const headers =
        request.body === undefined
          ? request.headers
          : { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) };
      const req = httpRequest(
        { host: base.hostname, port: base.port, method: request.method, path: request.path, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown;
            try {
              body = text === '' ? undefined : (JSON.parse(text) as unknown);
            } catch {
              body = text;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
          });
        },
      );
      // A request the service never answered (a reset connection) is a status of 0: a finding.
      req.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ status: 0, headers: {}, body: `no answer: ${error.code ?? error.message}` }),
      );
      req.end(request.body);
    });
}
