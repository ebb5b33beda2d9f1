// What the YAML parser leaves to us, done in linear time: duplicate keys (yaml's own check compares each
// key with every earlier one: 40k keys took 12 s), and aliases (undefined, cyclic, or so many that
// expanding them is a billion-laughs attack) as located diagnostics instead of exceptions from toJS().
import type { Document, LineCounter, Node as YamlNode } from 'yaml';
import { isAlias, isMap, isScalar, visit } from 'yaml';
import { MAX_ALIAS_COUNT } from './limits.js';
import type { Diagnostic } from './types.js';

export { MAX_ALIAS_COUNT, MAX_CONFIG_BYTES } from './limits.js';

type Located = Omit<Diagnostic, 'file' | 'severity'>;

function at(lines: LineCounter, node: { range?: [number, number, number] | null } | null | undefined) {
  const pos = lines.linePos(node?.range?.[0] ?? 0);
  return { line: pos.line, column: pos.col };
}

/** Duplicate keys and alias problems, first one first (at most `limit`). */
export function checkDocument(doc: Document, lines: LineCounter, limit = 20): Located[] {
  const out: Located[] = [];
  let aliases = 0;
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (key === '<<') continue; // merge keys may repeat
        if (seen.has(key)) {
          out.push({
            code: 'yaml-syntax',
            ...at(lines, pair.key),
            path: '',
            message: `YAML syntax error: duplicate key "${key.slice(0, 80)}"`,
            hint: 'each key may appear once in a mapping: remove or rename one of them',
          });
          if (out.length >= limit) return visit.BREAK;
        }
        seen.add(key);
      }
      return undefined;
    },
    Alias(_key, alias, path) {
      aliases++;
      const target = alias.resolve(doc);
      if (!target) {
        out.push({
          code: 'yaml-syntax',
          ...at(lines, alias),
          path: '',
          message: `YAML syntax error: the alias *${alias.source} refers to no anchor &${alias.source} defined before it`,
          hint: `define &${alias.source} on a value above this line, or write the value out`,
        });
      } else if (path.includes(target as never)) {
        out.push({
          code: 'yaml-syntax',
          ...at(lines, alias),
          path: '',
          message: `YAML syntax error: the alias *${alias.source} refers to a value that contains it`,
          hint: 'an alias cannot repeat the mapping or list it sits in',
        });
      }
      if (out.length >= limit) return visit.BREAK;
      return undefined;
    },
  });
  if (out.length === 0 && aliases > 0 && expandedAliases(doc) > MAX_ALIAS_COUNT) {
    let first: YamlNode | undefined;
    visit(doc, {
      Alias(_k, alias) {
        first = alias as unknown as YamlNode;
        return visit.BREAK;
      },
    });
    out.push({
      code: 'yaml-syntax',
      ...at(lines, first),
      path: '',
      message: `YAML syntax error: the aliases expand to more than ${MAX_ALIAS_COUNT} copies (a "billion laughs" document)`,
      hint: 'write the repeated values out, or use fewer nested aliases',
    });
  }
  return out;
}

/** How many alias expansions converting the document costs: each alias counts its target's own aliases. */
function expandedAliases(doc: Document): number {
  const cost = new Map<unknown, number>();
  const costOf = (node: unknown, depth: number): number => {
    if (depth > 64) return Number.POSITIVE_INFINITY;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) return 1;
      let c = cost.get(target);
      if (c === undefined) {
        c = costOf(target, depth + 1);
        cost.set(target, c);
      }
      return 1 + c;
    }
    if (isMap(node) || (node && typeof node === 'object' && 'items' in node)) {
      let sum = 0;
      for (const item of (node as { items: unknown[] }).items) {
        if (item && typeof item === 'object' && 'key' in item && 'value' in item) {
          sum += costOf((item as { key: unknown }).key, depth + 1);
          sum += costOf((item as { value: unknown }).value, depth + 1);
        } else sum += costOf(item, depth + 1);
        if (sum > MAX_ALIAS_COUNT) return sum;
      }
      return sum;
    }
    return 0;
  };
  return costOf(doc.contents, 0);
}
