import { SCOPES } from '@platform/auth';
import { IdParams, operation, Owner, Page, problemResponses, Timestamp, Uuid } from '@platform/contracts';
import { Type } from 'typebox';
import { CreateUserBody, ListUsersQuery, UpdateUserBody } from './user';

export const UserSchema = Type.Object(
  {
    id: Uuid(),
    email: Type.String({ format: 'email', description: 'Trimmed and lower-cased.' }),
    name: Type.String(),
    owner: Owner,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false, $id: 'User' },
);

const tags = ['users'];
const location = { location: { description: 'The new user’s URL.', required: true } };

export const createUser = operation({
  method: 'post',
  path: '/users',
  operationId: 'createUser',
  summary: 'Create the caller’s own user profile',
  description: 'The profile belongs to the person whose token created it; a person has one profile (409 for a second).',
  tags,
  security: { people: [SCOPES.usersWrite] },
  body: CreateUserBody,
  successStatus: 201,
  responses: {
    201: { description: 'The user.', schema: UserSchema, headers: location },
    ...problemResponses(409),
  },
});

export const getMyUser = operation({
  method: 'get',
  path: '/users/me',
  operationId: 'getMyUser',
  summary: 'Read the caller’s own user profile',
  tags,
  security: { people: [SCOPES.usersRead] },
  successStatus: 200,
  responses: { 200: { description: 'The user.', schema: UserSchema }, ...problemResponses(404) },
});

export const listUsers = operation({
  method: 'get',
  path: '/users',
  operationId: 'listUsers',
  summary: 'List users in creation order (administrators and allowed services)',
  tags,
  security: { people: [SCOPES.admin], workloads: true },
  query: ListUsersQuery,
  successStatus: 200,
  responses: { 200: { description: 'A page of users.', schema: Page(UserSchema) } },
});

export const getUser = operation({
  method: 'get',
  path: '/users/{id}',
  operationId: 'getUser',
  summary: 'Read a user (its owner, an administrator or an allowed service)',
  tags,
  security: { people: [SCOPES.usersRead], workloads: true },
  params: IdParams,
  successStatus: 200,
  responses: { 200: { description: 'The user.', schema: UserSchema }, ...problemResponses(404) },
});

export const updateUser = operation({
  method: 'patch',
  path: '/users/{id}',
  operationId: 'updateUser',
  summary: 'Change a user’s email and/or name (its owner or an administrator)',
  tags,
  security: { people: [SCOPES.usersWrite] },
  params: IdParams,
  body: UpdateUserBody,
  successStatus: 200,
  responses: { 200: { description: 'The user as changed.', schema: UserSchema }, ...problemResponses(404, 409) },
});

export const deleteUser = operation({
  method: 'delete',
  path: '/users/{id}',
  operationId: 'deleteUser',
  summary: 'Delete a user (its owner or an administrator)',
  tags,
  security: { people: [SCOPES.usersWrite] },
  params: IdParams,
  successStatus: 204,
  responses: { 204: { description: 'Deleted.' }, ...problemResponses(404) },
});

/** Every operation of user-service, as its routes are registered and its OpenAPI document lists them. */
export const usersApi = [createUser, getMyUser, listUsers, getUser, updateUser, deleteUser];
