export { problems, problemType, PROBLEM_TYPE_PREFIX, type ProblemDefinition, type ProblemCode } from './catalogue';
export {
  ProblemError,
  isProblemError,
  type FieldError,
  type ProblemDocument,
  type ProblemOptions,
} from './problem-error';
export { methodNotAllowed, renderProblem, routeNotFound, PROBLEM_CONTENT_TYPE, type RenderedProblem } from './render';
export { assertJsonDepth, bodyProblems, MAX_JSON_DEPTH, type BodyProblemKind } from './body-problems';
export { validationProblem, type SchemaError } from './schema-errors';
