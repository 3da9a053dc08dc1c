// Shapes every resource shares: ids, the error body, pagination and time-window queries.
import { Type, type Static } from '@sinclair/typebox';

/** A row id as it appears in a URL (violation ids contain `/`: send them percent-encoded). */
export const Id = Type.String({ minLength: 1, maxLength: 512, pattern: '^[\\x21-\\x7e]+$', description: 'Row id (printable ASCII)' });

export const ErrorBody = Type.Object({
  error: Type.String({ description: 'Stable machine-readable code: unauthorized, forbidden, not_found, invalid, too_large…' }),
  message: Type.String({ description: 'What went wrong, for people' }),
  details: Type.Optional(Type.Unknown({ description: 'Structured detail, e.g. SOP errors with line and column' })),
  requestId: Type.Optional(Type.String()),
}, { $id: 'ErrorBody', description: 'Every error answer' });
export type ErrorBody = Static<typeof ErrorBody>;

export const errorResponses = {
  400: Type.Ref(ErrorBody),
  401: Type.Ref(ErrorBody),
  403: Type.Ref(ErrorBody),
  404: Type.Ref(ErrorBody),
};

export const Page = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'Most items returned (default 100)' })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000, description: 'Items skipped' })),
};

export const StoreFilter = {
  storeId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Only this store (default: every store the caller may see)' })),
};

export const IsoTime = Type.String({ format: 'date-time' });
export const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A day, YYYY-MM-DD' });

export const Ok = Type.Object({ ok: Type.Literal(true) });
