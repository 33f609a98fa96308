import { classifyRequest } from './front-door';

const token = { authorization: 'Bearer ailink_v1_00000000_tok_0123456789abcdef0123456789abcdef' };

describe('front-door routing (spec README, route families)', () => {
  it.each([
    ['GET', '/api/v1/tokens', {}, 'fastify'],
    ['POST', '/api/v1/tokens', token, 'fastify'],
    ['GET', '/api', {}, 'fastify'],
    ['POST', '/integrations/slack/actions', {}, 'fastify'],
    ['GET', '/healthz', {}, 'fastify'],
    ['GET', '/metrics', token, 'fastify'],
    ['GET', '/tokens', {}, 'fastify'],
    ['GET', '/', {}, 'fastify'],
    ['GET', '/v1/models', {}, 'catch_all'],
    ['GET', '/v1/models', token, 'catch_all'],
    ['GET', '/anything/else', token, 'catch_all'],
    ['GET', '/anything/else?key=ailink_v1_x', {}, 'catch_all'],
    ['POST', '/v1/chat/completions', {}, 'catch_all'],
    ['POST', '/healthz', token, 'catch_all'],
    ['DELETE', '/v1/files/f1', token, 'catch_all'],
    ['OPTIONS', '/v1/models', { ...token, 'access-control-request-method': 'GET' }, 'fastify'],
    ['OPTIONS', '/v1/models', token, 'catch_all'],
    ['OPTIONS', '/v1/models', {}, 'fastify'],
    ['TRACE', '/v1/models', token, 'fastify'],
  ])('%s %s → %s', (method, url, headers, expected) => {
    expect(classifyRequest(method, url, headers, true).kind).toBe(expected);
  });

  it('without a portal build, GET outside the reserved prefixes is proxied', () => {
    expect(classifyRequest('GET', '/tokens', {}, false).kind).toBe('catch_all');
  });

  it('names the service and keeps the rest of the path', () => {
    expect(classifyRequest('POST', '/v1/proxy/services/stripe/v1/charges?x=1', token, true)).toEqual({
      kind: 'service',
      name: 'stripe',
      rest: '/v1/charges',
    });
    expect(classifyRequest('GET', '/v1/proxy/services/my%20api/x', token, true)).toEqual({ kind: 'service', name: 'my api', rest: '/x' });
    expect(classifyRequest('GET', '/v1/proxy/services/stripe', token, true).kind).toBe('catch_all');
  });
});
