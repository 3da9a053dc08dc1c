// Shared by the SOP tests: where a piece of text sits, as the `line:column` an error must report.

/** `line:column` (from 1) of the `nth` occurrence of `needle` in `text`, moved right by `shift` characters. */
export function pos(text: string, needle: string, nth = 0, shift = 0): string {
  let offset = -1;
  for (let i = 0; i <= nth; i++) {
    offset = text.indexOf(needle, offset + 1);
    if (offset < 0) throw new Error(`test setup: "${needle}" #${nth} not in text`);
  }
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${(before[before.length - 1] ?? '').length + 1 + shift}`;
}
