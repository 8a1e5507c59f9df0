import type { KubeObject } from '../helm';

export interface PodOf {
  metadata: { namespace?: string; name: string };
  spec: {
    template: {
      spec: {
        serviceAccountName?: string;
        containers: { env?: { name: string; value?: string }[] }[];
        volumes?: { projected?: { sources?: { serviceAccountToken?: { audience?: string } }[] } }[];
      };
    };
  };
}

/**
 * What the rendered Deployments say about who calls whom: the audiences of a pod's projected
 * tokens, in its service account's name, against each service's `WORKLOAD_AUDIENCE` and
 * `WORKLOAD_ALLOWED_CALLERS`. A call nobody trusts fails at run time with 403; a trusted caller
 * that never calls is a door left open. Both are reported.
 */
export function workloadTrust(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const deployments = objects.filter((o) => o.kind === 'Deployment') as unknown as PodOf[];
  const envOf = (d: PodOf) =>
    new Map(d.spec.template.spec.containers.flatMap((c) => (c.env ?? []).map((e) => [e.name, e.value ?? ''] as const)));
  const accountOf = (d: PodOf) =>
    `system:serviceaccount:${d.metadata.namespace ?? 'default'}:${d.spec.template.spec.serviceAccountName ?? 'default'}`;
  const calls = deployments.flatMap((d) =>
    (d.spec.template.spec.volumes ?? []).flatMap((v) =>
      (v.projected?.sources ?? []).flatMap((s) =>
        s.serviceAccountToken?.audience === undefined
          ? []
          : [{ caller: d, account: accountOf(d), audience: s.serviceAccountToken.audience }],
      ),
    ),
  );
  const targets = deployments.map((d) => {
    const env = envOf(d);
    return {
      deployment: d,
      audience: env.get('WORKLOAD_AUDIENCE'),
      issuer: env.get('WORKLOAD_ISSUER_URL'),
      allowed: (env.get('WORKLOAD_ALLOWED_CALLERS') ?? '').split(',').filter(Boolean),
    };
  });
  for (const call of calls) {
    const target = targets.find((t) => t.audience === call.audience);
    if (target === undefined) {
      problems.push(`${call.caller.metadata.name} mounts a token for ${call.audience}, which no service answers to`);
    } else if (!target.allowed.includes(call.account)) {
      problems.push(
        `${call.caller.metadata.name} calls ${call.audience} as ${call.account}, which ${target.deployment.metadata.name} does not allow (WORKLOAD_ALLOWED_CALLERS)`,
      );
    }
  }
  for (const target of targets) {
    for (const account of target.allowed) {
      if (!calls.some((c) => c.account === account && c.audience === target.audience))
        problems.push(
          `${target.deployment.metadata.name} allows ${account}, which calls it with no token for ${String(target.audience)}`,
        );
    }
  }
  const issuers = new Set(targets.map((t) => t.issuer).filter((i) => i !== undefined));
  if (issuers.size > 1) problems.push(`the services trust different cluster issuers: ${[...issuers].join(', ')}`);
  return problems;
}
