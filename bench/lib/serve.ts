/** The child side of BenchChild: answer `{id, cmd, payload}` messages from the orchestrator. */

export type Handlers = Record<string, (payload: never) => unknown>;

export function payloadOf<T>(): T {
  const raw = process.argv[2];
  return (raw ? JSON.parse(raw) : {}) as T;
}

export function serve(handlers: Handlers, ready: Record<string, unknown>): void {
  if (!process.send) throw new Error('a benchmark child needs an IPC channel');
  process.on('message', (message: unknown) => {
    const { id, cmd, payload } = message as { id: number; cmd: string; payload: unknown };
    const handler = handlers[cmd];
    void (async () => {
      try {
        if (!handler) throw new Error(`unknown command ${cmd}`);
        const result = await (handler as (payload: unknown) => unknown)(payload);
        process.send?.({ id, ok: true, result });
      } catch (error) {
        process.send?.({ id, ok: false, error: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) });
      }
    })();
  });
  // The orchestrator going away must take its children with it.
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', pid: process.pid, ...ready });
}
