// Extraction and MCP with real parts: the real claude binary driven by the scripted model server, and the
// MCP server spoken to by the SDK's own client and by claude itself.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SessionEvent } from '@habitat/sessions';
import {
  chownTree,
  claudeBin,
  ensureTestUser,
  offlineClaudeEnv,
  runClaude,
  startModelServer,
  testdir,
} from '@habitat/testkit';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, test } from 'vitest';
import { addLearning, extractWithModel, openKnowledge } from '../src/index.js';

const CLI = path.resolve(__dirname, '../../../apps/cli/dist/index.js');

async function coordinator() {
  const root = testdir({ 'habitat.yaml': 'maxConcurrentRuns: 1\n', 'agents/.keep': '' });
  const stateDir = path.join(root, '.habitat');
  const knowledgeDir = path.join(root, 'knowledge');
  const { index } = await openKnowledge({ stateDir, knowledgeDir });
  await addLearning(index, knowledgeDir, {
    text: 'The feed API paginates with since_id; paging by time skips posts that arrive late.',
    tags: ['feed'],
    provenance: { source: 'person' },
  });
  index.close();
  return { root, stateDir, knowledgeDir };
}

describe('model extraction through the real claude --print', () => {
  test('the extraction prompt carries the transcript; the JSON answer becomes validated candidates', async () => {
    const answer = JSON.stringify({
      learnings: [
        {
          title: 'Pace the feed API',
          body: 'The feed API allows 100 calls per 15 minutes; sleep until the reset header.',
          tags: ['rate-limit'],
        },
      ],
    });
    const server = await startModelServer([{ text: answer }], { sideText: answer });
    const events: SessionEvent[] = [
      {
        id: 1,
        sessionId: 's',
        seq: 1,
        role: 'user',
        kind: 'prompt',
        text: 'sync the feed',
        sidechain: false,
        files: [],
        commands: [],
      },
      {
        id: 2,
        sessionId: 's',
        seq: 2,
        role: 'tool',
        kind: 'tool_result',
        text: 'HTTP 429: 100 calls per 15 minutes',
        isError: true,
        sidechain: false,
        files: [],
        commands: [],
      },
    ];
    const home = testdir();
    const candidates = await extractWithModel(events, {
      claude: claudeBin(),
      model: 'sonnet',
      env: offlineClaudeEnv(server.url, home),
    });
    await server.close();
    expect(candidates).toEqual([
      {
        title: 'Pace the feed API',
        body: expect.stringContaining('100 calls per 15 minutes'),
        tags: ['rate-limit'],
        source: 'extracted',
        eventIds: [],
      },
    ]);
    const sent = JSON.stringify(server.requests.map((r) => r.body));
    expect(sent).toContain('HTTP 429: 100 calls per 15 minutes');
  });
});

describe('habitat mcp', () => {
  test('the SDK client lists the tools, searches, adds a learning and gets it back', async () => {
    const { root, knowledgeDir } = await coordinator();
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], cwd: root }),
    );
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(tools).toEqual(['add_learning', 'read_session', 'search_knowledge']);
    const found = await client.callTool({
      name: 'search_knowledge',
      arguments: { query: 'how does the feed paginate?' },
    });
    expect(JSON.stringify(found.content)).toContain('since_id');
    const added = await client.callTool({
      name: 'add_learning',
      arguments: {
        text: 'The feed API returns 503 during its nightly deploy at 02:00 UTC; retry after 10 minutes.',
      },
    });
    expect(JSON.stringify(added.content)).toMatch(/added: k-/);
    const again = await client.callTool({
      name: 'search_knowledge',
      arguments: { query: 'feed nightly deploy 503' },
    });
    expect(JSON.stringify(again.content)).toContain('02:00 UTC');
    // Retracted (through the CLI, as a person would): named with its reason, no longer served as a lesson.
    const id = /added: (k-[a-z2-7]+)/.exec(JSON.stringify(added.content))![1]!;
    await promisify(execFile)(process.execPath, [
      CLI,
      '-C',
      root,
      'knowledge',
      'retract',
      id,
      '--reason',
      'the nightly deploy moved to blue-green; no 503s',
    ]);
    const retracted = JSON.stringify(
      (await client.callTool({ name: 'search_knowledge', arguments: { query: 'feed nightly deploy 503' } }))
        .content,
    );
    expect(retracted).toContain(`${id}: `);
    expect(retracted).toContain('[retracted: the nightly deploy moved to blue-green; no 503s] (do not use)');
    expect(retracted.split(id)).toHaveLength(2); // named once, as retracted, and not among the hits
    await client.close();
    expect(existsSync(knowledgeDir)).toBe(true);
  });

  test('the real claude calls search_knowledge through --mcp-config and gets the learning as its tool result', async () => {
    const { root } = await coordinator();
    const user = ensureTestUser();
    chownTree(root, user);
    chmodSync(root, 0o755);
    const server = await startModelServer([
      { toolUse: { name: 'mcp__habitat__search_knowledge', input: { query: 'feed pagination' } } },
      { text: 'Noted.' },
    ]);
    const config = path.join(root, 'mcp.json');
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          habitat: {
            command: process.execPath,
            args: [CLI, 'mcp'],
            cwd: root,
            env: { PATH: process.env.PATH ?? '' },
          },
        },
      }),
    );
    const configDir = testdir();
    const run = await runClaude({
      cwd: root,
      prompt: 'check the knowledge base first',
      serverUrl: server.url,
      configDir,
      args: ['--mcp-config', config],
      user,
    });
    await server.close();
    expect(run.exitCode).toBe(0);
    const toolResult = JSON.stringify(server.requests.filter((r) => r.scripted)[1]?.body ?? {});
    expect(toolResult).toContain('since_id');
  });
});
