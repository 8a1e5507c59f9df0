import Ajv from 'ajv';
import clusterImagePolicy from '../schemas/clusterimagepolicy.schema.json';
import ingressClassParams from '../schemas/ingressclassparams.schema.json';
import veleroSchedule from '../schemas/velero-schedule.schema.json';
import type { KubeObject } from './helm';
import { registerValidator } from './kubernetes-schema';

/** Schemas for the kinds no maintained package covers, compiled strict (unknown fields fail). */
export function registerExtraSchemas(): void {
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const [apiVersion, kind, schema] of [
    ['velero.io/v1', 'Schedule', veleroSchedule],
    ['elbv2.k8s.aws/v1beta1', 'IngressClassParams', ingressClassParams],
    ['policy.sigstore.dev/v1beta1', 'ClusterImagePolicy', clusterImagePolicy],
  ] as const) {
    const validate = ajv.compile(schema);
    registerValidator(apiVersion, kind, (object: KubeObject) =>
      validate(object)
        ? []
        : (validate.errors ?? []).map((e) =>
            e.keyword === 'additionalProperties'
              ? `${kind}${e.instancePath.replace(/\//g, '.')}.${String(e.params['additionalProperty'])}: unknown field`
              : `${kind}${e.instancePath.replace(/\//g, '.')} ${e.message ?? e.keyword}`,
          ),
    );
  }
}
