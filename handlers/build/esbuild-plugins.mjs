/**
 * esbuild plugins of the Lambda bundles (esbuild.config.cjs, the `plugins` option).
 *
 * zod re-exports ~40 translations of its error messages as the `locales` namespace, some 260 KB
 * of a minified bundle that no code path here uses: Jessica answers in English, and zod loads
 * its default English messages through a separate import. The namespace keeps only `en`.
 * The MCP SDK's validator and where the chunks of a split build go: see below.
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

/**
 * With code splitting, each handler's chunks go to a folder named after it, beside it:
 * `handlers/http.mjs` imports `handlers/http.chunks/*.mjs`. serverless-esbuild builds every
 * handler into one folder and zips all of it into each function, except the files of the other
 * handlers (`handlers/<other>.*`), so named this way each zip holds its own chunks and no other's.
 * Each build has one entry point (serverless-esbuild builds them one by one), hence one name.
 */
/** @type {import('esbuild').Plugin} */
const chunksBesideTheirHandler = {
  name: 'chunks-beside-their-handler',
  setup(build) {
    const options = build.initialOptions;
    const entries = Array.isArray(options.entryPoints) ? options.entryPoints : [];
    if (!options.splitting || entries.length !== 1) return;
    const entry = typeof entries[0] === 'string' ? entries[0] : entries[0].in;
    options.chunkNames = `${path.basename(entry, path.extname(entry))}.chunks/[name]-[hash]`;
  },
};

export default [zodEnglishOnly, mcpSmallValidator, chunksBesideTheirHandler];
