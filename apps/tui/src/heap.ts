// habitat-tui's V8 heap settings: a screen that stays open for hours under a busy log.
import { setFlagsFromString } from 'node:v8';

/**
 * Under the 5,000 lines/s firehose the TUI allocates a short-lived string and object per line. With V8's
 * defaults the young generation doubles up to 16-64 MiB and is never given back, and the old generation grows
 * up to 4x between collections: RSS rose 137 -> 273 MiB in a minute with bounded buffers (bench/firehose.ts).
 * The growth factors are read whenever the heap grows, so setting them here takes effect: the young
 * generation stays at its starting size and the old one grows by 10% between collections. Flags given in
 * execArgv or NODE_OPTIONS win; HABITAT_V8_DEFAULTS=1 keeps V8's defaults.
 */
export function applyHeapSettings(): void {
  const given = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  if (process.env.HABITAT_V8_DEFAULTS === '1' || /semi[-_]space|heap[-_]growing/.test(given)) return;
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=10');
}
