import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { createMcpServer, type McpServerOptions } from './server.js';

/**
 * Answers one Streamable HTTP request statelessly: a fresh server and transport per request,
 * JSON responses. Works the same in the live server and on Lambda, and on any task of many.
 */
export async function handleMcpRequest(request: Request, options: McpServerOptions & { parsedBody?: unknown }): Promise<Response> {
  const server = createMcpServer(options);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request, options.parsedBody === undefined ? {} : { parsedBody: options.parsedBody });
  } finally {
    // With JSON responses the body is complete once handleRequest resolves.
    void server.close();
  }
}
