/**
 * `habitat sessions list|search|stats` on an index that is ready, without commander or the rest of the CLI: the
 * flags these commands take are read here, the index is opened read-only (node:sqlite, read-only.ts in the
 * library) and the answer printed by the functions the full commands print with (sessions-read.ts), text or
 * `--json`. The build bundles this module with what it uses into one file (dist/fast/sessions.js, see
 * tsup.config.ts): each module loaded is start-up.
 *
 * Anything else returns false before anything is printed and the full CLI handles the command, so behaviour and
 * messages stay those of sessions.ts: another flag or `--flag=value`, `--help`, `--refresh`, a value commander
 * would refuse, source dirs it would warn about, a habitat.yaml with problems (the full CLI names them), no index
 * yet, an index the ordinary open would write to (migration, interrupted build, file mode), any error. HABITAT_SESSIONS_FAST=0 turns the path off.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { leadingGlobals } from './fast-args.js';

type Command = 'list' | 'search' | 'stats';

/** The value flags of each command (sessions.ts: sourceOptions, filterOptions and the command's own). */
const FILTER_VALUES = [
  '--source',
  '--project',
  '--since',
  '--until',
  '--agent',
  '--tool',
  '--file',
  '--model',
];
const VALUE_FLAGS: Record<Command, Set<string>> = {
  list: new Set(['--state-dir', '--claude-dir', ...FILTER_VALUES, '--format', '-n', '--limit']),
  search: new Set(['--state-dir', '--claude-dir', ...FILTER_VALUES, '-n', '--limit', '--sort']),
  stats: new Set(['--state-dir', '--claude-dir', ...FILTER_VALUES, '--format', '--by', '--timezone']),
};
const BOOLEAN_FLAGS = new Set(['--json', '--errors', '--no-defaults', '--utc']);
/** commander's choices for these flags; any other value is its usage error */
const CHOICES: Record<string, string[]> = {
  '--source': ['claude', 'codex', 'cursor', 'habitat'],
  '--by': ['day', 'project', 'model', 'agent', 'source'],
  '--sort': ['relevance', 'recent'],
  '--format': ['table', 'tsv'],
};
const DEFAULT_LIMIT: Record<Command, number> = { list: 50, search: 20, stats: 0 };

interface Parsed {
  command: Command;
  dir?: string;
  values: Map<string, string>;
  flags: Set<string>;
  words: string[];
}

/** The command line, when this path knows every part of it exactly as commander reads it. */
export function parseSessionsArgs(argv: string[]): Parsed | undefined {
  const globals = leadingGlobals(argv);
  if (!globals) return undefined;
  const { rest: args, dir } = globals;
  const flags = new Set<string>(globals.utc ? ['--utc'] : []);
  const command = args[1];
  if (args[0] !== 'sessions' || (command !== 'stats' && command !== 'search' && command !== 'list'))
    return undefined;
  const values = new Map<string, string>();
  const words: string[] = [];
  for (let i = 2; i < args.length; i++) {
    const a = args[i] as string;
    if (VALUE_FLAGS[command].has(a)) {
      const v = args[++i];
      if (v === undefined) return undefined;
      const choices = CHOICES[a];
      if (choices && !choices.includes(v)) return undefined;
      if (a === '--claude-dir') {
        // only for indexing, which this path never does; one without projects/ gets the full CLI's warning
        if (!existsSync(join(v, 'projects'))) return undefined;
        continue;
      }
      // the last one counts, as with commander
      values.set(a === '-n' ? '--limit' : a, v);
    } else if (BOOLEAN_FLAGS.has(a)) flags.add(a);
    else if (a.startsWith('-')) return undefined;
    else if (command === 'search') words.push(a);
    else return undefined;
  }
  if (command === 'search' && words.length === 0) return undefined;
  const limit = values.get('--limit');
  // intFlag(1): a whole number of at least 1
  if (
    limit !== undefined &&
    (!/^\d+$/.test(limit) || !Number.isSafeInteger(Number(limit)) || Number(limit) < 1)
  )
    return undefined;
  return { command, ...(dir !== undefined ? { dir } : {}), values, flags, words };
}

/** Answer the command if this path knows it; false to let the full CLI run it. */
export async function sessionsFast(argv: string[]): Promise<boolean> {
  if (process.env.HABITAT_SESSIONS_FAST === '0') return false;
  const parsed = parseSessionsArgs(argv);
  if (!parsed) return false;
  const { command, values, flags } = parsed;
  let index: import('@habitat/sessions').SessionIndex | undefined;
  try {
    const { sessionsRoot, userStateDir } = await import('../sessions-home.js');
    const root = sessionsRoot(parsed.dir);
    let stateDir = values.get('--state-dir');
    if (root !== undefined) {
      // read even with --state-dir: a habitat.yaml with problems goes to the full CLI, which names them
      const { loadSettings } = await import('@habitat/config');
      const loaded = await loadSettings(root);
      if (loaded.diagnostics.length > 0) return false;
      stateDir ??= loaded.settings.stateDir;
    }
    stateDir = stateDir !== undefined ? resolve(stateDir) : userStateDir();
    const { openSessionIndexIfReady } = await import('@habitat/sessions');
    index = openSessionIndexIfReady(join(stateDir, 'sessions.db'));
    if (!index) return false; // the full command indexes, migrates or narrows first
    const { configureOutput } = await import('../output.js');
    const read = await import('./sessions-read.js');
    configureOutput({ utc: flags.has('--utc'), format: values.get('--format') === 'tsv' ? 'tsv' : 'table' });
    const filter = {
      source: values.get('--source') as 'claude' | 'codex' | 'cursor' | 'habitat' | undefined,
      project: values.get('--project'),
      since: values.get('--since'),
      until: values.get('--until'),
      agent: values.get('--agent'),
      tool: values.get('--tool'),
      file: values.get('--file'),
      model: values.get('--model'),
      errors: flags.has('--errors') ? true : undefined,
    };
    const json = flags.has('--json');
    const limit = Number(values.get('--limit') ?? DEFAULT_LIMIT[command]);
    if (command === 'list') read.printSessionList(index, filter, { limit, json });
    else if (command === 'search')
      read.printSearch(index, parsed.words.join(' '), filter, {
        limit,
        sort: values.get('--sort') === 'recent' ? 'recent' : 'relevance',
        json,
      });
    else
      read.printStats(index, filter, {
        by: (values.get('--by') ?? 'day') as 'day',
        timezone: values.get('--timezone'),
        json,
      });
    return true;
  } catch {
    // the printers compute before they print: the full CLI says what is wrong, with its exit code
    return false;
  } finally {
    index?.close();
  }
}
