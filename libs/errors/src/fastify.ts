import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { bodyProblems, type BodyProblemKind } from './body-problems';
import { problems } from './catalogue';
import { isProblemError, ProblemError } from './problem-error';
import { methodNotAllowed, renderProblem, routeNotFound } from './render';
import { type SchemaError, validationProblem } from './schema-errors';

const fastifyBodyKinds: Readonly<Record<string, BodyProblemKind>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'too-large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'empty',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-json',
};

const validationLocations: Readonly<Record<string, 'body' | 'query' | 'path' | 'header'>> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/** Fastify's own errors (schema validation, content-type parsing) in the catalogue's words. */
export function fromFastifyError(error: FastifyError, bodyLimit?: number): ProblemError | undefined {
  if (error.validation !== undefined) {
    const location = validationLocations[error.validationContext ?? 'body'] ?? 'body';
    return validationProblem(location, error.validation as readonly SchemaError[]);
  }
  const kind = fastifyBodyKinds[error.code];
  if (kind !== undefined) return bodyProblems(kind, kind === 'too-large' ? bodyLimit : undefined);
  // JSON.parse failures, and secure-json-parse refusing __proto__ or constructor.prototype keys.
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
    return bodyProblems('malformed-json');
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    // A client error Fastify raised that we have no word for: say it was bad, not why (the
    // message may quote internals). It is logged at info by the caller.
    return new ProblemError(problems.badRequest, 'The request could not be processed as sent.');
  }
  return undefined;
}

export interface ProblemDetailsOptions {
  /** Called with every error that is not a ProblemError: it is a bug or an outage, so log it. */
  readonly onUnexpected?: (error: unknown, request: FastifyRequest) => void;
  /** The methods the API has for a path: an unmatched request to such a path is 405, not 404. */
  readonly allowedMethods?: (path: string) => readonly string[];
}

const send = (request: FastifyRequest, reply: FastifyReply, error: unknown, options: ProblemDetailsOptions) => {
  const rendered = renderProblem(error, request.url.split('?', 1)[0], String(request.id));
  if (rendered.unexpected) options.onUnexpected?.(error, request);
  return reply.code(rendered.status).headers(rendered.headers).send(JSON.stringify(rendered.body));
};

/**
 * For Fastify's `frameworkErrors` option: errors raised before routing (a URL with a bad
 * percent-encoding, FST_ERR_BAD_URL), which never reach the error handler, as problem details too.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  return send(
    request,
    reply,
    fromFastifyError(error) ?? new ProblemError(problems.badRequest, 'The request could not be processed as sent.'),
    {},
  );
}

/** Renders every error, and every unmatched route, as RFC 9457 problem details. */
export const problemDetails = fp<ProblemDetailsOptions>(
  async (app: FastifyInstance, options) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const translated = isProblemError(error)
        ? error
        : (fromFastifyError(error, app.initialConfig.bodyLimit) ?? error);
      return send(request, reply, translated, options);
    });
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?', 1)[0] ?? request.url;
      const allowed = options.allowedMethods?.(path) ?? [];
      const problem =
        allowed.length > 0 ? methodNotAllowed(request.method, path, allowed) : routeNotFound(request.method, path);
      return send(request, reply, problem, options);
    });
  },
  { fastify: '5.x', name: '@platform/errors' },
);
