import { type FieldError, validationProblem } from '@platform/errors';
import type { Static, TSchema } from '@sinclair/typebox';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * One Ajv, configured like Fastify's own (so the three services accept and reject the same
 * inputs): all errors reported, no type coercion of bodies, unknown keys are errors (schemas say
 * `additionalProperties: false`), and strings are checked with the standard formats.
 */
const createAjv = (coerceTypes: boolean): Ajv => {
  const ajv = new Ajv({ allErrors: true, coerceTypes, useDefaults: true, removeAdditional: false, strict: true });
  addFormats(ajv);
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
