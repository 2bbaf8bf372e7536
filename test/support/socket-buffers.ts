import { readFileSync } from 'node:fs';

/** Used where the kernel's TCP settings cannot be read (not Linux): Linux's own defaults, generously rounded up. */
const FALLBACK_BYTES = 16 * 1024 * 1024;

function sysctlTriple(name: string): [number, number, number] | undefined {
  try {
    const values = readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/).map(Number);
    return values.length === 3 && values.every(Number.isFinite) ? (values as [number, number, number]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How many bytes a loopback TCP peer that stops reading can take in before its sender's own
 * (application) buffer starts to grow, from the socket buffers in effect on this machine: the
 * sender's send buffer can grow to `tcp_wmem`'s maximum, while the receive buffer of a peer that
 * never reads stays at `tcp_rmem`'s default (it only grows as the application reads), counted
 * twice for the kernel's per-packet overhead.
 */
export function pausedPeerCapacity(): number {
  const wmem = sysctlTriple('tcp_wmem');
  const rmem = sysctlTriple('tcp_rmem');
  if (!wmem || !rmem) return FALLBACK_BYTES;
  return wmem[2] + 2 * rmem[1];
}

/** The time left before a deadline taken at the start of a test, for waits that must end before the test's own timeout. */
export function deadline(budgetMs: number): () => number {
  const end = Date.now() + budgetMs;
  return () => Math.max(1, end - Date.now());
}
