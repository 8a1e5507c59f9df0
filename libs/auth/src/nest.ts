import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { principalOf } from './principal';

export { bearerAuth } from './express';

/**
 * `@Caller() caller: Principal`: who the request's bearer token proves it is from (Nest on
 * Express, whose platform module authenticates with `bearerAuth` before the body is read).
 */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  principalOf(context.switchToHttp().getRequest<IncomingMessage>()),
);
