// JSON Schemas of agent files and habitat.yaml for editors, generated from the zod schemas and then told
// what zod's refinements check, so an editor accepts what `habitat validate` accepts and no more: durations
// by pattern, "exactly one of" as oneOf. They ship in this package (agent.schema.json, habitat.schema.json;
// test/schema-agreement.test.ts keeps them current and in agreement with the loader).
import { z } from 'zod';
import { agentFileSchema, settingsFileSchema } from './schema.js';

const ID_BASE = 'https://raw.githubusercontent.com/habitat-dev/habitat/main/packages/config/';

/** What parseDuration accepts: a bare number (seconds), or number+unit parts like `1h30m`, any case. */
const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?\\s*)$|^\\s*(\\d+(\\.\\d+)?\\s*([mM][sS]|[sSmMhHdDwW])\\s*)+$';
/** What parseSize accepts: a number with an optional binary unit, `512m`, `2g`, `2GiB`. */
const SIZE_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*([bBkKmMgGtT]([iI]?[bB])?)?\\s*$';

type Node = Record<string, unknown> & { properties?: Record<string, Node>; description?: string };

const oneOfRequired = (...keys: string[]) => keys.map((k) => ({ required: [k] }));

/** The refinements zod cannot express in JSON Schema, added where their schemas appear. */
function refine(node: Node): void {
  const d = typeof node.description === 'string' ? node.description : '';
  if (d.startsWith('A duration') && Array.isArray(node.type)) {
    delete node.type;
    node.anyOf = [
      { type: 'string', pattern: DURATION_PATTERN },
      { type: 'number', minimum: 0 },
    ];
  } else if (d.startsWith('A size') && Array.isArray(node.type)) {
    delete node.type;
    node.anyOf = [
      { type: 'string', pattern: SIZE_PATTERN },
      { type: 'number', exclusiveMinimum: 0 },
    ];
  }
  const p = node.properties;
  if (node.type === 'object' && p) {
    if (p.claude && p.script && p.command) node.oneOf = oneOfRequired('claude', 'script', 'command');
    else if (p.cron && p.every && p.manual)
      node.oneOf = [
        { required: ['cron'], not: { anyOf: oneOfRequired('every') } },
        { required: ['every'], not: { anyOf: oneOfRequired('cron') } },
        {
          required: ['manual'],
          properties: { manual: { const: true } },
          not: { anyOf: oneOfRequired('cron', 'every') },
        },
      ];
    else if (p.name && p.from && p.env) node.oneOf = oneOfRequired('from', 'env');
    else if (p.webhook && p.command) node.oneOf = oneOfRequired('webhook', 'command');
  }
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) for (const v of value) if (v && typeof v === 'object') refine(v as Node);
    if (value && typeof value === 'object' && !Array.isArray(value)) refine(value as Node);
  }
}

function finish(schema: Record<string, unknown>, file: string, title: string): Record<string, unknown> {
  const { $schema, ...rest } = schema;
  refine(rest as Node);
  return { $schema, $id: `${ID_BASE}${file}`, title, ...rest };
}

/** JSON Schema of an agent file, for editor completion (`# yaml-language-server: $schema=...`). */
export function agentJsonSchema(): Record<string, unknown> {
  return finish(
    z.toJSONSchema(agentFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
    'agent.schema.json',
    'habitat agent file (agents/<name>.yaml)',
  );
}

/** JSON Schema of `habitat.yaml`. */
export function settingsJsonSchema(): Record<string, unknown> {
  return finish(
    z.toJSONSchema(settingsFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
    'habitat.schema.json',
    'habitat coordinator settings (habitat.yaml)',
  );
}
