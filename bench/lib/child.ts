import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundledChild } from './build.js';

/**
 * Benchmark processes: each server under test (and each group of WebSocket clients) runs in
 * its own Node.js process, so its RSS is its own and the load generator's CPU is not counted
 * against it. They talk to the orchestrator over the IPC channel: `{id, cmd, payload}` in,
 * `{id, ok, result | error}` out; the first message is `{type: 'ready', ...}`.
 */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Every child may hold this many descriptors (5 000 idle sockets need more than the usual 1 024). */
const WANTED_OPEN_FILES = 65_536;
/** Children that stay TypeScript under tsx. */
const TSX_ENTRIES = new Set(['fake']);

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export class BenchChild<Ready = Record<string, unknown>> {
  readonly name: string;
  readonly process: ChildProcess;
  readonly ready: Promise<Ready>;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #stderr = '';
  #exited = false;

  private constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.process = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-20_000);
    });
    this.ready = new Promise<Ready>((resolve, reject) => {
      const onMessage = (message: unknown) => {
        const record = message as { type?: string };
        if (record.type === 'ready') {
          child.off('message', onMessage);
          resolve(message as Ready);
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) => reject(new Error(`${name} exited before it was ready (${code ?? signal}):\n${this.#stderr}`)));
    });
    this.ready.catch(() => undefined);
    child.on('message', (message: unknown) => {
      const reply = message as Partial<Reply>;
      if (typeof reply.id !== 'number') return;
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(new Error(`${name}: ${reply.error ?? 'failed'}`));
    });
    child.once('exit', (code, signal) => {
      this.#exited = true;
      for (const pending of this.#pending.values()) pending.reject(new Error(`${name} exited (${code ?? signal}):\n${this.#stderr}`));
      this.#pending.clear();
    });
  }

  /**
   * Starts `bench/children/<entry>.ts` with a raised open-files limit: bundled to plain
   * JavaScript (bench/lib/build.ts), except the fake ElevenLabs, which reads its fixtures next
   * to its sources and runs under tsx.
   */
  static async start<R = Record<string, unknown>>(entry: string, payload: unknown, options: { name?: string; env?: Record<string, string> } = {}): Promise<BenchChild<R>> {
    const args = TSX_ENTRIES.has(entry)
      ? ['--import', 'tsx', fileURLToPath(new URL(`../children/${entry}.ts`, import.meta.url))]
      : [await bundledChild(entry)];
    // Node.js cannot raise its own rlimit; the shell can, then exec keeps the pid (and the IPC fd).
    const shell = `ulimit -n ${WANTED_OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
    const child = spawn('bash', ['-c', shell, process.execPath, ...args, JSON.stringify(payload)], {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    return new BenchChild<R>(options.name ?? entry, child);
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  get stderr(): string {
    return this.#stderr;
  }

  call<T = unknown>(cmd: string, payload?: unknown, timeoutMs = 120_000): Promise<T> {
    if (this.#exited) return Promise.reject(new Error(`${this.name} has exited:\n${this.#stderr}`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.process.send({ id, cmd, payload });
    });
  }

  /** Resident set size of the child right now (VmRSS), in bytes. */
  rss(): number {
    return rssOf(this.pid);
  }

  async stop(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.process.kill('SIGKILL');
    await exited;
  }
}

export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match?.[1]) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/** Total user+system CPU time of a process so far, in milliseconds. */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

/** Samples a process's RSS every `everyMs` until stopped. */
export function sampleRss(pid: number, everyMs = 20): { stop(): { samples: number[]; peak: number } } {
  const samples: number[] = [];
  const take = () => {
    try {
      samples.push(rssOf(pid));
    } catch {
      // The process is gone; keep what we have.
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { samples, peak: Math.max(...samples) };
    },
  };
}
