import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { validatedInput } from '@platform/contracts/nest';
import type { Request } from 'express';
import type { CallContext as Context } from './ports';

/** `@CallContext()`: what travels with the calls this request makes (its request id). */
export const CallContext = createParamDecorator((_data: unknown, context: ExecutionContext): Context => ({
  requestId: context.switchToHttp().getRequest<Request>().id,
}));

/** `@IdempotencyKey()`: the request's `Idempotency-Key`, validated by its operation's header schema. */
export const IdempotencyKey = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined =>
    (validatedInput(context) as { headers: { 'idempotency-key'?: string } }).headers['idempotency-key'],
);
