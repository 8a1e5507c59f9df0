import { type PipeTransform } from '@nestjs/common';
import type { FieldError } from '@platform/errors';
import type { Static, TSchema } from '@sinclair/typebox';
import { validator, type Validator } from './index';

/**
 * A Nest pipe that validates one request part against a TypeBox schema with the platform's Ajv
 * settings and throws the 400 validation problem on failure:
 * `@Body(SchemaPipe.body(CreateOrderBody)) body: CreateOrderInput`.
 */
export class SchemaPipe<T> implements PipeTransform<unknown, T> {
  readonly #validate: Validator<T>;
  readonly #optional: boolean;

  private constructor(validate: Validator<T>, optional: boolean) {
    this.#validate = validate;
    this.#optional = optional;
  }

  static body<S extends TSchema>(schema: S): SchemaPipe<Static<S>> {
    return SchemaPipe.#of(schema, 'body', false);
  }

  /** A body that may be absent; when present it must match. */
  static optionalBody<S extends TSchema>(schema: S): SchemaPipe<Static<S> | undefined> {
    return SchemaPipe.#of(schema, 'body', true);
  }

  static query<S extends TSchema>(schema: S): SchemaPipe<Static<S>> {
    return SchemaPipe.#of(schema, 'query', false);
  }

  static path<S extends TSchema>(schema: S): SchemaPipe<Static<S>> {
    return SchemaPipe.#of(schema, 'path', false);
  }

  static #of<S extends TSchema>(schema: S, location: FieldError['in'], optional: boolean): SchemaPipe<Static<S>> {
    return new SchemaPipe(validator(schema, location), optional);
  }

  transform(value: unknown): T {
    if (value === undefined && this.#optional) return undefined as T;
    // Copies: validation fills defaults and coerces parameters in place.
    const copy = value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...value } : value;
    return this.#validate(copy);
  }
}
