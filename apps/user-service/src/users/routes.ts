import { route } from '@platform/contracts/express';
import { Router } from 'express';
import type { Users } from './users';
import { createUser, deleteUser, getUser, listUsers, updateUser } from './users.api';

/** The `/users` HTTP API: each operation of the contract, its input validated (errors go to the platform's handler). */
export function usersRouter(users: Users): Router {
  const router = Router();
  route(router, createUser, async ({ body }, _req, res) => {
    const user = await users.create(body);
    res.status(201).location(`/users/${user.id}`).json(user);
  });
  route(router, listUsers, ({ query }) => users.list(query));
  route(router, getUser, ({ params }) => users.get(params.id));
  route(router, updateUser, ({ params, body }) => users.update(params.id, body));
  route(router, deleteUser, async ({ params }, _req, res) => {
    await users.delete(params.id);
    res.status(204).end();
  });
  return router;
}
