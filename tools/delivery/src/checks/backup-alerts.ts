import type { RenderedSystem } from '../gitops';
import type { SystemFinding } from '../gitops-checks';

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
}

/** `metric{labels}` selectors of Velero's metrics in an expression (whitespace removed). */
const selectors = (expr: string) =>
  [...expr.replace(/\s+/g, '').matchAll(/(velero_[a-z_]+\{[^}]*\})/g)].map((m) => m[1]);
const absentOf = (expr: string) =>
  [...expr.replace(/\s+/g, '').matchAll(/absent\(([a-z_]+\{[^}]*\})/g)].map((m) => m[1] as string);

/**
 * A rule on a metric is silent when the metric is missing. Every backup alert that waits for a
 * success (a `…last_successful_timestamp` selector) has an `absent(…)` twin with a `for:`, and one
 * alert fires, after a `for:`, when Velero is not scraped at all.
 */
export function backupAlertProblems(system: RenderedSystem): SystemFinding[] {
  const problems: SystemFinding[] = [];
  for (const app of system.apps) {
    const rules = app.objects
      .filter((o) => o.kind === 'PrometheusRule')
      .flatMap((o) => ((o['spec'] as { groups?: { rules?: Rule[] }[] }).groups ?? []).flatMap((g) => g.rules ?? []))
      .filter((r) => r.alert !== undefined && (r.expr ?? '').includes('velero_'));
    const schedulesRendered = app.objects.some((o) => o.kind === 'Schedule');
    if (rules.length === 0 && !schedulesRendered) continue;
    const add = (message: string) => problems.push({ file: app.path ?? app.definedIn, rule: 'backup-alerts', message });
    const absents = app.objects
      .filter((o) => o.kind === 'PrometheusRule')
      .flatMap((o) => ((o['spec'] as { groups?: { rules?: Rule[] }[] }).groups ?? []).flatMap((g) => g.rules ?? []))
      .filter((r) => r.alert !== undefined && r.for !== undefined)
      .flatMap((r) => absentOf(r.expr ?? ''));
    for (const rule of rules) {
      if ((rule.expr ?? '').includes('absent(')) continue;
      for (const selector of selectors(rule.expr ?? '')) {
        if (selector?.startsWith('velero_backup_last_successful_timestamp') && !absents.includes(selector))
          add(
            `alert ${rule.alert} is silent when ${selector} is missing: add an absent(${selector}) alert with a for:`,
          );
      }
    }
    if (!absents.some((s) => s.startsWith('up{') && s.includes('velero')))
      add(
        'no alert fires when Prometheus does not scrape Velero at all (absent(up{job="velero", …} == 1) with a for:)',
      );
  }
  return problems;
}
