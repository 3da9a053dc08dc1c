// Tests reach their doubles on 127.0.0.1, which the outbound policy refuses by default: they opt in explicitly,
// through the operator's own settings (SOPWATCH_CAMERA_NETWORKS, SOPWATCH_OUTBOUND_ALLOW), as a demo would.
import { outboundPolicies, parseEnv } from '../../services/core/env.ts';

/** The settings that let this machine's loopback in (and nothing else). */
export const LOOPBACK_OPT_IN = { SOPWATCH_CAMERA_NETWORKS: '127.0.0.1/32', SOPWATCH_OUTBOUND_ALLOW: '127.0.0.1/32' } as const;

/** The camera and service policies of an environment with LOOPBACK_OPT_IN. */
export const loopback = outboundPolicies(parseEnv({ ...LOOPBACK_OPT_IN }));

/** The default policies (nothing listed beyond the private ranges): what a fresh server enforces. */
export const defaults = outboundPolicies(parseEnv({}));

/**
 * Sets LOOPBACK_OPT_IN in this process's environment, for code that reads `env()` (parsed once, on first use):
 * call it at the top of a test file, before anything runs.
 */
export function optInLoopback(): void {
  Object.assign(process.env, LOOPBACK_OPT_IN);
}
