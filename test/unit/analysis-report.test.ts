// The readable report of `sopwatch analyze`: violations with who decided, review items, runs, cost.
import { describe, expect, it } from 'vitest';
import { formatReport, type ClipAnalysisResult } from '../../services/analysis/index.ts';

const base: ClipAnalysisResult = {
  clip: 'shift.mp4',
  camera: 'bar-1',
  durationS: 95,
  fps: 5,
  frames: 475,
  complete: true,
  violations: [
    { id: 'a', sop: 'espresso-bar', rule: 'shot-sequence', step: 'tamp', kind: 'verify_failed', camera: 'bar-1', start: 12.5, end: 31, severity: 'medium', message: 'tamp: the model answered no', decidedBy: 'vlm:local/qwen', confidence: 0.8, evidence: ['a-1.jpg'] },
    { id: 'b', sop: 'espresso-bar', rule: 'phone-at-bar', kind: 'forbidden', camera: 'bar-1', start: 70, end: 75.5, severity: 'high', message: 'cell phone at machine for 5.5 s', decidedBy: 'detector', confidence: 1, evidence: [], shadow: true },
  ],
  needsReview: [{ id: 'r', sop: 'espresso-bar', rule: 'shot-sequence', step: 'tamp', camera: 'bar-1', start: 40, end: 44, severity: 'medium', reason: 'no vision model is configured: a person must check', question: 'Is the barista tamping?' }],
  runs: [{ id: 'run', sop: 'espresso-bar', rule: 'shot-sequence', camera: 'bar-1', start: 10, end: 40, outcome: 'violation', steps: [{ step: 'grind', start: 10, done: 13 }] }],
  evidence: { dir: '/tmp/ev', timeline: '/tmp/ev/timeline.jpg', errors: ['b keyframe 1: a face was still found'] },
  stats: { wallMs: 30_000, decodeMs: 400, detectMs: 50_000, realtimeFactor: 3.17, backend: 'wasm', modelCalls: 2, costUsd: 0.0042, callsPerCameraHour: 75.79, costPerCameraHourUsd: 0.1592 },
};

describe('formatReport', () => {
  const text = formatReport(base);
  it('names each alert with time, rule, step, kind, and who decided', () => {
    expect(text).toContain('0:12.5–0:31.0  [medium] espresso-bar/shot-sequence/tamp  verify_failed');
    expect(text).toContain('decided by vlm:local/qwen, confidence 0.80');
    expect(text).toContain('evidence: a-1.jpg');
  });
  it('keeps shadow-mode findings apart from alerts', () => {
    expect(text).toContain('1 violation:');
    expect(text).toMatch(/1 in shadow mode[^\n]*\n[^\n]*phone-at-bar/);
  });
  it('lists review items with their question, and sequence runs with their steps', () => {
    expect(text).toContain('1 for a person to review');
    expect(text).toContain('question: Is the barista tamping?');
    expect(text).toContain('grind@0:10.0');
  });
  it('says what evidence could not be written, and the cost of model calls', () => {
    expect(text).toContain('! b keyframe 1: a face was still found');
    expect(text).toContain('model calls: 2 (75.79 per camera-hour), cost $0.0042 ($0.1592 per camera-hour)');
  });
  it('says where an incomplete analysis stopped', () => {
    expect(formatReport({ ...base, complete: false, stoppedAtS: 61.2, error: 'moov atom not found' })).toContain('analysis stopped at 1:01.2: moov atom not found');
  });
});
