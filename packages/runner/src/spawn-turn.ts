// One process spawn per turn of the event loop. `spawn()` and `execFile()` fork the whole process synchronously
// (the fork copies its page tables: ~2-20 ms for a 100+ MB daemon under load), and several runs starting at once
// (a slot frees, a burst of fires) used to fork back to back in one stretch of the loop, 2-4 forks long, with the
// daemon's fire timer waiting behind them (scheduler bench/README.md, daemon-load.ts). Each turn here waits for
// a timer of its own, queued after the previous turn's: a timer due in between — the next fire — runs between
// two forks instead of after all of them.
let last: Promise<void> = Promise.resolve();

/** Resolves when it is this caller's turn to fork; `HABITAT_SPAWN_TURNS=0` turns the pacing off. */
export function spawnTurn(): Promise<void> {
  if (process.env.HABITAT_SPAWN_TURNS === '0') return Promise.resolve();
  const turn = last.then(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
  last = turn;
  return turn;
}
