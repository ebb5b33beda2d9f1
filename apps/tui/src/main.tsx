// habitat-tui [--dir <coordinator>]: render the app; everything else lives in ui/, state/ and sources.ts.
import { parseArgs } from 'node:util';
import { loadSettings } from '@habitat/config';
import { render } from 'ink';
import { startSources } from './sources.js';
import { App } from './ui/App.js';

const USAGE = `habitat-tui [--dir <coordinator root>]

Watch and steer a habitat fleet: live through the daemon's socket, read-only when it is down.
Press ? inside for the keys, q to quit.`;

async function main(): Promise<number> {
  let values: { dir?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { dir: { type: 'string', short: 'C' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write('habitat-tui needs a terminal (for a script, use habitat status --json)\n');
    return 2;
  }
  const root = values.dir ?? process.cwd();
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
