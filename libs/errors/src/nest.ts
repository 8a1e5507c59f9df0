import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';
import { bodyProblems } from './body-problems';
import { problems } from './catalogue';
import { pathOf } from './express';
import { isProblemError, ProblemError } from './problem-error';
import { methodNotAllowed, renderProblem, routeNotFound } from './render';

/** Nest's built-in HttpExceptions in the catalogue's words (their messages are not shown). */
function fromHttpException(
  exception: HttpException,
  request: Request,
  allowedMethods: ((path: string) => readonly string[]) | undefined,
): ProblemError {
  switch (exception.getStatus()) {
    case HttpStatus.NOT_FOUND: {
      const path = pathOf(request.originalUrl);
      const allowed = allowedMethods?.(path) ?? [];
      return allowed.length > 0 ? methodNotAllowed(request.method, path, allowed) : routeNotFound(request.method, path);
    }
    case HttpStatus.PAYLOAD_TOO_LARGE:
      return bodyProblems('too-large');
    case HttpStatus.UNSUPPORTED_MEDIA_TYPE:
      return bodyProblems('unsupported-media-type');
    default:
      return exception.getStatus() < 500
        ? new ProblemError(problems.badRequest, 'The request could not be processed as sent.')
        : new ProblemError(problems.internal, 'An unexpected error occurred. It has been logged.');
  }
}

export interface ProblemDetailsFilterOptions {
  /** Called with every error that is not a ProblemError: it is a bug or an outage, so log it. */
  readonly onUnexpected?: (error: unknown, request: Request) => void;
  /** The methods the API has for a path: an unmatched request to such a path is 405, not 404. */
  readonly allowedMethods?: (path: string) => readonly string[];
}

/** A global exception filter (NestJS on Express) that renders everything as problem details. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly options: ProblemDetailsFilterOptions = {}) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    if (response.headersSent) {
      response.destroy();
      return;
    }
    let translated: unknown = exception;
    if (!isProblemError(exception)) {
      translated =
        exception instanceof HttpException && exception.getStatus() < 500
          ? fromHttpException(exception, request, this.options.allowedMethods)
          : exception;
    }
    const requestId = (request as { id?: unknown }).id;
    const rendered = renderProblem(
      translated,
      pathOf(request.originalUrl),
      typeof requestId === 'string' ? requestId : undefined,
    );
    if (rendered.unexpected) this.options.onUnexpected?.(exception, request);
    response.status(rendered.status).set(rendered.headers).send(JSON.stringify(rendered.body));
  }
}
