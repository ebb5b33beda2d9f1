// From a session in the index to learnings in the store, with provenance, through the same add path.
import type { SessionIndex } from '@habitat/sessions';
import { type AddOutcome, addLearning } from './capture.js';
import { KnowledgeError } from './errors.js';
import { type Candidate, extractOffline, writeTest } from './extract.js';
import type { ModelOptions } from './extract-model.js';
import type { KnowledgeIndex } from './index-db.js';
import type { LearningStatus, Scope } from './types.js';

export interface ExtractOptions {
  /** run the extraction prompt through claude as well as the offline extractor */
  model?: ModelOptions;
  /** status of extracted (not explicit) candidates: review them (pending, default) or trust them (active) */
  accept?: 'pending' | 'active';
  secrets?: string[];
  /** tags every learning from this session gets (the agent's `knowledge.tags`) */
  tags?: string[];
}

export interface ExtractReport {
  sessionId: string;
  candidates: number;
  outcomes: AddOutcome[];
  /** model candidates that failed the write test, with the criteria they failed */
  rejected: { title: string; failed: string[] }[];
  /** the model step failed: offline results were still kept */
  modelError?: string;
  /** time spent outside the model call */
  overheadMs: number;
}

export async function extractFromSession(
  knowledge: KnowledgeIndex,
  dir: string,
  sessions: SessionIndex,
  sessionId: string,
  options: ExtractOptions = {},
): Promise<ExtractReport> {
  const started = performance.now();
  const session = sessions.getSession(sessionId);
  if (!session)
    throw new KnowledgeError(
      'session-not-indexed',
      `no session ${sessionId} in the session index (index the sessions first)`,
    );
  const events = sessions.getEvents(session.id);
  const candidates: Candidate[] = extractOffline(events);
  let modelMs = 0;
  let modelError: string | undefined;
  const rejected: ExtractReport['rejected'] = [];
  if (options.model) {
    const t = performance.now();
    try {
      const prompts = events.filter((e) => e.kind === 'prompt').map((e) => e.text ?? '');
      const known = candidates.map((c) => `${c.title}. ${c.body}`);
      const { extractWithModel } = await import('./extract-model.js');
      for (const c of await extractWithModel(events, options.model)) {
        const failed = writeTest(c, { prompts, known });
        if (failed.length) rejected.push({ title: c.title, failed });
        else candidates.push(c);
      }
    } catch (error) {
      modelError = (error as Error).message;
    }
    modelMs = performance.now() - t;
  }
  const scope: Scope | undefined = session.agent
    ? { kind: 'agent', name: session.agent }
    : session.project
      ? { kind: 'project', name: session.project }
      : undefined;
  const outcomes: AddOutcome[] = [];
  for (const c of candidates) {
    const status: LearningStatus = c.source === 'explicit' ? 'active' : (options.accept ?? 'pending');
    outcomes.push(
      await addLearning(knowledge, dir, {
        text: c.body,
        title: c.title,
        tags: [...new Set([...c.tags, ...(options.tags ?? [])])],
        ...(scope ? { scope } : {}),
        status,
        confidence: c.source === 'explicit' ? 0.6 : 0.4,
        provenance: {
          source: c.source,
          sessionId: session.id,
          ...(c.eventIds.length ? { eventIds: c.eventIds } : {}),
          ...(session.agent ? { agent: session.agent } : {}),
          ...(session.runId ? { runId: session.runId } : {}),
        },
        ...(options.secrets ? { secrets: options.secrets } : {}),
      }),
    );
  }
  return {
    sessionId: session.id,
    candidates: candidates.length,
    outcomes,
    rejected,
    ...(modelError ? { modelError } : {}),
    overheadMs: performance.now() - started - modelMs,
  };
}
