/** Codex CLI rollouts: `~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`. */
import type { ParseStats } from './claude.js';
import { readLines } from './lines.js';
import type { FileTouch } from './types.js';
import type { SessionWriter } from './writer.js';

type Json = Record<string, unknown>;

export function parseCodexFile(path: string, start: number, w: SessionWriter, startLine: number): ParseStats {
  const stats: ParseStats = { offset: start, lines: startLine, malformed: 0, unknown: 0 };
  let model: string | undefined = w.row.models.split(',')[0] || undefined;
  let lastTotal: Json | undefined;
  stats.offset = readLines(path, start, (line) => {
    stats.lines++;
    let rec: Json;
    try {
      rec = JSON.parse(line) as Json;
    } catch {
      stats.malformed++;
      return;
    }
    const ts = typeof rec.timestamp === 'string' ? Date.parse(rec.timestamp) : undefined;
    // new format: {timestamp, type, payload}; old format: the item itself (first line: {id, timestamp, instructions})
    const type = typeof rec.type === 'string' ? rec.type : undefined;
    const payload = (rec.payload && typeof rec.payload === 'object' ? rec.payload : rec) as Json;
    switch (type) {
      case 'session_meta': {
        const git = (payload.git ?? {}) as Json;
        w.row.cwd = w.row.project = str(payload.cwd) ?? w.row.cwd;
        w.row.branch = str(git.branch) ?? w.row.branch;
        if (typeof payload.model === 'string') model = payload.model;
        w.event({
          ts,
          role: 'meta',
          kind: 'meta',
          text: [str(payload.originator), str(payload.cli_version)].filter(Boolean).join(' ') || 'session',
        });
        return;
      }
      case 'turn_context':
        if (typeof payload.model === 'string') {
          model = payload.model;
          w.addModel(model);
        }
        if (!w.row.cwd && typeof payload.cwd === 'string') w.row.cwd = w.row.project = payload.cwd;
        return;
      case 'event_msg': {
        if (payload.type === 'token_count') {
          const info = (payload.info ?? {}) as Json;
          const last = info.last_token_usage as Json | undefined;
          const total = info.total_token_usage as Json | undefined;
          // count each turn once: skip repeats of the same running total
          if (last && ts !== undefined && JSON.stringify(total) !== JSON.stringify(lastTotal)) {
            lastTotal = total;
            const cached = num(last.cached_input_tokens);
            w.usage({
              ts,
              model,
              input: Math.max(0, num(last.input_tokens) - cached),
              output: num(last.output_tokens),
              cacheRead: cached,
              cacheCreation: 0,
            });
          }
        }
        return; // other event_msg lines repeat response items
      }
      case 'compacted':
        w.event({ ts, role: 'system', kind: 'compact', text: str(payload.message) });
        return;
      case 'response_item':
      case undefined:
        if (handleItem(payload, w, ts, model)) return;
        if (type === undefined && (rec.id || rec.instructions !== undefined)) return; // old header
        stats.unknown++;
        return;
      default:
        stats.unknown++;
    }
  });
  return stats;
}

function handleItem(
  item: Json,
  w: SessionWriter,
  ts: number | undefined,
  model: string | undefined,
): boolean {
  switch (item.type) {
    case 'message': {
      const role = item.role === 'assistant' ? 'assistant' : item.role === 'user' ? 'user' : 'system';
      const text = contentText(item.content);
      // injected context (environment, AGENTS.md instructions) is not something a person typed
      if (
        role === 'user' &&
        (text?.startsWith('<environment_context>') || text?.startsWith('<user_instructions>'))
      ) {
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
    case 'reasoning': {
      const summary = Array.isArray(item.summary)
        ? (item.summary as Json[])
            .map((s) => str(s.text))
            .filter(Boolean)
            .join('\n')
        : undefined;
      w.event({ ts, role: 'assistant', kind: 'thinking', thinking: summary || '[reasoning]', model });
      return true;
    }
    case 'function_call':
    case 'custom_tool_call':
    case 'local_shell_call': {
      const name = str(item.name) ?? (item.type === 'local_shell_call' ? 'shell' : 'unknown');
      let input: unknown = item.arguments ?? item.input ?? item.action;
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
    case 'custom_tool_call_output': {
      let output = item.output as unknown;
      let isError = false;
      if (typeof output === 'string') {
        try {
          const parsed = JSON.parse(output) as Json;
          if (parsed && typeof parsed === 'object' && 'output' in parsed) {
            const meta = (parsed.metadata ?? {}) as Json;
            isError = typeof meta.exit_code === 'number' && meta.exit_code !== 0;
            output = parsed.output;
          }
        } catch {
          // plain text output
        }
      }
      if (typeof output === 'string' && /^Exit code: [1-9]/m.test(output.slice(0, 200))) isError = true;
      w.event({
        ts,
        role: 'tool',
        kind: 'tool_result',
        toolUseId: str(item.call_id),
        text: typeof output === 'string' ? output : JSON.stringify(output),
        isError,
      });
      return true;
    }
    default:
      return false;
  }
}

function describeCodexCall(
  name: string,
  input: unknown,
): { files: FileTouch[]; commands: string[]; summary?: string } {
  const files: FileTouch[] = [];
  const commands: string[] = [];
  const obj = (input && typeof input === 'object' ? input : {}) as Json;
  let patch = typeof input === 'string' ? input : undefined;
  if (name === 'shell' || name === 'exec_command' || name === 'local_shell' || name === 'shell_command') {
    const cmd = obj.command ?? obj.cmd;
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
  const summary = commands[0] ?? files.map((f) => f.path).join(', ') ?? undefined;
  return { files, commands, summary: summary || undefined };
}

/** `["bash", "-lc", "npm test"]` -> `npm test`; other argv joined. */
function shellText(argv: string[]): string {
  if (argv.length === 3 && /(^|\/)(ba|z)?sh$/.test(argv[0] ?? '') && argv[1]?.startsWith('-'))
    return argv[2] ?? '';
  return argv.join(' ');
}

function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const parts = (content as Json[]).map((c) => str(c.text)).filter((t): t is string => !!t);
  return parts.length ? parts.join('\n') : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
