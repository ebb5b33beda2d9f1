// Reading a coordinator repo: habitat.yaml + agents/*.yaml -> settings, valid agents, diagnostics.

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { DEFAULTS } from './defaults.js';
import { diagnosticsFromIssues, positionOf } from './diagnostics.js';
import { agentNameOf, listAgentFiles, type Probe, SETTINGS_FILE } from './names.js';
import { readConfigFile } from './read-file.js';
import { mergeDefaults, resolveAgent, resolveNotify, resolvePath } from './resolve.js';
import { runUserOf } from './run-user.js';
import { type AgentDefaults, type AgentFile, agentFileSchema, settingsFileSchema } from './schema.js';
import type { AgentConfig, Coordinator, CoordinatorSettings, Diagnostic } from './types.js';
import { checkDocument, MAX_ALIAS_COUNT } from './yaml-checks.js';
import { unclosedFlowOpener } from './yaml-flow.js';

export { agentNameOf, SETTINGS_FILE };

const AGENT_NAME = /^[a-z0-9][a-z0-9_.-]*$/i;

/** Settings from `<root>/habitat.yaml` (optional) plus the `defaults:` it gives every agent. */
export interface LoadedSettings {
  settings: CoordinatorSettings;
  defaults?: AgentDefaults;
  diagnostics: Diagnostic[];
}

/** Parse YAML and validate it with `schema`; diagnostics carry file:line:column. */
function parseWith<T>(
  text: string,
  file: string,
  schema: z.ZodType<T>,
): { value?: T; doc: Document; lines: LineCounter; diagnostics: Diagnostic[] } {
  const lines = new LineCounter();
  // uniqueKeys: false because yaml's own check is quadratic; checkDocument does it in linear time.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const diagnostics = doc.errors.map((e): Diagnostic => {
      const unclosed = unclosedFlow(text, e.pos[0], e.message, lines);
      if (unclosed) return { ...unclosed, file };
      const pos = lines.linePos(e.pos[0]);
      return {
        code: 'yaml-syntax',
        severity: 'error',
        file,
        line: pos.line,
        column: pos.col,
        path: '',
        message: `YAML syntax error: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
        hint: yamlHint(e.code),
      };
    });
    return { doc, lines, diagnostics: diagnostics.slice(0, 1) };
  }
  const problems = checkDocument(doc, lines);
  if (problems.length > 0) {
    return { doc, lines, diagnostics: problems.map((d) => ({ ...d, severity: 'error', file })) };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (error) {
    return {
      doc,
      lines,
      diagnostics: [
        {
          code: 'yaml-syntax',
          severity: 'error',
          file,
          line: 1,
          column: 1,
          path: '',
          message: `YAML syntax error: ${(error as Error).message}`,
          hint: 'write repeated values out instead of using aliases',
        },
      ],
    };
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    return {
      doc,
      lines,
      diagnostics: diagnosticsFromIssues(result.error.issues, { file, doc, lines, schema }),
    };
  }
  return { value: result.data, doc, lines, diagnostics: [] };
}

/** A `[` or `{` never closed: named where it was opened, with the missing bracket as the fix. */
function unclosedFlow(
  text: string,
  pos: number,
  message: string,
  lines: LineCounter,
): Omit<Diagnostic, 'file'> | undefined {
  const closer = /^Flow (?:sequence|map)\b.*end with an? ([\]}])/.exec(message)?.[1] as ']' | '}' | undefined;
  if (!closer) return undefined;
  const at = unclosedFlowOpener(text, pos, closer);
  if (at === undefined) return undefined;
  const open = lines.linePos(at);
  const what = closer === ']' ? 'list' : 'mapping';
  const opener = closer === ']' ? '[' : '{';
  return {
    code: 'yaml-syntax',
    severity: 'error',
    line: open.line,
    column: open.col,
    path: '',
    message: `YAML syntax error: the ${what} opened with "${opener}" here is never closed (no "${closer}")`,
    hint: `add the missing "${closer}" at the end of the ${what} (${closer === ']' ? '[echo, hi]' : '{ A: "1", B: "2" }'}), on the line it starts`,
  };
}

function yamlHint(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'each key may appear once in a mapping: remove or rename one of them';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return 'check the indentation: nested keys use the same number of spaces, no tabs';
    case 'TAB_AS_INDENT':
      return 'YAML indents with spaces, not tabs';
    default:
      return 'check quotes, colons and indentation near this position; a value with ": " or "#" needs quotes';
  }
}

/** Read `habitat.yaml` (if any) and resolve the coordinator's directories. */
export async function loadSettings(
  root: string,
  options: { settingsText?: string } = {},
): Promise<LoadedSettings> {
  const absRoot = path.resolve(root);
  const file = path.join(absRoot, SETTINGS_FILE);
  // habitat.yaml is optional: embedded defaults apply when it is missing. `settingsText` stands in for
  // it (the daemon's last good copy while the file on disk is broken).
  const read =
    options.settingsText !== undefined
      ? { text: options.settingsText }
      : await readConfigFile(file, { optional: true });
  const parsed =
    'text' in read
      ? parseWith(read.text, file, settingsFileSchema)
      : 'diagnostic' in read
        ? { diagnostics: [read.diagnostic] }
        : undefined;
  const raw = (parsed && 'value' in parsed ? parsed.value : undefined) ?? {};
  const sessions = raw.sessions ?? {};
  const settings: CoordinatorSettings = {
    root: absRoot,
    stateDir: resolvePath(raw.stateDir ?? DEFAULTS.stateDir, absRoot),
    agentsDir: resolvePath(raw.agentsDir ?? DEFAULTS.agentsDir, absRoot),
    knowledgeDir: resolvePath(raw.knowledgeDir ?? DEFAULTS.knowledgeDir, absRoot),
    maxConcurrentRuns: raw.maxConcurrentRuns ?? DEFAULTS.maxConcurrentRuns,
    sessions: {
      claude: (sessions.claude ?? []).map((p) => resolvePath(p, absRoot)),
      cursor: (sessions.cursor ?? []).map((p) => resolvePath(p, absRoot)),
      codex: (sessions.codex ?? []).map((p) => resolvePath(p, absRoot)),
      defaults: sessions.defaults ?? true,
    },
    ...(raw.notify ? { notify: resolveNotify(raw.notify) } : {}),
    ...(raw.http ? { http: { listen: raw.http.listen, public: raw.http.public ?? false } } : {}),
    ...(raw.knowledge?.embeddings ? { knowledge: { embeddings: raw.knowledge.embeddings } } : {}),
  };
  return {
    settings,
    // Paths in habitat.yaml are relative to habitat.yaml: made absolute here, before they are merged into
    // agent files whose own paths are relative to themselves.
    ...(raw.defaults ? { defaults: absoluteDefaults(raw.defaults, absRoot) } : {}),
    diagnostics: parsed?.diagnostics ?? [],
  };
}

/** `defaults:` with its credential files resolved against the directory of habitat.yaml. */
function absoluteDefaults(defaults: AgentDefaults, root: string): AgentDefaults {
  if (!defaults.credentials) return defaults;
  return {
    ...defaults,
    credentials: defaults.credentials.map((c) =>
      c.from === undefined ? c : { ...c, from: resolvePath(c.from, root) },
    ),
  };
}

/**
 * Parse and check one agent file. Never throws for bad input: problems come back as diagnostics, and
 * `agent` is set only when there is no error.
 */
export function parseAgent(
  text: string,
  file: string,
  options: { settings: CoordinatorSettings; defaults?: AgentDefaults; probes?: Probe[] },
): { agent?: AgentConfig; diagnostics: Diagnostic[] } {
  const name = agentNameOf(file);
  if (text.trim() === '') {
    return {
      diagnostics: [
        {
          code: 'missing-key',
          severity: 'error',
          file,
          line: 1,
          column: 1,
          path: '',
          message: 'the file is empty: an agent needs at least `run`',
          hint: 'e.g. run: { command: ["echo", "hello"] } and schedule: { every: 1h }',
        },
      ],
    };
  }
  const parsed = parseWith(text, file, agentFileSchema);
  if (!parsed.value) return { diagnostics: parsed.diagnostics };
  const at = (keyPath: (string | number)[], keyOf = false) =>
    positionOf(parsed.doc, parsed.lines, keyPath, keyOf);
  const diagnostics: Diagnostic[] = [];
  if (!AGENT_NAME.test(name)) {
    diagnostics.push({
      code: 'invalid-value',
      severity: 'error',
      file,
      line: 0,
      column: 0,
      path: '',
      message: `"${name}" is not a usable agent name (it comes from the file name)`,
      hint: 'rename the file to letters, digits, "-", "_" or "." (e.g. agents/twitter-feed.yaml)',
    });
  }
  const merged = mergeDefaults(options.defaults, parsed.value);
  const agent = resolveAgent(name, file, merged, options.settings);
  diagnostics.push(...checkAgent(agent, parsed.value, file, at, probing(options.probes)));
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { agent, diagnostics };
}

/** What the schema cannot know: files on disk, credential sources, sane intervals. */
function checkAgent(
  agent: AgentConfig,
  own: AgentFile,
  file: string,
  at: (keyPath: (string | number)[], keyOf?: boolean) => { line: number; column: number },
  { isDir, existsSync, envSet, ownerOf }: ReturnType<typeof probing>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const push = (d: Omit<Diagnostic, 'file' | 'severity' | 'line' | 'column'>, keyPath: (string | number)[]) =>
    out.push({ severity: 'error', file, ...at(keyPath), ...d });
  if (agent.repo.kind === 'path' && !isDir(agent.repo.path)) {
    push(
      {
        code: 'missing-file',
        path: 'repo',
        message: `the habitat repo ${agent.repo.path} does not exist (a relative repo is resolved against the agent file's directory, ${path.dirname(file)})`,
        hint: 'repo is a path relative to this file; create it with `habitat new agent <name>`',
      },
      ['repo'],
    );
  } else if (agent.repo.kind === 'path') {
    const { run } = agent;
    const rel = run.kind === 'claude' ? run.prompt : run.kind === 'script' ? run.script : undefined;
    if (rel !== undefined && !existsSync(path.resolve(agent.repo.path, rel))) {
      const what = run.kind === 'claude' ? 'prompt' : 'script';
      const keyPath =
        run.kind === 'claude'
          ? typeof own.run.claude === 'string'
            ? ['run', 'claude']
            : ['run', 'claude', 'prompt']
          : typeof own.run.script === 'string'
            ? ['run', 'script']
            : ['run', 'script', 'path'];
      push(
        {
          code: 'missing-file',
          path: keyPath.join('.'),
          message: `${what} file "${rel}" does not exist in ${agent.repo.path}`,
          hint: `${what} paths are relative to the habitat repo; create the file or fix the path`,
        },
        keyPath,
      );
    }
  }
  agent.credentials.forEach((c, i) => {
    const index = (own.credentials ?? []).findIndex((o) => o.name === c.name);
    const keyPath =
      index >= 0 ? ['credentials', index, c.source.kind === 'file' ? 'from' : 'env'] : ['credentials'];
    if (c.source.kind === 'file' && !existsSync(c.source.path)) {
      push(
        {
          code: 'missing-credential',
          path: index >= 0 ? `credentials[${index}].from` : `credentials (from habitat.yaml defaults, #${i})`,
          message: `credential "${c.name}": ${c.source.path} does not exist${index >= 0 ? ` (a relative \`from\` is resolved against the agent file's directory, ${path.dirname(file)})` : " (from habitat.yaml's defaults: relative to habitat.yaml's directory)"}`,
          hint: 'create the file (chmod 600, never committed) or point `from` at it',
        },
        keyPath,
      );
    } else if (c.source.kind === 'env' && !envSet(c.source.variable)) {
      push(
        {
          code: 'missing-credential',
          path: index >= 0 ? `credentials[${index}].env` : `credentials (from habitat.yaml defaults, #${i})`,
          message: `credential "${c.name}": environment variable ${c.source.variable} is not set`,
          hint: `export ${c.source.variable} in the coordinator's environment, or use \`from: <file>\``,
        },
        keyPath,
      );
    }
  });
  if (agent.schedule.kind === 'every' && agent.schedule.everyMs < 1000) {
    push(
      {
        code: 'invalid-duration',
        path: 'schedule.every',
        message: 'every must be at least 1s',
        hint: 'e.g. every: 30s, every: 6h',
      },
      ['schedule', 'every'],
    );
  }
  // A container gets the habitat repo, never the coordinator's files: a container agent whose repo holds its own
  // agent file (no repo: key means the coordinator itself) is refused at every run (runner start-run.ts). Said
  // here with the fix; a warning, so the agent still loads (and `habitat run` names the same refusal).
  if (agent.isolation.backend !== 'local' && agent.repo.kind === 'path') {
    const rel = path.relative(path.resolve(agent.repo.path), path.resolve(file));
    if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel))
      out.push({
        severity: 'warning',
        file,
        ...at(own.repo === undefined ? [] : ['repo']),
        code: 'invalid-value',
        path: 'repo',
        message: `this ${agent.isolation.backend} agent's repo ${agent.repo.path} holds the coordinator (this agent file is in it); a container never gets the coordinator's files, so every run would be refused`,
        hint: `give the agent its own habitat repo, e.g. repo: ../habitats/${agent.name} (\`habitat new agent ${agent.name}\` makes one)`,
      });
  }
  // Claude Code exits at once under --dangerously-skip-permissions as root (unless IS_SANDBOX=1 says the
  // machine is a throwaway sandbox): refuse such an agent here, with the fix, instead of at its first run.
  const claudeRun = agent.run.kind === 'claude' ? agent.run : undefined;
  const runUser = claudeRun?.skipPermissions && agent.env.IS_SANDBOX !== '1' ? runUserOf(agent) : undefined;
  if (runUser?.source === 'repo owner' && agent.repo.kind === 'path') ownerOf(agent.repo.path);
  if (runUser && (runUser.uid === 0 || /^(root|0)(:|$)/.test(runUser.user))) {
    const why =
      runUser.source === 'isolation.user'
        ? `isolation.user is ${runUser.user}`
        : runUser.source === 'repo owner'
          ? `the habitat repo ${agent.repo.path} is owned by root, and a container runs as the repo's owner by default`
          : 'the coordinator runs as root, and a local agent runs as the coordinator by default';
    push(
      {
        code: 'invalid-value',
        path: 'isolation.user',
        message: `this claude agent would run as root (${why}); Claude Code refuses --dangerously-skip-permissions as root`,
        hint:
          runUser.source === 'repo owner'
            ? 'run claude agents as a non-root user: set isolation.user, e.g. user: "1000:1000" (or chown the repo)'
            : 'run claude agents as a non-root user: set isolation.user to a user name or uid:gid, e.g. isolation: { user: agent } (it needs to be able to write the habitat repo)',
      },
      agent.isolation.user ? ['isolation', 'user'] : [],
    );
  }
  return out;
}

/** The checks `checkAgent` makes outside the file, each answer noted in `probes` (for the snapshot). */
function probing(probes: Probe[] = []) {
  const note = <T extends Probe>(probe: T): T['value'] => {
    probes.push(probe);
    return probe.value;
  };
  return {
    isDir: (p: string) => note({ kind: 'dir', path: p, value: isDir(p) }),
    existsSync: (p: string) => note({ kind: 'exists', path: p, value: existsSync(p) }),
    envSet: (name: string) => note({ kind: 'env', name, value: process.env[name] !== undefined }),
    ownerOf: (p: string) => note({ kind: 'owner', path: p, value: ownerUid(p) }),
  };
}

/** The uid that owns a path, -1 when there is none. */
function ownerUid(p: string): number {
  try {
    return statSync(p).uid;
  } catch {
    return -1;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Load a coordinator repo: every valid agent, and a diagnostic for each problem. One broken file
 * never hides the others.
 */
export async function loadCoordinator(
  root: string,
  options: { probes?: Probe[]; settingsText?: string } = {},
): Promise<Coordinator> {
  const { settings, defaults, diagnostics } = await loadSettings(
    root,
    options.settingsText !== undefined ? { settingsText: options.settingsText } : {},
  );
  const entries = await listAgentFiles(settings.agentsDir);
  const agents: AgentConfig[] = [];
  const seen = new Map<string, string>();
  const texts = await Promise.all(entries.map((e) => readConfigFile(path.join(settings.agentsDir, e))));
  entries.forEach((entry, i) => {
    const file = path.join(settings.agentsDir, entry);
    const name = agentNameOf(file);
    const first = seen.get(name);
    if (first) {
      diagnostics.push({
        code: 'duplicate-agent',
        severity: 'error',
        file,
        line: 0,
        column: 0,
        path: '',
        message: `agent "${name}" is already defined by ${path.basename(first)}`,
        hint: 'agent names come from file names: keep one of the two files',
      });
      return;
    }
    seen.set(name, file);
    const read = texts[i]!;
    if (!('text' in read)) {
      if ('diagnostic' in read) diagnostics.push(read.diagnostic);
      return;
    }
    const result = parseAgent(read.text, file, {
      settings,
      ...(defaults ? { defaults } : {}),
      ...(options.probes ? { probes: options.probes } : {}),
    });
    diagnostics.push(...result.diagnostics);
    if (result.agent) agents.push(result.agent);
  });
  return { settings, agents, diagnostics };
}
