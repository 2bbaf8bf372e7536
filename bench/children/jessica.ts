import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../fargate/server.js';
import { payloadOf, serve } from '../lib/serve.js';

/** The checkout (the orchestrator starts every child there): profile frames are named relative to it. */
const ROOT = process.cwd();

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
      return summarizeProfile(profile as CpuProfile);
    },
  },
  { url: server.url, rootPath: server.rootPath, port: server.port },
);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  /** Wall time the profile covers, and the part of it the process was not idle. */
  wallMs: number;
  busyMs: number;
  /** Self time by where the code comes from: a source file of this repository, a package, Node.js itself. */
  byOrigin: Array<{ origin: string; selfMs: number; busyPct: number }>;
  /** The functions with the most self time. */
  top: Array<{ fn: string; selfMs: number; busyPct: number }>;
}

/** Pseudo-frames V8 reports for time spent outside JavaScript functions. */
const IDLE = '(idle)';

/**
 * The profile read back to source: the server runs as one bundle, so each frame's position is
 * mapped through the bundle's source map to the file it was bundled from.
 */
function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const sourceMap = bundleSourceMap();
  const bundleUrl = import.meta.url;
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const meanUs = samples.length > 0 ? (profile.endTime - profile.startTime) / samples.length : 0;
  // V8's timeDeltas[i] is the time before sample i: what sample i stands for is the next delta.
  samples.forEach((id, index) => selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[index + 1] ?? meanUs)));

  const byOrigin = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let idleUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    if (functionName === IDLE) {
      idleUs += us;
      continue;
    }
    let file = url;
    let line = lineNumber + 1;
    if (url === bundleUrl && sourceMap) {
      const entry = sourceMap.findEntry(lineNumber, columnNumber);
      if ('originalSource' in entry) {
        file = relative(ROOT, entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : resolve(dirname(fileURLToPath(bundleUrl)), entry.originalSource));
        line = entry.originalLine + 1;
      }
    }
    const origin = originOf(file, functionName);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + us);
    const key = `${functionName || '(anonymous)'}${file ? ` ${file}:${line}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const wallUs = profile.endTime - profile.startTime;
  const busyUs = Math.max(1, wallUs - idleUs);
  const rows = (map: Map<string, number>, count: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, us]) => ({ name, selfMs: Math.round(us / 100) / 10, busyPct: Math.round((us / busyUs) * 1000) / 10 }));
  return {
    wallMs: Math.round(wallUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    byOrigin: rows(byOrigin, 12).map(({ name, ...rest }) => ({ origin: name, ...rest })),
    top: rows(byFunction, 20).map(({ name, ...rest }) => ({ fn: name, ...rest })),
  };
}

/** `node_modules/<package>`, `core/<file>`, `fargate/<file>`, `node:<internal>`, or V8's own pseudo-frame. */
function originOf(file: string, functionName: string): string {
  if (file === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (file.startsWith('node:')) return 'node: (Node.js internals)';
  const modules = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (modules) return `node_modules/${modules[1]}`;
  return file;
}

function bundleSourceMap(): SourceMap | undefined {
  try {
    return new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(import.meta.url)}.map`, 'utf8')) as SourceMapPayload);
  } catch {
    // Run from TypeScript directly (no bundle): frames already name their files.
    return undefined;
  }
}
