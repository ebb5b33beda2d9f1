/** Go RE2 -> JavaScript: a leading `(?i)` is the `i` flag, a later one applies to the rest of its group. */
export function toJs(go: string): { source: string; flags: string } {
  let src = go.replace(/\\z/g, '$').replace(/\(\?P</g, '(?<');
  let flags = '';
  if (src.startsWith('(?i)')) {
    flags = 'i';
    src = src.slice(4);
  }
  for (;;) {
    const at = src.indexOf('(?i)');
    if (at < 0) break;
    // the end of the group holding it
    let depth = 0;
    let end = src.length;
    for (let i = at + 4; i < src.length; i++) {
      const c = src[i];
      if (c === '\\') {
        i++;
        continue;
      }
      if (c === '[') {
        while (i < src.length && src[i] !== ']') i += src[i] === '\\' ? 2 : 1;
        continue;
      }
      if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) {
          end = i;
          break;
        }
        depth--;
      } else if (c === '|' && depth === 0) {
        end = i;
        break;
      }
    }
    src = `${src.slice(0, at)}(?i:${src.slice(at + 4, end)})${src.slice(end)}`;
  }
  return { source: src, flags };
}
