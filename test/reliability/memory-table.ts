import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

type Item = Record<string, unknown>;

export interface MemoryTable {
  readonly items: Map<string, Item>;
  /** Puts refused because their ConditionExpression was false. */
  readonly conflicts: number;
  readonly puts: number;
  restore(): void;
}

/**
 * A tiny in-memory DynamoDB table behind every DocumentClient (through aws-sdk-client-mock),
 * keyed by `principal`. It honours the ConditionExpressions a settings store sends, and every
 * call yields to the event loop for a random moment, so concurrent read-modify-writes really
 * interleave and optimistic locking is really exercised.
 */
export function memoryTable(hashKey = 'principal'): MemoryTable {
  const items = new Map<string, Item>();
  let conflicts = 0;
  let puts = 0;
  const mock = mockClient(DynamoDBDocumentClient);
  const latency = () => new Promise<void>((resolve) => setTimeout(resolve, Math.floor(Math.random() * 3)));

  mock.on(GetCommand).callsFake(async (input: { Key: Item }) => {
    await latency();
    const item = items.get(String(input.Key[hashKey]));
    return item === undefined ? {} : { Item: structuredClone(item) };
  });
  mock.on(PutCommand).callsFake(
    async (input: { Item: Item; ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Item }) => {
      await latency();
      const key = String(input.Item[hashKey]);
      const existing = items.get(key);
      if (input.ConditionExpression !== undefined && !holds(input.ConditionExpression, existing, input.ExpressionAttributeNames ?? {}, input.ExpressionAttributeValues ?? {})) {
        conflicts += 1;
        throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
      }
      puts += 1;
      items.set(key, structuredClone(input.Item));
      return {};
    },
  );

  return {
    items,
    get conflicts() {
      return conflicts;
    },
    get puts() {
      return puts;
    },
    restore: () => mock.restore(),
  };
}

/** Evaluates the subset of condition expressions a settings store uses; anything else fails loudly. */
function holds(expression: string, item: Item | undefined, names: Record<string, string>, values: Item): boolean {
  const name = (token: string) => (token.startsWith('#') ? (names[token] ?? fail(`unknown name ${token}`)) : token);
  return expression.split(/\s+AND\s+/i).every((clause) => {
    const trimmed = clause.trim();
    let match = /^attribute_not_exists\(\s*([#\w]+)\s*\)$/.exec(trimmed);
    if (match) return item === undefined || !(name(match[1]!) in item);
    match = /^attribute_exists\(\s*([#\w]+)\s*\)$/.exec(trimmed);
    if (match) return item !== undefined && name(match[1]!) in item;
    match = /^([#\w]+)\s*=\s*(:\w+)$/.exec(trimmed);
    if (match) {
      if (!(match[2]! in values)) fail(`unknown value ${match[2]}`);
      return item !== undefined && item[name(match[1]!)] === values[match[2]!];
    }
    return fail(`unsupported ConditionExpression clause "${trimmed}"`);
  });
}

function fail(message: string): never {
  throw new Error(`memory table: ${message}`);
}
