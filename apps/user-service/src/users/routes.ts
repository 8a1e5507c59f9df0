import { type OperationRouter, route } from '@platform/contracts/express';
import type { Users } from './users';
import { createUser, deleteUser, getMyUser, getUser, listUsers, updateUser } from './users.api';

/**
 * The `/users` HTTP API on `router` (the platform's): each operation of the contract on its own
 * route, guarded and validated by it (errors go to the platform's handler).
 */
export function usersRouter(router: OperationRouter, users: Users): OperationRouter {
  route(router, createUser, async ({ body, caller }, _req, res) => {
    const user = await users.create(body, caller);
    res.status(201).location(`/users/${user.id}`).json(user);
  });
  route(router, getMyUser, ({ caller }) => users.mine(caller));
  route(router, listUsers, ({ query, caller }) => users.list(query, caller));
  route(router, getUser, ({ params, caller }) => users.get(params.id, caller));
  route(router, updateUser, ({ params, body, caller }) => users.update(params.id, body, caller));
  route(router, deleteUser, async ({ params, caller }, _req, res) => {
    await users.delete(params.id, caller);
    res.status(204).end();
  });
  return router;
}
