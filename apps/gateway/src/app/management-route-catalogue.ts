import { RequestMethod, type INestApplication } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { AUTH_REQUIREMENT, type AuthRequirement } from '@ailink/gateway-core';

/** One route of a controller, as the running application registered it. */
export interface CatalogueRoute {
  /** `GET`, `POST`, … */
  method: string;
  /** Full path with Fastify parameters, e.g. `/api/v1/tokens/:id`. */
  path: string;
  /** The declared access rule (handler first, then controller), or undefined when none is declared. */
  requirement: AuthRequirement | undefined;
  /** How many of handler and controller declare a rule (a handler's overrides its controller's). */
  declarations: number;
  /** `Controller.method`, for messages. */
  name: string;
}

/**
 * Every controller route of the application with its access rule, found through Nest's discovery
 * (the same metadata the router and the global guard read). `prefix` is the global prefix; paths in
 * `excluded` (the operations routes) are not prefixed, as `setGlobalPrefix(…, {exclude})` does.
 */
export function managementRouteCatalogue(app: INestApplication, prefix: string, excluded: ReadonlySet<string>): CatalogueRoute[] {
  const discovery = new DiscoveryService(app.get(ModulesContainer));
  const scanner = new MetadataScanner();
  const reflector = new Reflector();
  const routes: CatalogueRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const type = wrapper.metatype as (new (...args: never[]) => object) | null;
    if (!type || !wrapper.instance) continue;
    const bases = asArray(Reflect.getMetadata(PATH_METADATA, type) as string | string[] | undefined);
    const classRule = reflector.get<AuthRequirement | undefined>(AUTH_REQUIREMENT, type);
    for (const key of scanner.getAllMethodNames(Object.getPrototypeOf(wrapper.instance) as object)) {
      const handler = (type.prototype as Record<string, unknown>)[key];
      if (typeof handler !== 'function') continue;
      const subs = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      if (subs === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const handlerRule = reflector.get<AuthRequirement | undefined>(AUTH_REQUIREMENT, handler as () => void);
      for (const base of bases) {
        for (const sub of asArray(subs)) {
          let path = ('/' + [base, sub].filter((p) => p && p !== '/').join('/')).replace(/\/+/g, '/');
          if (!excluded.has(path)) path = `/${prefix}${path === '/' ? '' : path}`;
          routes.push({
            method,
            path,
            requirement: handlerRule ?? classRule,
            declarations: (handlerRule ? 1 : 0) + (classRule ? 1 : 0),
            name: `${type.name}.${key}`,
          });
        }
      }
    }
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

function asArray(value: string | string[] | undefined): string[] {
  if (value === undefined) return [''];
  return Array.isArray(value) ? value : [value];
}
