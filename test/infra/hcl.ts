import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

/** One block as hcl2json renders it: attributes, nested blocks as arrays, expressions as "${...}" strings. */
export type Block = Record<string, unknown>;

/** The merged content of every .tf file of one Terraform directory. */
export interface TerraformDir {
  readonly path: string;
  readonly resources: ReadonlyMap<string, Block>;
  readonly data: ReadonlyMap<string, Block>;
  readonly variables: ReadonlyMap<string, Block>;
  readonly modules: ReadonlyMap<string, Block>;
  readonly locals: Readonly<Record<string, unknown>>;
  readonly terraform: readonly Block[];
  readonly providers: ReadonlyMap<string, Block[]>;
}

export const TERRAFORM_ROOT = 'terraform';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function blocks(value: unknown): Block[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** Flattens `{type: {name: [block]}}` into `"type.name" -> block`. */
function labelled(section: unknown, into: Map<string, Block>): void {
  if (!isRecord(section)) return;
  for (const [type, byName] of Object.entries(section)) {
    if (!isRecord(byName)) continue;
    for (const [name, list] of Object.entries(byName)) {
      const [first] = blocks(list);
      if (first) into.set(`${type}.${name}`, first);
    }
  }
}

function named(section: unknown, into: Map<string, Block>): void {
  if (!isRecord(section)) return;
  for (const [name, list] of Object.entries(section)) {
    const [first] = blocks(list);
    if (first) into.set(name, first);
  }
}

/** Parses every .tf file of `dir` (not recursive) with hcl2json and merges them. */
export async function loadTerraformDir(dir: string): Promise<TerraformDir> {
  const resources = new Map<string, Block>();
  const data = new Map<string, Block>();
  const variables = new Map<string, Block>();
  const modules = new Map<string, Block>();
  const providers = new Map<string, Block[]>();
  const locals: Record<string, unknown> = {};
  const terraform: Block[] = [];
  const files = readdirSync(dir).filter((file) => file.endsWith('.tf'));
  for (const file of files) {
    const path = join(dir, file);
    const parsed: unknown = await parse(path, readFileSync(path, 'utf8'));
    if (!isRecord(parsed)) continue;
    labelled(parsed['resource'], resources);
    labelled(parsed['data'], data);
    named(parsed['variable'], variables);
    named(parsed['module'], modules);
    for (const block of blocks(parsed['locals'])) Object.assign(locals, block);
    terraform.push(...blocks(parsed['terraform']));
    if (isRecord(parsed['provider'])) {
      for (const [name, list] of Object.entries(parsed['provider'])) {
        providers.set(name, [...(providers.get(name) ?? []), ...blocks(list)]);
      }
    }
  }
  return { path: dir, resources, data, variables, modules, locals, terraform, providers };
}

/** The Terraform directories of the repository: roots, modules and the example's spoke module. */
export function terraformDirs(): string[] {
  const dirs: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.some((entry) => entry.isFile() && entry.name.endsWith('.tf'))) dirs.push(dir);
    for (const entry of entries) {
      if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'tests') walk(join(dir, entry.name));
    }
  };
  walk(TERRAFORM_ROOT);
  return dirs.sort();
}

export function resource(dir: TerraformDir, address: string): Block {
  const block = dir.resources.get(address);
  if (!block) throw new Error(`${dir.path}: no resource ${address}`);
  return block;
}

export function dataSource(dir: TerraformDir, address: string): Block {
  const block = dir.data.get(address);
  if (!block) throw new Error(`${dir.path}: no data source ${address}`);
  return block;
}

/** First nested block `name` of `block` (hcl2json renders nested blocks as arrays). */
export function nested(block: Block, name: string): Block {
  const [first] = blocks(block[name]);
  if (!first) throw new Error(`no nested block ${name}`);
  return first;
}

export function variableDefault(dir: TerraformDir, name: string): unknown {
  const variable = dir.variables.get(name);
  if (!variable) throw new Error(`${dir.path}: no variable ${name}`);
  return variable['default'];
}

/**
 * Replaces `${var.x}` and `${local.x}` with the variable's default or the local's value when that
 * is a plain value, so assertions read like the plan would.
 */
export function resolve(dir: TerraformDir, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const whole = /^\$\{(var|local)\.([A-Za-z0-9_]+)\}$/.exec(value);
  if (whole) {
    const [, kind, name] = whole;
    const resolved = kind === 'var' ? variableDefault(dir, name ?? '') : dir.locals[name ?? ''];
    return resolve(dir, resolved);
  }
  return value.replace(/\$\{(var|local)\.([A-Za-z0-9_]+)\}/g, (match, kind: string, name: string) => {
    const resolved = kind === 'var' ? dir.variables.get(name)?.['default'] : dir.locals[name];
    return typeof resolved === 'string' || typeof resolved === 'number' ? String(resolve(dir, resolved)) : match;
  });
}

/** Every block of every resource, nested blocks included, with its address: for repository-wide scans. */
export function* walkBlocks(dir: TerraformDir): Generator<{ address: string; block: Block }> {
  function* inner(address: string, block: Block): Generator<{ address: string; block: Block }> {
    yield { address, block };
    for (const [key, value] of Object.entries(block)) {
      for (const child of blocks(value)) yield* inner(`${address}.${key}`, child);
    }
  }
  for (const [address, block] of dir.resources) yield* inner(address, block);
  for (const [address, block] of dir.data) yield* inner(`data.${address}`, block);
}

/** Parses `cron(M H ? * DAYS *)` into minutes after midnight and the day field. */
export function cronTime(expression: string): { minutes: number; days: string } {
  const match = /^cron\((\d+) (\d+) \? \* (\S+) \*\)$/.exec(expression);
  if (!match) throw new Error(`not a daily 6-field cron: ${expression}`);
  return { minutes: Number(match[2]) * 60 + Number(match[1]), days: match[3] ?? '' };
}
