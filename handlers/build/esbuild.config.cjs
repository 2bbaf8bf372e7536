/**
 * The esbuild options of the Lambda bundles, in one place: serverless.yml hands them to
 * serverless-esbuild (custom.esbuild.config), and bench/suites/lambda.ts builds with the same.
 * Besides esbuild's own options there are three of serverless-esbuild's: outputFileExtension
 * (esbuild's outExtension), exclude (esbuild's external) and packager.
 *
 * @returns {Record<string, unknown>}
 */
module.exports = function esbuildConfig() {
  return {
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    outputFileExtension: '.mjs',
    mainFields: ['module', 'main'],
    // Code splitting: each dynamic import() becomes a chunk that is read only when that code
    // runs. The SDK clients a configuration does not use (SSM without *_PARAM variables,
    // DynamoDB without JESSICA_SETTINGS=dynamodb:), the MCP server (until an MCP request
    // comes) and the SDK's own lazily loaded credential providers stay on disk during a cold
    // start. The chunks go beside each handler (the chunk-names plugin of esbuild-plugins.mjs).
    splitting: true,
    // lambda-stream and a few SDK internals are CommonJS and call require() for Node built-ins,
    // which an ESM bundle lacks.
    banner: {
      js: "import { createRequire as __jessicaCreateRequire } from 'node:module'; const require = __jessicaCreateRequire(import.meta.url);",
    },
    // Bundle the AWS SDK rather than use the runtime's copy: the versions tested here are the
    // versions deployed. With zod's unused translations dropped (the plugins), every function's
    // files together stay within the 1 MB budget (test/handlers/serverless-package.test.ts checks).
    exclude: [],
    plugins: 'handlers/build/esbuild-plugins.mjs',
    packager: 'npm',
  };
};
