/** Claude Code transcripts: `projects/<escaped cwd>/<session>.jsonl` and `<session>/subagents/agent-*.jsonl`. */
import { readLines } from './lines.js';
import type { FileTouch } from './types.js';
import type { EventInput, SessionWriter } from './writer.js';

export interface ParseStats {
  offset: number;
  lines: number;
  malformed: number;
  unknown: number;
  /** the first record of unknown type: its `type` (`?` without one) and line, so a report can name it */
  firstUnknown?: { type: string; line: number };
}

/** Count a record of unknown type, keeping the first one's type and line. */
export function noteUnknown(stats: ParseStats, record: unknown): void {
  stats.unknown++;
  if (stats.firstUnknown) return;
  const r = record && typeof record === 'object' ? (record as Record<string, unknown>) : {};
  const type = [r.type, r.record_type, r.role].find((v) => typeof v === 'string') as string | undefined;
  // a type name, not content: short and plain, or not shown
  stats.firstUnknown = { type: type && /^[\w.:/-]{1,60}$/.test(type) ? type : '?', line: stats.lines };
}

/** Record types that carry no conversation but are known bookkeeping (not counted as unknown). */
const BOOKKEEPING = new Set([
  'custom-title',
  'ai-title',
  'agent-name',
  'tag',
  'pr-link',
  'mode',
  'permission-mode',
  'worktree-state',
  // Claude Code 2.1: request bookkeeping (shapes and blobs of API requests, tool lists, latches)
  'api-request',
  'api-request-shape',
  'api-request-blob',
  'tools-used',
  'atis-latch',
  'cost-state',
  // artifacts, workflow journals, worktree moves and remote-control bridges (2.1.x)
  'frame-link',
  'started',
  'relocated',
  'bridge-session',
]);

type Json = Record<string, unknown>;

/** Read a Claude Code JSONL transcript from `start`, appending to `w`. */
export function parseClaudeFile(
  path: string,
  start: number,
  w: SessionWriter,
  startLine: number,
): ParseStats {
  const stats: ParseStats = { offset: start, lines: startLine, malformed: 0, unknown: 0 };
  stats.offset = readLines(path, start, (line) => {
    stats.lines++;
    let record: Json;
    try {
      record = JSON.parse(line) as Json;
    } catch {
      stats.malformed++;
      return;
    }
    if (!record || typeof record !== 'object' || Array.isArray(record)) {
      stats.malformed++;
      return;
    }
    if (!handleClaudeRecord(record, w)) noteUnknown(stats, record);
  });
  return stats;
}

/** Turn one record into events; false when its type is unknown. Shared with habitat's stream-json logs. */
export function handleClaudeRecord(record: Json, w: SessionWriter): boolean {
  const type = record.type;
  const ts = typeof record.timestamp === 'string' ? Date.parse(record.timestamp) : w.fallbackTs;
  const base = {
    ts,
    uuid: str(record.uuid),
    parentUuid: str(record.parentUuid),
    sidechain: record.isSidechain === true,
  };
  const counted = recordUsage(record, w);
  const row = w.row;
  // 2.0.x wrote subagents as `agent-<id>.jsonl` beside the parent: its records name the parent session
  if (
    row.parent_id === null &&
    row.id.startsWith('agent-') &&
    typeof record.sessionId === 'string' &&
    record.sessionId
  ) {
    row.parent_id = record.sessionId;
    if (typeof record.agentId === 'string') row.agent_id = record.agentId;
  }
  if (!row.cwd && typeof record.cwd === 'string' && record.cwd) {
    row.cwd = record.cwd;
    row.project = projectOf(record.cwd);
  }
  if (!row.branch && typeof record.gitBranch === 'string' && record.gitBranch) row.branch = record.gitBranch;
  switch (type) {
    case 'user':
      userRecord(record, w, base);
      return true;
    case 'assistant':
      assistantRecord(record, w, base);
      return true;
    case 'summary':
      // it sits at the top of the session that continues another: it describes (and titles) the one its leaf is in
      if (typeof record.summary === 'string') {
        if (typeof record.leafUuid === 'string') w.summary(record.leafUuid, record.summary);
        w.event({ ...base, role: 'system', kind: 'summary', text: record.summary });
      }
      return true;
    case 'tool_use': {
      // schema drift: a tool call as a record of its own
      const name = str(record.name) ?? 'unknown';
      const input = (isObj(record.input) ? record.input : {}) as Json;
      const { files, commands, summary } = describeToolCall(name, input);
      w.event({
        ...base,
        role: 'assistant',
        kind: 'tool_use',
        toolName: name,
        toolUseId: str(record.id) ?? str(record.tool_use_id) ?? str(record.uuid),
        input,
        text: summary ? `${name}: ${summary}` : name,
        files,
        commands,
      });
      return true;
    }
    case 'tool_result':
      w.event({
        ...base,
        role: 'tool',
        kind: 'tool_result',
        toolName: str(record.name),
        toolUseId: str(record.tool_use_id),
        isError: record.is_error === true,
        text:
          textOf(record.output) ??
          textOf(record.content) ??
          (record.output === undefined ? undefined : JSON.stringify(record.output)),
      });
      return true;
    case 'system': {
      const subtype = str(record.subtype);
      // stream-json (`claude -p --output-format stream-json`) init line
      if (subtype === 'init') {
        if (typeof record.model === 'string') w.addModel(record.model);
        if (!row.cwd && typeof record.cwd === 'string') {
          row.cwd = record.cwd;
          row.project = projectOf(record.cwd);
        }
      }
      const text = str(record.content) ?? (subtype ? `[${subtype}]` : undefined);
      w.event({ ...base, role: 'system', kind: subtype === 'compact_boundary' ? 'compact' : 'system', text });
      return true;
    }
    case 'attachment': {
      const a = (record.attachment ?? {}) as Json;
      const text = [str(a.type), str(a.filename) ?? str(a.path), textOf(a.content)].filter(Boolean).join(' ');
      w.event({ ...base, role: 'meta', kind: 'attachment', text: text || undefined });
      return true;
    }
    case 'queue-operation':
      w.event({
        ...base,
        role: 'meta',
        kind: 'queue',
        text: [str(record.operation), textOf(record.content)].filter(Boolean).join(' '),
      });
      return true;
    case 'last-prompt':
      w.event({
        ...base,
        role: 'meta',
        kind: 'last-prompt',
        text: str(record.lastPrompt) ?? textOf(record.content),
      });
      return true;
    case 'file-history-snapshot': {
      const snap = (record.snapshot ?? {}) as Json;
      const files = Object.keys((snap.trackedFileBackups ?? {}) as Json);
      w.event({ ...base, role: 'meta', kind: 'snapshot', text: files.length ? files.join('\n') : undefined });
      return true;
    }
    case 'progress': {
      const data = (record.data ?? {}) as Json;
      const agentId = str(data.agentId);
      const parentTool = str(record.parentToolUseID) ?? str(record.toolUseID);
      if (agentId && parentTool) w.link(parentTool, agentId);
      w.event({ ...base, role: 'meta', kind: 'progress', text: str(data.type) });
      return true;
    }
    case 'result': {
      // stream-json final line: the run's own figures
      if (typeof record.total_cost_usd === 'number') w.reportedCost = record.total_cost_usd;
      w.event({
        ...base,
        role: 'system',
        kind: 'result',
        text: str(record.result) ?? str(record.subtype),
        isError: record.is_error === true,
      });
      return true;
    }
    default:
      if (typeof type === 'string' && BOOKKEEPING.has(type)) {
        if (type === 'relocated' && typeof record.relocatedCwd === 'string') row.cwd = record.relocatedCwd;
        const title = str(record.customTitle) ?? str(record.aiTitle);
        if (title) {
          row.title = title;
          row.titled = 1;
        }
        w.event({ ...base, role: 'meta', kind: 'meta', text: title ?? type });
        return true;
      }
      w.event({ ...base, role: 'meta', kind: 'meta', text: typeof type === 'string' ? type : undefined });
      // a line without a known type that carries usage is an API message from a writer that drifted
      return counted;
  }
}

/** The project of a working directory: a Claude Code worktree (`<repo>/.claude/worktrees/<name>`) belongs to its repo. */
export function projectOf(cwd: string): string {
  const at = cwd.indexOf('/.claude/worktrees/');
  return at > 0 ? cwd.slice(0, at) : cwd;
}

type Base = Pick<EventInput, 'ts' | 'uuid' | 'parentUuid' | 'sidechain'>;

/**
 * Usage the way ccusage reads it (`rust/adapters/claude/src/daily.rs`, `DailyUsageLine`): any line with a
 * `timestamp` and `message.usage`, whatever its `type` (or none), and a `progress` line's nested agent message
 * (`data.message`, 2.0.x). Lines with a non-semver `version` or an empty id are not usage. True when it counted.
 */
function recordUsage(record: Json, w: SessionWriter): boolean {
  let entry = record;
  let message = record.message as Json | undefined;
  let version = record.version;
  if (!(typeof record.timestamp === 'string' && isObj(message) && isObj(message.usage))) {
    const nested = isObj(record.data) ? (record.data as Json).message : undefined;
    if (!isObj(nested) || typeof nested.timestamp !== 'string') return false;
    message = nested.message as Json | undefined;
    if (!isObj(message) || !isObj(message.usage)) return false;
    entry = nested;
    version = undefined;
  }
  const ts = Date.parse(entry.timestamp as string);
  if (!Number.isFinite(ts)) return false;
  if (typeof version === 'string' && !/^\d+\.\d+\.\d+/.test(version)) return false;
  const sessionId = record.sessionId;
  const requestId = entry.requestId;
  const messageId = message.id;
  const model = message.model;
  if (sessionId === '' || requestId === '' || messageId === '' || model === '') return false;
  const session = typeof sessionId === 'string' ? sessionId : w.fileSession;
  const sidechain = entry.isSidechain === true;
  const usage = message.usage as Json;
  const mid = str(messageId);
  const rid = str(requestId);
  const add = (id: string | undefined, m: string | undefined, u: Json) =>
    w.usage({
      key: id === undefined ? undefined : usageKey(id, rid, session, ts),
      replayKey: id === undefined ? undefined : `${id}\t${session}`,
      sidechain,
      ts,
      model: m,
      input: num(u.input_tokens),
      output: num(u.output_tokens),
      cacheRead: num(u.cache_read_input_tokens),
      cacheCreation: cacheCreation(u),
      cacheCreation1h: isObj(u.cache_creation) ? num(u.cache_creation.ephemeral_1h_input_tokens) : 0,
    });
  add(mid, str(model), usage);
  // an advisor model's share of the message is its own entry (ccusage `advisor_usages_from_line`)
  if (Array.isArray(usage.iterations)) {
    let i = 0;
    for (const it of usage.iterations as Json[]) {
      if (!isObj(it) || it.type !== 'advisor_message' || typeof it.model !== 'string' || !it.model) continue;
      add(mid === undefined ? undefined : `${mid}:advisor:${i++}`, it.model, it);
    }
  }
  return true;
}

/** Lines of one message: message id + request id; without a request id, + session (+ time for non-Anthropic ids). */
function usageKey(id: string, requestId: string | undefined, session: string, ts: number): string {
  if (requestId !== undefined) return `${id}\t${requestId}`;
  return /^msg_[\w-]{1,64}$/.test(id) ? `${id}\t\t${session}` : `${id}\t\t${session}\t${ts}`;
}

function cacheCreation(u: Json): number {
  if (typeof u.cache_creation_input_tokens === 'number') return num(u.cache_creation_input_tokens);
  const c = u.cache_creation as Json | undefined;
  return isObj(c) ? num(c.ephemeral_5m_input_tokens) + num(c.ephemeral_1h_input_tokens) : 0;
}

function isObj(v: unknown): v is Json {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function userRecord(record: Json, w: SessionWriter, base: Base): void {
  const message = (record.message ?? {}) as Json;
  const content = message.content;
  if (record.isCompactSummary === true) {
    w.event({ ...base, role: 'system', kind: 'compact', text: textOf(content) });
    return;
  }
  const role = record.isMeta === true ? 'meta' : 'user';
  // 2.0.x primed each subagent with a one-prompt "Warmup" sidechain: counted, not listed
  if (base.sidechain && w.row.events === 0 && textOf(content)?.trim() === 'Warmup') w.row.hidden = 1;
  if (typeof content === 'string') {
    w.event({ ...base, role, kind: 'prompt', text: content });
    return;
  }
  if (!Array.isArray(content)) return;
  const result = (record.toolUseResult ?? undefined) as Json | undefined;
  for (const block of content as Json[]) {
    if (!block || typeof block !== 'object') continue;
    if (block.type === 'tool_result') {
      const toolUseId = str(block.tool_use_id);
      const text = textOf(block.content);
      // 2.1 puts the agent id in `toolUseResult`; teammates (and async agents) only say it in the result text
      const agentId =
        (result && typeof result === 'object' ? str(result.agentId) : undefined) ??
        (text?.includes('agentId: ') ? /\bagentId: ([\w-]+)/.exec(text)?.[1] : undefined);
      if (agentId && toolUseId) w.link(toolUseId, agentId);
      w.event({
        ...base,
        role: 'tool',
        kind: 'tool_result',
        toolUseId,
        isError: block.is_error === true,
        text,
      });
    } else if (block.type === 'text') {
      w.event({ ...base, role, kind: 'prompt', text: str(block.text) });
    } else if (block.type === 'image') {
      w.event({ ...base, role, kind: 'prompt', text: '[image]' });
    }
  }
}

function assistantRecord(record: Json, w: SessionWriter, base: Base): void {
  const message = (record.message ?? {}) as Json;
  const model = str(message.model);
  const content = message.content;
  if (typeof content === 'string') {
    w.event({ ...base, role: 'assistant', kind: 'text', text: content, model });
    return;
  }
  if (!Array.isArray(content)) return;
  for (const block of content as Json[]) {
    if (!block || typeof block !== 'object') continue;
    switch (block.type) {
      case 'text':
        w.event({ ...base, role: 'assistant', kind: 'text', text: str(block.text), model });
        break;
      case 'thinking':
        w.event({ ...base, role: 'assistant', kind: 'thinking', thinking: str(block.thinking), model });
        break;
      case 'redacted_thinking':
        w.event({ ...base, role: 'assistant', kind: 'thinking', thinking: '[redacted thinking]', model });
        break;
      case 'tool_use':
      case 'server_tool_use': {
        const name = str(block.name) ?? 'unknown';
        const input = (block.input ?? {}) as Json;
        const { files, commands, summary } = describeToolCall(name, input);
        w.event({
          ...base,
          role: 'assistant',
          kind: 'tool_use',
          toolName: name,
          toolUseId: str(block.id),
          input,
          text: summary ? `${name}: ${summary}` : name,
          model,
          files,
          commands,
        });
        break;
      }
    }
  }
}

/** Files and commands a Claude Code tool call touches, and a one-line summary for listings. */
export function describeToolCall(
  name: string,
  input: Json,
): { files: FileTouch[]; commands: string[]; summary?: string } {
  const files: FileTouch[] = [];
  const commands: string[] = [];
  const path = str(input.file_path) ?? str(input.notebook_path);
  switch (name) {
    case 'Read':
    case 'NotebookRead':
      if (path) files.push({ path, op: 'read' });
      break;
    case 'Write':
      if (path) files.push({ path, op: 'write' });
      break;
    case 'Edit':
    case 'MultiEdit':
    case 'NotebookEdit':
      if (path) files.push({ path, op: 'edit' });
      break;
    case 'Bash':
      if (typeof input.command === 'string') commands.push(input.command);
      break;
  }
  const summary =
    str(input.command) ??
    path ??
    str(input.pattern) ??
    str(input.url) ??
    str(input.query) ??
    str(input.description) ??
    str(input.prompt)?.slice(0, 200);
  return { files, commands, summary };
}

/** Plain text of a message content value (string, or blocks with text). */
export function textOf(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const parts: string[] = [];
    for (const b of content as Json[]) {
      if (typeof b === 'string') parts.push(b);
      else if (b && typeof b === 'object') {
        if (typeof b.text === 'string') parts.push(b.text);
        else if (b.type === 'image') parts.push('[image]');
        else if (b.type === 'tool_reference' && typeof b.tool_name === 'string') parts.push(b.tool_name);
      }
    }
    return parts.length ? parts.join('\n') : undefined;
  }
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
