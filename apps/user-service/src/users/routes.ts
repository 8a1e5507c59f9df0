import { validator } from '@platform/validation';
import { Router } from 'express';
import { CreateUserBody, ListUsersQuery, UpdateUserBody, UserIdParams } from './user';
import type { Users } from './users';

const createBody = validator(CreateUserBody);
const updateBody = validator(UpdateUserBody);
const idParams = validator(UserIdParams, 'path');
const listQuery = validator(ListUsersQuery, 'query');

/** The `/users` HTTP API: validation in, problem details out (errors go to the platform's handler). */
export function usersRouter(users: Users): Router {
  return Router()
    .post('/users', async (req, res) => {
      const user = await users.create(createBody(req.body));
      res.status(201).location(`/users/${user.id}`).json(user);
    })
    .get('/users', async (req, res) => {
      res.json(await users.list(listQuery({ ...req.query })));
    })
    .get('/users/:id', async (req, res) => {
      res.json(await users.get(idParams({ ...req.params }).id));
    })
    .patch('/users/:id', async (req, res) => {
      const { id } = idParams({ ...req.params });
      res.json(await users.update(id, updateBody(req.body)));
    })
    .delete('/users/:id', async (req, res) => {
      await users.delete(idParams({ ...req.params }).id);
      res.status(204).end();
    });
}
