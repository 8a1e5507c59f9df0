/**
 * What changed between two versions of a service's OpenAPI document, as its clients see it. A change
 * is breaking when a client written against the base document can fail against the head: an
 * operation, a success status or a response field it relies on is gone, a request it sends is now
 * refused (a new required input, a narrower type or range, an input no longer accepted), or a
 * response carries what it could not expect (a new enum value, a field that may now be missing).
 */
export interface ApiChange {
  readonly breaking: boolean;
  /** `POST /payments`, or `document` for the whole. */
  readonly where: string;
  readonly message: string;
}

type Schema = Record<string, unknown>;
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  security?: Record<string, string[]>[];
}
interface Document {
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Compares `head` with `base`; breaking changes first. */
export function diffApis(base: unknown, head: unknown): ApiChange[] {
  const [b, h] = [base as Document, head as Document];
  const changes: ApiChange[] = [];
  const operations = (d: Document) =>
    new Map(
      Object.entries(d.paths ?? {}).flatMap(([path, item]) =>
        Object.entries(item)
          .filter(([method]) => METHODS.includes(method))
          .map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as const),
      ),
    );
  const [before, after] = [operations(b), operations(h)];
  for (const [where, op] of before) {
    const next = after.get(where);
    if (next === undefined) changes.push({ breaking: true, where, message: 'the operation was removed' });
    else compareOperation(where, op, next, new Resolver(b), new Resolver(h), changes);
  }
  for (const where of after.keys())
    if (!before.has(where)) changes.push({ breaking: false, where, message: 'a new operation' });
  return changes.sort((x, y) => Number(y.breaking) - Number(x.breaking));
}

/** Resolves `#/components/schemas/<name>` references of one document. */
class Resolver {
  constructor(private readonly document: Document) {}
  resolve(schema: Schema | undefined): Schema | undefined {
    const ref = schema?.['$ref'];
    if (typeof ref !== 'string') return schema;
    const name = ref.replace(/^#\/components\/schemas\//, '');
    return this.resolve(this.document.components?.schemas?.[name]);
  }
}

const scopesOf = (op: Operation) =>
  new Set((op.security ?? []).flatMap((requirement) => Object.values(requirement).flat()));
const jsonSchema = (content: Record<string, { schema?: Schema }> | undefined) =>
  content?.['application/json']?.schema ?? content?.['application/problem+json']?.schema;

function compareOperation(
  where: string,
  base: Operation,
  head: Operation,
  b: Resolver,
  h: Resolver,
  changes: ApiChange[],
): void {
  const add = (breaking: boolean, message: string) => changes.push({ breaking, where, message });
  const key = (p: Parameter) => `${p.in} ${p.name}`;
  const baseParams = new Map((base.parameters ?? []).map((p) => [key(p), p]));
  const headParams = new Map((head.parameters ?? []).map((p) => [key(p), p]));
  for (const [name, param] of headParams) {
    const old = baseParams.get(name);
    if (old === undefined)
      add(
        param.required === true,
        `a new ${param.required ? 'required' : 'optional'} ${param.in} parameter ${param.name}`,
      );
    else {
      if (param.required && !old.required) add(true, `the ${param.in} parameter ${param.name} is now required`);
      compareSchema(`${param.in} parameter ${param.name}`, old.schema, param.schema, 'request', b, h, add);
    }
  }
  for (const [name, param] of baseParams)
    if (!headParams.has(name)) add(param.in !== 'header', `the ${param.in} parameter ${param.name} was removed`);

  const [oldBody, newBody] = [jsonSchema(base.requestBody?.content), jsonSchema(head.requestBody?.content)];
  if (head.requestBody?.required && !base.requestBody?.required) add(true, 'a request body is now required');
  if (oldBody !== undefined || newBody !== undefined)
    compareSchema('request body', oldBody, newBody, 'request', b, h, add);

  const successes = (op: Operation) => Object.keys(op.responses ?? {}).filter((status) => /^2/.test(status));
  for (const status of successes(base))
    if (!successes(head).includes(status)) add(true, `the ${status} response was removed`);
  for (const [status, response] of Object.entries(head.responses ?? {})) {
    const old = base.responses?.[status];
    if (old === undefined) {
      add(/^2/.test(status), `a new ${status} response`);
      continue;
    }
    compareSchema(`${status} response`, jsonSchema(old.content), jsonSchema(response.content), 'response', b, h, add);
  }

  const [oldScopes, newScopes] = [scopesOf(base), scopesOf(head)];
  for (const scope of newScopes) if (!oldScopes.has(scope)) add(true, `it now needs the scope ${scope}`);
  if ((base.security ?? []).length === 0 && (head.security ?? []).length > 0) add(true, 'it now needs a token');
}

type Direction = 'request' | 'response';
const typesOf = (schema: Schema): string[] =>
  schema['type'] === undefined ? [] : ([] as string[]).concat(schema['type'] as string | string[]);
/** The values a schema allows, when it lists them: `enum`, `const`, or TypeBox's union of literals. */
function enumOf(schema: Schema): unknown[] | undefined {
  if (Array.isArray(schema['enum'])) return schema['enum'] as unknown[];
  if ('const' in schema) return [schema['const']];
  const anyOf = schema['anyOf'];
  if (Array.isArray(anyOf) && anyOf.every((s: Schema) => 'const' in s)) return anyOf.map((s: Schema) => s['const']);
  return undefined;
}

/**
 * Compares two schemas at `where`. In a request a change is breaking when it refuses what the base
 * accepted; in a response, when it may send what the base never sent.
 */
function compareSchema(
  where: string,
  baseSchema: Schema | undefined,
  headSchema: Schema | undefined,
  direction: Direction,
  b: Resolver,
  h: Resolver,
  add: (breaking: boolean, message: string) => void,
  depth = 0,
): void {
  const [base, head] = [b.resolve(baseSchema), h.resolve(headSchema)];
  if (base === undefined || head === undefined || depth > 20) {
    if (base !== undefined && head === undefined) add(direction === 'response', `${where}: no longer described`);
    return;
  }
  const request = direction === 'request';
  const [oldTypes, newTypes] = [typesOf(base), typesOf(head)];
  const lost = oldTypes.filter((t) => !newTypes.includes(t) && !(t === 'integer' && newTypes.includes('number')));
  const gained = newTypes.filter((t) => !oldTypes.includes(t));
  if (oldTypes.length > 0 && newTypes.length > 0) {
    if (request && lost.length > 0) add(true, `${where}: no longer accepts ${lost.join(', ')}`);
    if (!request && gained.length > 0) add(true, `${where}: may now be ${gained.join(', ')}`);
  }
  const [oldEnum, newEnum] = [enumOf(base), enumOf(head)];
  if (oldEnum !== undefined && newEnum !== undefined) {
    const removed = oldEnum.filter((v) => !newEnum.includes(v));
    const added = newEnum.filter((v) => !oldEnum.includes(v));
    if (request && removed.length > 0) add(true, `${where}: no longer accepts ${removed.map(String).join(', ')}`);
    if (!request && added.length > 0) add(true, `${where}: may now be ${added.map(String).join(', ')}`);
    if (request && added.length > 0) add(false, `${where}: also accepts ${added.map(String).join(', ')}`);
  } else if (request && oldEnum === undefined && newEnum !== undefined)
    add(true, `${where}: now limited to ${newEnum.map(String).join(', ')}`);

  if (request) {
    const narrower = (name: string, tighter: (old: number, next: number) => boolean) => {
      const [old, next] = [base[name], head[name]];
      if (typeof next === 'number' && (typeof old !== 'number' || tighter(old, next)))
        add(true, `${where}: ${name} ${typeof old === 'number' ? `${old} → ` : ''}${next}`);
    };
    narrower('maxLength', (o, n) => n < o);
    narrower('minLength', (o, n) => n > o);
    narrower('maximum', (o, n) => n < o);
    narrower('minimum', (o, n) => n > o);
    narrower('maxItems', (o, n) => n < o);
    if (typeof head['pattern'] === 'string' && head['pattern'] !== base['pattern'])
      add(true, `${where}: a different pattern (${String(head['pattern'])})`);
  }

  const [oldProps, newProps] = [
    (base['properties'] ?? {}) as Record<string, Schema>,
    (head['properties'] ?? {}) as Record<string, Schema>,
  ];
  const [oldRequired, newRequired] = [
    new Set((base['required'] ?? []) as string[]),
    new Set((head['required'] ?? []) as string[]),
  ];
  for (const [name, schema] of Object.entries(newProps)) {
    const at = `${where}.${name}`;
    if (!(name in oldProps)) {
      add(request && newRequired.has(name), `${at}: new${newRequired.has(name) ? ' and required' : ''}`);
      continue;
    }
    if (request && newRequired.has(name) && !oldRequired.has(name)) add(true, `${at}: now required`);
    if (!request && oldRequired.has(name) && !newRequired.has(name)) add(true, `${at}: may now be missing`);
    compareSchema(at, oldProps[name], schema, direction, b, h, add, depth + 1);
  }
  for (const name of Object.keys(oldProps))
    if (!(name in newProps))
      add(request ? head['additionalProperties'] === false : oldRequired.has(name), `${where}.${name}: removed`);
  if (base['items'] !== undefined || head['items'] !== undefined)
    compareSchema(`${where}[]`, base['items'] as Schema, head['items'] as Schema, direction, b, h, add, depth + 1);
}

/** The changes as Markdown for a job summary: one section per service, breaking changes marked. */
export function formatApiChanges(service: string, changes: readonly ApiChange[]): string {
  if (changes.length === 0) return `### ${service}\n\nNo change to the API.\n`;
  const breaking = changes.filter((c) => c.breaking).length;
  const lines = changes.map((c) => `- ${c.breaking ? '**breaking**: ' : ''}\`${c.where}\` ${c.message}`);
  return `### ${service}\n\n${breaking} breaking change${breaking === 1 ? '' : 's'}, ${changes.length - breaking} other${changes.length - breaking === 1 ? '' : 's'}.\n\n${lines.join('\n')}\n`;
}
