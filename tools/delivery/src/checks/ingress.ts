import type { KubeObject } from '../helm';
import type { RenderedSystem } from '../gitops';
import type { SystemFinding } from '../gitops-checks';
import { appRendering, appsFileOf, objectsOf, where } from './common';

/** Annotations that configure the whole ALB of an IngressGroup: members must agree on them. */
export const GROUP_WIDE_ANNOTATIONS = [
  'scheme',
  'listen-ports',
  'ssl-redirect',
  'certificate-arn',
  'ssl-policy',
  'inbound-cidrs',
  'security-groups',
  'load-balancer-attributes',
  'ip-address-type',
  'target-type',
].map((a) => `alb.ingress.kubernetes.io/${a}`);

interface Backend {
  service?: { name: string; port?: { number?: number; name?: string } };
}

/**
 * The shared ALB: one IngressGroup whose members agree on its group-wide settings, pinned by
 * IngressClassParams, HTTPS where it redirects, and every backend a Service of the Ingress's own
 * namespace with that port (not ExternalName), weighted canary actions included.
 */
export function ingressProblems(system: RenderedSystem): SystemFinding[] {
  const findings: SystemFinding[] = [];
  const add = (file: string, rule: string, message: string) => findings.push({ file, rule, message });
  const appsFile = appsFileOf(system);
  const all = objectsOf(system);
  const ingressApp = appRendering(system, 'Ingress');
  const ingresses = all.filter(({ object }) => object.kind === 'Ingress');
  const services = all.filter(({ object }) => object.kind === 'Service').map(({ object }) => object);
  const groups = new Set(
    ingresses.map(({ object }) => object.metadata.annotations?.['alb.ingress.kubernetes.io/group.name']),
  );
  if (ingresses.length > 0 && (groups.size !== 1 || groups.has(undefined)))
    add(
      ingressApp?.path ?? appsFile,
      'ingress-group',
      `every Ingress must join one IngressGroup; found ${[...groups].map(String).join(', ')}`,
    );
  for (const annotation of GROUP_WIDE_ANNOTATIONS) {
    const values = new Set(ingresses.map(({ object }) => object.metadata.annotations?.[annotation]));
    if (values.size > 1)
      add(
        ingressApp?.path ?? appsFile,
        'ingress-group',
        `members of the IngressGroup disagree on ${annotation}: ${[...values].map(String).join(' | ')}`,
      );
  }
  for (const { object, app } of ingresses) {
    const file = app.path ?? app.definedIn;
    const annotations = object.metadata.annotations ?? {};
    const redirect = annotations['alb.ingress.kubernetes.io/ssl-redirect'];
    if (
      redirect !== undefined &&
      !String(annotations['alb.ingress.kubernetes.io/listen-ports'] ?? '').includes(`"HTTPS": ${redirect}`)
    )
      add(file, 'ingress-group', `${where(object)}: ssl-redirect needs an HTTPS listener on ${redirect}`);
    const className = (object['spec'] as { ingressClassName?: string }).ingressClassName;
    const ingressClass = all.find(
      ({ object: o }) => o.kind === 'IngressClass' && o.metadata.name === className,
    )?.object;
    const paramsName = (ingressClass?.['spec'] as { parameters?: { name: string } } | undefined)?.parameters?.name;
    const params = all.find(
      ({ object: o }) => o.kind === 'IngressClassParams' && o.metadata.name === paramsName,
    )?.object;
    const paramsSpec = params?.['spec'] as { group?: { name: string }; namespaceSelector?: unknown } | undefined;
    if (paramsSpec?.group?.name === undefined || paramsSpec.namespaceSelector === undefined)
      add(
        file,
        'ingress-group',
        `${where(object)}: its IngressClass ${className} must pin the group with IngressClassParams (group and namespaceSelector)`,
      );
    const spec = object['spec'] as {
      defaultBackend?: Backend;
      rules?: { http?: { paths?: { backend: Backend }[] } }[];
    };
    const backends = [
      ...(spec.defaultBackend ? [spec.defaultBackend] : []),
      ...(spec.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend)),
    ];
    for (const backend of backends) {
      const service = backend.service;
      if (service === undefined) continue;
      if (service.port?.name === 'use-annotation') {
        const action = annotations[`alb.ingress.kubernetes.io/actions.${service.name}`];
        if (action === undefined) {
          add(
            file,
            'ingress-backends',
            `${where(object)}: backend ${service.name} uses an annotation that does not exist`,
          );
          continue;
        }
        const targets =
          (JSON.parse(action) as { forwardConfig?: { targetGroups?: { serviceName: string; servicePort: string }[] } })
            .forwardConfig?.targetGroups ?? [];
        for (const target of targets) checkBackend(object, target.serviceName, Number(target.servicePort), file);
      } else {
        checkBackend(object, service.name, service.port?.number ?? service.port?.name, file);
      }
    }
  }
  function checkBackend(ingress: KubeObject, name: string, port: number | string | undefined, file: string) {
    const service = services.find(
      (s) => s.metadata.name === name && s.metadata.namespace === ingress.metadata.namespace,
    );
    if (service === undefined) {
      add(
        file,
        'ingress-backends',
        `${where(ingress)}: backend Service ${name} does not exist in namespace ${ingress.metadata.namespace}`,
      );
      return;
    }
    const spec = service['spec'] as { type?: string; ports?: { name?: string; port: number }[] };
    if (spec.type === 'ExternalName')
      add(
        file,
        'ingress-backends',
        `${where(ingress)}: backend ${name} is an ExternalName Service, which the AWS Load Balancer Controller does not support`,
      );
    if (!(spec.ports ?? []).some((p) => p.port === port || p.name === port))
      add(file, 'ingress-backends', `${where(ingress)}: Service ${name} has no port ${String(port)}`);
  }
  return findings;
}
