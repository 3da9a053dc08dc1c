// Entry of a detector worker thread: TypeScript runs through tsx (no build step), so tsx is registered first.
import { register } from 'tsx/esm/api';

register();
await import('./detector.worker.ts');
