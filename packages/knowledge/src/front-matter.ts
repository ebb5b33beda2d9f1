// A fast reader for the front matter habitat itself writes (formatLearning's YAML: flat keys, block lists of
// scalars, the provenance list of flat maps). Indexing 100,000 learnings through the YAML library and zod
// costs ~0.2 ms a file, 20 s in all; this reads the same files in a few microseconds each. Anything it does
// not recognise exactly (comments, flow collections, anchors, odd quoting, a value that fails a check)
// returns undefined, and the caller parses that file with the YAML library and zod, which also gives the
// precise error for a broken file.
import type { Learning, LearningStatus, Provenance } from './types.js';

type Value = string | number | Value[] | { [key: string]: Value };

/** A YAML scalar as formatLearning writes it, or undefined when it needs the real parser. */
function scalar(raw: string): string | number | undefined {
  if (raw.startsWith('"')) {
    if (!raw.endsWith('"') || raw.length < 2) return undefined;
    try {
      // YAML double-quoted escapes are a superset of JSON's; the JSON subset is what stringify emits.
      return JSON.parse(raw) as string;
    } catch {
      return undefined;
    }
  }
  if (raw.startsWith("'")) {
    if (!raw.endsWith("'") || raw.length < 2) return undefined;
    const inner = raw.slice(1, -1);
    return /'(?!')/.test(inner.replace(/''/g, '')) ? undefined : inner.replace(/''/g, "'");
  }
  if (raw === '' || /^[[{&*!|>%@`#,?:-]/.test(raw) || / #|: |\t/.test(raw)) return undefined;
  if (/^(?:true|false|null|~|yes|no|on|off)$/i.test(raw)) return undefined;
  if (/^-?(?:\d+|\d*\.\d+)(?:e[-+]?\d+)?$/i.test(raw)) return Number(raw);
  return raw;
}

/** The front matter block's lines as a plain object, or undefined when it is not in the canonical shape. */
function readBlock(lines: string[]): Record<string, Value> | undefined {
  const out: Record<string, Value> = {};
  let list: Value[] | undefined; // the top-level list being filled
  let map: { [key: string]: Value } | undefined; // the list item map being filled
  let inner: Value[] | undefined; // a list inside that map (eventIds)
  // Set `key` of `target` from a line's value: a nested list when there is none, else a scalar.
  const set = (target: { [key: string]: Value }, key: string, raw: string | undefined): boolean => {
    if (raw === undefined) {
      inner = [];
      target[key] = inner;
      return true;
    }
    if (raw === '[]') {
      target[key] = [];
      return true;
    }
    const v = scalar(raw);
    if (v === undefined) return false;
    target[key] = v;
    return true;
  };
  for (const line of lines) {
    const top = /^([A-Za-z]+):(?: (.*))?$/.exec(line);
    if (top) {
      map = undefined;
      inner = undefined;
      if (!set(out, top[1]!, top[2])) return undefined;
      list = inner;
      inner = undefined;
      continue;
    }
    const item = list ? /^ {2}- ([A-Za-z]+):(?: (.*))?$/.exec(line) : null;
    if (item) {
      map = {};
      inner = undefined;
      list!.push(map);
      if (!set(map, item[1]!, item[2])) return undefined;
      continue;
    }
    const element = list ? /^ {2}- (.*)$/.exec(line) : null;
    if (element) {
      map = undefined;
      inner = undefined;
      const v = scalar(element[1]!);
      if (v === undefined) return undefined;
      list!.push(v);
      continue;
    }
    const field = map ? /^ {4}([A-Za-z]+):(?: (.*))?$/.exec(line) : null;
    if (field) {
      inner = undefined;
      if (!set(map!, field[1]!, field[2])) return undefined;
      continue;
    }
    const nested = inner ? /^ {6}- (.*)$/.exec(line) : null;
    if (!nested) return undefined;
    const v = scalar(nested[1]!);
    if (v === undefined) return undefined;
    inner!.push(v);
  }
  return out;
}

const STATUSES = new Set<LearningStatus>(['active', 'pending', 'superseded', 'retracted']);
const SOURCES = new Set(['explicit', 'person', 'extracted', 'heuristic', 'mcp']);
const KEYS = new Set([
  'id',
  'title',
  'tags',
  'scope',
  'status',
  'confidence',
  'provenance',
  'supersedes',
  'conflictsWith',
  'created',
  'updated',
  'validUntil',
]);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** A learning from a file in habitat's own format, or undefined (then use parseLearning). */
export function readCanonical(text: string, file: string): Learning | undefined {
  const match = /^---\n([\s\S]*?)\n---\n?([\s\S]*)$/.exec(text);
  if (!match) return undefined;
  const f = readBlock(match[1]!.split('\n'));
  if (!f || Object.keys(f).some((k) => !KEYS.has(k))) return undefined;
  const { id, title, scope = 'org', status = 'active', confidence = 0.5, created } = f;
  const tags = f.tags ?? [];
  const supersedes = f.supersedes ?? [];
  const conflictsWith = f.conflictsWith ?? [];
  const provenance = f.provenance ?? [];
  if (typeof id !== 'string' || typeof title !== 'string' || typeof created !== 'string') return undefined;
  if (typeof scope !== 'string' || !(scope === 'org' || /^(project|agent):.+$/.test(scope))) return undefined;
  if (typeof status !== 'string' || !STATUSES.has(status as LearningStatus)) return undefined;
  if (typeof confidence !== 'number' || confidence < 0 || confidence > 1) return undefined;
  if (!isStrings(tags) || !isStrings(supersedes) || !isStrings(conflictsWith)) return undefined;
  if (f.updated !== undefined && typeof f.updated !== 'string') return undefined;
  if (f.validUntil !== undefined && typeof f.validUntil !== 'string') return undefined;
  if (!Array.isArray(provenance)) return undefined;
  for (const p of provenance) {
    if (typeof p !== 'object' || Array.isArray(p)) return undefined;
    const { source, time, eventIds, redactions, action, ...rest } = p as Record<string, unknown>;
    if (action !== undefined && !['retracted', 'accepted', 'superseded'].includes(action as string))
      return undefined;
    if (typeof source !== 'string' || !SOURCES.has(source) || typeof time !== 'string') return undefined;
    if (eventIds !== undefined && !(Array.isArray(eventIds) && eventIds.every((e) => typeof e === 'number')))
      return undefined;
    if (redactions !== undefined && typeof redactions !== 'number') return undefined;
    if (
      Object.entries(rest).some(
        ([k, v]) => !['sessionId', 'agent', 'runId', 'reason'].includes(k) || typeof v !== 'string',
      )
    )
      return undefined;
  }
  const [kind, ...rest] = scope.split(':');
  return {
    id,
    title,
    body: match[2]!.trim(),
    tags,
    scope: kind === 'org' ? { kind: 'org' } : { kind: kind as 'project' | 'agent', name: rest.join(':') },
    status: status as LearningStatus,
    confidence,
    provenance: provenance as unknown as Provenance[],
    supersedes,
    conflictsWith,
    created,
    updated: typeof f.updated === 'string' ? f.updated : created,
    ...(typeof f.validUntil === 'string' ? { validUntil: f.validUntil } : {}),
    file,
  };
}
