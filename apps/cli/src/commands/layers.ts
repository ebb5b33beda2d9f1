// The layers around runs, composed here from the libraries: before a run, a knowledge brief for agents that
// ask for one; after it, session ingest and then knowledge extraction, subscribed to the daemon's
// run.finished events (the scheduler knows nothing about them).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type AgentConfig,
  type CoordinatorSettings,
  loadCoordinator,
  readCredentialValues,
} from '@habitat/config';
import { formsOf, type StartRunOptions } from '@habitat/runner';
import type { Daemon } from '@habitat/scheduler';
import type { Logger } from 'pino';
import { ulid } from 'ulid';
import { wantsKnowledgeBrief } from './knowledge-brief.js';

/**
 * For a claude agent with `knowledge.context`: the brief of relevant learnings, handed over before its prompt,
 * and recorded against the run (which learnings, how many tokens) for `habitat knowledge stats`. The daemon
 * passes the run id it recorded; a foreground run gets one here, returned so the runner uses the same.
 */
export async function knowledgePrelude(
  settings: CoordinatorSettings,
  agent: AgentConfig,
  run: { runId?: string } = {},
): Promise<Partial<StartRunOptions>> {
  if (!wantsKnowledgeBrief(agent)) return {};
  const { openKnowledge, buildContext, buildContextHybrid, recordBrief } = await import('@habitat/knowledge');
  const { embeddingsOf } = await import('./knowledge-read.js');
  const prompt = await readFile(path.join(agent.repo.path, agent.run.prompt), 'utf8').catch(() => '');
  const { index } = await openKnowledge({ stateDir: settings.stateDir, knowledgeDir: settings.knowledgeDir });
  try {
    const options = {
      task: `${agent.description ?? ''}\n${prompt}\n${agent.knowledge.tags.join(' ')}`,
      agent: agent.name,
      budgetTokens: agent.knowledge.budgetTokens,
      ...(agent.knowledge.project ? { project: agent.knowledge.project } : {}),
    };
    // With knowledge.embeddings, the dense retriever's agreement counts as evidence (the lexical brief, with a
    // warning, when the endpoint is down).
    const embeddings = embeddingsOf(settings);
    const context = embeddings
      ? await buildContextHybrid(index, { ...options, embeddings }).then((hybrid) => {
          if (hybrid.warning)
            process.stderr.write(`warning: knowledge brief for ${agent.name}: ${hybrid.warning}\n`);
          return hybrid.context;
        })
      : buildContext(index, options);
    const runId = run.runId ?? ulid();
    recordBrief(index, context, {
      runId,
      agent: agent.name,
      ...(agent.knowledge.project ? { project: agent.knowledge.project } : {}),
    });
    return { ...(run.runId ? {} : { runId }), ...(context.markdown ? { prelude: context.markdown } : {}) };
  } finally {
    index.close();
  }
}

export function subscribeLayers(daemon: Daemon, root: string, logger: Logger): void {
  let pass: Promise<void> = Promise.resolve();
  daemon.onEvent((event) => {
    if (event.event !== 'run.finished') return;
    const agentName = String(event.agent ?? '');
    const runId = String(event.runId ?? '');
    // One pass at a time; runs that finish meanwhile are picked up by the next pass.
    pass = pass.then(async () => {
      try {
        const { indexSessions, openSessionIndex } = await import('@habitat/sessions');
        const { agents, settings } = await loadCoordinator(root);
        const values = await Promise.all(agents.map((a) => readCredentialValues(a).catch(() => [])));
        const secrets = values.flat().flatMap((c) => c.values.flatMap(formsOf));
        // The agents' own sessions (their persisted Claude homes) and run logs: not the operator's ~/.claude.
        const report = indexSessions({
          stateDir: daemon.stateDir,
          sources: { stateDir: daemon.stateDir, defaults: false },
          secrets,
        });
        logger.debug({ event: 'sessions.indexed', files: report.files }, 'sessions indexed');
        const agent = agents.find((a) => a.name === agentName);
        if (!agent?.knowledge.extract) return;
        const { openKnowledge, extractFromSession } = await import('@habitat/knowledge');
        const sessions = openSessionIndex(path.join(daemon.stateDir, 'sessions.db'));
        const { index } = await openKnowledge({
          stateDir: settings.stateDir,
          knowledgeDir: settings.knowledgeDir,
        });
        try {
          const ofRun = sessions
            .listSessions({ agent: agentName, limit: 50 })
            .filter((s) => s.runId === runId);
          for (const session of ofRun) {
            const r = await extractFromSession(index, settings.knowledgeDir, sessions, session.id, {
              secrets,
              tags: agent.knowledge.tags,
            });
            logger.info(
              {
                event: 'knowledge.extracted',
                agent: agentName,
                runId,
                session: session.id,
                learnings: r.outcomes.length,
              },
              'knowledge extracted',
            );
          }
        } finally {
          index.close();
          sessions.close();
        }
      } catch (error) {
        logger.warn(
          { event: 'layers.failed', err: (error as Error).message },
          'session ingest or knowledge extraction failed',
        );
      }
    });
  });
}
