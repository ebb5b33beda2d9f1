// habitat-tui's entry. React picks its build when first loaded: the production one, unless told otherwise
// (the development build costs the TUI about twice the CPU under a busy log). Then main.tsx renders.
process.env.NODE_ENV ??= 'production';
await import('./main.js');

export {};
