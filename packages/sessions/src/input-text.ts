// A tool call's input as people read it. It is stored as JSON (`{"command":"ls\ncat x"}`), and a snippet cut
// from that text showed JSON's escapes (`\n`, `\"`) and quoting; this is the same content with its strings as
// they are: `command: ls` + a real newline + `cat x` (a snippet then folds the newline into a space).

/** `key: value` per field (strings as they are, anything else as JSON), one field per line; not JSON: as given. */
export function inputText(json: string): string {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return json;
  }
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return JSON.stringify(value);
  return Object.entries(value)
    .map(([key, v]) => `${key}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');
}
