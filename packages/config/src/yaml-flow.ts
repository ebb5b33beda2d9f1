// yaml reports an unclosed `[` or `{` where it gave up (often the next line, or the `}` of an outer mapping),
// with an indentation hint; the fix is at the bracket that was opened. Find it.

/** Where the innermost `[` (for a missing `]`) or `{` (for `}`) still open at `pos` was opened, if any. */
export function unclosedFlowOpener(text: string, pos: number, closer: ']' | '}'): number | undefined {
  const opener = closer === ']' ? '[' : '{';
  const stack: Array<{ ch: string; at: number }> = [];
  let quote: string | undefined;
  for (let i = 0; i < pos && i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (quote === '"' && ch === '\\') i++;
      else if (ch === quote) {
        if (quote === "'" && text[i + 1] === "'") i++;
        else quote = undefined;
      }
      continue;
    }
    if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
      continue;
    }
    // a quote starts a scalar only at its start (`it's` in a plain value is not one)
    if ((ch === '"' || ch === "'") && (i === 0 || /[\s[{,:]/.test(text[i - 1]!))) quote = ch;
    else if (ch === '[' || ch === '{') stack.push({ ch, at: i });
    else if ((ch === ']' || ch === '}') && stack.at(-1)?.ch === (ch === ']' ? '[' : '{')) stack.pop();
  }
  for (let j = stack.length - 1; j >= 0; j--) if (stack[j]!.ch === opener) return stack[j]!.at;
  return undefined;
}
