// What the OpenAI-compatible providers a store is likely to use document, keyed by how their base URL looks.
// The table in services/agent/README.md is the readable form, with sources; `sopwatch vlm check` prints the row.

export interface ProviderKind {
  name: string;
  /** response_format types the provider documents for vision models. */
  structured: string;
  /** Where a thinking model's reasoning comes back. */
  reasoning: string;
  /** The documented error body. */
  errorBody: string;
}

const KINDS: Array<{ match: RegExp; kind: ProviderKind }> = [
  { match: /\.openai\.azure\.com|\.cognitiveservices\.azure\.com/i, kind: { name: 'Azure OpenAI', structured: 'json_schema (strict), json_object', reasoning: 'hidden (none returned)', errorBody: '{error:{code,message}}; content filter: 400 code content_filter' } },
  { match: /api\.openai\.com/i, kind: { name: 'OpenAI', structured: 'json_schema (strict), json_object', reasoning: 'hidden (none returned)', errorBody: '{error:{message,type,param,code}}' } },
  { match: /generativelanguage\.googleapis\.com|aiplatform\.googleapis\.com/i, kind: { name: 'Google Gemini (OpenAI-compatible)', structured: 'json_schema, json_object', reasoning: 'not in content unless asked (extra_body thinking_config include_thoughts)', errorBody: '[{error:{code,message,status}}] (a list)' } },
  { match: /dashscope(-intl)?\.aliyuncs\.com/i, kind: { name: 'Alibaba Qwen-VL (DashScope compatible mode)', structured: 'json_object (json_schema on newer models)', reasoning: 'reasoning_content (QVQ, Qwen3-VL thinking)', errorBody: '{error:{message,type,param,code}} e.g. invalid_parameter_error, data_inspection_failed' } },
  { match: /volces\.com|volcengine/i, kind: { name: 'ByteDance Doubao (Volcengine Ark)', structured: 'json_object, json_schema (beta)', reasoning: 'reasoning_content (thinking models)', errorBody: '{error:{code,message,param,type}} e.g. InvalidParameter' } },
  { match: /bigmodel\.cn|z\.ai/i, kind: { name: 'Zhipu GLM-4V', structured: 'json_object', reasoning: 'reasoning_content (GLM-4.1V/4.5V thinking)', errorBody: '{error:{code:"1210",message}} (string business codes; 1301 content safety, 1302/1305 rate)' } },
  { match: /moonshot\.(cn|ai)/i, kind: { name: 'Moonshot (Kimi)', structured: 'json_object', reasoning: 'reasoning_content (thinking models)', errorBody: '{error:{message,type}}' } },
  { match: /:11434\b/, kind: { name: 'Ollama', structured: 'json_object, json_schema', reasoning: 'reasoning (thinking models); older builds inline <think>', errorBody: '{error:{message,type,param,code}}' } },
  { match: /:1234\b/, kind: { name: 'LM Studio', structured: 'json_schema only (json_object refused with 400)', reasoning: 'reasoning_content when separated; else inline <think>', errorBody: '{error:"text"} (a string)' } },
  { match: /:8000\b/, kind: { name: 'vLLM', structured: 'json_schema, json_object (guided decoding)', reasoning: 'reasoning_content with --reasoning-parser (newer: reasoning)', errorBody: '{object:"error",message,type,param,code} (newer: {error:{...}}); image limit: "At most N image(s)..."' } },
  { match: /:8080\b/, kind: { name: 'llama.cpp server', structured: 'json_object, json_schema (as a grammar)', reasoning: 'reasoning_content with --reasoning-format deepseek; else inline <think>', errorBody: '{error:{code,message,type}}' } },
];

/** The provider a base URL most likely belongs to (local servers by their default port), if any. */
export function providerKind(baseUrl: string): ProviderKind | undefined {
  return KINDS.find((k) => k.match.test(baseUrl))?.kind;
}
