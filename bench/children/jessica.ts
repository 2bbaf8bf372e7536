import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { startServer } from '../../fargate/server.js';
import { payloadOf, serve } from '../lib/serve.js';

/**
 * The live server under test, started through the same entry the tests use. It runs bundled
 * (bench/lib/build.ts); BENCH_JESSICA_SERVER swaps in another checkout's fargate/server.ts.
 */

const { env } = payloadOf<{ env: Record<string, string> }>();
const server = await startServer({ env });
let session: Session | undefined;

serve(
  {
    stats: () => ({ listeners: server.hub.totalListeners, active: server.hub.activeUtterances, memory: process.memoryUsage() }),
    /** CPU profile of the server process between start and stop (`--profile`). */
    profileStart: async () => {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
      return true;
    },
    profileStop: async (path: string) => {
      if (!session) return false;
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
      session = undefined;
      return summarizeProfile(profile);
    },
  },
  { url: server.url, rootPath: server.rootPath, port: server.port },
);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** The functions with the most self time, for the report's "what the profile shows". */
function summarizeProfile(profile: { nodes: ProfileNode[]; samples?: number[] }): Array<{ fn: string; selfPct: number }> {
  const total = profile.samples?.length ?? profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const where = node.callFrame.url.replace(/^file:\/\/.*?\/(node_modules|core|fargate)\//, '$1/');
    const key = `${node.callFrame.functionName || '(anonymous)'} ${where ? `${where}:${node.callFrame.lineNumber + 1}` : ''}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + (node.hitCount ?? 0));
  }
  return [...byFunction.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([fn, hits]) => ({ fn, selfPct: Math.round((hits / Math.max(1, total)) * 1000) / 10 }));
}
