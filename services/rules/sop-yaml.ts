// Reads SOP YAML keeping positions, so that every problem found later can point at its line and column.
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';

/** A key path into the parsed data: map keys and sequence indexes. */
export type DataPath = ReadonlyArray<string | number>;

/** A problem before it is placed: `at: 'key'` points at the map key itself (unknown key, duplicate id). */
export interface Problem {
  path: DataPath;
  message: string;
  at?: 'key' | 'value';
}

export interface Position {
  line: number;
  column: number;
}

export interface YamlSource {
  data: unknown;
  /** Syntax errors, already placed; when there are any, `data` is not worth checking further. */
  syntaxErrors: Array<Position & { message: string }>;
  locate(path: DataPath, at?: 'key' | 'value'): Position;
}

const START: Position = { line: 1, column: 1 };

export function readYaml(text: string): YamlSource {
  const lines = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  } catch (err) {
    // The parser reports problems as values; this only guards against a bug in it.
    return { data: undefined, syntaxErrors: [{ ...START, message: `cannot parse YAML: ${String(err)}` }], locate: () => START };
  }
  const at = (offset: number): Position => {
    const p = lines.linePos(Math.max(0, Math.min(offset, text.length)));
    return { line: Math.max(1, p.line), column: Math.max(1, p.col) };
  };
  const locate = (path: DataPath, where: 'key' | 'value' = 'value'): Position => {
    const offset = offsetOf(doc, path, where);
    return offset === undefined ? START : at(offset);
  };
  const syntaxErrors = doc.errors.map((e) => ({ ...at(e.pos[0]), message: `YAML syntax: ${firstLine(e.message)}` }));
  if (syntaxErrors.length > 0) return { data: undefined, syntaxErrors, locate };
  try {
    return { data: doc.toJS({ maxAliasCount: 100 }), syntaxErrors, locate };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { data: undefined, syntaxErrors: [{ ...START, message: `YAML: ${firstLine(message)}` }], locate };
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}

/** Walks the node tree along `path`; stops at the deepest node that exists. */
function offsetOf(doc: Document.Parsed, path: DataPath, where: 'key' | 'value'): number | undefined {
  let node: unknown = doc.contents;
  let best = rangeStart(node);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isAlias(node)) node = node.resolve(doc);
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
      if (!pair) return best;
      const keyStart = rangeStart(pair.key);
      if (last && where === 'key') return keyStart ?? best;
      // An empty value (`when:`) has no place of its own; its key is the better pointer.
      const value = pair.value;
      const empty = value === null || (isScalar(value) && value.value === null && (value.source === '' || value.source === undefined));
      node = value;
      best = (empty ? keyStart : rangeStart(value)) ?? keyStart ?? best;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) return best;
      node = item;
      best = rangeStart(item) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const range = (node as Node).range;
  return Array.isArray(range) ? range[0] : undefined;
}
