// sopwatch.yaml: defaults, strict schema, positioned errors, confirmFailWith, and secrets only by variable name.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, configFromObject, defaultConfig, loadConfig, parseConfig } from '../../services/core/config.ts';
import { secretFromEnv } from '../../services/core/env.ts';
import { UsageError } from '../../services/core/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'sopwatch-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(text: string): string[] {
  try {
    parseConfig(text, 'sopwatch.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const provider = (extra = '') => `    - id: qwen\n      baseUrl: https://dashscope-intl.aliyuncs.com/compatible-mode/v1\n      model: qwen3-vl-flash\n${extra}`;

describe('config', () => {
  it('has defaults and no providers when nothing is configured', () => {
    const c = defaultConfig();
    expect(c.vlm.providers).toEqual([]);
    expect(c.vlm.budget).toEqual({ dailyUsd: 5, perStore: 1 });
    expect(c.vlm.cache.maxEntries).toBe(1000);
    expect(parseConfig('', 'empty.yaml')).toEqual(c);
  });

  it('fills provider defaults and keeps given values', () => {
    const c = parseConfig(`vlm:\n  providers:\n${provider('      apiKeyEnv: DASHSCOPE_API_KEY\n      maxImages: 1\n      structuredOutput: json_object\n      region: cn\n')}`, 'f.yaml');
    expect(c.vlm.providers[0]).toMatchObject({ id: 'qwen', apiKeyEnv: 'DASHSCOPE_API_KEY', maxImages: 1, structuredOutput: 'json_object', region: 'cn', timeoutMs: 20_000, pricePerMTokIn: 0 });
  });

  it('points at an unknown key with file:line:col and says where secrets go', () => {
    expect(problems(`vlm:\n  providers:\n${provider('      apiKey: sk-live-123\n')}`)).toEqual([
      'sopwatch.yaml:6:7: unknown key "apiKey" (secrets are never written here: name an environment variable in apiKeyEnv)',
    ]);
  });

  it('lists every problem with its position', () => {
    const p = problems(`vlm:\n  providers:\n    - id: Bad Id\n      model: m\n      structuredOutput: xml\n  budget: { dailyUsd: -1 }\n  cahce: {}\n`);
    expect(p).toContain('sopwatch.yaml:3:7: vlm.providers.0: missing required key "baseUrl"');
    expect(p).toContain('sopwatch.yaml:3:11: vlm.providers.0.id: expected string to match \'^[a-z0-9][a-z0-9_-]*$\'');
    expect(p).toContain('sopwatch.yaml:5:25: vlm.providers.0.structuredOutput: must be one of json_schema, json_object, none');
    expect(p).toContain('sopwatch.yaml:6:23: vlm.budget.dailyUsd: expected number to be greater or equal to 0');
    expect(p).toContain('sopwatch.yaml:7:3: unknown key "cahce"');
  });

  it('rejects an unknown provider id in confirmFailWith, at its position', () => {
    expect(problems(`vlm:\n  providers:\n${provider()}  confirmFailWith: gemini\n`)).toEqual(['sopwatch.yaml:6:20: unknown provider id "gemini" (known: qwen)']);
  });

  it('rejects confirmFailWith with a single provider and duplicate ids', () => {
    expect(problems(`vlm:\n  providers:\n${provider()}  confirmFailWith: qwen\n`)[0]).toMatch(/^sopwatch\.yaml:6:20: confirmFailWith needs a second provider/);
    expect(problems(`vlm:\n  providers:\n${provider()}${provider()}`)).toEqual(['sopwatch.yaml:6:11: duplicate provider id "qwen"']);
  });

  it('Azure OpenAI: the resource endpoint plus deployment and api-version, a key for the api-key header', () => {
    const azure = (base: string, extra = '      apiKeyEnv: AZURE_OPENAI_API_KEY\n') =>
      `vlm:\n  providers:\n    - id: az\n      baseUrl: ${base}\n      model: gpt-4o\n${extra}      azure: { deployment: gpt4o-prod, apiVersion: 2024-10-21 }\n`;
    expect(parseConfig(azure('https://res.openai.azure.com'), 'f.yaml').vlm.providers[0]?.azure).toEqual({ deployment: 'gpt4o-prod', apiVersion: '2024-10-21' });
    expect(problems(azure('https://res.openai.azure.com/openai/deployments/gpt4o-prod'))).toEqual([
      'sopwatch.yaml:4:16: with azure, baseUrl is the resource endpoint only (https://res.openai.azure.com); the /openai/deployments/... path and api-version are built from azure',
    ]);
    expect(problems(azure('https://res.openai.azure.com', ''))).toEqual(['sopwatch.yaml:6:14: an Azure OpenAI provider needs apiKeyEnv: its key is sent in the api-key header']);
    expect(problems(`vlm:\n  providers:\n    - id: az\n      baseUrl: https://res.openai.azure.com/openai/deployments/d?api-version=2024-10-21\n      model: m\n`)[0])
      .toMatch(/^sopwatch\.yaml:4:16: an Azure OpenAI deployment URL: set baseUrl to the resource endpoint/);
    expect(problems(azure('https://res.openai.azure.com').replace('2024-10-21', 'latest'))[0]).toMatch(/azure\.apiVersion: expected string to match/);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(problems('vlm:\n  providers: [\n')[0]).toMatch(/^sopwatch\.yaml:\d+:\d+: /);
  });

  it('configFromObject applies the same checks', () => {
    expect(configFromObject({ vlm: { providers: [{ id: 'a', baseUrl: 'http://127.0.0.1:1/v1', model: 'm' }] } }).vlm.providers[0]?.maxImages).toBe(3);
    expect(() => configFromObject({ vlm: { providers: [{ id: 'a', baseUrl: 'ftp://x', model: 'm' }] } })).toThrow(ConfigError);
  });

  it('loads a file; an explicitly named missing file is a usage error', async () => {
    const file = join(dir, 'sopwatch.yaml');
    writeFileSync(file, `vlm:\n  providers:\n${provider()}`);
    expect((await loadConfig(file)).vlm.providers.map((p) => p.id)).toEqual(['qwen']);
    await expect(loadConfig(join(dir, 'missing.yaml'))).rejects.toBeInstanceOf(UsageError);
  });

  it('secretFromEnv reads the named variable and treats empty as unset', () => {
    expect(secretFromEnv('KEY', { KEY: 'abc' })).toBe('abc');
    expect(secretFromEnv('KEY', { KEY: '' })).toBeUndefined();
    expect(secretFromEnv('KEY', {})).toBeUndefined();
  });
});
