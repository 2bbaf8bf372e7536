/**
 * esbuild plugins of the Lambda bundles (esbuild.config.cjs, the `plugins` option).
 *
 * zod re-exports ~40 translations of its error messages as the `locales` namespace, some 260 KB
 * of a minified bundle that no code path here uses: Jessica answers in English, and zod loads
 * its default English messages through a separate import. The namespace keeps only `en`.
 * The MCP SDK's validator: see below.
 */
import path from 'node:path';

const LOCALES_INDEX = /^\.\.\/locales\/index\.js$/;
const ZOD_DIR = `${path.sep}node_modules${path.sep}zod${path.sep}`;

/** @type {import('esbuild').Plugin} */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: LOCALES_INDEX }, (args) =>
      args.importer.includes(ZOD_DIR)
        ? { path: path.join(path.dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-english-only' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * The MCP server SDK picks its JSON Schema validator through the `_shims` export: on Node the
 * Ajv-backed one (~150 KB minified), elsewhere the `@cfworker/json-schema` one. Neither checks
 * tool arguments (zod does); both serve only elicitation answers, which Jessica never requests.
 * The Lambda bundles take the small one, which the SDK supports on every runtime; its stdio
 * stub is never reached (Lambda serves HTTP only).
 */
/** @type {import('esbuild').Plugin} */
const mcpSmallValidator = {
  name: 'mcp-small-validator',
  setup(build) {
    build.onResolve({ filter: /^@modelcontextprotocol\/server\/_shims$/ }, async (args) => {
      const entry = await build.resolve('@modelcontextprotocol/server', { kind: 'import-statement', resolveDir: args.resolveDir });
      if (entry.errors.length > 0) return { errors: entry.errors };
      return { path: path.join(path.dirname(entry.path), 'shimsWorkerd.mjs') };
    });
  },
};

export default [zodEnglishOnly, mcpSmallValidator];
