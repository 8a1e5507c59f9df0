import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type RenderedSystem, specOf } from '../gitops';
import type { SystemFinding } from '../gitops-checks';
import type { KubeObject } from '../helm';
import { appsFileOf, objectsOf, where } from './common';

/** The namespace label under which sigstore policy-controller admits only what a ClusterImagePolicy admits. */
export const ADMISSION_LABEL = 'policy.sigstore.dev/include';

interface ImageVerificationValues {
  enabled?: boolean;
  workflow?: string;
  oidcIssuer?: string;
}
interface Authority {
  keyless?: { identities?: { issuer?: string; subject?: string; issuerRegExp?: string; subjectRegExp?: string }[] };
}
interface PolicySpec {
  images?: { glob: string }[];
  authorities?: Authority[];
}

/** policy-controller's glob (its pkg/apis/glob): `*` within a path segment, `**` across them, the whole reference. */
export function globMatches(glob: string, image: string): boolean {
  const pattern = glob
    .split('**')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(image);
}

/** The identity the release workflow signs as: the workflow file's URL in the root's repository, at its branch. */
export function signerSubject(repoURL: string, workflow: string, branch: string): string {
  return `${repoURL.replace(/\.git$/, '')}/${workflow}@refs/heads/${branch}`;
}

const images = (object: KubeObject): string[] => {
  const pod = (object['spec'] as { template?: { spec?: Record<string, unknown> } } | undefined)?.template?.spec;
  return ['initContainers', 'containers'].flatMap((field) =>
    ((pod?.[field] as { image?: string }[] | undefined) ?? []).map((c) => c.image ?? ''),
  );
};

/**
 * In-cluster verification of the service images (imageVerification in argocd/apps/values.yaml): when
 * a namespace is labelled for admission or a ClusterImagePolicy is rendered, every released service's
 * namespace is labelled, every image its pods run matches a policy, each policy trusts exactly the
 * release workflow of the root's repository at the root's branch (no regular expression that could
 * widen it), and the policy syncs before the services.
 */
export function imageVerificationProblems(system: RenderedSystem, workspace: string): SystemFinding[] {
  const findings: SystemFinding[] = [];
  const appsFile = appsFileOf(system);
  const add = (file: string, message: string) => findings.push({ file, rule: 'image-verification', message });
  const policies = objectsOf(system).filter(({ object }) => object.kind === 'ClusterImagePolicy');
  const labelled = system.apps.filter(
    (app) => specOf(app.application).syncPolicy?.managedNamespaceMetadata?.labels?.[ADMISSION_LABEL] === 'true',
  );
  if (policies.length === 0 && labelled.length === 0) return findings;

  const rootSource = specOf(system.root).source;
  const rootPath = rootSource?.path ?? 'argocd/apps';
  const settings =
    (
      parse(readFileSync(join(workspace, rootPath, 'values.yaml'), 'utf8')) as {
        imageVerification?: ImageVerificationValues;
      }
    ).imageVerification ?? {};
  const expected = {
    issuer: settings.oidcIssuer,
    subject: signerSubject(rootSource?.repoURL ?? '', settings.workflow ?? '', rootSource?.targetRevision ?? ''),
  };
  const globs = policies.flatMap(({ object }) => ((object['spec'] as PolicySpec).images ?? []).map((i) => i.glob));
  if (policies.length === 0)
    add(
      appsFile,
      `namespaces ${labelled.map((a) => a.namespace).join(', ')} are labelled ${ADMISSION_LABEL}, but no ClusterImagePolicy is rendered: every pod there would be refused`,
    );

  const wave = (application: KubeObject) =>
    Number(application.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
  for (const { object, app } of policies) {
    const file = app.path ?? app.definedIn;
    const spec = object['spec'] as PolicySpec;
    for (const authority of spec.authorities ?? []) {
      const identities = authority.keyless?.identities ?? [];
      const trusted = identities.map((i) => JSON.stringify(i));
      const [only] = identities;
      const exact =
        identities.length === 1 &&
        only !== undefined &&
        Object.keys(only).sort().join() === 'issuer,subject' &&
        only.issuer === expected.issuer &&
        only.subject === expected.subject;
      if (!exact)
        add(
          file,
          `${where(object)} trusts ${trusted.join(', ') || 'no keyless identity'}, not exactly the release workflow ${JSON.stringify(expected)}`,
        );
    }
    for (const service of system.apps.filter((a) => a.released))
      if (!(wave(app.application) < wave(service.application)))
        add(appsFile, `${app.name} must sync in an earlier wave than ${service.name}, whose pods it admits`);
  }
  for (const service of system.apps.filter((a) => a.released))
    if (!labelled.includes(service))
      add(appsFile, `namespace ${service.namespace} runs released images, but is not labelled ${ADMISSION_LABEL}`);
  for (const app of labelled)
    for (const object of app.objects)
      for (const image of images(object))
        if (!globs.some((glob) => globMatches(glob, image)))
          add(
            app.path ?? app.definedIn,
            `${where(object)}: image ${image} matches no ClusterImagePolicy, so it would be refused`,
          );
  return findings;
}
