import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Spawned {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first stdout line (JSON) whose message matches. */
  waitForLog(message: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a TypeScript entry point of this repository in a child Node.js process. */
export function spawnTs(entry: string, args: string[], env: Record<string, string | undefined>): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => out,
    exited,
    async waitForLog(message, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const line of out.split('\n')) {
          if (!line.startsWith('{')) continue;
          try {
            const entry = JSON.parse(line) as Record<string, unknown>;
            if (entry['message'] === message) return entry;
          } catch {
            // Not a complete JSON line yet.
          }
        }
        if (child.exitCode !== null) throw new Error(`process exited before logging "${message}":\n${out}`);
        if (Date.now() > deadline) throw new Error(`no "${message}" log within ${timeoutMs} ms:\n${out}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}
