// Turns one rule's `shadow:` on or off inside an SOP file's YAML text; every other line stays as written. Pure.

export type RuleEdit = { ok: true; yaml: string } | { ok: false; reason: string };

const ITEM = /^(\s*)-(\s+|$)/;
/** `key: value` of a rule item: on its own line at the item's key indent, or right after the item's dash. */
const keyAt = (line: string, itemIndent: number, key: string): RegExpExecArray | null =>
  new RegExp(`^(\\s{${itemIndent + 2}}|\\s{${itemIndent}}-\\s+)${key}\\s*:\\s*([^#]*?)\\s*(#.*)?$`).exec(line);

/** Sets `shadow: <on>` on the rule whose `id:` is `ruleId` (block-style rule items, as every library file writes them). */
export function setRuleShadow(yaml: string, ruleId: string, on: boolean): RuleEdit {
  const lines = yaml.split('\n');
  const bare = lines.map((l) => l.replace(/\r$/, ''));
  const isEmpty = (l: string): boolean => l.trim() === '' || l.trim().startsWith('#');
  const indentOf = (l: string): number => l.length - l.trimStart().length;
  const rulesAt = bare.findIndex((l) => /^rules\s*:\s*(#.*)?$/.test(l));
  if (rulesAt < 0) return { ok: false, reason: 'the file has no block rules: section' };
  let itemIndent: number | undefined;
  let end = bare.length;
  for (let i = rulesAt + 1; i < bare.length; i++) {
    const l = bare[i] as string;
    if (isEmpty(l)) continue;
    const m = ITEM.exec(l);
    itemIndent ??= m ? (m[1] ?? '').length : -1;
    if (indentOf(l) < (itemIndent < 0 ? 1 : itemIndent) || (indentOf(l) === itemIndent && !m)) {
      end = i;
      break;
    }
  }
  if (itemIndent === undefined || itemIndent < 0) return { ok: false, reason: 'rules: is not a list of rule blocks' };
  // Item boundaries: lines starting with "-" at the item indent.
  const starts: number[] = [];
  for (let i = rulesAt + 1; i < end; i++) {
    const l = bare[i] as string;
    if (!isEmpty(l) && indentOf(l) === itemIndent && ITEM.test(l)) starts.push(i);
  }
  const keyIndent = itemIndent + 2;
  for (const [n, start] of starts.entries()) {
    const stop = starts[n + 1] ?? end;
    const idLine = bare.slice(start, stop).findIndex((l) => {
      const m = keyAt(l, itemIndent, 'id');
      return m !== null && (m[2] ?? '').replace(/^["']|["']$/g, '') === ruleId;
    });
    if (idLine < 0) continue;
    const eol = (lines[start] ?? '').endsWith('\r') ? '\r' : '';
    const existing = bare.slice(start, stop).findIndex((l) => keyAt(l, itemIndent, 'shadow') !== null);
    if (existing >= 0) {
      const at = start + existing;
      const m = keyAt(bare[at] as string, itemIndent, 'shadow') as RegExpExecArray;
      lines[at] = `${m[1] ?? ''}shadow: ${on}${m[3] !== undefined ? ` ${m[3]}` : ''}${eol}`;
    } else {
      lines.splice(start + idLine + 1, 0, `${' '.repeat(keyIndent)}shadow: ${on}${eol}`);
    }
    return { ok: true, yaml: lines.join('\n') };
  }
  return { ok: false, reason: `no rule with id "${ruleId}" written as a block` };
}
