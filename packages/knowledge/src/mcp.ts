// `habitat mcp`: an MCP server (official SDK, stdio) so Claude Code agents query knowledge before work
// and post learnings after it.
import path from 'node:path';
import { openSessionIndex } from '@habitat/sessions';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { addLearning } from './capture.js';
import { EmbeddingRetriever, type EmbeddingsConfig, searchHybrid } from './embeddings.js';
import { type KnowledgeIndex, openKnowledge } from './index-db.js';
import { retractedHits, type SearchOptions, searchKnowledge } from './search.js';
import type { KnowledgeHit } from './types.js';

export interface McpOptions {
  stateDir: string;
  knowledgeDir: string;
  /** who is calling (from the run's environment), for provenance */
  agent?: string;
  runId?: string;
  /** `knowledge.embeddings` of habitat.yaml: search fuses BM25 with it (BM25 alone, said in the answer, when down) */
  embeddings?: EmbeddingsConfig;
}

function entryText(h: KnowledgeHit): string {
  const stale = h.stale
    ? h.stale.reason === 'newer'
      ? ` [stale: contradicted by ${h.stale.by}]`
      : ` [stale: valid until ${h.stale.since}]`
    : '';
  return `${h.learning.id}: ${h.learning.title}${stale}\n${h.learning.body}`;
}

/** Retracted learnings the query matches well: named, with why, so an agent does not act on what it recalls. */
function retractedMatches(index: KnowledgeIndex, query: string, options: SearchOptions): string[] {
  return retractedHits(index, query, options).map(
    (r) => `${r.learning.id}: ${r.learning.title} [retracted${r.reason ? `: ${r.reason}` : ''}] (do not use)`,
  );
}

/** Build the MCP server (not yet connected). */
export async function createMcpServer(options: McpOptions): Promise<McpServer> {
  const { index } = await openKnowledge(options);
  const retriever = options.embeddings ? new EmbeddingRetriever(index, options.embeddings) : undefined;
  const server = new McpServer({ name: 'habitat', version: '0.1.0' });
  server.registerTool(
    'search_knowledge',
    {
      description:
        "Search the fleet's shared learnings before starting work. Returns the most relevant lessons with their ids.",
      inputSchema: {
        query: z.string().describe('what you are about to do, or the problem you hit'),
        limit: z.number().int().min(1).max(20).optional(),
      },
    },
    async ({ query, limit }) => {
      await index.sync(options.knowledgeDir);
      const searchOptions = { limit: limit ?? 5, ...(options.agent ? { agent: options.agent } : {}) };
      let warning: string | undefined;
      let hits = searchKnowledge(index, query, searchOptions);
      if (retriever) {
        const hybrid = await searchHybrid(index, query, { ...searchOptions, embeddings: retriever });
        hits = hybrid.hits;
        warning = hybrid.warning;
      }
      const text = [
        ...(warning ? [`(${warning})`] : []),
        ...(hits.length ? hits.map(entryText) : ['No learnings match.']),
        ...retractedMatches(index, query, searchOptions),
      ].join('\n\n');
      return { content: [{ type: 'text', text }] };
    },
  );
  server.registerTool(
    'add_learning',
    {
      description:
        'Record a durable lesson for future sessions: a concrete fact, when it applies, how you found it.',
      inputSchema: {
        text: z.string().min(12),
        title: z.string().optional(),
        tags: z.array(z.string()).optional(),
      },
    },
    async ({ text, title, tags }) => {
      const result = await addLearning(index, options.knowledgeDir, {
        text,
        ...(title ? { title } : {}),
        ...(tags ? { tags } : {}),
        ...(options.agent ? { scope: { kind: 'agent' as const, name: options.agent } } : {}),
        provenance: {
          source: 'mcp',
          ...(options.agent ? { agent: options.agent } : {}),
          ...(options.runId ? { runId: options.runId } : {}),
        },
      });
      return {
        content: [
          { type: 'text', text: `${result.outcome}: ${result.learning.id} ${result.learning.title}` },
        ],
      };
    },
  );
  server.registerTool(
    'read_session',
    {
      description:
        'Read an indexed agent session (its transcript: prompts, answers, tool calls and results).',
      inputSchema: { sessionId: z.string(), limit: z.number().int().min(1).max(500).optional() },
    },
    async ({ sessionId, limit }) => {
      const sessions = openSessionIndex(path.join(options.stateDir, 'sessions.db'));
      try {
        const session = sessions.getSession(sessionId);
        if (!session) return { content: [{ type: 'text', text: `No session ${sessionId}.` }], isError: true };
        const events = sessions.getEvents(session.id, { limit: limit ?? 200 });
        const text = events
          .map(
            (e) =>
              `[${e.kind}${e.toolName ? ` ${e.toolName}` : ''}${e.isError ? ' error' : ''}] ${(e.text ?? JSON.stringify(e.input ?? '')).slice(0, 500)}`,
          )
          .join('\n');
        return {
          content: [{ type: 'text', text: `${session.title ?? session.id} (${session.source})\n${text}` }],
        };
      } finally {
        sessions.close();
      }
    },
  );
  return server;
}

/** Serve MCP on stdin/stdout until the client goes away. */
export async function serveMcp(options: McpOptions): Promise<void> {
  const server = await createMcpServer(options);
  await server.connect(new StdioServerTransport());
}
