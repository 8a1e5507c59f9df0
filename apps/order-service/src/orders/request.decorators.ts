import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { CallContext as Context } from './ports';

/** `@CallContext()`: what travels with the calls this request makes (its request id). */
export const CallContext = createParamDecorator((_data: unknown, context: ExecutionContext): Context => ({
  requestId: context.switchToHttp().getRequest<Request>().id,
}));
