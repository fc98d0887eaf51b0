import type { CredentialReport } from './create-resolver.ts';

/**
 * Renders a {@link CredentialReport} as plain text for a terminal or a log: one block per field with every
 * source tried, then warnings. Holds no secret (the report has none).
 *
 * @example
 * console.log(formatReport(await resolver.report()));
 */
export function formatReport(report: CredentialReport): string {
  const lines = [`OpenAI credentials: ${report.ok ? 'OK' : 'NOT USABLE'} (${report.runtime})`];
  if (report.key)
    lines.push(
      `  key: ${report.key.masked} (${report.key.kind})${report.expiresAt ? `, expires ${report.expiresAt}` : ''}`,
    );
  for (const [field, entry] of Object.entries(report.fields)) {
    lines.push(`  ${field}: ${entry.value ?? 'not set'}${entry.origin ? `  ← ${entry.origin}` : ''}`);
    for (const attempt of entry.attempts) {
      if (attempt.outcome !== 'used')
        lines.push(`      ${attempt.origin}: ${attempt.detail ?? attempt.outcome}`);
    }
  }
  if (report.error) lines.push(`  error [${report.error.code}]: ${report.error.message}`);
  for (const warning of report.warnings) lines.push(`  warning [${warning.code}]: ${warning.message}`);
  return lines.join('\n');
}
