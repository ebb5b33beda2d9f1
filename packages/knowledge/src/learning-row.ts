// A learning as the index stores it: the values of the learnings table's insert, in its column order. Built by
// the thread that owns the database, or by the reader threads of a large first build (learning-reader.ts).
import { keyTerms, stem } from './text.js';
import type { Learning } from './types.js';

/** A learning's stemmed key terms, as the re-rank compares them with a query's (kept in the index). */
export function stemsOf(l: Pick<Learning, 'title' | 'tags' | 'body'>): string {
  return [...new Set(keyTerms(`${l.title} ${l.tags.join(' ')} ${l.body}`).map(stem))].join(' ');
}

/**
 * The columns of the learnings insert (index-db.ts STATEMENTS.insert), positional: binding by name looked up 12
 * names a row. [0] id, [1] path, [2] title, [3] body, [4] tags, ... [10] json, [11] stems.
 */
export type LearningRow = [
  id: string,
  path: string | null,
  title: string,
  body: string,
  tags: string,
  scopeKind: string,
  scopeName: string | null,
  status: string,
  confidence: number,
  updated: string,
  json: string,
  stems: string,
];

export function rowOf(learning: Learning, stems: boolean): LearningRow {
  return [
    learning.id,
    learning.file ?? null,
    learning.title,
    learning.body,
    learning.tags.join(' '),
    learning.scope.kind,
    learning.scope.kind === 'org' ? null : learning.scope.name,
    learning.status,
    learning.confidence,
    learning.updated,
    JSON.stringify(learning),
    stems ? stemsOf(learning) : '',
  ];
}

/**
 * When a file last changed, as the sync compares it (the files table's `mtime`): the later of its mtime and
 * ctime. An edit that keeps the size and sets the mtime back (`touch -d`, some sync tools) still moves the
 * ctime, which nothing but the kernel sets.
 */
export const changeStamp = (info: { mtimeMs: number; ctimeMs: number }) =>
  Math.max(info.mtimeMs, info.ctimeMs);
