import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/process.js';

interface AuditReport {
  metadata?: { vulnerabilities?: Record<'info' | 'low' | 'moderate' | 'high' | 'critical' | 'total', number> };
  vulnerabilities?: Record<string, { severity: string; via: unknown[] }>;
  /** Present when npm could not audit: the registry's answer or a network error. */
  statusCode?: number;
  code?: string;
  message?: string;
  error?: { code?: string; summary?: string };
}

const NETWORK_CODES = /^(ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)$/;

function audit(): Promise<{ report: AuditReport | undefined; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['audit', '--omit=dev', '--json'], { cwd: ROOT, timeout: 90_000, maxBuffer: 32 * 1024 * 1024 }, (_error, stdout, stderr) => {
      // npm audit exits non-zero both when it finds something and when it cannot ask: read the JSON.
      let report: AuditReport | undefined;
      try {
        report = JSON.parse(stdout) as AuditReport;
      } catch {
        report = undefined;
      }
      resolve({ report, stderr });
    });
  });
}

/** Why npm could not audit, when the cause is the registry or the network rather than this package. */
function unreachable(report: AuditReport | undefined, stderr: string): string | undefined {
  if (report?.metadata?.vulnerabilities) return undefined;
  const code = report?.code ?? report?.error?.code ?? /npm error code (\S+)/.exec(stderr)?.[1];
  if (code && NETWORK_CODES.test(code)) return `the registry cannot be reached (${code})`;
  if (report?.statusCode !== undefined) return `the registry does not offer the audit endpoint here (HTTP ${report.statusCode}: ${report.message ?? ''})`.trim();
  if (/audit endpoint returned an error|network|ETIMEDOUT|ENOTFOUND/i.test(stderr)) return `npm audit could not reach the registry: ${stderr.split('\n')[0]}`;
  return undefined;
}

describe('production dependencies', () => {
  it('have no high or critical advisory (npm audit --omit=dev)', { timeout: 120_000 }, async (context) => {
    const { report, stderr } = await audit();
    const reason = unreachable(report, stderr);
    if (reason) {
      context.skip(`npm audit needs the registry's advisory endpoint, and ${reason}`);
      return;
    }
    expect(report?.metadata?.vulnerabilities, `npm audit gave no report:\n${stderr}`).toBeDefined();
    const severe = Object.entries(report?.vulnerabilities ?? {})
      .filter(([, finding]) => finding.severity === 'high' || finding.severity === 'critical')
      .map(([name, finding]) => `${name} (${finding.severity})`);
    expect(severe).toEqual([]);
    expect(report!.metadata!.vulnerabilities!.high + report!.metadata!.vulnerabilities!.critical).toBe(0);
  });
});
