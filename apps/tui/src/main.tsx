// habitat-tui [--dir <coordinator>]: render the app; everything else lives in ui/, state/ and sources.ts.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadSettings } from '@habitat/config';
import { render } from 'ink';
import { startSources } from './sources.js';
import { configureTime } from './state/format.js';
import { App } from './ui/App.js';

declare const __HABITAT_TUI_VERSION__: string;

const USAGE = `habitat-tui [-C|--dir <dir>] [--utc] [-V|--version] [-h|--help]

The coordinator is the nearest directory at or above <dir> (default: the working directory) holding
habitat.yaml or agents/, or HABITAT_DIR.

Times are shown in the local time zone (the header names its offset), or in UTC with --utc, as habitat's.

Watch and steer a habitat fleet: live through the daemon's socket, read-only when it is down.
Press ? inside for the keys, q to quit.`;

/** Like git finding a repo: HABITAT_DIR, else walk up from <dir> to a habitat.yaml or agents/. */
function findCoordinator(dir: string | undefined): string | undefined {
  if (dir === undefined && process.env.HABITAT_DIR) return path.resolve(process.env.HABITAT_DIR);
  let at = path.resolve(dir ?? '.');
  for (;;) {
    if (existsSync(path.join(at, 'habitat.yaml')) || existsSync(path.join(at, 'agents'))) return at;
    const parent = path.dirname(at);
    if (parent === at) return undefined;
    at = parent;
  }
}

async function main(): Promise<number> {
  let values: { dir?: string; help?: boolean; version?: boolean; utc?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        dir: { type: 'string', short: 'C' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
        utc: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.version) {
    process.stdout.write(
      `${typeof __HABITAT_TUI_VERSION__ === 'string' ? __HABITAT_TUI_VERSION__ : 'unknown'}\n`,
    );
    return 0;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write('habitat-tui needs a terminal (for a script, use habitat status --json)\n');
    return 2;
  }
  const root = findCoordinator(values.dir);
  if (!root) {
    process.stderr.write(
      'habitat-tui: no coordinator here (no habitat.yaml or agents/ in this directory or above): run habitat init, or pass -C <dir>\n',
    );
    return 2;
  }
  configureTime({ utc: values.utc === true });
  const { settings } = await loadSettings(root);
  const app = render(
    <App
      start={(dispatch) =>
        startSources({
          root: settings.root,
          stateDir: settings.stateDir,
          knowledgeDir: settings.knowledgeDir,
          dispatch,
        })
      }
    />,
    {
      alternateScreen: true,
      interactive: true,
      maxFps: 20,
      incrementalRendering: true,
      exitOnCtrlC: true,
      patchConsole: false,
    },
  );
  await app.waitUntilExit();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`habitat-tui: ${error.message}\n`);
    process.exit(1);
  },
);
