export {
  colonPath,
  operation,
  PROBLEM_RESPONSES,
  MONEY_MOVING_RESPONSES,
  problemResponses,
  responsesOf,
  type HeaderSpec,
  type HttpMethod,
  type Input,
  type OperationSpec,
  type ResponseSpec,
  type SecuritySpec,
} from './operation';
export {
  openApiDocument,
  REQUEST_ID_RESPONSE_HEADER,
  type ApiInfo,
  type DocumentOptions,
  type OpenApiDocument,
} from './openapi';
export { PLATFORM_PATHS, routeTable, type RouteTable } from './routes';
export {
  Cursor,
  FieldErrorSchema,
  IdempotencyKey,
  IdParams,
  Owner,
  Page,
  pageQuery,
  PrintableText,
  ProblemDetails,
  Timestamp,
  Uuid,
} from './schemas';
export { bodyRequired, callerFor, requestValidator, type RawRequest } from './validate';
export { serviceApi, type ServiceApi } from './service-api';
