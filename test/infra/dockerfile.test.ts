import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dockerfile = readFileSync('Dockerfile', 'utf8');
/** Instructions with line continuations joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const stages = instructions.filter((line) => line.startsWith('FROM '));

describe('Dockerfile', () => {
  it('passes dockerfilelint', () => {
    const lint = spawnSync('npx', ['dockerfilelint', 'Dockerfile'], { encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toMatch(/Issues: None found/);
    expect(lint.status).toBe(0);
  });

  it('builds in stages on the Node.js 22 slim image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage).toMatch(/^FROM node:22(\.\d+)*-[a-z]*-?slim\b/);
  });

  it('builds with npm ci and ships production dependencies only', () => {
    expect(instructions).toContain('RUN npm ci --no-audit --no-fund');
    expect(instructions).toContain('RUN npm run build');
    expect(instructions.some((line) => /^RUN npm ci --omit=dev\b/.test(line))).toBe(true);
    expect(instructions).toEqual(expect.arrayContaining(['COPY --from=build /app/dist ./dist', 'COPY --from=build /app/web/dist ./web/dist']));
  });

  it('refuses to build anything but linux/arm64', () => {
    expect(dockerfile).toMatch(/test "\$\(uname -m\)" = "aarch64"/);
    expect(dockerfile).toMatch(/--platform linux\/arm64/);
  });

  it('runs the server as a non-root PID 1 that handles SIGTERM itself', () => {
    const runtime = instructions.slice(instructions.lastIndexOf(stages.at(-1) ?? ''));
    expect(runtime).toContain('USER node');
    expect(runtime).toContain('STOPSIGNAL SIGTERM');
    expect(runtime).toContain('EXPOSE 9020');
    expect(runtime.at(-1)).toBe('CMD ["node", "dist/fargate/main.js"]');
    expect(runtime.join('\n')).not.toMatch(/ENTRYPOINT|tini|dumb-init/);
  });

  it('sets HOST, PORT and NODE_ENV for the container', () => {
    const env = instructions.find((line) => line.startsWith('ENV '));
    expect(env).toMatch(/NODE_ENV=production/);
    expect(env).toMatch(/HOST=0\.0\.0\.0/);
    expect(env).toMatch(/PORT=9020/);
  });

  it('checks health with node (no curl in slim) on ${ROOT_PATH}/health', () => {
    const healthcheck = instructions.find((line) => line.startsWith('HEALTHCHECK '));
    expect(healthcheck).toMatch(/CMD \["node", "-e", "fetch\('http:\/\/127\.0\.0\.1:9020'\+\(process\.env\.ROOT_PATH\|\|''\)\+'\/health'\)/);
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, build output, git and secrets out of the build context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', 'dist', 'web/dist', '.git', '.env', 'terraform']));
  });
});
