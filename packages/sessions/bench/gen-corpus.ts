/**
 * Write a realistic Claude Code config dir (`<out>/projects/<escaped cwd>/<session>.jsonl`, subagents included)
 * of any size, deterministically (same seed, same bytes).
 *
 *   node packages/sessions/bench/gen-corpus.ts --out /tmp/corpus --size 256MB --files 600 [--seed 1] [--days 30]
 *
 * Record mix follows real transcripts: prompts, assistant turns split one content block per line (same message
 * id + request id and usage on each line), thinking, tool_use/tool_result pairs with large Read/Bash outputs and
 * some errors, Task calls with subagent transcripts (+ .meta.json), compaction, summaries, snapshots, queue
 * operations, attachments, progress and system lines, and now and then an `.env` printed by the agent.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export interface CorpusOptions {
  out: string;
  bytes: number;
  files: number;
  seed?: number;
  days?: number;
  /** last day of the corpus (UTC midnight); default 2026-10-31 */
  end?: number;
}

export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(text.trim());
  if (!m) throw new Error(`--size ${text}: use e.g. 256MB or 1GB`);
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  return Math.round(
    Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1),
  );
}

const WORDS = (
  'the a to of and in is it that for on with as this be are was by or at from not but can have will an ' +
  'function test error build file config module import export return const let async await promise value type ' +
  'interface string number boolean array object null undefined index session agent database query search result ' +
  'token cache request response server client handler route middleware schema migration table column row insert ' +
  'update delete select where join order limit offset commit branch merge rebase deploy docker container image ' +
  'volume network port host timeout retry backoff schedule cron wake runner daemon socket stream parse json yaml ' +
  'markdown render component state reducer effect hook props context provider logger debug warn info trace metric ' +
  'latency throughput memory cpu disk process thread worker queue job task subagent tool bash read write edit grep ' +
  'glob pattern regex match replace split join trim slice map filter reduce sort unique count sum average total ' +
  'refactor rename extract inline fix bug failing passing flaky snapshot fixture mock spy assert expect describe'
).split(' ');
const TOOLS = ['Read', 'Bash', 'Edit', 'Grep', 'Glob', 'Write', 'TodoWrite', 'WebFetch', 'MultiEdit'];
const MODELS = ['claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805', 'claude-haiku-4-5-20251001'];

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed;
  }
  next(): number {
    // mulberry32
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(this.next() * 16)];
    return s;
  }
  uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-a${this.hex(3)}-${this.hex(12)}`;
  }
  words(n: number): string {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.pick(WORDS));
    return out.join(' ');
  }
  code(lines: number): string {
    const out: string[] = [];
    for (let i = 0; i < lines; i++) {
      const indent = '  '.repeat(this.int(0, 3));
      out.push(
        `${String(i + 1).padStart(6)}\t${indent}${this.pick(['const', 'let', 'return', 'if (', 'await', 'export function', '//'])} ${this.words(this.int(2, 9))};`,
      );
    }
    return out.join('\n');
  }
}

interface Ctx {
  rng: Rng;
  sessionId: string;
  cwd: string;
  branch: string;
  ts: number;
  parent: string | null;
  lines: string[];
  bytes: number;
  sidechain: boolean;
  agentId?: string;
  version: string;
  /** subagents this session may still start */
  tasks: number;
}

function push(ctx: Ctx, record: Record<string, unknown>): void {
  const line = JSON.stringify(record);
  ctx.lines.push(line);
  ctx.bytes += line.length + 1;
}

function common(ctx: Ctx, type: string): Record<string, unknown> {
  ctx.ts += ctx.rng.int(200, 20_000);
  const uuid = ctx.rng.uuid();
  const rec: Record<string, unknown> = {
    parentUuid: ctx.parent,
    isSidechain: ctx.sidechain,
    userType: 'external',
    cwd: ctx.cwd,
    sessionId: ctx.sessionId,
    version: ctx.version,
    gitBranch: ctx.branch,
    ...(ctx.agentId ? { agentId: ctx.agentId } : {}),
    type,
    uuid,
    timestamp: new Date(ctx.ts).toISOString(),
  };
  ctx.parent = uuid;
  return rec;
}

function toolInput(rng: Rng, name: string, cwd: string): Record<string, unknown> {
  const file = `${cwd}/src/${rng.pick(WORDS)}-${rng.pick(WORDS)}.ts`;
  switch (name) {
    case 'Read':
      return { file_path: file };
    case 'Write':
      return { file_path: file, content: rng.code(rng.int(5, 40)) };
    case 'Edit':
      return { file_path: file, old_string: rng.words(6), new_string: rng.words(7) };
    case 'MultiEdit':
      return { file_path: file, edits: [{ old_string: rng.words(4), new_string: rng.words(5) }] };
    case 'Bash':
      return {
        command: rng.pick([
          'pnpm test',
          'git status',
          'ls -la src',
          'pnpm build',
          `grep -rn ${rng.pick(WORDS)} src`,
          'cat .env',
          'git diff',
        ]),
        description: rng.words(4),
      };
    case 'Grep':
      return { pattern: rng.pick(WORDS), path: `${cwd}/src`, output_mode: 'content' };
    case 'Glob':
      return { pattern: '**/*.ts' };
    case 'TodoWrite':
      return { todos: [{ content: rng.words(5), status: 'pending', activeForm: rng.words(3) }] };
    default:
      return { url: `https://example.com/${rng.pick(WORDS)}`, prompt: rng.words(8) };
  }
}

function toolOutput(rng: Rng, name: string, input: Record<string, unknown>): string {
  switch (name) {
    case 'Read':
      return rng.code(rng.int(20, 250));
    case 'Bash':
      if (input.command === 'cat .env')
        return `NODE_ENV=production\nDATABASE_URL=postgres://app:${rng.hex(16)}@db:5432/app\nAPI_TOKEN=${rng.hex(32)}\nPORT=3000`;
      return Array.from({ length: rng.int(3, 60) }, () => rng.words(rng.int(4, 14))).join('\n');
    case 'Grep':
      return Array.from(
        { length: rng.int(2, 30) },
        (_, i) => `src/${rng.pick(WORDS)}.ts:${i + 1}:${rng.words(8)}`,
      ).join('\n');
    default:
      return rng.words(rng.int(5, 40));
  }
}

/** One assistant API message written one content block per line, as Claude Code does (usage grows as it streams). */
function assistantTurn(ctx: Ctx, model: string, blocks: Array<Record<string, unknown>>): void {
  const rng = ctx.rng;
  const id = `msg_01${rng.hex(22)}`;
  const requestId = `req_011${rng.hex(21)}`;
  const usage = {
    input_tokens: rng.int(1, 60),
    cache_creation_input_tokens: rng.chance(0.3) ? rng.int(100, 8000) : 0,
    cache_read_input_tokens: rng.int(2000, 120_000),
    output_tokens: rng.int(20, 1800),
    service_tier: 'standard',
  };
  // while it streams, every line but the last carries the output so far (often 1): only the last is final
  blocks.forEach((block, i) => {
    const last = i === blocks.length - 1;
    const output = last ? usage.output_tokens : Math.min(usage.output_tokens, i === 0 ? 1 : rng.int(1, 40));
    push(ctx, {
      ...common(ctx, 'assistant'),
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [block],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: output },
      },
      requestId,
    });
  });
}

function conversation(ctx: Ctx, target: number, subagents: (taskId: string) => string | undefined): void {
  const rng = ctx.rng;
  const model = rng.pick(MODELS);
  if (!ctx.sidechain)
    push(ctx, {
      type: 'file-history-snapshot',
      messageId: rng.uuid(),
      snapshot: { messageId: rng.uuid(), trackedFileBackups: {}, timestamp: new Date(ctx.ts).toISOString() },
      isSnapshotUpdate: false,
    });
  while (ctx.bytes < target) {
    push(ctx, { ...common(ctx, 'user'), message: { role: 'user', content: rng.words(rng.int(6, 60)) } });
    const steps = rng.int(1, 8);
    for (let s = 0; s < steps && ctx.bytes < target; s++) {
      const blocks: Array<Record<string, unknown>> = [];
      if (rng.chance(0.4))
        blocks.push({ type: 'thinking', thinking: rng.words(rng.int(20, 200)), signature: rng.hex(64) });
      if (rng.chance(0.7)) blocks.push({ type: 'text', text: rng.words(rng.int(5, 120)) });
      const calls: Array<{ id: string; name: string; input: Record<string, unknown> }> = [];
      const nCalls = rng.int(0, 3);
      for (let c = 0; c < nCalls; c++) {
        const name = ctx.tasks > 0 && rng.chance(0.01) ? 'Task' : rng.pick(TOOLS);
        if (name === 'Task') ctx.tasks--;
        const input =
          name === 'Task'
            ? { description: rng.words(4), prompt: rng.words(30), subagent_type: 'general-purpose' }
            : toolInput(rng, name, ctx.cwd);
        const call = { id: `toolu_01${rng.hex(22)}`, name, input };
        calls.push(call);
        blocks.push({ type: 'tool_use', ...call });
      }
      if (blocks.length === 0) blocks.push({ type: 'text', text: rng.words(10) });
      assistantTurn(ctx, model, blocks);
      for (const call of calls) {
        const isError = rng.chance(0.05);
        const agentId = call.name === 'Task' ? subagents(call.id) : undefined;
        const content = isError
          ? `Error: ${rng.words(8)}`
          : agentId
            ? rng.words(80)
            : toolOutput(rng, call.name, call.input);
        push(ctx, {
          ...common(ctx, 'user'),
          message: {
            role: 'user',
            content: [{ tool_use_id: call.id, type: 'tool_result', content, is_error: isError }],
          },
          toolUseResult: agentId
            ? { status: 'completed', agentId, content: [{ type: 'text', text: content.slice(0, 200) }] }
            : { stdout: content.slice(0, 100), stderr: '', interrupted: false },
        });
      }
    }
    const extra = rng.next();
    if (extra < 0.05) {
      push(ctx, {
        ...common(ctx, 'system'),
        subtype: 'compact_boundary',
        content: 'Conversation compacted',
        level: 'info',
        compactMetadata: { trigger: 'auto', preTokens: rng.int(100000, 160000) },
      });
      push(ctx, {
        ...common(ctx, 'user'),
        isCompactSummary: true,
        message: {
          role: 'user',
          content: `This session is being continued from a previous conversation. Summary: ${rng.words(150)}`,
        },
      });
    } else if (extra < 0.1)
      push(ctx, {
        type: 'queue-operation',
        operation: 'enqueue',
        timestamp: new Date(ctx.ts).toISOString(),
        sessionId: ctx.sessionId,
        content: rng.words(10),
      });
    else if (extra < 0.13)
      push(ctx, {
        ...common(ctx, 'attachment'),
        attachment: { type: 'file', filename: `${ctx.cwd}/README.md`, content: rng.words(40) },
      });
    else if (extra < 0.16)
      push(ctx, {
        ...common(ctx, 'system'),
        subtype: 'informational',
        content: rng.words(12),
        level: 'info',
      });
    else if (extra < 0.18)
      push(ctx, {
        type: 'progress',
        data: { type: 'hook_progress', hookEvent: 'PostToolUse' },
        toolUseID: `toolu_01${rng.hex(22)}`,
        timestamp: new Date(ctx.ts).toISOString(),
        sessionId: ctx.sessionId,
        uuid: rng.uuid(),
      });
  }
  if (!ctx.sidechain) {
    push(ctx, { type: 'last-prompt', lastPrompt: rng.words(8), sessionId: ctx.sessionId });
    if (rng.chance(0.3)) push(ctx, { type: 'summary', summary: rng.words(6), leafUuid: ctx.parent });
  }
}

export function generateCorpus(options: CorpusOptions): { files: number; bytes: number } {
  const rng = new Rng(options.seed ?? 1);
  const days = options.days ?? 30;
  const end = options.end ?? Date.UTC(2026, 9, 31);
  const perFile = options.bytes / options.files;
  let files = 0;
  let bytes = 0;
  const projects = Array.from(
    { length: Math.max(1, Math.round(options.files / 25)) },
    (_, i) => `/home/dev/src/${rng.pick(WORDS)}-${rng.pick(WORDS)}-${i}`,
  );
  let mainFiles = 0;
  while (bytes < options.bytes && mainFiles < options.files * 4) {
    mainFiles++;
    const cwd = rng.pick(projects);
    const dir = join(options.out, 'projects', cwd.replace(/[^A-Za-z0-9]/g, '-'));
    mkdirSync(dir, { recursive: true });
    const sessionId = rng.uuid();
    // sizes vary: a few long sessions, many short ones
    const target = Math.min(options.bytes - bytes, perFile * (0.2 + 1.6 * rng.next() ** 2) * 1.9);
    const start = end - rng.int(0, days * 86400) * 1000;
    const ctx: Ctx = {
      rng,
      sessionId,
      cwd,
      branch: rng.pick(['main', 'dev', 'fix/flaky']),
      ts: start,
      parent: null,
      lines: [],
      bytes: 0,
      sidechain: false,
      version: '2.0.31',
      tasks: rng.chance(0.15) ? rng.int(1, 2) : 0,
    };
    const subFiles: Array<{ path: string; ctx: Ctx; meta: Record<string, unknown> }> = [];
    conversation(ctx, target * 0.85, (taskId) => {
      const agentId = rng.hex(8);
      const sub: Ctx = { ...ctx, lines: [], bytes: 0, parent: null, sidechain: true, agentId, tasks: 0 };
      conversation(sub, Math.min(target * 0.15, 400_000), () => undefined);
      ctx.ts = sub.ts;
      subFiles.push({
        path: join(dir, sessionId, 'subagents', `agent-${agentId}.jsonl`),
        ctx: sub,
        meta: { agentType: 'general-purpose', description: rng.words(4), toolUseId: taskId },
      });
      return agentId;
    });
    bytes += writeLines(join(dir, `${sessionId}.jsonl`), ctx.lines);
    files++;
    for (const sub of subFiles) {
      mkdirSync(join(dir, sessionId, 'subagents'), { recursive: true });
      bytes += writeLines(sub.path, sub.ctx.lines);
      writeLines(sub.path.replace(/\.jsonl$/, '.meta.json'), [JSON.stringify(sub.meta)]);
      files++;
    }
  }
  return { files, bytes };
}

function writeLines(path: string, lines: string[]): number {
  const fd = openSync(path, 'w');
  let n = 0;
  try {
    for (let i = 0; i < lines.length; i += 256) {
      const chunk = `${lines.slice(i, i + 256).join('\n')}\n`;
      n += writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
  return n;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      size: { type: 'string', default: '256MB' },
      files: { type: 'string', default: '600' },
      seed: { type: 'string', default: '1' },
      days: { type: 'string', default: '30' },
    },
  });
  if (!values.out) {
    process.stderr.write(
      'usage: gen-corpus.ts --out <dir> [--size 256MB] [--files 600] [--seed 1] [--days 30]\n',
    );
    process.exit(2);
  }
  const t = performance.now();
  const r = generateCorpus({
    out: values.out,
    bytes: parseSize(values.size),
    files: Number(values.files),
    seed: Number(values.seed),
    days: Number(values.days),
  });
  process.stdout.write(
    `${JSON.stringify({ ...r, mb: +(r.bytes / 1024 ** 2).toFixed(1), seconds: +((performance.now() - t) / 1000).toFixed(1) })}\n`,
  );
}
