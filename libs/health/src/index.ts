export {
  HealthRegistry,
  httpStatusOf,
  HEALTH_PATHS,
  type CheckResult,
  type CheckStatus,
  type HealthCheck,
  type HealthProbe,
  type HealthRegistryOptions,
  type HealthReport,
} from './registry';
