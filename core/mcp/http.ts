import { createMcpHandler } from '@modelcontextprotocol/server';
import type { McpBackend } from './backend.js';
import { createMcpServer } from './server.js';

/** Who is calling, as the adapter authenticated it, and the page that caller should open. */
export interface McpCaller {
  principal: string;
  pageUrl: string | undefined;
}

export interface McpHttpOptions {
  backend: McpBackend;
  version: string;
  /**
   * Whether responses may stay open (`subscriptions/listen`). A buffered runtime (Lambda behind
   * API Gateway) cannot hold one: it refuses listen in-band at once instead of being billed
   * until its timeout. Default true.
   */
  openStreams?: boolean;
}

/** Answers one MCP request over Streamable HTTP for an authenticated caller. */
export type McpHttpHandler = (request: Request, caller: McpCaller, parsedBody?: unknown) => Promise<Response>;

/**
 * Streamable HTTP for both protocol eras from the one server definition: 2026-07-28 requests
 * (stateless by design) and 2025-era requests, each answered by a fresh server, so it behaves
 * the same in the live server, on Lambda and on any task of many. Host, Origin and the bearer
 * token are checked before this, by the core's HTTP handler; the caller arrives as auth info.
 */
export function createMcpHttpHandler(options: McpHttpOptions): McpHttpHandler {
  const { backend, version } = options;
  const handler = createMcpHandler(
    ({ authInfo }) => {
      const caller = authInfo?.extra?.['caller'] as McpCaller | undefined;
      if (!caller) throw new Error('An MCP request reached the handler without a caller.');
      return createMcpServer({ backend, version, principal: caller.principal, pageUrl: caller.pageUrl });
    },
    options.openStreams === false ? { maxSubscriptions: 0 } : {},
  );
  return (request, caller, parsedBody) =>
    handler.fetch(request, {
      // Pass-through only: the token was verified before, and is not handed on.
      authInfo: { token: '', clientId: caller.principal, scopes: [], extra: { caller } },
      ...(parsedBody === undefined ? {} : { parsedBody }),
    });
}
