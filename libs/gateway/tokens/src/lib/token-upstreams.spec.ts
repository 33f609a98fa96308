import { GatewayError } from '@ailink/gateway-core';
import { assertHttpUrls, buildUpstreams, normalizeUpstreamUrl, toUpstreamTargets } from './token-upstreams';

describe('token upstreams (proxy.md §11)', () => {
  it('applies weight 100 and priority 1 by default and keeps credential overrides', () => {
    const { upstreams, problems } = buildUpstreams(
      'https://a.example',
      [
        { url: 'https://a.example' },
        { url: 'https://b.example', weight: 30, priority: 2, credential_id: '11111111-1111-4111-8111-111111111111' },
      ],
      undefined,
    );
    expect(problems).toEqual([]);
    expect(upstreams).toEqual([
      { url: 'https://a.example', weight: 100, priority: 1 },
      { url: 'https://b.example', weight: 30, priority: 2, credential_id: '11111111-1111-4111-8111-111111111111' },
    ]);
  });

  it('turns fallback_url into an extra {weight 100, priority 2} target, keeping upstream_url first', () => {
    expect(buildUpstreams('https://primary.example', undefined, 'https://backup.example').upstreams).toEqual([
      { url: 'https://primary.example', weight: 100, priority: 1 },
      { url: 'https://backup.example', weight: 100, priority: 2 },
    ]);
    expect(buildUpstreams('https://x.example', [{ url: 'https://a.example', weight: 5 }], 'https://backup.example').upstreams).toEqual([
      { url: 'https://a.example', weight: 5, priority: 1 },
      { url: 'https://backup.example', weight: 100, priority: 2 },
    ]);
  });

  it('reports weight ≤ 0 and duplicate URLs (after normalisation) with JSON paths', () => {
    const { problems } = buildUpstreams(
      'https://a.example',
      [{ url: 'https://a.example/v1' }, { url: 'HTTPS://A.EXAMPLE/v1/', weight: 0 }, { url: 'https://c.example', weight: -5 }],
      'https://c.example',
    );
    expect(problems).toEqual([
      { path: '$.upstreams[1].weight', message: 'must be greater than 0' },
      { path: '$.upstreams[1].url', message: 'duplicates the upstream URL at $.upstreams[0].url' },
      { path: '$.upstreams[2].weight', message: 'must be greater than 0' },
      { path: '$.fallback_url', message: 'duplicates the upstream URL at $.upstreams[2].url' },
    ]);
    expect(buildUpstreams('https://a.example', undefined, 'https://a.example/').problems).toEqual([
      { path: '$.fallback_url', message: 'duplicates the upstream URL at $.upstream_url' },
    ]);
  });

  it('normalises URLs for the uniqueness rule only', () => {
    expect(normalizeUpstreamUrl('HTTPS://API.Example.com:443/v1/')).toBe('https://api.example.com/v1');
  });

  it('answers 400 for non-http(s) URLs, listing each path', () => {
    expect(() =>
      assertHttpUrls([
        { path: '$.upstream_url', value: 'https://ok.example' },
        { path: '$.fallback_url', value: undefined },
      ]),
    ).not.toThrow();
    try {
      assertHttpUrls([
        { path: '$.upstream_url', value: 'ftp://x.example' },
        { path: '$.upstreams[0].url', value: 'not a url' },
        { path: '$.fallback_url', value: 'javascript:alert(1)' },
      ]);
      throw new Error('expected a 400');
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe('bad_request');
      expect(((error as GatewayError).details?.['errors'] as { path: string }[]).map((e) => e.path)).toEqual([
        '$.upstream_url',
        '$.upstreams[0].url',
        '$.fallback_url',
      ]);
    }
  });

  it('gives the proxy upstream_url as the single target when no upstreams are stored', () => {
    expect(toUpstreamTargets('https://a.example', [])).toEqual([{ url: 'https://a.example', weight: 100, priority: 1 }]);
    expect(toUpstreamTargets('https://a.example', [{ url: 'https://b.example', weight: 2, priority: 3, credential_id: 'c1' }])).toEqual([
      { url: 'https://b.example', weight: 2, priority: 3, credentialId: 'c1' },
    ]);
  });
});
