// The files are the truth: one markdown file per learning, YAML front matter + body, reviewed in git.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { unclosedFlowOpener } from '@habitat/config';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { KnowledgeError } from './errors.js';
import type { Learning } from './types.js';

const provenanceSchema = z.object({
  source: z.enum(['explicit', 'person', 'extracted', 'heuristic', 'mcp']),
  sessionId: z.string().optional(),
  eventIds: z.array(z.number()).optional(),
  agent: z.string().optional(),
  runId: z.string().optional(),
  action: z.enum(['retracted', 'accepted', 'superseded']).optional(),
  reason: z.string().optional(),
  time: z.string(),
  redactions: z.number().optional(),
});

const frontMatterSchema = z.object({
  id: z.string(),
  title: z.string(),
  tags: z.array(z.string()).default([]),
  scope: z.union([z.literal('org'), z.string().regex(/^(project|agent):.+$/)]).default('org'),
  status: z.enum(['active', 'pending', 'superseded', 'retracted']).default('active'),
  confidence: z.number().min(0).max(1).default(0.5),
  provenance: z.array(provenanceSchema).default([]),
  supersedes: z.array(z.string()).default([]),
  conflictsWith: z.array(z.string()).default([]),
  created: z.string(),
  updated: z.string().optional(),
  validUntil: z.string().optional(),
});

/** A new learning id: `k-` and 8 lowercase base32 characters. */
export function newLearningId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return `k-${[...randomBytes(8)].map((b) => alphabet[b % 32]).join('')}`;
}

export function slugify(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50)
      .replace(/-+$/, '') || 'learning'
  );
}

export function fileNameFor(learning: Pick<Learning, 'id' | 'title'>): string {
  return `${slugify(learning.title)}-${learning.id.replace(/^k-/, '')}.md`;
}

/** Serialise a learning to its markdown file text. */
export function formatLearning(learning: Learning): string {
  const scope = learning.scope.kind === 'org' ? 'org' : `${learning.scope.kind}:${learning.scope.name}`;
  const front = {
    id: learning.id,
    title: learning.title,
    tags: learning.tags,
    scope,
    status: learning.status,
    confidence: Math.round(learning.confidence * 100) / 100,
    ...(learning.supersedes.length ? { supersedes: learning.supersedes } : {}),
    ...(learning.conflictsWith.length ? { conflictsWith: learning.conflictsWith } : {}),
    created: learning.created,
    updated: learning.updated,
    ...(learning.validUntil ? { validUntil: learning.validUntil } : {}),
    provenance: learning.provenance,
  };
  return `---\n${stringify(front, { lineWidth: 0 }).trimEnd()}\n---\n\n${learning.body.trim()}\n`;
}

/** Parse a learning file; throws with the file name when it is not one. */
export function parseLearning(text: string, file: string): Learning {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!match)
    throw new KnowledgeError(
      'bad-learning-file',
      `${file}: no front matter (a learning file starts with ---)`,
    );
  // after a newline for the opening ---: the YAML parser's line N is then the file's line N
  let yaml: unknown;
  try {
    yaml = parse(`\n${match[1]!}`);
  } catch (error) {
    // file:line first, one line (the parser's own message ends in a picture of the spot)
    const e = error as Error & { pos?: [number, number]; linePos?: Array<{ line: number; col: number }> };
    let at = e.linePos?.[0];
    let what = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    // an unclosed [ or {: named where it was opened (yaml names where it gave up, often the next line)
    const closer = /^Flow (?:sequence|map)\b.*end with an? ([\]}])/.exec(what)?.[1] as ']' | '}' | undefined;
    const text = `\n${match[1]!}`;
    const open = closer && e.pos ? unclosedFlowOpener(text, e.pos[0], closer) : undefined;
    if (closer && open !== undefined) {
      const lineStart = text.lastIndexOf('\n', open - 1) + 1;
      at = { line: text.slice(0, open).split('\n').length, col: open - lineStart + 1 };
      what = `the ${closer === ']' ? 'list' : 'mapping'} opened here with "${closer === ']' ? '[' : '{'}" is never closed: add the missing "${closer}"`;
    }
    throw new KnowledgeError(
      'bad-learning-file',
      `${file}${at ? `:${at.line}:${at.col}` : ''}: front matter is not valid YAML: ${what}`,
    );
  }
  const parsed = frontMatterSchema.safeParse(yaml);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new KnowledgeError(
      'bad-learning-file',
      `${file}: front matter ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const f = parsed.data;
  const [kind, ...rest] = f.scope.split(':');
  return {
    id: f.id,
    title: f.title,
    body: match[2]!.trim(),
    tags: f.tags,
    scope: kind === 'org' ? { kind: 'org' } : { kind: kind as 'project' | 'agent', name: rest.join(':') },
    status: f.status,
    confidence: f.confidence,
    provenance: f.provenance,
    supersedes: f.supersedes,
    conflictsWith: f.conflictsWith,
    created: f.created,
    updated: f.updated ?? f.created,
    ...(f.validUntil ? { validUntil: f.validUntil } : {}),
    file,
  };
}

/** Write a learning's file atomically (a new file, or over its existing one). Returns the path. */
export async function writeLearning(dir: string, learning: Learning): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = learning.file ?? path.join(dir, fileNameFor(learning));
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, formatLearning({ ...learning, file }));
  await rename(tmp, file);
  learning.file = file;
  return file;
}

/** Every learning file in `dir` (markdown with front matter), with the files that failed to parse. */
export async function readLearnings(dir: string): Promise<{ learnings: Learning[]; errors: string[] }> {
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.md') && n !== 'README.md');
  } catch {
    return { learnings: [], errors: [] };
  }
  const learnings: Learning[] = [];
  const errors: string[] = [];
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    try {
      learnings.push(parseLearning(await readFile(file, 'utf8'), file));
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  return { learnings, errors };
}
