/**
 * Every route states who may call it, where it is declared (STYLE habit 2). `route()` refuses a route
 * without an audience, and `assertAllRoutesDeclared` makes startup fail if any express route was added
 * some other way, so a new endpoint cannot forget to say who it is for.
 */
import type { Express, RequestHandler, Router } from 'express';

export type Audience = 'public' | 'member' | 'provider' | 'payer' | 'admin';
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'options' | 'all';

export interface RouteDeclaration {
  method: Method;
  path: string;
  audiences: readonly Audience[];
  description: string;
}

const declared = new WeakMap<Router | Express, RouteDeclaration[]>();

export function route(
  router: Router | Express,
  decl: RouteDeclaration,
  ...handlers: RequestHandler[]
): void {
  if (!decl.audiences || decl.audiences.length === 0) throw new Error(`route ${decl.method.toUpperCase()} ${decl.path} declares no audience`);
  const list = declared.get(router) ?? [];
  list.push(decl);
  declared.set(router, list);
  (router[decl.method] as (path: string, ...h: RequestHandler[]) => unknown).call(router, decl.path, ...handlers);
}

export function declaredRoutes(router: Router | Express): readonly RouteDeclaration[] {
  return declared.get(router) ?? [];
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** Fails when a router has a route that did not go through `route()`. */
export function assertAllRoutesDeclared(router: Router): void {
  const stack = (router as unknown as { stack: Layer[] }).stack;
  const decls = declared.get(router) ?? [];
  for (const layer of stack) {
    if (!layer.route) continue;
    const ok = decls.some((d) => d.path === layer.route!.path);
    if (!ok) throw new Error(`route ${layer.route.path} was added without an audience declaration`);
  }
}
