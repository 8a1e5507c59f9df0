import { type ProblemDefinition, problemType } from './catalogue';

/** One entry of a validation problem's `errors` list. */
export interface FieldError {
  /** Where the bad value was: the JSON body, the query string, a path parameter or a header. */
  readonly in: 'body' | 'query' | 'path' | 'header';
  /** Dotted path to the field (`items.0.sku`), or the parameter or header name; empty for the whole body. */
  readonly field: string;
  readonly message: string;
}

/** An RFC 9457 problem details document, as sent on the wire. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: readonly FieldError[];
  [extension: string]: unknown;
}

export interface ProblemOptions {
  /** Extra members for the problem document, e.g. `{ paymentId }`. Never put secrets here. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly errors?: readonly FieldError[];
  /** Response headers that belong to this problem, e.g. `Retry-After`. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

/** An error that is safe to show to the client: everything in it is meant for them. */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  readonly definition: ProblemDefinition;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;

  constructor(definition: ProblemDefinition, detail: string = definition.title, options: ProblemOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.definition = definition;
    this.detail = detail;
    this.errors = options.errors;
    this.extensions = options.extensions;
    this.headers = options.headers;
  }

  get status(): number {
    return this.definition.status;
  }

  toDocument(instance?: string): ProblemDocument {
    const document: ProblemDocument = {
      ...this.extensions,
      type: problemType(this.definition),
      title: this.definition.title,
      status: this.definition.status,
      detail: this.detail,
    };
    if (instance !== undefined) document.instance = instance;
    if (this.errors !== undefined) document.errors = this.errors;
    return document;
  }
}

export const isProblemError = (error: unknown): error is ProblemError => error instanceof ProblemError;
