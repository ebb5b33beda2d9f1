/**
 * `habitat sessions stats|search ... --json` on an existing index, without commander or the rest of the CLI: the
 * flags these two commands take are read here, the index opened read-only, the JSON printed as `sessions.ts` prints
 * it (the contract's mappers, json-data.ts). Anything else (another flag, `--refresh`, no index yet, text output, an error) returns false and the full CLI
 * handles the command, so behaviour and messages stay those of `sessions.ts`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const VALUE_FLAGS = new Set([
  '--state-dir',
  '--claude-dir',
  '--codex-dir',
  '--cursor-dir',
  '--source',
  '--project',
  '--since',
  '--until',
  '--agent',
  '--tool',
  '--file',
  '--model',
  '--by',
  '--timezone',
  '--limit',
  '--sort',
]);
const BOOLEAN_FLAGS = new Set(['--json', '--errors', '--no-defaults']);
const SOURCES = ['claude', 'codex', 'cursor', 'habitat'];
const GROUPS = ['day', 'project', 'model', 'agent', 'source'];

/** Answer the command if it is one of the two this path knows; false to let the full CLI run it. */
export async function sessionsFast(argv: string[]): Promise<boolean> {
  if (process.env.HABITAT_SESSIONS_FAST === '0') return false;
  let args = argv;
  let dir: string | undefined;
  if (args[0] === '-C' || args[0] === '--dir') {
    dir = args[1];
    args = args.slice(2);
  }
  const command = args[1];
  if (args[0] !== 'sessions' || (command !== 'stats' && command !== 'search')) return false;
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const words: string[] = [];
  for (let i = 2; i < args.length; i++) {
    const a = args[i] as string;
    if (VALUE_FLAGS.has(a)) {
      const v = args[++i];
      if (v === undefined) return false;
      // repeatable source dirs only matter for indexing; keep the last of the others, as commander does
      values.set(a, v);
    } else if (BOOLEAN_FLAGS.has(a)) flags.add(a);
    else if (a.startsWith('-')) return false;
    else if (command === 'search') words.push(a);
    else return false;
  }
  if (!flags.has('--json')) return false;
  if (command === 'search' && words.length === 0) return false;
  const source = values.get('--source');
  if (source !== undefined && !SOURCES.includes(source)) return false;
  const by = values.get('--by') ?? 'day';
  if (!GROUPS.includes(by)) return false;
  const limit = values.get('--limit') ?? '20';
  if (!/^\d+$/.test(limit)) return false;
  const sort = values.get('--sort') ?? 'relevance';
  if (sort !== 'relevance' && sort !== 'recent') return false;
  try {
    const { sessionsRoot, userStateDir } = await import('../sessions-home.js');
    const root = sessionsRoot(dir);
    let stateDir = values.get('--state-dir');
    if (stateDir !== undefined) stateDir = resolve(stateDir);
    else if (root === undefined) stateDir = userStateDir();
    else {
      const { loadSettings } = await import('@habitat/config');
      stateDir = (await loadSettings(root)).settings.stateDir;
    }
    const dbPath = join(stateDir, 'sessions.db');
    if (!existsSync(dbPath)) return false; // the full command indexes first
    // `{ … } = await import('@habitat/sessions')` on its own: the bundle turns that form into an import of the one
    // module it names (query.ts); inside Promise.all it loaded the whole library (indexer, secretlint, chokidar)
    const { openSessionIndex } = await import('@habitat/sessions');
    const { searchJson, sessionStatsJson } = await import('../json-data.js');
    const index = openSessionIndex(dbPath);
    let out: unknown;
    try {
      const filter = {
        source: source as 'claude' | 'codex' | 'cursor' | 'habitat' | undefined,
        project: values.get('--project'),
        since: values.get('--since'),
        until: values.get('--until'),
        agent: values.get('--agent'),
        tool: values.get('--tool'),
        file: values.get('--file'),
        model: values.get('--model'),
        errors: flags.has('--errors') ? true : undefined,
      };
      out =
        command === 'stats'
          ? index
              .stats({ ...filter, by: by as 'day', timezone: values.get('--timezone') })
              .map(sessionStatsJson)
          : searchJson(
              index.search(words.join(' '), { ...filter, limit: Number(limit), highlight: ['«', '»'], sort }),
            );
    } finally {
      index.close();
    }
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return true;
  } catch {
    // the full CLI says what is wrong, with its exit code
    return false;
  }
}
