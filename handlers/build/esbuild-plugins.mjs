/**
 * esbuild plugins of the Lambda bundles (serverless.yml, custom.esbuild.plugins).
 *
 * zod re-exports ~40 translations of its error messages as the `locales` namespace, some 260 KB
 * of a minified bundle that no code path here uses: Jessica answers in English, and zod loads
 * its default English messages through a separate import. The namespace keeps only `en`.
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

export default [zodEnglishOnly];
