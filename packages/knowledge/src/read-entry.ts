// Reading one learning file for the index: its stat from the open file (one path lookup), its text, and its
// row when it is in habitat's own format. The same in a reader thread (learning-reader.ts) and on the database
// thread.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { readCanonical } from './front-matter.js';
import { changeStamp, type LearningRow, rowOf } from './learning-row.js';

/** A file as it was read. */
export type ReadEntry =
  | { file: string; gone: true }
  | {
      file: string;
      gone?: undefined;
      mtime: number;
      size: number;
      /** the learnings row, when the file is in habitat's own format */
      row?: LearningRow;
      /** the text of a file in another format (the YAML parser reads it, on the database thread) */
      text?: string;
      /** why it could not be read */
      error?: string;
    };

export function readEntry(file: string, stems: boolean): ReadEntry {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return { file, gone: true }; // removed meanwhile
  }
  try {
    const info = fstatSync(fd);
    const entry: ReadEntry = { file, mtime: changeStamp(info), size: info.size };
    try {
      const text = readFileSync(fd, 'utf8');
      const learning = readCanonical(text, file);
      if (learning) entry.row = rowOf(learning, stems);
      else entry.text = text;
    } catch (error) {
      entry.error = (error as Error).message;
    }
    return entry;
  } finally {
    closeSync(fd);
  }
}
