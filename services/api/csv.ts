// CSV for spreadsheets: RFC 4180 quoting, and cells that a spreadsheet would run as a formula are defused.

export type CsvValue = string | number | boolean | null | undefined;

function cell(value: CsvValue): string {
  let text = value === null || value === undefined ? '' : String(value);
  // =, +, -, @ (and tab/CR) at the start make Excel and LibreOffice evaluate the cell (CSV injection).
  if (/^[=+\-@\t\r]/.test(text) && typeof value !== 'number') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly CsvValue[]>): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
