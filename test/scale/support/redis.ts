import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Redis } from 'ioredis';
import { countPresence, keys } from '../../../fargate/pubsub/scripts.js';

/** A real `redis-server` (Debian package) on a free loopback port, without persistence. */
export class RedisServer {
  readonly port: number;
  #child: ChildProcess | undefined;
  #output = '';

  private constructor(port: number) {
    this.port = port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** redis-server cannot listen on port 0: take a free port from the kernel, release it, use it. */
  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.restart();
    return server;
  }

  /** Starts (again) on the same port, empty: no RDB, no AOF. */
  async restart(): Promise<void> {
    if (this.#child) throw new Error('redis-server is already running');
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    const missing = new Promise<never>((_, reject) =>
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'ENOENT' ? new Error('redis-server not found: install the Debian package redis-server (.ci/run does)') : error),
      ),
    );
    missing.catch(() => undefined);
    child.stdout!.on('data', (chunk: Buffer) => (this.#output += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (this.#output += chunk.toString('utf8')));
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    const deadline = Date.now() + 10_000;
    while (!this.#output.includes('Ready to accept connections')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start:\n${this.#output}`);
      await Promise.race([missing, new Promise((resolve) => setTimeout(resolve, 20))]);
    }
  }

  /** Ends the server the way a crash or a failover would: at once, closing every connection. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.#output = '';
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** Listeners of `principal` on every task, as the tasks' presence in Redis says. */
export async function presenceOf(client: Redis, principal: string): Promise<number> {
  return Number(await countPresence.run(client, [keys.presence(principal), keys.listeners(principal)], ['']));
}
