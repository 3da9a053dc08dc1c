// Errors of the privacy tools (export, deletion on request), under the project's base classes.
import { SopwatchError, UsageError } from '../core/errors.ts';

/** The store still has clips under analysis: deleting now would let the analysis write evidence after the deletion. */
export class StoreBusyError extends SopwatchError {}

/** The export target already exists: an export never overwrites or merges into a folder. */
export class ExportTargetExistsError extends UsageError {}
