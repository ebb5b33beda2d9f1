/**
 * Codex CLI sessions (`$CODEX_HOME/sessions`, `archived_sessions/`), every format it has written:
 *
 * - the TypeScript CLI's single JSON object `sessions/rollout-<date>-<uuid>.json`: `{ session: { id, timestamp,
 *   instructions }, items: ResponseItem[] }`, rewritten whole on every turn;
 * - the first Rust JSONL: a bare `SessionMeta` first line (`{ id, timestamp, instructions, git? }`), then bare
 *   `ResponseItem`s (they carry their own `type`) and `{ "record_type": "state" }` snapshot lines;
 * - the `RolloutLine` JSONL: `{ timestamp, ordinal?, type, payload }` where `type`/`payload` are the serde tag and
 *   content of `RolloutItem` (openai/codex `codex-rs/protocol/src/protocol.rs`:
 *   `#[serde(tag = "type", content = "payload", rename_all = "snake_case")] enum RolloutItem { SessionMeta(SessionMetaLine),
 *   ResponseItem(ResponseItem), InterAgentCommunication(..), InterAgentCommunicationMetadata { trigger_turn },
 *   Compacted(CompactedItem), TurnContext(TurnContextItem), WorldState(WorldStateItem), EventMsg(EventMsg) }`);
 * - any of the JSONL ones compressed, `*.jsonl.zst`.
 *
 * `ResponseItem` (`codex-rs/protocol/src/models.rs`, `#[serde(tag = "type", rename_all = "snake_case")]`): `message
 * { role, content: ContentItem[] }`, `reasoning { summary, content?, encrypted_content }`, `local_shell_call { call_id,
 * action }`, `function_call { name, arguments: String, call_id }`, `function_call_output { call_id, output:
 * FunctionCallOutputPayload }` (a string, or content items, or `{ content, success }`), `custom_tool_call { call_id,
 * name, input }`, `custom_tool_call_output`, `web_search_call { action }`, `image_generation_call { revised_prompt }`,
 * `ghost_snapshot { ghost_commit }`, `compaction { encrypted_content }` (alias `compaction_summary`); newer CLIs add
 * `agent_message { author, recipient, content }` and `tool_search_call`/`tool_search_output`.
 */
import { readFileSync } from 'node:fs';
import * as zlib from 'node:zlib';
import { noteUnknown, type ParseStats } from './claude.js';
import { readLines } from './lines.js';
import type { FileTouch } from './types.js';
import { promptOf, type SessionWriter } from './writer.js';

type Json = Record<string, unknown>;

/** The session id of a rollout file: the thread UUID at the end of its name. */
export function codexSessionId(stem: string): string {
  const uuid = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(stem)?.[1];
  return `codex:${uuid ?? stem.replace(/^rollout-/, '')}`;
}

/** Files read whole (compressed, or one JSON object), not line by line from an offset. */
export function codexReadWhole(path: string): boolean {
  return path.endsWith('.zst') || path.endsWith('.json');
}

/** Read a rollout from `start` (JSONL) or whole (`.json`, `.jsonl.zst`), appending to `w`. */
export function parseCodexFile(path: string, start: number, w: SessionWriter, startLine: number): ParseStats {
  const stats: ParseStats = { offset: start, lines: startLine, malformed: 0, unknown: 0 };
  const state = new CodexState(w, path, start);
  const onLine = (line: string) => {
    stats.lines++;
    let rec: Json;
    try {
      rec = JSON.parse(line) as Json;
    } catch {
      stats.malformed++;
      return;
    }
    if (!rec || typeof rec !== 'object' || Array.isArray(rec)) {
      stats.malformed++;
      return;
    }
    if (!state.record(rec)) noteUnknown(stats, rec);
  };
  if (path.endsWith('.json')) {
    // the TypeScript CLI: one object, rewritten whole
    const text = readFileSync(path, 'utf8');
    stats.offset = Buffer.byteLength(text);
    let doc: Json;
    try {
      doc = JSON.parse(text) as Json;
    } catch {
      stats.malformed++;
      return stats;
    }
    const session = (doc.session ?? {}) as Json;
    state.meta({ ...session, id: session.id }, str(session.timestamp));
    const ts = str(session.timestamp);
    for (const item of Array.isArray(doc.items) ? (doc.items as Json[]) : []) {
      stats.lines++;
      if (!item || typeof item !== 'object' || !state.item(item, ts ? Date.parse(ts) : undefined))
        noteUnknown(stats, item);
    }
    return stats;
  }
  if (path.endsWith('.zst')) {
    const decompress = (zlib as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync;
    if (!decompress) throw new Error(`${path}: reading .zst rollouts needs Node 22.15 or newer`);
    const text = decompress(readFileSync(path)).toString('utf8');
    for (const line of text.split('\n')) if (line.trim()) onLine(line);
    stats.offset = readFileSync(path).length;
    return stats;
  }
  stats.offset = readLines(path, start, onLine);
  return stats;
}

/** What one rollout has said so far, and whether its lines are its own or history replayed from its parent. */
class CodexState {
  private model: string | undefined;
  private lastTotal: string | undefined;
  private prevTotal: Json | undefined;
  private metaSeen: boolean;
  /** a fork or spawned child copies its parent's history (token counts too) after its own `session_meta` */
  private replaying = false;
  private forkSecond = '';
  private createdMs = Number.NaN;

  constructor(
    private readonly w: SessionWriter,
    path: string,
    start: number,
  ) {
    this.model = w.row.models.split(',')[0] || undefined;
    // read on from an offset: the first session_meta (and any replay) was read in an earlier pass
    this.metaSeen = start > 0;
    // a UUIDv7 thread id holds the file's creation instant: copied history is older than that
    const uuid =
      /([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}(?:\.jsonl(?:\.zst)?|\.json)?$/i.exec(
        path,
      );
    if (uuid) this.createdMs = Number.parseInt(`${uuid[1]}${uuid[2]}`, 16);
  }

  /** One line; false when its type is not one Codex writes. */
  record(rec: Json): boolean {
    const ts = typeof rec.timestamp === 'string' ? rec.timestamp : undefined;
    const type = typeof rec.type === 'string' ? rec.type : undefined;
    if (type === 'session_meta') {
      this.meta((rec.payload ?? {}) as Json, ts);
      return true;
    }
    if (this.replaying) {
      // the copy is stamped with the fork's second (spawned children) or keeps its old times (forks): skip it
      const sameSecond = ts !== undefined && ts.slice(0, 19) === this.forkSecond;
      const older = ts !== undefined && Date.parse(ts) < this.createdMs;
      if (sameSecond || older) return true;
      this.replaying = false;
    }
    const ms = ts ? Date.parse(ts) : undefined;
    const payload = (rec.payload && typeof rec.payload === 'object' ? rec.payload : rec) as Json;
    switch (type) {
      case 'turn_context':
        if (typeof payload.model === 'string') {
          this.model = payload.model;
          this.w.addModel(payload.model);
        }
        if (!this.w.row.cwd && typeof payload.cwd === 'string')
          this.w.row.cwd = this.w.row.project = payload.cwd;
        return true;
      case 'event_msg':
        if (payload.type === 'token_count') this.tokens(payload, ms);
        // the other events repeat response items for the UI (messages, tool begin/end, reviews, collab)
        return true;
      case 'compacted':
        this.w.event({
          ts: ms,
          role: 'system',
          kind: 'compact',
          text: str(payload.message) || '[compacted]',
        });
        return true;
      case 'world_state':
      case 'inter_agent_communication':
      case 'inter_agent_communication_metadata':
        // environment, AGENTS.md and skills baselines; messages between agents' threads
        this.w.event({ ts: ms, role: 'meta', kind: 'meta', text: interAgentText(payload) ?? type });
        return true;
      case 'response_item':
        return this.item(payload, ms);
      case undefined:
        // the first Rust format: the header, state snapshots, bare items
        if (rec.record_type === 'state') return true;
        if (
          !this.metaSeen &&
          (rec.id !== undefined || rec.instructions !== undefined) &&
          rec.type === undefined
        ) {
          this.meta(rec, ts);
          return true;
        }
        return false;
      default:
        return this.item(rec, ms);
    }
  }

  /** `SessionMetaLine`: only the first counts (a child's file holds its parent's too, copied). */
  meta(payload: Json, ts: string | undefined): void {
    if (this.metaSeen) return;
    this.metaSeen = true;
    const row = this.w.row;
    const git = (payload.git ?? {}) as Json;
    if (typeof payload.cwd === 'string' && payload.cwd) row.cwd = row.project = payload.cwd;
    if (typeof git.branch === 'string') row.branch = git.branch;
    if (typeof payload.model === 'string') this.model = payload.model;
    const source = payload.source as Json | string | undefined;
    const spawn =
      source && typeof source === 'object'
        ? ((source.subagent as Json | undefined)?.thread_spawn as Json | undefined)
        : undefined;
    const parent =
      str(payload.forked_from_id) ?? str(spawn?.parent_thread_id) ?? str(payload.parent_thread_id);
    if (parent) {
      row.parent_id = `codex:${parent}`;
      this.replaying = true;
      this.forkSecond = ts?.slice(0, 19) ?? '';
      if (!Number.isFinite(this.createdMs) && ts) this.createdMs = Date.parse(ts);
    }
    this.w.event({
      ts: ts ? Date.parse(ts) : undefined,
      role: 'meta',
      kind: 'meta',
      text: [str(payload.originator), str(payload.cli_version)].filter(Boolean).join(' ') || 'session',
    });
  }

  /** `token_count`: count each turn once (repeats of the same running total are skipped). */
  private tokens(payload: Json, ts: number | undefined): void {
    const info = payload.info as Json | null | undefined;
    if (!info || typeof info !== 'object' || ts === undefined || !Number.isFinite(ts)) return;
    const total = info.total_token_usage as Json | undefined;
    const key = JSON.stringify(total ?? null);
    if (key === this.lastTotal) return;
    this.lastTotal = key;
    // older CLIs wrote only the running total: the turn is its growth
    let last = info.last_token_usage as Json | undefined;
    if (!last && total) {
      const prev = this.prevTotal ?? {};
      last = Object.fromEntries(
        ['input_tokens', 'cached_input_tokens', 'cache_write_input_tokens', 'output_tokens'].map((k) => [
          k,
          Math.max(0, num(total[k]) - num(prev[k])),
        ]),
      );
    }
    this.prevTotal = total;
    if (!last) return;
    const cached = num(last.cached_input_tokens);
    const written = num(last.cache_write_input_tokens);
    this.w.usage({
      ts,
      model: this.model,
      input: Math.max(0, num(last.input_tokens) - cached - written),
      output: num(last.output_tokens),
      cacheRead: cached,
      cacheCreation: written,
    });
  }

  /** One `ResponseItem`; false when its type is unknown. */
  item(item: Json, ts: number | undefined): boolean {
    const w = this.w;
    const model = this.model;
    switch (item.type) {
      case 'message': {
        const role = item.role === 'assistant' ? 'assistant' : item.role === 'user' ? 'user' : 'system';
        const text = contentText(item.content);
        // injected context (AGENTS.md, <environment_context>, <user_instructions>, <skill>, <codex_internal_context>)
        if (role === 'user' && text && !promptOf(text)) {
          w.event({ ts, role: 'meta', kind: 'meta', text });
          return true;
        }
        w.event({
          ts,
          role,
          kind: role === 'assistant' ? 'text' : role === 'user' ? 'prompt' : 'system',
          text,
          model: role === 'assistant' ? model : undefined,
        });
        return true;
      }
      case 'agent_message':
        w.event({
          ts,
          role: 'assistant',
          kind: 'text',
          text: [
            item.author ? `${str(item.author)} → ${str(item.recipient) ?? ''}`.trim() : '',
            contentText(item.content),
          ]
            .filter(Boolean)
            .join('\n'),
          model,
        });
        return true;
      case 'reasoning': {
        const summary = Array.isArray(item.summary)
          ? (item.summary as Json[])
              .map((s) => str(s?.text))
              .filter(Boolean)
              .join('\n')
          : undefined;
        w.event({ ts, role: 'assistant', kind: 'thinking', thinking: summary || '[reasoning]', model });
        return true;
      }
      case 'function_call':
      case 'custom_tool_call':
      case 'local_shell_call':
      case 'tool_search_call':
      case 'web_search_call':
      case 'image_generation_call': {
        const name =
          str(item.name) ??
          (item.type === 'local_shell_call'
            ? 'shell'
            : item.type === 'tool_search_call'
              ? 'tool_search'
              : item.type === 'web_search_call'
                ? 'web_search'
                : item.type === 'image_generation_call'
                  ? 'image_generation'
                  : 'unknown');
        let input: unknown =
          item.arguments ??
          item.input ??
          item.action ??
          (item.revised_prompt ? { prompt: item.revised_prompt } : undefined);
        if (typeof input === 'string') {
          try {
            input = JSON.parse(input);
          } catch {
            // apply_patch and custom tools pass raw text
          }
        }
        const { files, commands, summary } = describeCodexCall(name, input);
        w.event({
          ts,
          role: 'assistant',
          kind: 'tool_use',
          toolName: name,
          toolUseId: str(item.call_id) ?? str(item.id),
          input,
          text: summary ? `${name}: ${summary}` : name,
          model,
          files,
          commands,
        });
        return true;
      }
      case 'function_call_output':
      case 'custom_tool_call_output':
      case 'tool_search_output': {
        const { text, isError } = outputOf(
          item.type === 'tool_search_output' ? toolList(item.tools) : item.output,
        );
        w.event({ ts, role: 'tool', kind: 'tool_result', toolUseId: str(item.call_id), text, isError });
        return true;
      }
      case 'ghost_snapshot':
        // an undo point Codex commits before a turn
        w.event({
          ts,
          role: 'meta',
          kind: 'snapshot',
          text: str((item.ghost_commit as Json | undefined)?.id) ?? 'ghost snapshot',
        });
        return true;
      case 'compaction':
      case 'compaction_summary':
        w.event({ ts, role: 'system', kind: 'compact', text: '[compaction]' });
        return true;
      default:
        return false;
    }
  }
}

/** A tool result's text and whether it failed: a string (maybe JSON with `output` + `metadata.exit_code`), content items, or `{ content, success }`. */
function outputOf(output: unknown): { text: string | undefined; isError: boolean } {
  let isError = false;
  let value = output;
  if (typeof value === 'string') {
    try {
      const parsed = JSON.parse(value) as Json;
      if (parsed && typeof parsed === 'object' && 'output' in parsed) {
        const meta = (parsed.metadata ?? {}) as Json;
        isError = typeof meta.exit_code === 'number' && meta.exit_code !== 0;
        value = parsed.output;
      }
    } catch {
      // plain text output
    }
  } else if (value && typeof value === 'object' && !Array.isArray(value) && 'content' in (value as Json)) {
    isError = (value as Json).success === false;
    value = (value as Json).content;
  }
  const text =
    typeof value === 'string'
      ? value
      : (contentText(value) ?? (value === undefined ? undefined : JSON.stringify(value)));
  if (text && /^Exit code: [1-9]/m.test(text.slice(0, 200))) isError = true;
  return { text, isError };
}

function toolList(tools: unknown): string | undefined {
  if (!Array.isArray(tools)) return undefined;
  const names: string[] = [];
  const walk = (list: Json[]) => {
    for (const t of list) {
      if (typeof t?.name === 'string') names.push(t.name);
      if (Array.isArray(t?.tools)) walk(t.tools as Json[]);
    }
  };
  walk(tools as Json[]);
  return names.join('\n');
}

function interAgentText(payload: Json): string | undefined {
  const parts = [
    str(payload.author),
    str(payload.recipient),
    contentText(payload.content) ?? str(payload.message),
  ].filter(Boolean);
  return parts.length ? parts.join(' ') : undefined;
}

function describeCodexCall(
  name: string,
  input: unknown,
): { files: FileTouch[]; commands: string[]; summary?: string } {
  const files: FileTouch[] = [];
  const commands: string[] = [];
  const obj = (input && typeof input === 'object' ? input : {}) as Json;
  let patch = typeof input === 'string' ? input : undefined;
  const cmd = obj.command ?? obj.cmd;
  if (
    (name === 'shell' ||
      name === 'exec_command' ||
      name === 'local_shell' ||
      name === 'shell_command' ||
      name === 'container.exec') &&
    cmd
  ) {
    const text = Array.isArray(cmd) ? shellText(cmd as string[]) : typeof cmd === 'string' ? cmd : undefined;
    if (text) {
      const heredoc = /apply_patch\s*<<['"]?EOF['"]?\n([\s\S]*)/.exec(text);
      if (heredoc) patch = heredoc[1];
      else commands.push(text);
    }
  }
  if (name === 'apply_patch' && typeof obj.input === 'string') patch = obj.input;
  if (patch) {
    for (const m of patch.matchAll(/^\*\*\* (Add|Update|Delete) File: (.+)$/gm))
      files.push({ path: (m[2] as string).trim(), op: m[1] === 'Add' ? 'write' : 'edit' });
  }
  const summary = commands[0] || files.map((f) => f.path).join(', ') || str(obj.query) || str(obj.prompt);
  return { files, commands, summary: summary || undefined };
}

/** `["bash", "-lc", "npm test"]` -> `npm test`; other argv joined. */
function shellText(argv: string[]): string {
  if (argv.length === 3 && /(^|\/)(ba|z)?sh$/.test(argv[0] ?? '') && argv[1]?.startsWith('-'))
    return argv[2] ?? '';
  return argv.join(' ');
}

/** Text of `ContentItem`s (`input_text`, `output_text`, images as `[image]`), or of one such item. */
function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  const list = Array.isArray(content)
    ? (content as Json[])
    : content && typeof content === 'object'
      ? [content as Json]
      : [];
  const parts: string[] = [];
  for (const c of list) {
    if (typeof c?.text === 'string') parts.push(c.text);
    else if (c?.type === 'input_image') parts.push('[image]');
  }
  return parts.length ? parts.join('\n') : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
