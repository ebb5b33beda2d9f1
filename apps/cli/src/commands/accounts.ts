// habitat accounts: the credentials the fleet's Claude runs with, their usage windows, usage and pauses.
import { loadCoordinator, loadSettings } from '@habitat/config';
import type { AccountReport } from '@habitat/scheduler';
import type { Command } from 'commander';
import { coordinatorRoot } from '../cli.js';
import { accountJson } from '../json-data.js';
import { CliError, formatTime, printJson, printLine, printTable } from '../output.js';

/** Local with its offset, or UTC with --utc, like every other time the CLI prints. */
const when = (iso: string | null) => (iso ? formatTime(iso, { seconds: false }) : '-');

/** `five_hour 92% allowed_warning, resets 2026-12-01 14:00` */
export function describeWindows(account: AccountReport): string {
  if (account.windows.length === 0) return 'no limit reported yet';
  return account.windows
    .map(
      (w) =>
        `${w.window} ${w.utilization !== null ? `${Math.round(w.utilization * 100)}% ` : ''}${w.status ?? '?'}${w.resetsAt ? `, resets ${when(w.resetsAt)}` : ''}`,
    )
    .join('; ');
}

async function fetchAccounts(root: string): Promise<{ live: boolean; accounts: AccountReport[] }> {
  const { settings } = await loadSettings(root);
  const { connectDaemon, openStateReadOnly, Accounts, SchedulerError } = await import('@habitat/scheduler');
  try {
    const client = await connectDaemon(settings.stateDir, { timeoutMs: 1000 });
    try {
      return { live: true, accounts: await client.request<AccountReport[]>('accounts') };
    } finally {
      client.close();
    }
  } catch (error) {
    if (!(error instanceof SchedulerError && error.code === 'daemon-down')) throw error;
  }
  let reader: ReturnType<typeof openStateReadOnly>;
  try {
    reader = openStateReadOnly(settings.root, settings.stateDir, { emptyIfMissing: true });
  } catch (error) {
    throw new CliError((error as Error).message, 1, 'no-state');
  }
  try {
    const { agents } = await loadCoordinator(root);
    const book = new Accounts(reader.store.db);
    return {
      live: false,
      accounts: book.report(agents, settings.stateDir, Date.now(), reader.store.credentialPauses()),
    };
  } finally {
    reader.close();
  }
}

export function registerAccountsCommand(program: Command): void {
  program
    .command('accounts')
    .description('each Claude account (API key or login): its agents, usage windows, tokens and cost, pauses')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { live, accounts } = await fetchAccounts(coordinatorRoot(cmd));
      if (opts.json) return printJson(accounts.map(accountJson));
      if (!live) printLine('daemon: down (read-only view of the state)');
      if (accounts.length === 0) return printLine('no agent runs Claude with an account habitat can see');
      printTable(
        ['account', 'kind', 'agents', 'windows', '5h tokens', '5h cost', '7d cost', 'paused until'],
        accounts.map((a) => {
          const t = a.usage.fiveHour.tokens;
          return [
            a.label,
            a.kind,
            a.agents.join(', '),
            describeWindows(a),
            String(t.input + t.output + t.cacheRead + t.cacheCreation),
            `$${a.usage.fiveHour.costUsd.toFixed(2)}`,
            `$${a.usage.sevenDays.costUsd.toFixed(2)}`,
            when(a.pausedUntil),
          ];
        }),
      );
      const deferrals = accounts.flatMap((a) => a.deferrals);
      if (deferrals.length > 0) {
        printLine('');
        printLine('recent deferrals:');
        for (const d of deferrals)
          printLine(`  ${when(d.at)} ${d.agent} until ${when(d.until)}: ${d.reason}`);
      }
    });
}
