import type { ProxyToken } from '@ailink/gateway-proxy';
import { requestedModel, tokenRestrictsModels } from './model-access.stage';

const token = (fields: Partial<ProxyToken>): ProxyToken => ({
  id: 'tok_' + 'a'.repeat(24),
  projectId: 'p',
  name: 't',
  credentialId: null,
  upstreams: [],
  policyIds: [],
  logLevel: 1,
  circuitBreaker: { enabled: false, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
  tags: {},
  teamId: null,
  ...fields,
});

describe('model access helpers', () => {
  it('reads the model of a JSON body, else of a Gemini-style path, else none', () => {
    expect(requestedModel({ model: ' gpt-4o ' }, '/v1/chat/completions')).toBe('gpt-4o');
    expect(requestedModel({ model: '' }, '/v1/chat/completions')).toBeNull();
    expect(requestedModel(undefined, '/v1beta/models/gemini-1.5-pro:generateContent')).toBe('gemini-1.5-pro');
    expect(requestedModel(undefined, '/v1beta/models/gemini%2Dpro:streamGenerateContent')).toBe('gemini-pro');
    expect(requestedModel(['x'], '/v1/models')).toBeNull();
    expect(requestedModel({ model: 3 }, '/v1/embeddings')).toBeNull();
  });

  it('treats null/absent allowed_models and no groups as unrestricted, [] as restricted', () => {
    expect(tokenRestrictsModels(token({}))).toBe(false);
    expect(tokenRestrictsModels(token({ allowedModels: null, allowedModelGroupIds: [] }))).toBe(false);
    expect(tokenRestrictsModels(token({ allowedModels: [] }))).toBe(true);
    expect(tokenRestrictsModels(token({ allowedModelGroupIds: ['g'] }))).toBe(true);
  });
});
