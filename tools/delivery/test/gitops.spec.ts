import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerExtraSchemas } from '../src/extra-schemas';
import { renderSystem } from '../src/gitops';
import { checkSystem, cronValid, formatSystemFindings, globMatches, goDurationSeconds } from '../src/gitops-checks';

const ROOT = join(__dirname, '../../..');
registerExtraSchemas();

/** A scratch copy of everything ArgoCD reads: deploy/ (the charts, the manifest), argocd/ and velero/. */
function scratchWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gitops-'));
  for (const part of ['argocd', 'velero', 'deploy']) {
    cpSync(join(ROOT, part), join(dir, part), {
      recursive: true,
      // The service charts' schema links stay links into the copy.
      verbatimSymlinks: true,
      filter: (src) => !/\/charts\/[^/]+\/charts(\/|$)/.test(src),
    });
  }
  return dir;
}

const edit = (workspace: string, file: string, from: string | RegExp, to: string) => {
  const path = join(workspace, file);
  const before = readFileSync(path, 'utf8');
  const after = before.replace(from, to);
  if (after === before) throw new Error(`the edit of ${file} changed nothing`);
  writeFileSync(path, after);
};

describe('the GitOps system as ArgoCD would apply it', () => {
  it('renders every child Application from the root down and passes every check', async () => {
    const system = await renderSystem(ROOT);
    expect(formatSystemFindings(checkSystem(system, ROOT))).toBe('');
    expect(system.appOfApps.map((o) => o.kind).sort()).toEqual([
      'AppProject',
      'AppProject',
      'AppProject',
      ...Array(6).fill('Application'),
    ]);
    expect(system.bootstrapProjects.map((o) => o.metadata.name)).toEqual(['platform-bootstrap', 'default']);
    const byName = Object.fromEntries(system.apps.map((a) => [a.name, a]));
    expect(byName['velero']?.notRendered).toMatch(
      /^remote chart velero 11\.4\.0 from https:\/\/vmware-tanzu\.github\.io\/helm-charts/,
    );
    // Nothing released yet in this repository: each service is checked as its first release would be.
    for (const service of ['user-service', 'order-service', 'payment-service'])
      expect(byName[service]).toMatchObject({ released: true, assumedRelease: true });
    expect(byName['velero-schedules']?.objects.map((o) => o.metadata.name).sort()).toEqual([
      'backup-resource-policy',
      'daily',
      'velero-backups',
      'weekly',
    ]);
    const ingresses = byName['shared-ingress']?.objects.filter((o) => o.kind === 'Ingress') ?? [];
    expect(ingresses.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
      'order-service/order-service',
      'payment-service/payment-service',
      'shared-ingress/edge',
      'user-service/user-service',
    ]);
    for (const service of ['user-service', 'order-service', 'payment-service']) {
      expect(byName[service]?.objects.find((o) => o.kind === 'Deployment')?.metadata.namespace).toBe(service);
    }
  });

  it('parses cron expressions and Go durations strictly', () => {
    expect(cronValid('0 2 * * *')).toBe(true);
    expect(cronValid('0 2 * *')).toBe(false);
    expect(cronValid('0 0 2 * * *')).toBe(false);
    expect(cronValid('@daily')).toBe(true);
    expect(goDurationSeconds('720h0m0s')).toBe(720 * 3600);
    expect(goDurationSeconds('30d')).toBeUndefined();
  });
});

describe('each rule, broken in a scratch copy, fails the check naming the file and the rule', () => {
  let workspace: string;
  beforeEach(() => {
    workspace = scratchWorkspace();
  });
  afterEach(() => rmSync(workspace, { recursive: true, force: true }));

  const check = async () => formatSystemFindings(checkSystem(await renderSystem(workspace), workspace));

  it.each<[string, (w: string) => void, RegExp]>([
    [
      'an Application path that does not exist',
      (w) => edit(w, 'argocd/apps/values.yaml', 'path: deploy/charts/shared-ingress', 'path: deploy/charts/ingress'),
      /argocd\/apps\/values\.yaml: \[paths\] Application shared-ingress: path deploy\/charts\/ingress is not a chart/,
    ],
    [
      'a chart that no longer renders',
      (w) => edit(w, 'deploy/charts/payment-service/values-prod.yaml', '{}', 'replicas: 3'),
      /deploy\/charts\/payment-service: \[renders\] Application payment-service: [\s\S]*additional properties 'replicas' not allowed/,
    ],
    [
      'a service namespace that does not enforce the restricted Pod Security level',
      (w) =>
        edit(
          w,
          'argocd/apps/values.yaml',
          /(serviceApplication:\n(?: {2}.*\n)*? {2})podSecurity: restricted/,
          '$1podSecurity: baseline',
        ),
      /argocd\/apps\/values\.yaml: \[pod-security\] namespace order-service enforces baseline, not restricted/,
    ],
    [
      'a namespace two Applications label (the schedules beside Velero)',
      (w) =>
        edit(
          w,
          'argocd/apps/values.yaml',
          /(name: velero-schedules\n {4}namespace: velero\n {4}wave: 0\n)/,
          '$1    podSecurity: privileged\n',
        ),
      /\[pod-security\] namespace velero is labelled for Pod Security admission by velero and velero-schedules, not by exactly one/,
    ],
    [
      'a child tracking another revision',
      (w) => edit(w, 'argocd/bootstrap/root.yaml', 'targetRevision: main', 'targetRevision: release'),
      /argocd\/apps\/values\.yaml: \[one-revision\] Application velero-schedules tracks .*@main, not .*@release like the root/,
    ],
    [
      'a destination the AppProject does not allow',
      (w) =>
        edit(
          w,
          'argocd/apps/templates/appproject.yaml',
          '{{- range $namespaces | uniq }}',
          '{{- range without ($namespaces | uniq) "payment-service" }}',
        ),
      /\[destinations\] Application payment-service: destination namespace payment-service is not allowed by its AppProject/,
    ],
    [
      'a cluster-scoped kind outside the allow-list',
      (w) => edit(w, 'argocd/apps/values.yaml', / {6}- group: networking\.k8s\.io\n {8}kind: IngressClass\n/, ''),
      /deploy\/charts\/shared-ingress: \[destinations\] IngressClass \(cluster\)\/platform-alb: cluster-scoped IngressClass is not in AppProject platform-services's allow-list/,
    ],
    [
      'a service admitting pods of a service that does not call it',
      (w) =>
        edit(
          w,
          'deploy/charts/user-service/values.yaml',
          'existingSecret: user-service-db\n',
          'existingSecret: user-service-db\nnetworkPolicy:\n  callers:\n    - namespace: payment-service\n      service: payment-service\n',
        ),
      /\[network-paths\] payment-service\/payment-service → user-service\/user-service: user-service admits payment-service's pods, which do not call it/,
    ],
    [
      'a caller selected by its namespace alone',
      (w) =>
        edit(
          w,
          'deploy/charts/platform-service/templates/_networkpolicy.tpl',
          /( {10}podSelector:\n {12}matchLabels:\n {14}app\.kubernetes\.io\/name: \{\{ \.service \}\}\n)/,
          '',
        ),
      /\[network-paths\] NetworkPolicy user-service\/user-service selects every pod of namespace order-service/,
    ],
    [
      'a declared call the NetworkPolicies block',
      (w) =>
        edit(
          w,
          'deploy/charts/platform-service/templates/_networkpolicy.tpl',
          'app.kubernetes.io/name: {{ $dependency.service }}',
          'app.kubernetes.io/name: {{ $dependency.service }}-old',
        ),
      /\[network-paths\] order-service\/order-service → user-service\/user-service: order-service calls user-service, but the NetworkPolicies block it \(egress\)/,
    ],
    [
      'a VPC-wide CIDR nobody explained',
      (w) => {
        edit(
          w,
          'deploy/charts/payment-service/values-prod.yaml',
          '{}\n',
          'networkPolicy:\n  databaseCidrs: [10.0.0.0/16]\n  wideCidrReason: one VPC-wide range for now\n',
        );
        edit(
          w,
          'deploy/charts/platform-service/templates/_networkpolicy.tpl',
          'platform.io/wide-cidr-reason:',
          'platform.io/why:',
        );
      },
      /\[network-paths\] NetworkPolicy payment-service\/payment-service allows 10\.0\.0\.0\/16, wider than a subnet/,
    ],
    [
      'backups that copy scratch volumes',
      (w) =>
        edit(
          w,
          'velero/schedules/values.yaml',
          'skippedVolumeTypes:\n  - emptyDir\n',
          'skippedVolumeTypes:\n  - hostPath\n',
        ),
      /\[backups\] Schedule velero\/daily: scratch volumes \(emptyDir\) must be skipped/,
    ],
    [
      'backups stored without a KMS key',
      (w) => edit(w, 'velero/values.yaml', /\n +kmsKeyId: .*\n/, '\n'),
      /velero\/values\.yaml: \[velero-values\] backup storage location default must encrypt with a KMS key/,
    ],
    [
      'a node agent without resources',
      (w) => edit(w, 'velero/values.yaml', /nodeAgent:\n {2}resources:\n(?: {4}.*\n)+/, ''),
      /velero\/values\.yaml: \[velero-values\] the node agent needs resource requests and limits/,
    ],
    [
      'the root Application in the default project',
      (w) => edit(w, 'argocd/bootstrap/root.yaml', 'project: platform-bootstrap', 'project: default'),
      /argocd\/bootstrap\/root\.yaml: \[bootstrap-project\] the root Application is in project default, not a project of its own/,
    ],
    [
      'a root project that may create more than Applications and AppProjects',
      (w) =>
        edit(
          w,
          'argocd/bootstrap/projects.yaml',
          '      kind: AppProject\n',
          '      kind: AppProject\n    - group: ""\n      kind: Secret\n',
        ),
      /argocd\/bootstrap\/projects\.yaml: \[bootstrap-project\] project platform-bootstrap may create argoproj\.io\/AppProject, argoproj\.io\/Application, core\/Secret/,
    ],
    [
      'a default project left open',
      (w) => edit(w, 'argocd/bootstrap/projects.yaml', '  sourceRepos: []\n', '  sourceRepos: ["*"]\n'),
      /argocd\/bootstrap\/projects\.yaml: \[default-project\] the built-in default project must be locked/,
    ],
    [
      'cluster RBAC allowed to the services',
      (w) =>
        edit(
          w,
          'argocd/apps/values.yaml',
          '        kind: IngressClassParams\n',
          '        kind: IngressClassParams\n      - group: rbac.authorization.k8s.io\n        kind: ClusterRoleBinding\n',
        ),
      /\[least-privilege\] AppProject platform-services may create rbac\.authorization\.k8s\.io\/ClusterRoleBinding, which only Velero's project may/,
    ],
    [
      'a service chart granting itself cluster RBAC',
      (w) =>
        writeFileSync(
          join(w, 'deploy/charts/user-service/templates/binding.yaml'),
          'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: take-over\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n  - kind: ServiceAccount\n    name: user-service\n    namespace: user-service\n',
        ),
      /deploy\/charts\/user-service: \[destinations\] ClusterRoleBinding \(cluster\)\/take-over: cluster-scoped ClusterRoleBinding is not in AppProject platform-services's allow-list/,
    ],
    [
      'a wildcard kind in a project',
      (w) => edit(w, 'argocd/apps/values.yaml', '        kind: ClusterRoleBinding\n', '        kind: "*"\n'),
      /\[least-privilege\] AppProject platform-backup allows a wildcard \(rbac\.authorization\.k8s\.io\/\*\)/,
    ],
    [
      'an Ingress backend with no Service in its namespace',
      (w) =>
        edit(
          w,
          'deploy/charts/shared-ingress/values-prod.yaml',
          'canaryWeights: {}',
          'canaryWeights: {}\nservices:\n  - name: order-service-ghost\n    path: /ghosts',
        ),
      /deploy\/charts\/shared-ingress: \[ingress-backends\] Ingress order-service-ghost\/order-service-ghost: backend Service order-service-ghost does not exist in namespace order-service-ghost/,
    ],
    [
      'a canary weight with no canary Service',
      (w) =>
        edit(
          w,
          'deploy/charts/shared-ingress/values-prod.yaml',
          'canaryWeights: {}',
          'canaryWeights:\n  user-service: 10',
        ),
      /\[ingress-backends\] Ingress user-service\/user-service: backend Service user-service-canary does not exist in namespace user-service/,
    ],
    [
      'an ExternalName backend',
      (w) =>
        edit(
          w,
          'deploy/charts/platform-service/templates/_service.tpl',
          'type: ClusterIP',
          'type: ExternalName\n  externalName: legacy.example.com',
        ),
      /\[ingress-backends\] Ingress user-service\/user-service: backend user-service is an ExternalName Service/,
    ],
    [
      'members disagreeing on a group-wide setting',
      (w) =>
        edit(
          w,
          'deploy/charts/shared-ingress/templates/ingresses.yaml',
          '    alb.ingress.kubernetes.io/group.order: "1"',
          '    alb.ingress.kubernetes.io/group.order: "1"\n    alb.ingress.kubernetes.io/ssl-policy: ELBSecurityPolicy-2016-08',
        ),
      /deploy\/charts\/shared-ingress: \[ingress-group\] members of the IngressGroup disagree on alb\.ingress\.kubernetes\.io\/ssl-policy/,
    ],
    [
      'a group not pinned by IngressClassParams',
      (w) =>
        edit(
          w,
          'deploy/charts/shared-ingress/templates/ingressclass.yaml',
          / {2}namespaceSelector:\n(.*\n){5} {10}\{\{- range \.Values\.services \}\}\n.*\n {10}\{\{- end \}\}\n/,
          '',
        ),
      /\[ingress-group\] .*must pin the group with IngressClassParams/,
    ],
    [
      'a namespace missing from the daily backup',
      (w) => edit(w, 'velero/schedules/values.yaml', 'includeServices: true', 'includeServices: false'),
      /velero\/schedules: \[backups\] namespace payment-service is deployed by an Application but not in the daily backup/,
    ],
    [
      'a cron expression with four fields',
      (w) => edit(w, 'velero/schedules/values.yaml', 'schedule: "0 2 * * *"', 'schedule: "0 2 * *"'),
      /velero\/schedules: \[backups\] Schedule velero\/daily: schedule "0 2 \* \*" is not a 5-field cron expression/,
    ],
    [
      'a TTL in days',
      (w) => edit(w, 'velero/schedules/values.yaml', 'ttl: 720h0m0s', 'ttl: 30d'),
      /velero\/schedules: \[backups\] Schedule velero\/daily: ttl "30d" is not a Go duration/,
    ],
    [
      'a retention that differs from the promise',
      (w) => edit(w, 'velero/schedules/values.yaml', 'ttl: 2160h0m0s', 'ttl: 1440h0m0s'),
      /\[backups\] Schedule weekly: ttl 1440h0m0s must keep backups 90 days/,
    ],
    [
      'a full backup without cluster resources',
      (w) =>
        edit(
          w,
          'velero/schedules/templates/schedules.yaml',
          'includeClusterResources: true',
          'includeClusterResources: false',
        ),
      /\[backups\] Schedule weekly: a full backup must include cluster-scoped resources/,
    ],
    [
      'backups owned by their Schedule',
      (w) =>
        edit(
          w,
          'velero/schedules/templates/schedules.yaml',
          'useOwnerReferencesInBackup: false',
          'useOwnerReferencesInBackup: true',
        ),
      /\[backups\] Schedule velero\/daily: backups must not be owned by the Schedule/,
    ],
    [
      'a tracking label on a Schedule',
      (w) =>
        edit(
          w,
          'velero/schedules/templates/schedules.yaml',
          '  annotations:\n    platform/retention',
          '  labels:\n    app.kubernetes.io/instance: {{ $.Release.Name }}\n  annotations:\n    platform/retention',
        ),
      /\[backups\] Schedule velero\/daily: Velero copies its labels to Backups/,
    ],
    [
      'schedules in the same wave as Velero',
      (w) =>
        edit(w, 'argocd/apps/values.yaml', '    namespace: velero\n    wave: -1', '    namespace: velero\n    wave: 0'),
      /argocd\/apps\/values\.yaml: \[sync-waves\] velero must sync in an earlier wave than velero-schedules/,
    ],
    [
      'schedules without SkipDryRunOnMissingResource',
      (w) => edit(w, 'argocd/apps/values.yaml', '    syncOptions:\n      - SkipDryRunOnMissingResource=true\n', ''),
      /\[sync-waves\] Application velero-schedules deploys Velero Schedules before their CRD exists/,
    ],
    [
      'the ingress synced with the services',
      (w) =>
        edit(
          w,
          'argocd/apps/values.yaml',
          '    project: platform-services\n    wave: 2',
          '    project: platform-services\n    wave: 1',
        ),
      /\[sync-waves\] user-service must sync in an earlier wave than shared-ingress/,
    ],
    [
      'an Application without self-heal',
      (w) => edit(w, 'argocd/apps/templates/applications.yaml', 'selfHeal: true', 'selfHeal: false'),
      /\[sync-policy\] Application .* must sync automatically with prune and self-heal/,
    ],
    [
      'two Applications rendering the same objects',
      (w) =>
        edit(
          w,
          'argocd/apps/values.yaml',
          '  - name: shared-ingress\n',
          '  - name: more-schedules\n    namespace: velero\n    project: platform-backup\n    wave: 0\n    path: velero/schedules\n    syncOptions:\n      - SkipDryRunOnMissingResource=true\n  - name: shared-ingress\n',
        ),
      /\[unique\] Schedule velero\/daily is rendered by both velero-schedules and more-schedules/,
    ],
    [
      'label-based resource tracking',
      (w) =>
        edit(
          w,
          'argocd/bootstrap/argocd-cm.yaml',
          'application.resourceTrackingMethod: annotation',
          'application.resourceTrackingMethod: label',
        ),
      /argocd\/bootstrap\/argocd-cm\.yaml: \[argocd-config\] resource tracking must be by annotation/,
    ],
    [
      'no Application health check',
      (w) =>
        edit(
          w,
          'argocd/bootstrap/argocd-cm.yaml',
          / {2}resource\.customizations\.health\.argoproj\.io_Application: \|\n( {4}.*\n)+/,
          '',
        ),
      /\[argocd-config\] the argoproj\.io\/Application health check must be configured/,
    ],
    [
      'a service that no longer trusts its caller',
      (w) =>
        edit(
          w,
          'deploy/charts/platform-service/templates/_wiring.tpl',
          '{{- $allowed = append $allowed (printf "system:serviceaccount:%s:%s" .name .name) -}}',
          '',
        ),
      /\[workload-trust\] order-service calls payment-service as system:serviceaccount:order-service:order-service, which payment-service does not allow/,
    ],
    [
      'a service that trusts a caller that never calls it',
      (w) =>
        edit(
          w,
          'deploy/charts/user-service/values.yaml',
          'existingSecret: user-service-db\n',
          'existingSecret: user-service-db\nidentity:\n  allowedCallers:\n    - system:serviceaccount:default:default\n',
        ),
      /\[workload-trust\] user-service allows system:serviceaccount:default:default, which calls it with no token for user-service/,
    ],
    [
      'an unknown field in a Velero Schedule',
      (w) =>
        edit(
          w,
          'velero/schedules/templates/schedules.yaml',
          '    snapshotVolumes: false',
          '    snapshotVolumes: false\n    retention: 30',
        ),
      /velero\/schedules: \[schema\] Schedule velero\/daily: Schedule\.spec\.template\.retention: unknown field/,
    ],
    [
      'an unsupported Velero server/plugin pair (chart 12.x runs Velero 1.18; the plugin is v1.13)',
      (w) => {
        edit(w, 'argocd/apps/values.yaml', 'version: 11.4.0', 'version: 12.0.0');
        edit(w, 'velero/upstream.yaml', 'version: 11.4.0\n', 'version: 12.0.0\n');
        edit(w, 'velero/upstream.yaml', 'server: "1.17"', 'server: "1.18"');
      },
      /velero\/values\.yaml: \[velero-pair\] the AWS plugin v1\.13\.2 is not supported with Velero 1\.18 \(chart 12\.0\.0\): that server needs plugin v1\.14\.x/,
    ],
    [
      'a Velero chart moved without its record',
      (w) => edit(w, 'argocd/apps/values.yaml', 'version: 11.4.0', 'version: 12.0.0'),
      /velero\/upstream\.yaml: \[velero-pair\] describes Velero chart 11\.4\.0, but argocd\/apps\/values\.yaml pins 12\.0\.0/,
    ],
    [
      'a Velero value key the chart does not have',
      (w) =>
        edit(
          w,
          'velero/values.yaml',
          'deployNodeAgent: true',
          'deployNodeAgent: true\nnodeAgentt:\n  podVolumePath: /var/lib',
        ),
      /velero\/values\.yaml: \[velero-values\] sets nodeAgentt\.podVolumePath, which the Velero chart 11\.4\.0 does not have/,
    ],
    [
      "a service chart rendered from the branch, not from its image's commit",
      (w) => edit(w, 'argocd/apps/values.yaml', /(serviceApplication:\n(?: {2}.*\n)*?) {2}released: true\n/, '$1'),
      /argocd\/apps\/values\.yaml: \[release-revision\] Application payment-service renders its chart from main, not from the commit its image was built from/,
    ],
    [
      "a released service run with an image other than its release's",
      (w) => {
        writeFileSync(
          join(w, 'argocd/apps/releases.yaml'),
          `releases:\n  order-service:\n    revision: ${'a'.repeat(40)}\n    image:\n      tag: ${'a'.repeat(40)}\n      digest: sha256:${'c'.repeat(64)}\n`,
        );
        edit(
          w,
          'argocd/apps/templates/applications.yaml',
          'value: {{ $release.image.digest | quote }}',
          `value: "sha256:${'d'.repeat(64)}"`,
        );
      },
      /\[release-revision\] Application order-service runs image a{40}@sha256:d{64}, not its release's/,
    ],
    [
      'a cascading finalizer on the root',
      (w) =>
        edit(
          w,
          'argocd/bootstrap/root.yaml',
          '  namespace: argocd\nspec:',
          '  namespace: argocd\n  finalizers:\n    - resources-finalizer.argocd.argoproj.io\nspec:',
        ),
      /argocd\/bootstrap\/root\.yaml: \[deletion\] the root Application platform-root has a cascading finalizer/,
    ],
    [
      'Velero deletable through its parent',
      (w) => edit(w, 'argocd/apps/values.yaml', /(project: platform-backup\n) {4}keepOnDelete: true\n/, '$1'),
      /\[deletion\] Application velero holds backups or the load balancer but has a cascading finalizer/,
    ],
    [
      'a backup alert without an absent case',
      (w) =>
        edit(
          w,
          'velero/schedules/templates/prometheusrule.yaml',
          / {8}- alert: VeleroBackupNeverSucceeded\n(?: {10}.*\n| {12}.*\n)+/,
          '',
        ),
      /velero\/schedules: \[backup-alerts\] alert VeleroBackupMissing is silent when velero_backup_last_successful_timestamp\{schedule="daily"\} is missing/,
    ],
    [
      'no alert when Velero is not scraped',
      (w) =>
        edit(
          w,
          'velero/schedules/templates/prometheusrule.yaml',
          / {8}- alert: VeleroNotScraped\n(?: {10}.*\n| {12}.*\n)+/,
          '',
        ),
      /velero\/schedules: \[backup-alerts\] no alert fires when Prometheus does not scrape Velero at all/,
    ],
    [
      'an AppProject named default rendered from argocd/apps',
      // The project and its Application (a project no Application uses is not rendered at all).
      (w) => edit(w, 'argocd/apps/values.yaml', /platform-backup-schedules/g, 'default'),
      /argocd\/apps\/values\.yaml: \[project-names\] AppProject default is rendered from argocd\/apps/,
    ],
    [
      'a project allowed a cluster-scoped kind none of its Applications render',
      (w) =>
        edit(
          w,
          'argocd/apps/values.yaml',
          "  platform-backup-schedules:\n    description: Velero's schedules, their resource policy and their alerts. Namespaced objects only.\n    clusterResourceWhitelist: []",
          '  platform-backup-schedules:\n    description: x\n    clusterResourceWhitelist:\n      - group: rbac.authorization.k8s.io\n        kind: ClusterRoleBinding',
        ),
      /\[least-privilege\] AppProject platform-backup-schedules may create rbac\.authorization\.k8s\.io\/ClusterRoleBinding, which none of its Applications render/,
    ],
    [
      "an RBAC patch that would replace the installation's policy",
      (w) => edit(w, 'argocd/bootstrap/argocd-rbac-cm.yaml', 'policy.platform.csv:', 'policy.csv:'),
      /argocd\/bootstrap\/argocd-rbac-cm\.yaml: \[argocd-rbac\] sets policy\.csv, which replaces the installation's whole policy/,
    ],
    [
      'a project role nobody holds',
      (w) =>
        edit(
          w,
          'argocd/bootstrap/argocd-rbac-cm.yaml',
          '    g, platform-ci, proj:platform-backup-schedules:ci-sync\n',
          '',
        ),
      /\[argocd-rbac\] no group holds role ci-sync of AppProject platform-backup-schedules/,
    ],
    [
      'the monitoring namespace admitted to the API port',
      (w) =>
        edit(
          w,
          'deploy/charts/platform-service/templates/_networkpolicy.tpl',
          '    - ports:\n        - port: metrics\n',
          '    - ports:\n        - port: http\n',
        ),
      /\[monitoring-port\] NetworkPolicy user-service\/user-service admits namespace monitoring to http, not only the metrics port/,
    ],
    [
      'a service namespace without default-deny',
      (w) =>
        edit(
          w,
          'deploy/charts/platform-service/templates/_networkpolicy.tpl',
          '  podSelector: {}\n  policyTypes: [Ingress, Egress]\n',
          '  podSelector: {}\n  policyTypes: [Ingress]\n',
        ),
      /deploy\/charts\/user-service: \[default-deny\] namespace user-service has no default-deny NetworkPolicy/,
    ],
  ])('%s', async (_case, breakIt, message) => {
    breakIt(workspace);
    expect(await check()).toMatch(message);
  });
});

describe('in-cluster image verification (imageVerification), switched on after a release', () => {
  const SUBJECT = 'https://github.com/platform-org/platform/.github/workflows/release.yml@refs/heads/main';
  const SERVICES = ['user-service', 'order-service', 'payment-service'];
  let workspace: string;
  const switchOn = (w: string) => {
    edit(w, 'argocd/apps/values.yaml', /(imageVerification:\n {2}enabled:) false/, '$1 true');
    // What the release workflow records (set-image-tags): the commit, the registry, the repository.
    const revision = 'a'.repeat(40);
    const releases = SERVICES.map(
      (name) =>
        `  ${name}:\n    revision: ${revision}\n    image:\n      registry: ghcr.io\n      repository: platform-org/${name}\n` +
        `      tag: ${revision}\n      digest: sha256:${'b'.repeat(64)}\n`,
    ).join('');
    writeFileSync(join(w, 'argocd/apps/releases.yaml'), `releases:\n${releases}`);
  };
  beforeEach(() => {
    workspace = scratchWorkspace();
    switchOn(workspace);
  });
  afterEach(() => rmSync(workspace, { recursive: true, force: true }));
  const check = async () => formatSystemFindings(checkSystem(await renderSystem(workspace), workspace));

  it('renders a strict ClusterImagePolicy trusting only the release workflow, and labels every service namespace', async () => {
    const system = await renderSystem(workspace);
    expect(formatSystemFindings(checkSystem(system, workspace))).toBe('');
    const byName = Object.fromEntries(system.apps.map((a) => [a.name, a]));
    const policy = byName['image-verification'];
    expect(policy?.objects).toEqual([
      expect.objectContaining({
        apiVersion: 'policy.sigstore.dev/v1beta1',
        kind: 'ClusterImagePolicy',
        spec: {
          mode: 'enforce',
          images: SERVICES.map((name) => ({ glob: `ghcr.io/platform-org/${name}*` })),
          authorities: [
            {
              name: 'release-workflow',
              keyless: {
                url: 'https://fulcio.sigstore.dev',
                identities: [{ issuer: 'https://token.actions.githubusercontent.com', subject: SUBJECT }],
              },
              ctlog: { url: 'https://rekor.sigstore.dev' },
            },
          ],
        },
      }),
    ]);
    // The controller's namespace belongs to its installation: not created, not labelled by ArgoCD.
    expect(policy?.application).toMatchObject({
      metadata: { annotations: { 'argocd.argoproj.io/sync-wave': '0' } },
      spec: { project: 'platform-admission', destination: { namespace: 'cosign-system' } },
    });
    expect(
      (policy?.application['spec'] as { syncPolicy: { syncOptions: string[] } }).syncPolicy.syncOptions,
    ).not.toContain('CreateNamespace=true');
    const project = system.appOfApps.find((o) => o.kind === 'AppProject' && o.metadata.name === 'platform-admission');
    expect(project?.['spec']).toMatchObject({
      clusterResourceWhitelist: [{ group: 'policy.sigstore.dev', kind: 'ClusterImagePolicy' }],
      destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'cosign-system' }],
      // Nothing namespaced, so not the controller's own configuration in cosign-system either.
      namespaceResourceBlacklist: [{ group: '*', kind: '*' }],
    });
    const labelled = system.apps
      .filter(
        (a) =>
          (a.application['spec'] as { syncPolicy: { managedNamespaceMetadata?: { labels: Record<string, string> } } })
            .syncPolicy.managedNamespaceMetadata?.labels['policy.sigstore.dev/include'] === 'true',
      )
      .map((a) => a.name);
    expect(labelled.sort()).toEqual([...SERVICES].sort());
  });

  it("matches images the way policy-controller's globs do", () => {
    expect(globMatches('ghcr.io/org/user-service*', `ghcr.io/org/user-service@sha256:${'b'.repeat(64)}`)).toBe(true);
    expect(globMatches('ghcr.io/org/user-service*', 'ghcr.io/org/user-service:1.0')).toBe(true);
    expect(globMatches('ghcr.io/org/user-service*', 'ghcr.io/org/user-service/debug:1.0')).toBe(false);
    expect(globMatches('ghcr.io/org/*', 'ghcr.io/org.evil/x:1')).toBe(false);
    expect(globMatches('ghcr.io/**', 'ghcr.io/org/team/x:1')).toBe(true);
    expect(globMatches('ghcr.io/org/user-service:*', `ghcr.io/org/user-service@sha256:${'b'.repeat(64)}`)).toBe(false);
  });

  it('is off by default: no policy, no project, no namespace label', async () => {
    const system = await renderSystem(ROOT);
    expect(system.apps.map((a) => a.name)).not.toContain('image-verification');
    expect(system.appOfApps.map((o) => o.metadata.name)).not.toContain('platform-admission');
    expect(JSON.stringify(system.appOfApps)).not.toContain('policy.sigstore.dev');
  });

  it.each<[string, (w: string) => void, RegExp]>([
    [
      'a policy that trusts another workflow',
      (w) =>
        edit(
          w,
          'deploy/charts/image-verification/templates/clusterimagepolicy.yaml',
          'subject: {{ $.Values.signer.subject }}',
          'subject: {{ $.Values.signer.subject | replace "release.yml" "build.yml" }}',
        ),
      /deploy\/charts\/image-verification: \[image-verification\] ClusterImagePolicy \(cluster\)\/image-verification trusts .*build\.yml.*, not exactly the release workflow .*release\.yml@refs\/heads\/main/,
    ],
    [
      'a policy widened by a regular expression',
      (w) =>
        edit(
          w,
          'deploy/charts/image-verification/templates/clusterimagepolicy.yaml',
          '            subject: {{ $.Values.signer.subject }}\n',
          '            subject: {{ $.Values.signer.subject }}\n            subjectRegExp: ".*"\n',
        ),
      /\[image-verification\] ClusterImagePolicy \(cluster\)\/image-verification trusts .*subjectRegExp.*, not exactly the release workflow/,
    ],
    [
      'a glob that misses the images as the charts spell them',
      (w) =>
        edit(
          w,
          'deploy/charts/image-verification/templates/clusterimagepolicy.yaml',
          'printf "%s*" .',
          'printf "%s:*" .',
        ),
      /deploy\/charts\/user-service: \[image-verification\] Deployment user-service\/user-service: image ghcr\.io\/platform-org\/user-service@sha256:b{64} matches no ClusterImagePolicy, so it would be refused/,
    ],
    [
      'a service namespace left unlabelled',
      (w) => edit(w, 'argocd/apps/templates/applications.yaml', /\n *policy\.sigstore\.dev\/include: "true"/, ''),
      /\[image-verification\] namespace order-service runs released images, but is not labelled policy\.sigstore\.dev\/include/,
    ],
    [
      'the policy syncing with the services',
      (w) =>
        edit(
          w,
          'argocd/apps/values.yaml',
          '    wave: 0\n    project: platform-admission',
          '    wave: 1\n    project: platform-admission',
        ),
      /\[image-verification\] image-verification must sync in an earlier wave than user-service, whose pods it admits/,
    ],
    [
      'an unknown field in the policy (the strict schema)',
      (w) =>
        edit(
          w,
          'deploy/charts/image-verification/templates/clusterimagepolicy.yaml',
          '  mode: {{',
          '  enforce: true\n  mode: {{',
        ),
      /\[schema\] ClusterImagePolicy \(cluster\)\/image-verification: ClusterImagePolicy\.spec\.enforce: unknown field/,
    ],
    [
      'the admission project free to write namespaced objects in the controller’s namespace',
      (w) => edit(w, 'argocd/apps/values.yaml', '    clusterScopedOnly: true\n', ''),
      /argocd\/apps\/values\.yaml: \[least-privilege\] AppProject platform-admission: its Applications render only cluster-scoped objects, but it may create namespaced ones in cosign-system/,
    ],
    [
      'a release record without its registry',
      (w) => edit(w, 'argocd/apps/releases.yaml', '      registry: ghcr.io\n', ''),
      /imageVerification: releases\.user-service\.image\.registry is missing/,
    ],
    [
      'a repository that is not on GitHub',
      (w) => {
        for (const file of ['argocd/apps/values.yaml', 'argocd/bootstrap/root.yaml', 'argocd/bootstrap/projects.yaml'])
          edit(
            w,
            file,
            /https:\/\/github\.com\/platform-org\/platform\.git/g,
            'https://gitlab.com/platform-org/platform.git',
          );
      },
      /imageVerification: the images are signed by a GitHub Actions workflow, so repoURL must be https:\/\/github\.com\/<owner>\/<repository>/,
    ],
  ])('%s fails the check', async (_case, breakIt, message) => {
    breakIt(workspace);
    await expect(check().catch((error: Error) => error.message)).resolves.toMatch(message);
  });
});
