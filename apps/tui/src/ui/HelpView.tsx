import { Box, Text } from 'ink';
import { fit } from '../state/format.js';
import { KEY_HELP } from '../state/keys.js';

/** Every key, by view. Two columns when the terminal is wide enough. */
export function HelpView({ width, height }: { width: number; height: number }) {
  const lines: { text: string; bold: boolean }[] = [];
  for (const group of KEY_HELP) {
    lines.push({ text: group.view.toUpperCase(), bold: true });
    for (const [k, what] of group.keys) lines.push({ text: `  ${k.padEnd(18)} ${what}`, bold: false });
  }
  const columns = lines.length > height - 1 && width >= 100 ? 2 : 1;
  const per = Math.ceil(lines.length / columns);
  const colWidth = Math.floor(width / columns) - 1;
  return (
    <Box flexDirection="column" height={height}>
      <Text bold>Keys (? or esc closes)</Text>
      <Box flexDirection="row">
        {Array.from({ length: columns }, (_, c) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are screen positions
          <Box key={c} flexDirection="column" width={colWidth} marginRight={1}>
            {lines
              .slice(c * per, c * per + per)
              .slice(0, height - 1)
              .map((l, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: rows are screen positions
                <Text key={i} bold={l.bold} wrap="truncate">
                  {fit(l.text, colWidth)}
                </Text>
              ))}
          </Box>
        ))}
      </Box>
    </Box>
  );
}
