export { createLogger, LOG_LEVELS, type LogFormat, type Logger, type LoggerConfig, type LogLevel } from './logger';
export {
  containsCardNumber,
  luhnValid,
  redactCardNumbers,
  redactLine,
  redactSecretMembers,
  REDACTED,
  REDACTED_CARD,
  SECRET_KEY,
} from './redact';
export { REQUEST_ID_HEADER, requestIdFrom } from './request-id';
export { logCompletedRequest, type CompletedRequest } from './request-log';
