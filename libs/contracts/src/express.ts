import { principalOf } from '@platform/auth';
import { type Request, type Response, Router } from 'express';
import { colonPath, type Input, type OperationSpec } from './operation';
import type { OpenApiDocument } from './openapi';
import { requestValidator } from './validate';

export type OperationHandler<Op extends OperationSpec> = (
  input: Input<Op>,
  req: Request,
  res: Response,
) => unknown | Promise<unknown>;

/**
 * Registers an operation on an Express router: its method and path, the validation of every
 * request part by its schemas, then the handler with the typed input. A handler that returns a
 * value has it sent as JSON with the operation's success status; one that answers itself (204, a
 * `Location`) does so with `res`. Errors go to the app's problem handler.
 */
export function route<Op extends OperationSpec>(router: Router, op: Op, handler: OperationHandler<Op>): Router {
  const validate = requestValidator(op);
  return router[op.method](colonPath(op.path), async (req, res) => {
    const input = validate({
      params: req.params,
      query: req.query,
      headers: req.headers,
      body: req.body,
      caller: principalOf(req),
    });
    const result = await handler(input, req, res);
    if (!res.headersSent && result !== undefined) res.status(op.successStatus).json(result);
  });
}

/** `GET /openapi.json`: the API's contract, generated from its operations. */
export function openApiRouter(document: OpenApiDocument): Router {
  const body = JSON.stringify(document);
  return Router().get('/openapi.json', (_req, res) => {
    res.type('application/json').set('cache-control', 'no-cache').send(body);
  });
}
