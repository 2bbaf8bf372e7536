import { spawn, spawnSync } from 'node:child_process';
import { rpcMessageOf } from '../support/mcp-wire.js';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeElevenLabs } from '../fake-elevenlabs/index.js';

/** A function's minified files (its handler and the chunks beside it) may not exceed this together. */
const BUNDLE_BUDGET_BYTES = 1024 * 1024;
const FUNCTIONS = ['http', 'stream', 'switch'] as const;
const canPackage = existsSync('node_modules/.bin/sls') && existsSync('scripts/sls-package.sh');

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** The files of a zip archive, from its central directory. */
function unzip(path: string): Map<string, Buffer> {
  const zip = readFileSync(path);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const entries = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let index = 0; index < entries; index += 1) {
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const local = zip.readUInt32LE(at + 42);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + skip;
  }
  return files;
}

/** Relative specifiers of a minified ESM file: static imports, re-exports and import(). */
const RELATIVE_IMPORT = /\bfrom\s*["'](\.{1,2}\/[^"']+)["']|\bimport\s*\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)|\bimport\s*["'](\.{1,2}\/[^"']+)["']/g;

/**
 * The files `entry` reaches by relative imports, itself included, and those it cannot find.
 * `staticOnly` follows import statements only: what is read before the handler first runs.
 */
function importGraph(files: Map<string, Buffer>, entry: string, staticOnly = false): { reached: Set<string>; missing: string[] } {
  const reached = new Set<string>([entry]);
  const missing: string[] = [];
  for (const file of reached) {
    for (const match of (files.get(file)?.toString('utf8') ?? '').matchAll(RELATIVE_IMPORT)) {
      const specifier = match[1] ?? (staticOnly ? undefined : match[2]) ?? match[3];
      if (specifier === undefined) continue;
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      if (files.has(target)) reached.add(target);
      else missing.push(`${file} → ${specifier}`);
    }
  }
  return { reached, missing };
}

describe.skipIf(!canPackage)('STAGE=prod sls package (osls + serverless-esbuild, offline, no credentials)', () => {
  const out = mkdtempSync(join(tmpdir(), 'jessica-sls-'));
  let resources: Record<string, Resource>;
  let outputs: Record<string, unknown>;
  const bundles = new Map<string, Buffer>();
  /** Each function's zip, unpacked: `<unpacked>/<function>/handlers/<function>.mjs`. */
  const unpacked = join(out, 'unpacked');
  const filesOf = (name: string) => new Map([...bundles].filter(([key]) => key.startsWith(`${name}:`)).map(([key, content]) => [key.slice(name.length + 1), content]));

  beforeAll(() => {
    // The stage that is deployed: what a real account would run.
    const run = spawnSync('sh', ['scripts/sls-package.sh', '--package', out], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, STAGE: 'prod' } });
    if (run.status !== 0) throw new Error(`sls package failed (${run.status ?? run.signal}):\n${run.stdout}\n${run.stderr}`);
    const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as {
      Resources: Record<string, Resource>;
      Outputs: Record<string, unknown>;
    };
    resources = template.Resources;
    outputs = template.Outputs;
    for (const name of FUNCTIONS) {
      for (const [file, content] of unzip(join(out, `${name}.zip`))) {
        bundles.set(`${name}:${file}`, content);
        mkdirSync(dirname(join(unpacked, name, file)), { recursive: true });
        writeFileSync(join(unpacked, name, file), content);
      }
    }
  }, 200_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
  const fn = (name: string) => resources[`${name[0]?.toUpperCase()}${name.slice(1)}LambdaFunction`]?.Properties ?? {};

  it('builds every function for Node.js 22 on arm64 as an ESM handler', () => {
    for (const name of FUNCTIONS) {
      expect(fn(name)).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: `handlers/${name}.handler` });
    }
  });

  it('packages each function alone: its handler with every chunk it imports, minified, together within budget', () => {
    const sizes: Record<string, number> = {};
    for (const name of FUNCTIONS) {
      const files = filesOf(name);
      const entry = `handlers/${name}.mjs`;
      expect([...files.keys()]).toContain(entry);
      // Its own chunks only, beside it: nothing of the other functions.
      for (const file of files.keys()) expect(file === entry || file.startsWith(`handlers/${name}.chunks/`), file).toBe(true);
      const { missing } = importGraph(files, entry);
      expect(missing, `${name}: imports missing from the zip`).toEqual([]);
      const bytes = [...files.values()].reduce((sum, content) => sum + content.length, 0);
      sizes[name] = bytes;
      expect(bytes).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
      // Minified: few, long lines.
      const lines = [...files.values()].reduce((sum, content) => sum + content.toString('utf8').split('\n').length, 0);
      expect(bytes / lines).toBeGreaterThan(500);
    }
    console.info(`handler bundles with their chunks (bytes): ${JSON.stringify(sizes)}`);
  });

  it('leaves the SSM and DynamoDB clients and the MCP server out of what http and stream read at import', () => {
    // Each is a chunk of its own, imported when the configuration names it (a *_PARAM variable,
    // JESSICA_SETTINGS=dynamodb:) or when an MCP request comes; found here by strings only it holds.
    const lazy = { 'SSM client': 'AmazonSSM', 'DynamoDB client': 'DynamoDB_20120810', 'MCP server': 'server/discover' };
    for (const name of ['http', 'stream']) {
      const files = filesOf(name);
      const atImport = importGraph(files, `handlers/${name}.mjs`, true).reached;
      const all = importGraph(files, `handlers/${name}.mjs`).reached;
      for (const [what, marker] of Object.entries(lazy)) {
        const holders = [...all].filter((file) => files.get(file)?.includes(marker));
        expect(holders.length, `${name}: ${what} in the package`).toBeGreaterThan(0);
        expect(holders.filter((file) => atImport.has(file)), `${name}: ${what} read at import`).toEqual([]);
      }
    }
  });

  it('imports each packaged handler from its unpacked zip in plain Node', () => {
    for (const name of FUNCTIONS) {
      const script = `
        const module = await import(${JSON.stringify(join(unpacked, name, `handlers/${name}.mjs`))});
        process.stdout.write('\\n' + typeof module.handler);`;
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env['PATH'], LOG_LEVEL: 'silent' } });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout.trim().split('\n').at(-1), name).toBe('function');
    }
  });

  it('creates no API Gateway of its own: no public execute-api endpoint around the hub', () => {
    // The hub's shared API reaches `http` through its Lambda integration (Terraform); an API in
    // this stack would bypass the hub's throttling, JWT authorizer and WAF.
    const apis = Object.entries(resources).filter(([, resource]) => /^AWS::ApiGateway(V2)?::/.test(resource.Type));
    expect(apis.map(([id, resource]) => `${id} ${resource.Type}`)).toEqual([]);
    const permissions = ofType('AWS::Lambda::Permission').map(([, permission]) => permission.Properties);
    expect(permissions.filter((permission) => permission['Principal'] === 'apigateway.amazonaws.com')).toEqual([]);
  });

  it('caps every function reachable from outside: each public Function URL and the http function', () => {
    const reserved = (id: unknown) => resources[String(id)]?.Properties['ReservedConcurrentExecutions'];
    const urls = ofType('AWS::Lambda::Url').map(([, url]) => url.Properties);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) {
      const target = (url['TargetFunctionArn'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      if (url['AuthType'] === 'NONE') expect(reserved(target), target).toBeGreaterThan(0);
    }
    expect(reserved('StreamLambdaFunction')).toBeGreaterThan(0);
    expect(reserved('HttpLambdaFunction')).toBeGreaterThan(0);
    // The ceiling docs/costs.md prices.
    expect(readFileSync('docs/costs.md', 'utf8')).toContain(`reserved concurrency ${String(reserved('StreamLambdaFunction'))}`);
  });

  it('still serves ANY /jessica/{proxy+} and GET /jessica/health under sls offline --stage local', () => {
    const home = mkdtempSync(join(tmpdir(), 'jessica-sls-home-'));
    try {
      const run = spawnSync('node_modules/.bin/sls', ['print', '--stage', 'local', '--format', 'json'], {
        encoding: 'utf8',
        timeout: 60_000,
        env: { PATH: process.env['PATH'], HOME: home, SLS_TELEMETRY_DISABLED: '1' },
      });
      expect(run.status, run.stderr).toBe(0);
      const config = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as { functions: Record<string, { events?: unknown[] }> };
      expect(config.functions['http']?.events).toEqual([{ httpApi: 'ANY /jessica/{proxy+}' }, { httpApi: 'GET /jessica/health' }]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 90_000);

  it('gives the stream function a Function URL in RESPONSE_STREAM mode', () => {
    const urls = ofType('AWS::Lambda::Url').map(([, url]) => url.Properties);
    expect(urls).toEqual([expect.objectContaining({ InvokeMode: 'RESPONSE_STREAM', TargetFunctionArn: { 'Fn::GetAtt': ['StreamLambdaFunction', 'Arn'] } })]);
  });

  it('keeps logs for 7 days', () => {
    const groups = ofType('AWS::Logs::LogGroup').map(([, group]) => group.Properties);
    expect(groups).toHaveLength(FUNCTIONS.length);
    for (const group of groups) expect(group['RetentionInDays']).toBe(7);
  });

  it('configures the core by parameter names, never by secret values', () => {
    for (const name of ['http', 'stream']) {
      const variables = (fn(name)['Environment'] as { Variables: Record<string, string> }).Variables;
      expect(variables).toMatchObject({
        ROOT_PATH: '/jessica',
        JESSICA_SETTINGS: 'dynamodb:jessica-prod-settings',
        ELEVENLABS_API_KEY_PARAM: '/jessica/prod/elevenlabs-api-key',
        JESSICA_TOKENS_PARAM: '/jessica/prod/tokens',
        JESSICA_VERSION: expect.stringMatching(/^\d+\.\d+\.\d+/),
      });
      expect(variables).not.toHaveProperty('ELEVENLABS_API_KEY');
      expect(variables).not.toHaveProperty('JESSICA_TOKENS');
    }
    expect(Object.keys((fn('switch')['Environment'] as { Variables: Record<string, string> }).Variables)).toEqual(
      expect.arrayContaining(['JESSICA_API_ID', 'JESSICA_ROUTE_ID', 'JESSICA_FARGATE_INTEGRATION_ID', 'JESSICA_LAMBDA_INTEGRATION_ID', 'JESSICA_ECS_CLUSTER', 'JESSICA_ECS_SERVICE']),
    );
  });

  it('triggers the switch on ECS task, service and deployment events of the one service', () => {
    const rules = ofType('AWS::Events::Rule').map(([, rule]) => rule.Properties as { EventPattern: Record<string, unknown>; Targets: { Arn: unknown }[] });
    expect(rules.map((rule) => rule.EventPattern['detail-type']).flat().sort()).toEqual(['ECS Deployment State Change', 'ECS Service Action', 'ECS Task State Change']);
    for (const rule of rules) {
      expect(rule.EventPattern['source']).toEqual(['aws.ecs']);
      expect(rule.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': ['SwitchLambdaFunction', 'Arn'] } })]);
    }
  });

  it('grants no IAM statement Resource "*" where a narrower resource exists', () => {
    const statements = ofType('AWS::IAM::Role').flatMap(([, role]) =>
      ((role.Properties['Policies'] ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((policy) => policy.PolicyDocument.Statement),
    );
    expect(statements.length).toBeGreaterThan(5);
    for (const statement of statements) {
      const resources = [statement.Resource].flat();
      if (!resources.includes('*')) continue;
      // ecs:ListTasks authorises against container instances, which Fargate lacks; it is scoped by cluster instead.
      expect(statement.Action).toEqual(['ecs:ListTasks']);
      expect(statement.Condition?.['ArnEquals']?.['ecs:cluster']).toBeDefined();
    }
  });

  it('gives each role only its own function\'s permissions', () => {
    const actionsOf = (roleId: string) =>
      ((resources[roleId]?.Properties['Policies'] ?? []) as { PolicyDocument: { Statement: Statement[] } }[])
        .flatMap((policy) => policy.PolicyDocument.Statement)
        .flatMap((statement) => [statement.Action].flat());
    expect(actionsOf('IamRoleLambdaExecution')).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'ssm:GetParameters']));
    expect(actionsOf('IamRoleLambdaExecution').filter((action) => /^(ecs|apigateway):/.test(action))).toEqual([]);
    expect(actionsOf('SwitchRole')).toEqual(expect.arrayContaining(['apigateway:GET', 'apigateway:PATCH', 'ecs:DescribeServices', 'ecs:DescribeTasks', 'ecs:ListTasks']));
    expect(actionsOf('SwitchRole').filter((action) => /^(dynamodb|ssm):/.test(action))).toEqual([]);
    expect(fn('switch')['Role']).toEqual({ 'Fn::GetAtt': ['SwitchRole', 'Arn'] });
  });

  it('exports the ARNs Terraform wires to the gateway and the schedules', () => {
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['HttpFunctionArn', 'SwitchFunctionArn', 'StreamLambdaFunctionUrl']));
  });

  it('answers /health from the packaged http and stream functions in plain Node', () => {
    const functionUrl = JSON.parse(readFileSync('test/handlers/events/function-url.json', 'utf8')) as { requestContext: { http: Record<string, string> } };
    const events = {
      http: readFileSync('test/handlers/events/http-api-v2.json', 'utf8'),
      stream: JSON.stringify({
        ...functionUrl,
        rawPath: '/jessica/health',
        body: undefined,
        requestContext: { ...functionUrl.requestContext, http: { ...functionUrl.requestContext.http, method: 'GET', path: '/jessica/health' } },
      }),
    };
    for (const name of ['http', 'stream'] as const) {
      const variables = (fn(name)['Environment'] as { Variables: Record<string, string> }).Variables;
      const script = `
        const { handler } = await import(${JSON.stringify(join(unpacked, name, `handlers/${name}.mjs`))});
        const event = JSON.parse(process.env.EVENT);
        const result = await handler(event, { awsRequestId: 'smoke', functionName: 'jessica-prod-${name}' });
        process.stdout.write('\\n' + JSON.stringify(result));`;
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 30_000,
        env: {
          PATH: process.env['PATH'],
          ...variables,
          JESSICA_SETTINGS: 'memory:',
          ELEVENLABS_API_KEY_PARAM: '',
          JESSICA_TOKENS_PARAM: '',
          JESSICA_ALLOW_ANONYMOUS: 'true',
          LOG_LEVEL: 'silent',
          // Outside AWS, lambda-stream buffers the streamed response and returns it.
          AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA: '1',
          EVENT: events[name],
        },
      });
      expect(run.status, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { statusCode: number; body: string };
      expect(result.statusCode, name).toBe(200);
      expect(JSON.parse(result.body), name).toEqual({ status: 'degraded', version: variables['JESSICA_VERSION'], target: 'lambda', upstream: { configured: false } });
    }
  });

  it('answers server/discover and a modern tools/call text_to_speech with the audio', { timeout: 120_000 }, async () => {
    const variables = (fn('http')['Environment'] as { Variables: Record<string, string> }).Variables;
    const fake = await startFakeElevenLabs();
    try {
      const base = JSON.parse(readFileSync('test/handlers/events/http-api-v2.json', 'utf8')) as Record<string, unknown> & { headers: Record<string, string>; requestContext: { http: Record<string, string> } };
      const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
      const mcpEvent = (method: string, params: Record<string, unknown>, name?: string) => ({
        ...base,
        rawPath: '/jessica/mcp',
        rawQueryString: '',
        requestContext: { ...base.requestContext, http: { ...base.requestContext.http, method: 'POST', path: '/jessica/mcp' } },
        headers: {
          ...base.headers,
          authorization: 'Bearer packaged-token-123',
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': method,
          ...(name ? { 'mcp-name': name } : {}),
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: meta } }),
        isBase64Encoded: false,
      });
      const [discover, call] = await invokeBundle(
        join(unpacked, 'http', 'handlers/http.mjs'),
        {
          ...variables,
          JESSICA_SETTINGS: 'memory:',
          ELEVENLABS_API_KEY_PARAM: '',
          JESSICA_TOKENS_PARAM: '',
          JESSICA_TOKENS: 'alice:packaged-token-123',
          ELEVENLABS_API_KEY: fake.apiKey,
          ELEVENLABS_BASE_URL: fake.url,
          LOG_LEVEL: 'silent',
        },
        [mcpEvent('server/discover', {}), mcpEvent('tools/call', { name: 'text_to_speech', arguments: { text: 'Packaged and speaking.' } }, 'text_to_speech')],
      );
      const rpc = (result: { headers: Record<string, string>; body: string; isBase64Encoded: boolean }) =>
        rpcMessageOf(result.headers['content-type'], result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('utf8') : result.body) as { result: Record<string, unknown> };
      expect(discover!.statusCode).toBe(200);
      expect(rpc(discover!).result).toMatchObject({ supportedVersions: expect.arrayContaining(['2026-07-28']), capabilities: { tools: {} } });
      expect(call!.statusCode).toBe(200);
      const content = rpc(call!).result['content'] as Array<{ type: string; data?: string }>;
      const audio = content.find((block) => block.type === 'audio');
      expect(Buffer.from(audio!.data!, 'base64').equals(fake.sentAudio.at(-1)!.bytes)).toBe(true);
    } finally {
      await fake.close();
    }
  });
});

/** Runs the packaged handler once per event in a plain Node process (async: the fake upstream answers from this one). */
function invokeBundle(handlerFile: string, env: Record<string, string | undefined>, events: unknown[]): Promise<Array<{ statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded: boolean }>> {
  const script = `
    const { handler } = await import(${JSON.stringify(handlerFile)});
    const results = [];
    for (const event of JSON.parse(process.env.EVENTS)) results.push(await handler(event, { awsRequestId: 'smoke', functionName: 'jessica-prod-http' }));
    process.stdout.write('\\n' + JSON.stringify(results));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env['PATH'], ...env, EVENTS: JSON.stringify(events) } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`bundle exited ${code}: ${stderr.slice(0, 500)}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]'));
    });
  });
}

if (!canPackage) {
  describe('npx sls package', () => {
    it.skip('needs osls (node_modules/.bin/sls) and scripts/sls-package.sh; run npm ci first', () => undefined);
  });
}
