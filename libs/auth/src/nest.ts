import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { type Access as AccessSpec, admit } from './access';
import type { Authenticator } from './authenticator';

/** The authenticator the `AccessGuard` verifies bearer tokens with (a provider of the platform module). */
export const AUTHENTICATOR = Symbol('@platform/auth:authenticator');

const ACCESS = Symbol('@platform/auth:access');

/** Who may call a route: anyone, or a caller the access admits. */
export type RouteAccess = 'public' | AccessSpec;

/** The access declared on a route handler, undefined when none was. */
export const accessOf = (handler: object): RouteAccess | undefined =>
  Reflect.getMetadata(ACCESS, handler) as RouteAccess | undefined;

/**
 * Admits a request to the route it guards by the access declared on that route (`@Access`, read
 * through Nest's `Reflector`): authenticated and authorized before the body is read, its principal
 * then `principalOf(req)`. A route that declares no access admits nobody (404).
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AUTHENTICATOR) private readonly authenticator: Authenticator | null,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.reflector.get<RouteAccess | undefined>(ACCESS, context.getHandler());
    if (access === undefined) return false;
    if (access === 'public') return true;
    if (this.authenticator === null) throw new Error('AccessGuard: the platform has no authenticator');
    await admit(this.authenticator, access, context.switchToHttp().getRequest<IncomingMessage>());
    return true;
  }
}

/** `@Access(security)`: the route's access, enforced by the `AccessGuard` bound with it. */
export const Access = (access: RouteAccess) => applyDecorators(SetMetadata(ACCESS, access), UseGuards(AccessGuard));
