import { AsyncResource } from 'node:async_hooks';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { assertJsonDepth, bodyProblems, type BodyProblemKind } from './body-problems';
import { problems } from './catalogue';
import { isProblemError, ProblemError } from './problem-error';
import { renderProblem } from './render';

const bodyParserKinds: Readonly<Record<string, BodyProblemKind>> = {
  'entity.parse.failed': 'malformed-json',
  'entity.too.large': 'too-large',
  'encoding.unsupported': 'unsupported-media-type',
  'charset.unsupported': 'unsupported-media-type',
};

/** body-parser's errors (also raised under NestJS on Express) in the catalogue's words. */
export function fromBodyParserError(error: unknown): ProblemError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type, limit } = error as { type?: unknown; limit?: unknown };
  const kind = typeof type === 'string' ? bodyParserKinds[type] : undefined;
  if (kind === undefined) return undefined;
  return bodyProblems(kind, typeof limit === 'number' ? limit : undefined);
}

/** A body with something in it: chunked, or a length above zero. */
const hasBody = (req: Parameters<RequestHandler>[0]): boolean =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

export interface JsonBodyOptions {
  /** Largest accepted body in bytes. */
  readonly limitBytes: number;
}

/**
 * JSON bodies only: a request that carries a body of another type is 415, malformed JSON is 400,
 * an oversized body is 413 (all as problem details, through `problemHandler`). The body of a GET
 * or HEAD is never read, and an empty body is no body (`req.body` stays undefined), as in Fastify.
 */
export function jsonBody({ limitBytes }: JsonBodyOptions): RequestHandler[] {
  const skip = (req: Parameters<RequestHandler>[0]) => req.method === 'GET' || req.method === 'HEAD' || !hasBody(req);
  const requireJson: RequestHandler = (req, _res, next) => {
    if (!skip(req) && !req.is(['application/json', 'application/*+json'])) {
      next(bodyProblems('unsupported-media-type'));
      return;
    }
    next();
  };
  // Not strict: any JSON value is parsed (a `null` body is then a validation error, as in Fastify).
  const parse = express.json({ limit: limitBytes, strict: false, type: ['application/json', 'application/*+json'] });
  // Translated here, at the source, so that frameworks layered on Express (NestJS maps a
  // SyntaxError to its own BadRequestException) see the catalogue's error.
  const parseJson: RequestHandler = (req, res, next) => {
    if (skip(req)) {
      next();
      return;
    }
    // The request's async context (its trace) goes on after the body has been read.
    const resume = AsyncResource.bind(next);
    parse(req, res, (error?: unknown) => {
      if (error !== undefined) {
        resume(fromBodyParserError(error) ?? error);
        return;
      }
      try {
        assertJsonDepth(req.body);
        resume();
      } catch (depthError) {
        resume(depthError);
      }
    });
  };
  return [requireJson, parseJson];
}

/**
 * Client errors Express raises itself: a path parameter with a bad percent-encoding (`/users/%ff`)
 * is a URIError with status 400. Anything else stays unknown (a 500).
 */
export function fromExpressError(error: unknown): ProblemError | undefined {
  if (
    error instanceof URIError ||
    (error instanceof Error &&
      (error as { status?: unknown }).status === 400 &&
      (error as { expose?: unknown }).expose === true)
  ) {
    return new ProblemError(problems.badRequest, 'The request path or query is not valid (a bad percent-encoding?).');
  }
  return undefined;
}

/** The problem's `instance`: the path the client asked for, without its query string. */
export const pathOf = (url: string): string => url.split('?', 1)[0] ?? url;

export interface ProblemHandlerOptions {
  /** Called with every error that is not a ProblemError: it is a bug or an outage, so log it. */
  readonly onUnexpected?: (error: unknown, req: Parameters<ErrorRequestHandler>[1]) => void;
}

/** Express error middleware that renders every error as RFC 9457 problem details. */
export function problemHandler(options: ProblemHandlerOptions = {}): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const requestId = (req as { id?: unknown }).id;
    const rendered = renderProblem(
      isProblemError(error) ? error : (fromExpressError(error) ?? error),
      pathOf(req.originalUrl),
      typeof requestId === 'string' ? requestId : undefined,
    );
    if (rendered.unexpected) options.onUnexpected?.(error, req);
    res.status(rendered.status).set(rendered.headers).send(JSON.stringify(rendered.body));
  };
}
