import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { AUTH_REQUIREMENT, type AuthRequirement } from '@ailink/gateway-core';
import { CredentialsController } from './credentials.controller';

function routes(type: { prototype: object }) {
  const base = Reflect.getMetadata(PATH_METADATA, type) as string;
  return Object.getOwnPropertyNames(type.prototype)
    .filter((key) => key !== 'constructor')
    .map((key) => {
      const handler = (type.prototype as Record<string, unknown>)[key] as object;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string;
      return {
        route: `${RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number]} /${base}${path === '/' ? '' : `/${path}`}`,
        requirement: Reflect.getMetadata(AUTH_REQUIREMENT, handler) as AuthRequirement | undefined,
      };
    });
}

describe('CredentialsController', () => {
  it('declares the catalogue routes, each with its scope', () => {
    const scope = (s: string) => ({ kind: 'scope', scope: s, adminOnly: false });
    expect(routes(CredentialsController)).toEqual(
      expect.arrayContaining([
        { route: 'GET /credentials', requirement: scope('credentials:read') },
        { route: 'POST /credentials', requirement: scope('credentials:write') },
        { route: 'GET /credentials/:id', requirement: scope('credentials:read') },
        { route: 'PATCH /credentials/:id', requirement: scope('credentials:write') },
        { route: 'DELETE /credentials/:id', requirement: scope('credentials:write') },
        { route: 'POST /credentials/:id/rotate', requirement: scope('credentials:write') },
      ]),
    );
    expect(routes(CredentialsController)).toHaveLength(6);
  });
});
