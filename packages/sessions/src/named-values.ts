/**
 * Values named by a sibling attribute rather than a key before them: `<add key="ClearTextPassword" value="…" />`
 * (NuGet, .NET appSettings), `<property name="db.password" value="…"/>` (Spring, Maven, Ant),
 * `<input name="api_key" value="…">`. gitleaks' `nuget-config-password` rule reads the first; the shape is the same
 * in every XML/HTML dialect. A pair whose name says the value is not a credential (`authenticity_token`, `csrf`, an
 * id) marks the value as such, so the shape rules leave it readable too.
 */

interface Span {
  start: number;
  end: number;
  kind: string;
}

const PAIR =
  /\b(?:key|name|property)[ \t]*=[ \t]*(["'])([^"'\n<>]{1,64})\1[^<>\n]{0,80}?\bvalue[ \t]*=[ \t]*(["'])([^"'\n]*)\3/gi;

/** `%NAME%` (a Windows environment variable), `$NAME`, `${…}`, `{{…}}`: where a value comes from, not a value. */
const REFERENCE = /^(?:%[A-Za-z_][\w.]*%|\$\{?[A-Za-z_][\w.]*\}?|\{\{.*\}\}|\$\{\{.*\}\})$/;

/**
 * Spans of attribute-named secrets in `text` (gated by the caller on `value=`); `keep` receives the ranges of
 * values named as non-secrets.
 */
export function collectAttributePairs(
  text: string,
  spans: Span[],
  keep: Span[],
  names: { secret: (name: string) => boolean; notSecret: (name: string) => boolean },
): void {
  for (const m of text.matchAll(PAIR)) {
    const name = m[2] as string;
    const value = m[4] as string;
    const end = m.index + m[0].length - 1;
    const start = end - value.length;
    if (names.notSecret(name)) keep.push({ start, end, kind: 'keep' });
    else if (names.secret(name) && value.length >= 4 && !REFERENCE.test(value))
      spans.push({ start, end, kind: 'env' });
  }
}
