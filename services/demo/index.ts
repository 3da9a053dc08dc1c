// Demo material: a generated kitchen clip with a real person photo, its SOP file and its zones.
export { generateSampleClip, composeFrame, sampleMaterial, DemoClipError, type SampleClip, type SampleClipOptions } from './sample-clip.ts';
export { personBoxAt, pointInPolygon, sampleScript, SAMPLE_DURATION_MS, PERSON_HEIGHT_SHARE, type ScriptEntry } from './choreography.ts';
export { drawKitchen, SAMPLE_CAMERA_ID, SAMPLE_ZONES, FLOOR_TOP } from './kitchen.ts';
export { loadPersonPhoto, samplesPath, PERSON_ASPECT, PERSON_TILE } from './person-photo.ts';
export { sampleSop, SAMPLE_SOP_ID, SAMPLE_RULE_ID, SAMPLE_MIN_WASH_MS } from './sample-sop.ts';
