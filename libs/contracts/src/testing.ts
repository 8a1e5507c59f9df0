import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export { checkedAgent, ContractChecker, type SeenResponse } from './checker';
export {
  caseName,
  expectedStatus,
  fillPath,
  judge,
  matrixCases,
  operationsOf,
  pathVariants,
  PRINCIPAL_KINDS,
  type MatrixCase,
  type MatrixOperation,
  type MatrixPolicy,
  type PathVariant,
  type PrincipalKind,
  type VariantKind,
} from './matrix';
export {
  describeFinding,
  fuzz,
  httpSender,
  valuesOf,
  type Finding,
  type FuzzOptions,
  type FuzzRequest,
  type FuzzResponse,
  type FuzzTarget,
} from './fuzz';

/** Where the committed OpenAPI documents live, from the workspace root. */
export const COMMITTED_DOCUMENTS = 'docs/api';

/**
 * The committed copy of a service's OpenAPI document (`docs/api/<service>.openapi.json`). With
 * `UPDATE_OPENAPI=1` the served document is written there first: the way to accept a contract
 * change, which review then sees as a diff.
 */
export function committedDocument(workspaceRoot: string, service: string, served: unknown): unknown {
  const file = join(workspaceRoot, COMMITTED_DOCUMENTS, `${service}.openapi.json`);
  if (process.env['UPDATE_OPENAPI'] === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(served, null, 2)}\n`);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

/** The errors of a document against the OpenAPI 3.1 schema (none when valid). */
export async function openApiErrors(document: unknown): Promise<unknown[]> {
  const { Validator } = await import('@seriousme/openapi-schema-validator');
  const result = await new Validator().validate(
    structuredClone(document) as Parameters<InstanceType<typeof Validator>['validate']>[0],
  );
  return result.valid ? [] : [...(Array.isArray(result.errors) ? result.errors : [result.errors])];
}

/**
 * The test every service has: the document it serves at `GET /openapi.json` is a valid OpenAPI
 * 3.1 document, equal to the copy committed in docs/api (`UPDATE_OPENAPI=1` writes it), so a
 * contract change is always a reviewed diff.
 */
export function itServesItsCommittedContract(
  workspaceRoot: string,
  service: string,
  served: () => Promise<unknown>,
): void {
  it('serves a valid OpenAPI 3.1 document, equal to the one committed in docs/api', async () => {
    const document = await served();
    expect(await openApiErrors(document)).toEqual([]);
    expect(document).toEqual(committedDocument(workspaceRoot, service, document));
  });
}

/** A response as the tests see it (supertest's, or any with these fields). */
export interface ProblemResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
}

/**
 * Asserts that `res` is the RFC 9457 problem of the catalogue entry `code` with `status`, and that it
 * reveals nothing of the code behind it (no stack, no SQL).
 */
export function expectProblem(res: ProblemResponse, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({
    type: `urn:problem-type:${code}`,
    status,
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(JSON.stringify(res.body)).not.toMatch(/stack|SELECT |INSERT |UPDATE /);
}
