// Turning what went wrong into diagnostics a person can act on: file:line:column, key path, what was
// wrong and what is allowed. Positions come from the YAML source; messages from zod issues.
import type { Document, LineCounter, Node as YamlNode } from 'yaml';
import { isMap, isNode, isPair, isScalar, isSeq } from 'yaml';
import type { z } from 'zod';
import { closest } from './format.js';
import type { IssueParams } from './schema.js';
import type { Diagnostic, DiagnosticCode } from './types.js';

export { closest, formatDiagnostic } from './format.js';

type Key = string | number;

/** Where a key path points in the document: the key itself for `keyOf`, else its value. */
export function positionOf(
  doc: Document,
  lines: LineCounter,
  keyPath: readonly Key[],
  keyOf = false,
): { line: number; column: number } {
  let node: unknown = doc.contents;
  let best: { range?: [number, number, number] | null } | undefined = isNode(node) ? node : undefined;
  for (let i = 0; i < keyPath.length; i++) {
    const key = keyPath[i]!;
    const last = i === keyPath.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key),
      );
      if (!pair) break;
      if (last && keyOf && isNode(pair.key)) {
        best = pair.key;
        break;
      }
      node = pair.value;
      best = isNode(pair.value) ? pair.value : isNode(pair.key) ? pair.key : best;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      if (isNode(node)) best = node;
      else break;
    } else break;
  }
  const offset = best?.range?.[0] ?? 0;
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/** The keys an object schema allows at `keyPath`, for "did you mean". */
export function allowedKeysAt(schema: z.ZodType, keyPath: readonly Key[]): string[] {
  const objects = objectsAt(schema, keyPath);
  return [...new Set(objects.flatMap((o) => Object.keys(o)))];
}

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  element?: z.ZodType;
  valueType?: z.ZodType;
  in?: z.ZodType;
};
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function objectsAt(schema: z.ZodType, keyPath: readonly Key[]): Record<string, z.ZodType>[] {
  const def = defOf(schema);
  if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable')
    return objectsAt(def.innerType!, keyPath);
  if (def.type === 'pipe') return objectsAt(def.in!, keyPath);
  if (def.type === 'union') return def.options!.flatMap((o) => objectsAt(o, keyPath));
  if (keyPath.length === 0) return def.type === 'object' ? [def.shape!] : [];
  const [head, ...rest] = keyPath;
  if (def.type === 'object') {
    const child = def.shape![String(head)];
    return child ? objectsAt(child, rest) : [];
  }
  if (def.type === 'array') return objectsAt(def.element!, rest);
  if (def.type === 'record') return objectsAt(def.valueType!, rest);
  return [];
}

/** Diagnostics for zod issues, positioned in the YAML source. */
export function diagnosticsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  ctx: { file: string; doc: Document; lines: LineCounter; schema: z.ZodType },
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of flattenIssues(issues)) {
    const keyPath = issue.path.filter((k): k is Key => typeof k !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeysAt(ctx.schema, keyPath);
      for (const key of issue.keys) {
        const suggestion = closest(key, allowed);
        out.push({
          code: 'unknown-key',
          severity: 'error',
          file: ctx.file,
          ...positionOf(ctx.doc, ctx.lines, [...keyPath, key], true),
          path: joinPath([...keyPath, key]),
          message: `unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
          hint: `allowed here: ${allowed.filter((k) => k !== '$schema').join(', ')}`,
        });
      }
      continue;
    }
    const custom = issue.code === 'custom' ? (issue.params as IssueParams | undefined) : undefined;
    let code: DiagnosticCode = custom?.diag ?? 'invalid-value';
    let message = issue.message;
    let hint = custom?.hint;
    if (issue.code === 'invalid_type') {
      const received = describeValue(valueAt(ctx.doc, keyPath));
      if (received === 'nothing') {
        code = 'missing-key';
        message = `"${String(keyPath.at(-1) ?? '')}" is required`;
      } else {
        code = 'invalid-type';
        message = `expected ${issue.expected}, got ${received}`;
      }
    } else if (issue.code === 'invalid_value') {
      message = `${JSON.stringify(valueAt(ctx.doc, keyPath))} is not allowed`;
      hint = `allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (issue.code === 'invalid_union') {
      code = 'invalid-type';
      message = `${issue.message}, got ${describeValue(valueAt(ctx.doc, keyPath))}`;
    }
    out.push({
      code,
      severity: 'error',
      file: ctx.file,
      ...positionOf(ctx.doc, ctx.lines, keyPath),
      path: joinPath(keyPath),
      message,
      ...(hint ? { hint } : {}),
    });
  }
  return dedupe(out);
}

/**
 * A union whose members all failed reports each member's issues; when exactly one member is an
 * object that got this far, its issues are the useful ones (e.g. an unknown key under `schedule`).
 */
function flattenIssues(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const out: z.core.$ZodIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const informative = issue.errors.filter(
        (branch) => !(branch.length === 1 && branch[0]!.code === 'invalid_type'),
      );
      if (informative.length === 1) {
        out.push(
          ...flattenIssues(
            informative[0]!.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as z.core.$ZodIssue),
          ),
        );
        continue;
      }
    }
    out.push(issue);
  }
  return out;
}

function dedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const key = `${d.line}:${d.column}:${d.path}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function valueAt(doc: Document, keyPath: readonly Key[]): unknown {
  const node = doc.getIn(keyPath as Key[], false);
  return isNode(node) ? (node as YamlNode).toJSON() : node;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** `schedule.cron`, `credentials[0].from` */
export function joinPath(keyPath: readonly Key[]): string {
  return keyPath.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${key}` : key),
    '',
  );
}
