import { forwardableRequestHeaders, forwardableResponseHeaders } from './header-rules';

describe('header rules (proxy.md §4–5)', () => {
  it('drops hop-by-hop, secrets, control headers and headers named in Connection', () => {
    const out = forwardableRequestHeaders({
      connection: 'keep-alive, x-drop-me',
      'keep-alive': 'timeout=5',
      'x-drop-me': '1',
      authorization: 'Bearer ailink_v1_secret',
      'x-admin-key': 'admin',
      cookie: 'a=b',
      'x-ailink-agent-name': 'bot',
      'x-real-authorization': 'Bearer real',
      host: 'gateway',
      'content-length': '10',
      'accept-encoding': 'gzip',
      'x-request-id': 'client',
      'x-session-id': 's',
      'content-type': 'application/json',
      'openai-organization': 'org',
      'x-mock-thing': 'kept',
    });
    expect(out).toEqual({ 'content-type': 'application/json', 'openai-organization': 'org', 'x-mock-thing': 'kept' });
  });

  it('drops the header that carried the virtual token', () => {
    expect(forwardableRequestHeaders({ 'x-api-key': 'ailink_v1_x', accept: '*/*' }, 'x-api-key')).toEqual({ accept: '*/*' });
  });

  it('filters response headers and re-exposes the upstream request id', () => {
    const out = forwardableResponseHeaders({
      server: 'nginx',
      'x-powered-by': 'x',
      'content-length': '5',
      'content-encoding': 'gzip',
      'x-request-id': 'up',
      'content-type': 'application/json',
      'openai-processing-ms': '12',
    });
    expect(out).toEqual({ 'content-type': 'application/json', 'openai-processing-ms': '12', 'x-upstream-request-id': 'up' });
  });
});
