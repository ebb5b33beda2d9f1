// habitat-tui's entry. React picks its build when first loaded: the production one, unless told otherwise
// (the development build costs the TUI about twice the CPU under a busy log). Then main.tsx renders.
declare const __HABITAT_TUI_VERSION__: string;

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '-V' || args[0] === '--version')) {
  // Answered before React and Ink load (tsup writes the version in at build time).
  process.stdout.write(
    `${typeof __HABITAT_TUI_VERSION__ === 'string' ? __HABITAT_TUI_VERSION__ : 'unknown'}\n`,
  );
} else {
  process.env.NODE_ENV ??= 'production';
  (await import('./heap.js')).applyHeapSettings();
  await import('./main.js');
}

export {};
