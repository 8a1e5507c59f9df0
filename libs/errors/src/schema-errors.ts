import { problems } from './catalogue';
import { type FieldError, ProblemError } from './problem-error';

/** The parts of a JSON Schema validator's error (Ajv's `ErrorObject`) that a field error needs. */
export interface SchemaError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message?: string;
  readonly params: Readonly<Record<string, unknown>>;
}

const pointerToField = (pointer: string): string =>
  pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');

const join = (parent: string, child: string): string => (parent === '' ? child : `${parent}.${child}`);

/** How many allowed values an error names before it only counts the rest. */
const SHOWN_VALUES = 12;

/** `EUR, USD, GBP` or, for a long list, the first few and how many in all. */
function allowedValues(values: unknown): string {
  const all = Array.isArray(values) ? values.map((value) => JSON.stringify(value).replace(/^"|"$/g, '')) : [];
  const shown = all.slice(0, SHOWN_VALUES).join(', ');
  return all.length > SHOWN_VALUES ? `${shown}, … (${all.length} in all)` : shown;
}

function toFieldError(location: FieldError['in'], error: SchemaError): FieldError {
  const field = pointerToField(error.instancePath);
  switch (error.keyword) {
    case 'additionalProperties':
      return {
        in: location,
        field: join(field, String(error.params['additionalProperty'])),
        message: 'is not allowed',
      };
    case 'required':
      return { in: location, field: join(field, String(error.params['missingProperty'])), message: 'is required' };
    case 'enum':
      return { in: location, field, message: `must be one of ${allowedValues(error.params['allowedValues'])}` };
    case 'format':
      return { in: location, field, message: `must be a valid ${String(error.params['format'])}` };
    default:
      return { in: location, field, message: error.message ?? `fails the ${error.keyword} rule` };
  }
}

/** Maps JSON Schema errors to the `errors` list of one validation problem, one entry per bad field. */
export function validationProblem(location: FieldError['in'], schemaErrors: readonly SchemaError[]): ProblemError {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const schemaError of schemaErrors) {
    const fieldError = toFieldError(location, schemaError);
    const key = `${fieldError.in}:${fieldError.field}:${fieldError.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push(fieldError);
  }
  const fields = [...new Set(errors.map((e) => e.field || '(body)'))].join(', ');
  return new ProblemError(
    problems.validation,
    `Invalid ${location === 'body' ? 'request body' : location}: ${fields}.`,
    {
      errors,
    },
  );
}
