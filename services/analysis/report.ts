// The readable report of a clip analysis: what went wrong, when, and where the pictures are.
import type { ClipAnalysisResult } from './clip-analysis.ts';

const clock = (s: number): string => `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, '0')}`;

export function formatReport(r: ClipAnalysisResult): string {
  const out: string[] = [];
  out.push(`Clip ${r.clip} (camera ${r.camera}): ${r.durationS.toFixed(1)} s, ${r.frames} frames at ${r.fps} fps`);
  if (!r.complete) out.push(`  ! analysis stopped at ${clock(r.stoppedAtS ?? 0)}: ${r.error ?? 'unknown error'} (results cover the part before)`);
  for (const gap of r.notAnalysed ?? []) out.push(`  ! NOT ANALYSED ${clock(gap.start)}–${clock(gap.end)}: ${gap.reason} (not compliant either)`);
  out.push('');
  const alerts = r.violations.filter((v) => v.shadow !== true);
  const shadow = r.violations.filter((v) => v.shadow === true);
  out.push(alerts.length === 0 ? 'No violations.' : `${alerts.length} violation${alerts.length === 1 ? '' : 's'}:`);
  for (const v of alerts) {
    out.push(`  ${clock(v.start)}–${clock(v.end)}  [${v.severity}] ${v.sop}/${v.rule}${v.step ? `/${v.step}` : ''}  ${v.kind}`);
    out.push(`      ${v.message}  (decided by ${v.decidedBy}${v.confidence < 1 ? `, confidence ${v.confidence.toFixed(2)}` : ''})`);
    if (v.evidence.length > 0) out.push(`      evidence: ${v.evidence.join(', ')}`);
  }
  if (shadow.length > 0) {
    out.push('', `${shadow.length} in shadow mode (recorded, not alerted):`);
    for (const v of shadow) out.push(`  ${clock(v.start)}–${clock(v.end)}  ${v.sop}/${v.rule}  ${v.kind}: ${v.message}`);
  }
  if (r.needsReview.length > 0) {
    out.push('', `${r.needsReview.length} for a person to review:`);
    for (const n of r.needsReview) {
      out.push(`  ${clock(n.start)}–${clock(n.end)}  ${n.sop}/${n.rule}${n.step ? `/${n.step}` : ''}: ${n.reason}`);
      if (n.question) out.push(`      question: ${n.question}${n.answer ? `  answer: ${n.answer.answer} (${n.answer.decidedBy}) ${n.answer.reason}` : ''}`);
    }
  }
  if (r.runs.length > 0) {
    out.push('', 'Sequence runs:');
    for (const run of r.runs) {
      const steps = run.steps.map((s) => `${s.step}@${clock(s.start)}`).join(' → ') || '(no step seen)';
      out.push(`  ${clock(run.start)}–${clock(run.end)}  ${run.sop}/${run.rule}  ${run.outcome}: ${steps}`);
    }
  }
  if (r.evidence.dir !== undefined) {
    out.push('', `Evidence in ${r.evidence.dir}${r.evidence.timeline ? ` (timeline: ${r.evidence.timeline})` : ''}`);
    for (const e of r.evidence.errors) out.push(`  ! ${e}`);
  }
  const s = r.stats;
  out.push(
    '',
    `Took ${(s.wallMs / 1000).toFixed(1)} s (${s.realtimeFactor}x real time; decode ${(s.decodeMs / 1000).toFixed(1)} s, detector ${(s.detectMs / 1000).toFixed(1)} s on ${s.backend}); ` +
      `model calls: ${s.modelCalls} (${s.callsPerCameraHour} per camera-hour), cost $${s.costUsd.toFixed(4)} ($${s.costPerCameraHourUsd.toFixed(4)} per camera-hour)`,
  );
  if (s.framesDecoded !== undefined && s.detectorCalls !== undefined) {
    const perHour = (n: number): string => (r.durationS > 0 ? Math.round((n / r.durationS) * 3600) : 0).toLocaleString('en-US');
    out.push(
      `The detector saw ${s.detectorCalls} of ${s.framesDecoded} frames (motion near the zones in ${s.motionFrames ?? 0}` +
        `${s.personChecks ? `; persons checked by the pose model in ${s.personChecks}, still there in ${s.personChecksHeld ?? 0}` : ''}); ` +
        `per camera-hour: ${perHour(s.framesDecoded)} frames decoded, ${perHour(s.motionFrames ?? 0)} with motion, ${perHour(s.detectorCalls)} detector calls, ` +
        `${perHour(s.detectMs / 1000)} detector s, ${perHour(s.modelCalls)} model calls`,
    );
  }
  if (s.verifyMs !== undefined) {
    const beside = s.evidenceAfterMs === undefined ? '' : ` (${((s.evidenceMs ?? 0) / 1000).toFixed(1)} s of evidence work in all, the rest beside the detection)`;
    out.push(`After detection: verify ${(s.verifyMs / 1000).toFixed(1)} s, evidence ${((s.evidenceAfterMs ?? s.evidenceMs ?? 0) / 1000).toFixed(1)} s${beside}`);
  }
  return out.join('\n');
}
