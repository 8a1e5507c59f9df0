import { type FieldError, validationProblem } from '@platform/errors';
import type { Static, TSchema } from 'typebox';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * A UUID in its canonical 8-4-4-4-12 form. Stricter than ajv-formats' `uuid`, which also takes a
 * `urn:uuid:` prefix that PostgreSQL's uuid type refuses.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// One @ between a local part and a dotted domain, no spaces or control characters: the pragmatic
// shape browsers use for <input type=email>, not the whole of RFC 5322.
const EMAIL_SHAPE =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** An email as browsers accept it, at most 254 characters; surrounding spaces are allowed (and trimmed by the caller). */
const isEmail = (value: string): boolean => {
  const email = value.trim();
  return email.length <= 254 && EMAIL_SHAPE.test(email);
};

/**
 * One Ajv, configured like Fastify's own (so the three services accept and reject the same
 * inputs): all errors reported, no type coercion of bodies, unknown keys are errors (schemas say
 * `additionalProperties: false`), and strings are checked with the standard formats.
 */
const createAjv = (coerceTypes: boolean): Ajv => {
  const ajv = new Ajv({ allErrors: true, coerceTypes, useDefaults: true, removeAdditional: false, strict: true });
  addFormats(ajv);
  ajv.addFormat('uuid', UUID);
  ajv.addFormat('email', { type: 'string', validate: isEmail });
  return ajv;
};

const bodies = createAjv(false);
// Query strings and path parameters arrive as strings; "?limit=20" must satisfy an integer.
const parameters = createAjv(true);

/**
 * The compiled Ajv function for a schema, for frameworks that run validation themselves
 * (Fastify's `setValidatorCompiler`): bodies are never coerced, parameters are.
 */
export function schemaValidator(schema: object, location: FieldError['in']): ValidateFunction {
  return (location === 'body' ? bodies : parameters).compile(schema);
}

export type Validator<T> = (value: unknown) => T;

/**
 * Compiles a TypeBox (JSON Schema) once, at startup, into a function that returns the value typed
 * or throws a 400 validation ProblemError that names every bad field.
 */
export function validator<S extends TSchema>(schema: S, location: FieldError['in'] = 'body'): Validator<Static<S>> {
  const ajv = location === 'body' ? bodies : parameters;
  const validate: ValidateFunction = ajv.compile(schema);
  return (value: unknown): Static<S> => {
    if (validate(value)) return value as Static<S>;
    throw validationProblem(location, validate.errors ?? []);
  };
}
