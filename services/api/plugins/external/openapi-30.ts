// The routes' schemas are JSON Schema (TypeBox, draft 2019+); the published document is OpenAPI 3.0.3, whose Schema
// Object is an older dialect. This maps every schema of the document to it, so that strict validators and client
// generators accept the document. Request validation is untouched: it runs on the routes' own schemas.
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const mapValues = (v: unknown, f: (x: unknown) => unknown): unknown =>
  isObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, f(x)])) : v;

/** Several schemas as one: itself when they are all the same, else `anyOf`. */
function oneOfMany(schemas: unknown[]): unknown {
  const distinct = [...new Map(schemas.map((s) => [JSON.stringify(s), s])).values()];
  return distinct.length === 1 ? distinct[0] : { anyOf: distinct };
}

/** JSON Schema's numeric `exclusiveMinimum: n` is 3.0's `minimum: n, exclusiveMinimum: true` (the stricter bound wins). */
function exclusiveBound(out: Json, exclusive: 'exclusiveMinimum' | 'exclusiveMaximum', inclusive: 'minimum' | 'maximum'): void {
  const n = out[exclusive];
  if (typeof n !== 'number') return;
  const bound = out[inclusive];
  const inclusiveIsStricter = typeof bound === 'number' && (inclusive === 'minimum' ? bound > n : bound < n);
  if (inclusiveIsStricter) {
    delete out[exclusive];
  } else {
    out[inclusive] = n;
    out[exclusive] = true;
  }
}

/** `type: ['string', 'null']` is `type: string, nullable: true`; `type: 'null'` alone is a nullable `null` enum. */
function typeKeyword(out: Json): void {
  const type = out.type;
  const types = Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : typeof type === 'string' ? [type] : [];
  if (!types.includes('null')) return;
  const rest = types.filter((t) => t !== 'null');
  out.nullable = true;
  if (rest.length === 0) {
    delete out.type;
    out.enum = [null];
  } else if (rest.length === 1) {
    out.type = rest[0];
  } else {
    delete out.type;
    out.anyOf = rest.map((t) => ({ type: t }));
  }
}

/** One JSON Schema (a subschema of the document) in the OpenAPI 3.0 dialect. */
export function schemaToOpenApi30(schema: unknown): unknown {
  if (!isObject(schema)) return schema;
  const out: Json = {};
  const patterns: unknown[] = [];
  for (const [key, value] of Object.entries(schema)) {
    switch (key) {
      case 'properties':
        out[key] = mapValues(value, schemaToOpenApi30);
        break;
      case 'additionalProperties':
      case 'not':
        out[key] = schemaToOpenApi30(value);
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        out[key] = Array.isArray(value) ? value.map(schemaToOpenApi30) : value;
        break;
      case 'items':
      case 'prefixItems':
        // Tuples: 3.0 has no positional items; each item is one of the positions' schemas, minItems/maxItems keep the length.
        out.items = Array.isArray(value) ? oneOfMany(value.map(schemaToOpenApi30)) : schemaToOpenApi30(value);
        break;
      case 'patternProperties':
        // 3.0 has no key patterns: the values' schema becomes additionalProperties (the server still checks the keys).
        if (isObject(value)) patterns.push(...Object.values(value).map(schemaToOpenApi30));
        break;
      case 'const':
        out.enum = [value];
        break;
      case 'examples':
        if (Array.isArray(value) && value.length > 0 && !('example' in schema)) out.example = value[0];
        break;
      case 'additionalItems':
      case '$schema':
      case '$id':
      case '$comment':
      case '$defs':
      case 'definitions':
        break;
      default:
        out[key] = value;
    }
  }
  if (patterns.length > 0 && (out.additionalProperties === undefined || out.additionalProperties === false)) {
    out.additionalProperties = oneOfMany(patterns);
  }
  exclusiveBound(out, 'exclusiveMinimum', 'minimum');
  exclusiveBound(out, 'exclusiveMaximum', 'maximum');
  typeKeyword(out);
  return out;
}

/** Every `schema` of the document (parameters, bodies, responses, headers) and every component schema, mapped. */
export function toOpenApi30<T>(doc: T): T {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!isObject(node)) return node;
    const out: Json = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === 'schema') out[key] = schemaToOpenApi30(value);
      else if (key === 'example' || key === 'examples') out[key] = value;
      else out[key] = walk(value);
    }
    return out;
  };
  const out = walk(doc) as Json;
  const components = (doc as Json).components;
  if (isObject(components) && isObject(components.schemas) && isObject(out.components)) {
    out.components.schemas = mapValues(components.schemas, schemaToOpenApi30);
  }
  return out as T;
}
