// Adding learnings: redacted before anything is written, merged into a near-duplicate (a confirmation: more
// confidence), linked both ways to a learning it contradicts (the newer one wins in the brief, the older is
// marked stale; or both wait for review), superseding only when asked.
import { KnowledgeError } from './errors.js';
import type { KnowledgeIndex } from './index-db.js';
import { SAME_SUBJECT_ON_ADD, subjectOverlap } from './subject.js';
import { contradiction, differsInValue, similarity, titleOf } from './text.js';
import type { Learning, LearningStatus, Provenance, Scope } from './types.js';

// The redactor (secretlint) and the YAML writer load only when something is written, not for every search.
async function writeLearning(dir: string, learning: Learning): Promise<string> {
  return (await import('./files.js')).writeLearning(dir, learning);
}

/** Above this similarity a new learning is the same lesson found again. */
export const DUPLICATE_THRESHOLD = 0.6;

export interface NewLearning {
  text: string;
  title?: string;
  tags?: string[];
  scope?: Scope;
  status?: LearningStatus;
  confidence?: number;
  provenance: Omit<Provenance, 'time' | 'redactions'> & { time?: string };
  supersedes?: string[];
  /** credential values to redact besides the well-known formats */
  secrets?: string[];
  /** ISO date after which it no longer holds */
  validUntil?: string;
  /**
   * When it contradicts an existing learning: `stale` (default) keeps it active, and the brief serves the
   * newer of the two first with the older marked stale; `pending` holds it back for review. Either way both
   * carry `conflictsWith` to each other until someone runs `habitat knowledge supersede` or `retract`.
   */
  onConflict?: 'stale' | 'pending';
}

export interface AddOutcome {
  /** `added`, `merged` into an existing learning, or `conflict` (added, linked to what it contradicts) */
  outcome: 'added' | 'merged' | 'conflict';
  learning: Learning;
  /** for merged/conflict: the existing learning (the first one, for conflicts) */
  existing?: Learning;
  /** for conflict: every learning it contradicts, with the reason */
  conflicts?: { learning: Learning; reason: string }[];
  redactions: number;
}

/** Add a learning to `dir` and the index. */
export async function addLearning(
  index: KnowledgeIndex,
  dir: string,
  input: NewLearning,
): Promise<AddOutcome> {
  const { createRedactor } = await import('@habitat/sessions');
  const { newLearningId } = await import('./files.js');
  const redactor = createRedactor({ secrets: input.secrets ?? [] });
  const body = redactor.redact(input.text.trim());
  // Titles come from the already-redacted body, so a secret in both is counted once.
  const title = input.title ? redactor.redact(input.title.trim()) : { text: titleOf(body.text), count: 0 };
  const redactions = body.count + title.count;
  const now = input.provenance.time ?? new Date().toISOString();
  const provenance: Provenance = { ...input.provenance, time: now, ...(redactions ? { redactions } : {}) };
  const scope = input.scope ?? { kind: 'org' };
  const replaced = new Set(input.supersedes ?? []);
  const candidates = index
    .all()
    .filter((l) => (l.status === 'active' || l.status === 'pending') && !replaced.has(l.id));
  let nearest: { learning: Learning; sim: number } | undefined;
  for (const learning of candidates) {
    const sim = similarity(`${title.text} ${body.text}`, `${learning.title} ${learning.body}`);
    if (!nearest || sim > nearest.sim) nearest = { learning, sim };
  }
  const fresh = { title: title.text, body: body.text, tags: input.tags ?? [] };
  const conflictWith = (l: Learning) =>
    (l.created <= now ? contradiction(l, fresh) : contradiction(fresh, l)) ??
    // No change word the rules know, but the same subject (shared rare terms) with another number or a
    // negation: proposed as a conflict too, for review (onConflict: 'pending') or the newer-first brief.
    (subjectOverlap(index, l, fresh) >= SAME_SUBJECT_ON_ADD && differsInValue(l, fresh)
      ? 'same subject, another value'
      : undefined);
  if (nearest && nearest.sim >= DUPLICATE_THRESHOLD && !conflictWith(nearest.learning)) {
    const merged: Learning = {
      ...nearest.learning,
      tags: [...new Set([...nearest.learning.tags, ...(input.tags ?? [])])],
      confidence: Math.min(1, nearest.learning.confidence + 0.1),
      provenance: [...nearest.learning.provenance, provenance],
      updated: now,
    };
    const file = await writeLearning(dir, merged);
    index.noteWritten(file, merged);
    return { outcome: 'merged', learning: merged, existing: nearest.learning, redactions };
  }
  // A fact changes within its own scope: another project's learning about a thing of the same name is not
  // contradicted by this one (org-wide learnings are compared with every scope).
  const comparable = (l: Learning) =>
    l.scope.kind === 'org' ||
    scope.kind === 'org' ||
    (l.scope.kind === scope.kind && l.scope.name === scope.name);
  const conflicts = candidates.filter(comparable).flatMap((l) => {
    const reason = conflictWith(l);
    return reason ? [{ learning: l, reason }] : [];
  });
  const learning: Learning = {
    id: newLearningId(),
    title: title.text,
    body: body.text,
    tags: input.tags ?? [],
    scope,
    status: conflicts.length && input.onConflict === 'pending' ? 'pending' : (input.status ?? 'active'),
    confidence: input.confidence ?? 0.5,
    provenance: [provenance],
    supersedes: input.supersedes ?? [],
    conflictsWith: conflicts.map((c) => c.learning.id),
    created: now,
    updated: now,
    ...(input.validUntil ? { validUntil: input.validUntil } : {}),
  };
  const file = await writeLearning(dir, learning);
  index.noteWritten(file, learning);
  // Both ways, so the older one shows as stale wherever it is found, and review sees the pair from either side.
  for (const c of conflicts) {
    const other = index.get(c.learning.id) ?? c.learning;
    const linked: Learning = { ...other, conflictsWith: [...new Set([...other.conflictsWith, learning.id])] };
    index.noteWritten(await writeLearning(dir, linked), linked);
  }
  for (const old of learning.supersedes) await setStatus(index, dir, old, 'superseded');
  return conflicts.length
    ? { outcome: 'conflict', learning, existing: conflicts[0]!.learning, conflicts, redactions }
    : { outcome: 'added', learning, redactions };
}

/** Change a learning's status (retract, supersede, accept a pending one). */
export async function setStatus(
  index: KnowledgeIndex,
  dir: string,
  id: string,
  status: LearningStatus,
  by: Omit<Provenance, 'time' | 'action'> = { source: 'person' },
  options: { secrets?: string[] } = {},
): Promise<Learning> {
  // A reason is shown wherever the learning still comes up: one line, and never a credential.
  if (by.reason !== undefined) {
    const { createRedactor } = await import('@habitat/sessions');
    const reason = createRedactor({ secrets: options.secrets ?? [] }).redact(
      by.reason.replace(/\s+/g, ' ').trim(),
    );
    by = { ...by, reason: reason.text };
  }
  const learning = index.get(id);
  if (!learning) throw new KnowledgeError('not-found', `no learning ${id}`);
  const time = new Date().toISOString();
  // Who retracted, accepted or superseded it, and when: kept in the file, shown by `habitat knowledge show`.
  const action = status === 'retracted' ? 'retracted' : status === 'superseded' ? 'superseded' : 'accepted';
  const next: Learning = {
    ...learning,
    status,
    updated: time,
    provenance: [...learning.provenance, { ...by, action, time }],
  };
  const file = await writeLearning(dir, next);
  index.noteWritten(file, next);
  return next;
}

/** Mark `oldId` superseded by `newId`. */
export async function supersede(
  index: KnowledgeIndex,
  dir: string,
  oldId: string,
  newId: string,
): Promise<Learning> {
  const newer = index.get(newId);
  if (!newer) throw new KnowledgeError('not-found', `no learning ${newId}`);
  const old = await setStatus(index, dir, oldId, 'superseded');
  // A newer learning held back only because it contradicted the one it replaces is now resolved.
  const conflictsWith = newer.conflictsWith.filter((id) => id !== old.id);
  const resolved =
    newer.status === 'pending' && newer.conflictsWith.includes(old.id) && conflictsWith.length === 0;
  const next: Learning = {
    ...newer,
    status: resolved ? 'active' : newer.status,
    conflictsWith,
    supersedes: [...new Set([...newer.supersedes, old.id])],
    updated: new Date().toISOString(),
  };
  const file = await writeLearning(dir, next);
  index.noteWritten(file, next);
  return next;
}
