// Model calls, their cost and the camera time they were made for, counted in this process for /metrics.

export interface ModelUsage {
  calls: number;
  costUsd: number;
  /** Camera time analysed (clip durations), ms. */
  cameraMs: number;
}

const usage: ModelUsage = { calls: 0, costUsd: 0, cameraMs: 0 };

export function recordModelUsage(u: ModelUsage): void {
  usage.calls += u.calls;
  usage.costUsd += u.costUsd;
  usage.cameraMs += u.cameraMs;
}

export function modelUsage(): ModelUsage {
  return { ...usage };
}

/** Calls (or dollars) per hour of camera time; 0 before any camera time was analysed. */
export function perCameraHour(amount: number, cameraMs: number): number {
  return cameraMs > 0 ? Math.round((amount / (cameraMs / 3_600_000)) * 100) / 100 : 0;
}
