// `habitat up` must stop gracefully on SIGTERM/SIGINT at any moment, including while it is still loading
// its modules and starting the daemon: the entry point holds the first of these signals from its first
// line, and the daemon command takes it over once it can stop the daemon. A second signal, as before, is
// not held (the default action: it ends the process at once).

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type StopSignal = (typeof SIGNALS)[number];

let received: StopSignal | undefined;
let listener: ((signal: StopSignal) => void) | undefined;
let held = false;

function onSignal(signal: StopSignal): void {
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  if (listener) listener(signal);
  else received ??= signal;
}

/** From now on the first SIGTERM/SIGINT is kept for `onStopSignal` instead of ending the process. */
export function holdStopSignals(): void {
  if (held) return;
  held = true;
  for (const s of SIGNALS) process.on(s, onSignal);
}

/** Hold them when the command is `habitat up`. */
export function holdStopSignalsFor(argv: string[]): void {
  if (commandOf(argv) === 'up') holdStopSignals();
}

/** Call `stop` on the first SIGTERM/SIGINT, at once if one arrived while it was held. */
export function onStopSignal(stop: (signal: StopSignal) => void): void {
  holdStopSignals();
  listener = stop;
  if (received) stop(received);
}

/** The first argument that is not an option (or an option's value): the command being run, if any. */
export function commandOf(argv: string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-C' || arg === '--dir') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}
