// The onvif library, loaded on first use: it costs about 40 ms to load (xml2js and more), which every command that
// never talks to a camera (analyze, demo, eval) would otherwise pay at its start, before its detector threads start.
import { createRequire } from 'node:module';
import type onvifModule from 'onvif';

let lib: typeof onvifModule | undefined;

export function onvifLib(): typeof onvifModule {
  lib ??= createRequire(import.meta.url)('onvif') as typeof onvifModule;
  return lib;
}
