import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/process.js';

const eslint = new ESLint({ cwd: ROOT });

async function restrictedImports(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('the core/ boundary', () => {
  it.each([
    ["import express from 'express';", 'express'],
    ["import { WebSocketServer } from 'ws';", 'ws'],
    ["import type { Context } from 'aws-lambda';", 'aws-lambda'],
    ["import { DynamoDBClient } from '@aws-sdk/client-dynamodb';", '@aws-sdk'],
    ["import { createServer } from 'node:http';", 'node:http'],
  ])('fails the lint when core/ imports %s', async (code, name) => {
    const messages = await restrictedImports(`${code}\nexport const x = 1;\n`, 'core/boundary-probe.ts');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(name === '@aws-sdk' ? 'AWS SDK' : name);
  });

  it('allows the same imports in an adapter', async () => {
    expect(await restrictedImports("import express from 'express';\nexport const x = express;\n", 'fargate/boundary-probe.ts')).toEqual([]);
  });

  it('finds no forbidden import in the real core', async () => {
    const results = await eslint.lintFiles(['core/**/*.ts']);
    const violations = results.flatMap((result) => result.messages.filter((message) => message.ruleId === 'no-restricted-imports').map(() => result.filePath));
    expect(violations).toEqual([]);
  });
});
