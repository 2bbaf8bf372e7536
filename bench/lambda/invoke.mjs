// Cold start of one Lambda bundle, as the runtime does it: import the module, then invoke
// `handler` once. Plain JavaScript, run by a bare `node` (no tsx), so nothing but the bundle
// is loaded. Usage: node invoke.mjs <bundle.mjs> <event.json>
// Prints one line `@@bench {...}` with the phases in milliseconds since the process started.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [bundle, eventFile] = process.argv.slice(2);
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const started = performance.now();
const module = await import(pathToFileURL(bundle).href);
const imported = performance.now();
const context = {
  functionName: 'jessica-bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:jessica-bench',
  memoryLimitInMB: '1024',
  awsRequestId: '00000000-0000-4000-8000-000000000000',
  logGroupName: '/aws/lambda/jessica-bench',
  logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 29_000,
};
let result;
let error;
try {
  result = await module.handler(event, context);
} catch (caught) {
  error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
}
const invoked = performance.now();
const status = result?.statusCode;
const bodyBytes = typeof result?.body === 'string' ? Buffer.byteLength(result.body, result.isBase64Encoded ? 'base64' : 'utf8') : undefined;
process.stdout.write(
  `\n@@bench ${JSON.stringify({ loaderMs: started, importMs: imported - started, invokeMs: invoked - imported, status, bodyBytes, changed: result?.changed, target: result?.target, error })}\n`,
);
// Lambda freezes the sandbox here; a plain process would wait for keep-alive sockets.
process.exit(0);
