#!/usr/bin/env node
// The sopwatch command: registers the TypeScript loader, then hands over to the CLI entry.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../services/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
