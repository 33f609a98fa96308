import { RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { AUTH_REQUIREMENT } from '@ailink/gateway-core';
import { MasterKeyController } from './master-key.controller';

describe('MasterKeyController', () => {
  const meta = (key: 'status' | 'rotate', name: string) => Reflect.getMetadata(name, MasterKeyController.prototype[key]);

  it('serves GET /system/master-key (admin-only, system:read)', () => {
    expect(Reflect.getMetadata(PATH_METADATA, MasterKeyController)).toBe('system/master-key');
    expect(RequestMethod[meta('status', METHOD_METADATA)]).toBe('GET');
    expect(meta('status', AUTH_REQUIREMENT)).toEqual({ kind: 'scope', scope: 'system:read', adminOnly: true });
  });

  it('serves POST /system/master-key/rotate (admin-only, system:write) with 202', () => {
    expect(RequestMethod[meta('rotate', METHOD_METADATA)]).toBe('POST');
    expect(meta('rotate', PATH_METADATA)).toBe('rotate');
    expect(meta('rotate', HTTP_CODE_METADATA)).toBe(202);
    expect(meta('rotate', AUTH_REQUIREMENT)).toEqual({ kind: 'scope', scope: 'system:write', adminOnly: true });
  });
});
