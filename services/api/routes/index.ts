// Every route plugin, registered in one place.
import type { FastifyInstance } from 'fastify';
import { authRoutes } from './auth.routes.ts';
import { cameraHealthRoutes } from './camera-health.routes.ts';
import { cameraRoutes } from './cameras.routes.ts';
import { cameraSetupRoutes } from './camera-setup.routes.ts';
import { clipRoutes } from './clips.routes.ts';
import { complianceScoreRoutes } from './compliance-score.routes.ts';
import { clipLabelRoutes } from './clip-labels.routes.ts';
import { clipLabelMarkRoutes } from './clip-label-marks.routes.ts';
import { dashboardClipRoutes } from './dashboard-clips.routes.ts';
import { dashboardSopRoutes } from './dashboard-sops.routes.ts';
import { eventRoutes } from './events.routes.ts';
import { healthRoutes } from './health.routes.ts';
import { reportRoutes } from './reports.routes.ts';
import { reviewItemRoutes } from './review-items.routes.ts';
import { sopFileRoutes } from './sop-files.routes.ts';
import { sopGalleryRoutes } from './sop-gallery.routes.ts';
import { storeRoutes } from './stores.routes.ts';
import { uploadRoutes } from './uploads.routes.ts';
import { videoRoutes } from './video.routes.ts';
import { violationRoutes } from './violations.routes.ts';

export async function routes(app: FastifyInstance): Promise<void> {
  for (const plugin of [healthRoutes, authRoutes, storeRoutes, cameraRoutes, cameraHealthRoutes, sopFileRoutes, clipRoutes, uploadRoutes, violationRoutes, reviewItemRoutes, reportRoutes, eventRoutes, dashboardClipRoutes, dashboardSopRoutes, clipLabelRoutes, clipLabelMarkRoutes, cameraSetupRoutes, sopGalleryRoutes, videoRoutes, complianceScoreRoutes]) {
    await app.register(plugin);
  }
}
