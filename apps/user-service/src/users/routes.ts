import { route } from '@platform/contracts/express';
import { Router } from 'express';
import type { Users } from './users';
import { createUser, deleteUser, getMyUser, getUser, listUsers, updateUser } from './users.api';

/** The `/users` HTTP API: each operation of the contract, its input validated (errors go to the platform's handler). */
export function usersRouter(users: Users): Router {
  const router = Router();
  route(router, createUser, async ({ body, caller }, _req, res) => {
    const user = await users.create(body, caller);
    res.status(201).location(`/users/${user.id}`).json(user);
  });
  route(router, getMyUser, ({ caller }) => users.mine(caller));
  route(router, listUsers, ({ query }) => users.list(query));
  route(router, getUser, ({ params, caller }) => users.get(params.id, caller));
  route(router, updateUser, ({ params, body, caller }) => users.update(params.id, body, caller));
  route(router, deleteUser, async ({ params, caller }, _req, res) => {
    await users.delete(params.id, caller);
    res.status(204).end();
  });
  return router;
}
